"""Message catalogues for citizen-facing text in bokmål, nynorsk, svenska and English."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

from surveys.settings import DEFAULT_LANGUAGE, LANGUAGES

LOCALES_DIR = Path(__file__).parent / "locales"


def _flatten(prefix: str, table: dict[str, Any], into: dict[str, str]) -> None:
    for key, value in table.items():
        name = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            _flatten(name, value, into)
        else:
            into[name] = str(value)


@cache
def catalogue(language: str) -> dict[str, str]:
    with (LOCALES_DIR / f"{language}.toml").open("rb") as handle:
        flat: dict[str, str] = {}
        _flatten("", tomllib.load(handle), flat)
        return flat


def normalise_language(language: str | None, allowed: list[str] | tuple[str, ...] = LANGUAGES) -> str | None:
    """Map what a client reports (nb-NO, no, nn_NO, sv-SE, en-GB) onto one of our languages, or None."""
    if not language:
        return None
    code = language.strip().lower().replace("_", "-").split("-")[0]
    code = {"no": "nb", "nob": "nb", "nno": "nn", "swe": "sv", "eng": "en"}.get(code, code)
    return code if code in allowed else None


def t(language: str | None, key: str, /, **values: Any) -> str:
    """Look up `key` in the language's catalogue (falling back to bokmål) and fill in the values."""
    lang = language if language in LANGUAGES else DEFAULT_LANGUAGE
    text = catalogue(lang).get(key)
    if text is None:
        text = catalogue(DEFAULT_LANGUAGE)[key]
    return text.format(**values) if values else text


def pick(texts: dict[str, str], language: str | None, fallback: str | None = None) -> str:
    """Choose a per-language text from a {lang: text} mapping written by staff or a survey file."""
    for lang in (language, fallback, DEFAULT_LANGUAGE, *LANGUAGES):
        if lang and texts.get(lang):
            return texts[lang]
    return ""
