"""Reading the columns and values of a transcribed paper-card file the way Nordic staff write them.

Header names are accepted in Norwegian, Swedish and English (Tekst/Svar/Text, Spørsmål/Fråga/Question, Språk/
Language, Dato/Datum/Date, Enhet/Eining/Unit); questions by key, number or prompt text; languages by code or name;
dates as dd.mm.yyyy (Norwegian Excel) or ISO. An unknown column is a warning, an unknown value a per-row problem,
and every problem is a code with values, so the dashboard says it in bokmål and the CLI in English.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from surveys.i18n import normalise_language
from surveys.models import Question
from surveys.settings import LANGUAGES
from surveys.staff_text import staff_text
from surveys.text import search_key

LOCAL = ZoneInfo("Europe/Oslo")

COLUMN_NAMES: dict[str, tuple[str, ...]] = {
    "text": ("text", "tekst", "svar", "svaret", "answer", "fritekst", "svartekst"),
    "question": ("question", "spørsmål", "spørsmål nr", "spm", "fråga", "fraga", "sporsmal"),
    "language": ("language", "språk", "sprak", "målform", "lang"),
    "date": ("date", "dato", "datum", "dag", "tidspunkt"),
    "unit": ("unit", "enhet", "eining", "avdeling"),
    "ignored": ("id", "nr", "nr.", "nummer", "løpenummer", "kortnummer", "#", "kort"),
}
_COLUMN_BY_NAME = {search_key(name): column for column, names in COLUMN_NAMES.items() for name in names}
LANGUAGE_NAMES = {
    "bokmål": "nb",
    "bokmal": "nb",
    "norsk": "nb",
    "norsk bokmål": "nb",
    "norwegian": "nb",
    "nynorsk": "nn",
    "norsk nynorsk": "nn",
    "svensk": "sv",
    "svenska": "sv",
    "swedish": "sv",
    "engelsk": "en",
    "engelska": "en",
    "english": "en",
}
DATE_FORMATS = ("%d.%m.%Y", "%d.%m.%y", "%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y")
TIME_FORMATS = ("%d.%m.%Y %H:%M", "%d.%m.%Y %H.%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S")


@dataclass(frozen=True)
class ImportProblem:
    """One reason, as a catalogue code and its values; `line` is None for problems of the whole file."""

    code: str
    line: int | None = None
    values: dict[str, Any] = field(default_factory=dict)

    def render(self, language: str = "en") -> str:
        text = import_text(language, self.code, **self.values)
        return import_text(language, "at_line", line=self.line, problem=text) if self.line is not None else text

    def __str__(self) -> str:
        return self.render("en")


def import_text(language: str, code: str, /, **values: Any) -> str:
    return staff_text("import", language, code, **values)


def column_of(header_name: str) -> str | None:
    """Which column a header cell names ("Spørsmål" -> "question"), or None if we do not know it."""
    name = search_key(header_name.strip().strip(":"))
    return _COLUMN_BY_NAME.get(name)


@dataclass(frozen=True)
class HeaderMap:
    indexes: dict[str, int]
    warnings: list[ImportProblem]


def map_header(header: list[str]) -> HeaderMap:
    indexes: dict[str, int] = {}
    warnings: list[ImportProblem] = []
    for index, cell in enumerate(header):
        column = column_of(cell)
        if column is None:
            if cell.strip():
                warnings.append(ImportProblem("unknown_column", 1, {"name": cell.strip()}))
            continue
        if column == "ignored":
            continue
        if column in indexes:
            warnings.append(ImportProblem("duplicate_column", 1, {"name": cell.strip()}))
            continue
        indexes[column] = index
    return HeaderMap(indexes, warnings)


def parse_language(value: str) -> str | None:
    text = value.strip().lower()
    return LANGUAGE_NAMES.get(text) or normalise_language(text, LANGUAGES)


class QuestionLookup:
    """A question by key ("matters"), number ("1", "2", as on the card) or prompt text in any language."""

    def __init__(self, questions: list[Question]) -> None:
        self.questions = questions
        self._by: dict[str, Question] = {}
        for number, question in enumerate(questions, start=1):
            self._by[search_key(question.key)] = question
            self._by[str(number)] = question
            for prompt in (question.texts.get("prompt") or {}).values():
                self._by[_prompt_key(prompt)] = question

    def find(self, value: str) -> Question | None:
        text = value.strip()
        return self._by.get(search_key(text).rstrip(".")) or self._by.get(_prompt_key(text))

    def known(self) -> str:
        return ", ".join(f"{n} ({q.key})" for n, q in enumerate(self.questions, start=1))


def _prompt_key(text: str) -> str:
    return " ".join(search_key(text).replace("?", " ").replace(".", " ").split())


def parse_date(value: str) -> datetime | None:
    """A date typed in Excel, as an aware UTC moment; a bare date means noon Norwegian time that day."""
    text = value.strip()
    for pattern in TIME_FORMATS:
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=LOCAL).astimezone(UTC)
        except ValueError:
            continue
    for pattern in DATE_FORMATS:
        try:
            day: date = datetime.strptime(text, pattern).date()
        except ValueError:
            continue
        return datetime(day.year, day.month, day.day, 12, 0, tzinfo=LOCAL).astimezone(UTC)
    return None
