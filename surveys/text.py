"""Tidying free text before it is stored, the same way for every channel and the importer."""

from __future__ import annotations

import re
import unicodedata

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_answer_text(text: str) -> str:
    """NFC, one kind of line break, no control characters, no surrounding blanks; everything else kept exactly.

    XLSX and HTML forms turn CR LF into LF anyway; doing it once here makes exports round-trip exactly.
    """
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text).strip()
