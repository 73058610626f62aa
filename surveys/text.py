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


# Nordic letters stay letters of their own (å is not a), but the Swedish and Norwegian spellings of the same letter
# meet, so "Östensjö" and "østensjø" find each other; every other accent goes (é -> e, ü -> u).
_NORDIC = str.maketrans({"ä": "æ", "ö": "ø", "å": "\x00", "æ": "\x01", "ø": "\x02"})
_NORDIC_BACK = str.maketrans({"\x00": "å", "\x01": "æ", "\x02": "ø"})


def search_key(text: str) -> str:
    """The form answers are searched in: lower case, accents folded, the same on every database.

    Computed in Python (stored in answer.search_text and applied to the query), because SQLite's LOWER and LIKE
    only fold ASCII and PostgreSQL's depend on the server's locale.
    """
    folded = unicodedata.normalize("NFC", text).casefold().translate(_NORDIC)
    stripped = "".join(ch for ch in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(ch))
    return stripped.translate(_NORDIC_BACK)
