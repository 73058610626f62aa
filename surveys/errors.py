"""Errors a member of staff can act on, each a catalogue code with its values (house style: errors with codes).

The code names the problem and `surveys/locales/errors/<lang>.toml` says it: the CLI prints it in English, the
dashboard in the reader's language (bokmål or English). A subclass says which part of the core raised it, so a
caller that cares can catch that part; the CLI and the dashboard catch `ViktigError` once.
"""

from __future__ import annotations

from typing import Any

from surveys.staff_text import staff_text

CATALOGUE = "errors"


class ViktigError(ValueError):
    """A problem with what was asked for, as `code` (a catalogue key) and the values its text needs.

    A ValueError, as the domain errors were before: argparse and older callers that catch ValueError still do.
    """

    def __init__(self, code: str, /, **params: Any) -> None:
        self.code = code
        self.params = params
        super().__init__(code)

    def message(self, language: str = "en") -> str:
        """The text for the reader: the CLI speaks English, the dashboard the staff member's language."""
        return staff_text(CATALOGUE, language, self.code, **self.params)

    def __str__(self) -> str:
        return self.message("en")
