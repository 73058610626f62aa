"""The theme taxonomy: a TOML file staff can edit per municipality (labels per language and seed terms)."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from surveys.errors import ViktigError

DEFAULT_TAXONOMY = Path(__file__).with_name("taxonomy") / "default.toml"
LABEL_LANGUAGES = ("nb", "nn", "sv", "en")  # required; "da" is optional and falls back to nb
SEED_LANGUAGES = ("nb", "nn", "sv", "da", "en")
_KEY = re.compile(r"^[a-z][a-z0-9_]*$")


class TaxonomyError(ViktigError):
    """A taxonomy file staff can fix: the detail names the file, the theme and, where known, the line.

    The detail stays in English (it quotes the file's own keys); the catalogue frames it in the reader's language.
    """

    def __init__(self, detail: str) -> None:
        super().__init__("taxonomy.invalid", detail=detail)


@dataclass(frozen=True)
class TaxonomyTheme:
    key: str
    labels: dict[str, str]
    seeds: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def label(self, language: str) -> str:
        return label_in(self.labels, language)


@dataclass(frozen=True)
class Taxonomy:
    themes: tuple[TaxonomyTheme, ...]
    other_labels: dict[str, str]
    source: str

    def theme(self, key: str) -> TaxonomyTheme | None:
        return next((theme for theme in self.themes if theme.key == key), None)

    def other_label(self, language: str) -> str:
        return label_in(self.other_labels, language)


def label_in(labels: dict[str, str], language: str) -> str:
    for code in (language, "nb" if language == "da" else "en", "nb", "en"):
        if labels.get(code):
            return labels[code]
    return next(iter(labels.values()))


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """Read and check a taxonomy file; every problem raises TaxonomyError with the file, theme and line."""
    path = Path(path) if path else DEFAULT_TAXONOMY
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as error:
        raise TaxonomyError(f"{path}: cannot read the taxonomy file ({error.strerror or error})") from error
    try:
        data = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as error:
        raise TaxonomyError(f"{path}: not valid TOML: {error}") from error

    def where(key: str) -> str:
        for number, line in enumerate(raw.splitlines(), start=1):
            if re.match(rf"^\s*\[\s*themes\.{re.escape(key)}\s*\]", line):
                return f"{path}, line {number}, theme '{key}'"
        return f"{path}, theme '{key}'"

    unknown = set(data) - {"themes", "other"}
    if unknown:
        raise TaxonomyError(
            f"{path}: unknown top-level section(s) {sorted(unknown)}; expected [other] and [themes.KEY]"
        )
    themes_data = data.get("themes")
    if not isinstance(themes_data, dict) or not themes_data:
        raise TaxonomyError(f"{path}: no themes; add at least one [themes.KEY] section")
    other = data.get("other", {}).get("label", {"nb": "Annet", "nn": "Anna", "sv": "Övrigt", "en": "Other"})
    _check_labels(other, f"{path}, section [other]")
    themes = []
    for key, body in themes_data.items():
        place = where(key)
        if not _KEY.match(key):
            raise TaxonomyError(f"{place}: a theme key must be lower-case letters, digits and '_' (got '{key}')")
        if key == "other":
            raise TaxonomyError(
                f"{place}: 'other' is reserved for answers that fit no theme; use [other] for its label"
            )
        if not isinstance(body, dict):
            raise TaxonomyError(f"{place}: expected a table with 'label' and seed lists")
        extra = set(body) - {"label", *SEED_LANGUAGES}
        if extra:
            raise TaxonomyError(
                f"{place}: unknown field(s) {sorted(extra)}; allowed: label, {', '.join(SEED_LANGUAGES)}"
            )
        labels = _check_labels(body.get("label"), place)
        seeds: dict[str, tuple[str, ...]] = {}
        for language in SEED_LANGUAGES:
            terms = body.get(language, [])
            if not isinstance(terms, list) or not all(isinstance(term, str) and term.strip() for term in terms):
                raise TaxonomyError(f"{place}: '{language}' must be a list of non-empty strings")
            if terms:
                seeds[language] = tuple(term.strip().lower() for term in terms)
        if not seeds:
            raise TaxonomyError(f'{place}: no seed terms; add a list such as nb = ["familie", "barn"]')
        themes.append(TaxonomyTheme(key=key, labels=labels, seeds=seeds))
    return Taxonomy(themes=tuple(themes), other_labels=dict(other), source=str(path))


def _check_labels(labels: object, place: str) -> dict[str, str]:
    """The labels table, checked: a text in every label language."""
    if not isinstance(labels, dict):
        raise TaxonomyError(f'{place}: \'label\' must be a table such as {{ nb = "…", nn = "…", sv = "…", en = "…" }}')
    missing = [code for code in LABEL_LANGUAGES if not isinstance(labels.get(code), str) or not labels[code].strip()]
    if missing:
        raise TaxonomyError(f"{place}: label is missing language(s) {', '.join(missing)}")
    return dict(labels)
