"""Importing transcribed paper cards: CSV or JSONL, all rows or none, with row numbers and reasons."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from surveys.deidentify import redact as default_redact
from surveys.ids import pk
from surveys.import_columns import ImportProblem, QuestionLookup, map_header, parse_date, parse_language
from surveys.models import Answer, AnswerSource, Campaign, Question, QuestionKind, Unit
from surveys.text import clean_answer_text, search_key

MAX_IMPORT_TEXT = 20_000
_NO_DELIMITER = "\x1f"  # a one-column file has no delimiter: commas and semicolons in an answer are text
_SIGNATURES = {
    b"PK\x03\x04": "xlsx",
    b"%PDF": "pdf",
    b"\xd0\xcf\x11\xe0": "xls",
    b"\x89PNG": "png",
    b"\xff\xd8\xff": "jpeg",
}


class AnswerImportError(ValueError):
    """The file cannot be imported; each problem names its row and reason. Nothing was stored."""

    def __init__(self, problems: list[ImportProblem]):
        self.reasons = problems
        super().__init__("; ".join(self.problems))

    @property
    def problems(self) -> list[str]:
        """In English, for the CLI and logs (no answer text is ever part of a problem)."""
        return [problem.render("en") for problem in self.reasons]

    def messages(self, language: str) -> list[str]:
        return [problem.render(language) for problem in self.reasons]


@dataclass(frozen=True)
class ImportRow:
    line: int
    text: str
    question_key: str | None
    language: str | None
    date: str | None = None
    unit: str | None = None


@dataclass(frozen=True)
class ImportResult:
    imported: int
    format: str
    encoding: str
    warnings: tuple[ImportProblem, ...] = ()


def decode(raw: bytes) -> tuple[str, str]:
    """UTF-8 (with or without BOM) first; otherwise Windows-1252, which is what Norwegian Excel writes."""
    for signature, kind in _SIGNATURES.items():
        if raw.startswith(signature):
            raise AnswerImportError([ImportProblem(f"file_{kind}")])
    if b"\x00" in raw[:4096]:
        raise AnswerImportError([ImportProblem("file_binary")])
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252", errors="strict"), "windows-1252"
    except UnicodeDecodeError:
        raise AnswerImportError([ImportProblem("file_encoding")]) from None


def parse_rows(text: str, *, filename: str = "") -> tuple[list[ImportRow], str]:
    rows, kind, _ = parse_file(text, filename=filename)
    return rows, kind


def parse_file(text: str, *, filename: str = "") -> tuple[list[ImportRow], str, list[ImportProblem]]:
    """The rows, the format, and warnings (columns we do not use) that do not stop the import."""
    stripped = text.lstrip()
    if filename.lower().endswith(".jsonl") or stripped.startswith("{"):
        return _parse_jsonl(text), "jsonl", []
    return _parse_csv(text)


def _parse_jsonl(text: str) -> list[ImportRow]:
    rows: list[ImportRow] = []
    problems: list[ImportProblem] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as error:
            problems.append(ImportProblem("json_invalid", number, {"reason": error.msg}))
            continue
        if not isinstance(item, dict) or "text" not in item:
            problems.append(ImportProblem("json_no_text", number))
            continue
        if not isinstance(item["text"], str):
            problems.append(ImportProblem("json_text_type", number))
            continue
        rows.append(
            ImportRow(
                number, item["text"], item.get("question"), item.get("language"), item.get("date"), item.get("unit")
            )
        )
    if problems:
        raise AnswerImportError(problems)
    return rows


def _delimiter(first_line: str) -> str:
    counts = {delimiter: first_line.count(delimiter) for delimiter in (";", ",", "\t")}
    if not any(counts.values()):
        return _NO_DELIMITER
    return max(counts, key=lambda delimiter: counts[delimiter])


def _parse_csv(text: str) -> tuple[list[ImportRow], str, list[ImportProblem]]:
    first_line = text.split("\n", 1)[0]
    delimiter = _delimiter(first_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise AnswerImportError([ImportProblem("file_empty")]) from None
    mapped = map_header(header)
    text_index = mapped.indexes.get("text")
    if text_index is None:
        found = ", ".join(cell for cell in header if cell.strip()) or "–"
        raise AnswerImportError([ImportProblem("no_text_column", 1, {"found": found})])
    rows: list[ImportRow] = []
    problems: list[ImportProblem] = []
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            shown = "tab" if delimiter == "\t" else delimiter
            problems.append(
                ImportProblem("too_many_fields", line, {"fields": len(row), "header": len(header), "delimiter": shown})
            )
            continue

        def cell(column: str, row: list[str] = row) -> str | None:
            index = mapped.indexes.get(column)
            return row[index] if index is not None and index < len(row) else None

        rows.append(ImportRow(line, cell("text") or "", cell("question"), cell("language"), cell("date"), cell("unit")))
    if problems:
        raise AnswerImportError(problems)
    return rows, "csv", mapped.warnings


async def import_answers(
    session: AsyncSession,
    campaign: Campaign,
    raw: bytes,
    *,
    filename: str = "",
    source: AnswerSource = AnswerSource.paper,
    channel: str = "import",
    redact: Callable[[str, str], str] = default_redact,
) -> ImportResult:
    """Validate every row first; store nothing unless every row is good (the caller commits)."""
    text, encoding = decode(raw)
    rows, kind, warnings = parse_file(text, filename=filename)
    if not rows:
        raise AnswerImportError([ImportProblem("no_answers")])
    questions = list(
        (
            await session.exec(
                select(Question).where(Question.survey_id == campaign.survey_id).order_by(col(Question.position))
            )
        ).all()
    )
    lookup = QuestionLookup(questions)
    default_question = next((q for q in questions if q.kind == QuestionKind.text.value), questions[0])
    main_language = campaign.language_list[0] if campaign.language_list else "nb"
    unit = await session.get(Unit, campaign.unit_id)
    problems: list[ImportProblem] = []
    answers: list[Answer] = []
    for row in rows:
        body = clean_answer_text(row.text)
        if not body:
            problems.append(ImportProblem("text_empty", row.line))
            continue
        if len(body) > MAX_IMPORT_TEXT:
            problems.append(ImportProblem("text_too_long", row.line, {"limit": MAX_IMPORT_TEXT}))
            continue
        question = default_question
        if row.question_key is not None and str(row.question_key).strip():
            found = lookup.find(str(row.question_key))
            if found is None:
                value = str(row.question_key).strip()
                problems.append(ImportProblem("unknown_question", row.line, {"value": value, "known": lookup.known()}))
                continue
            question = found
        typed_language = str(row.language or "").strip()
        language = parse_language(typed_language) if typed_language else main_language
        if language is None:
            problems.append(ImportProblem("unknown_language", row.line, {"value": typed_language.lower()}))
            continue
        created = None
        if row.date is not None and str(row.date).strip():
            created = parse_date(str(row.date))
            if created is None:
                problems.append(ImportProblem("unknown_date", row.line, {"value": str(row.date).strip()}))
                continue
        typed_unit = str(row.unit or "").strip()
        if typed_unit and unit is not None and search_key(typed_unit) != search_key(unit.name):
            problems.append(ImportProblem("other_unit", row.line, {"value": typed_unit, "unit": unit.name}))
            continue
        answer = Answer(
            campaign_id=pk(campaign),
            question_id=pk(question),
            text=redact(body, language),
            language=language,
            channel=channel,
            source=source.value,
        )
        if created is not None:
            answer.created_at = created
        answers.append(answer)
    if problems:
        raise AnswerImportError(problems)
    session.add_all(answers)
    await session.flush()
    return ImportResult(len(answers), kind, encoding, tuple(warnings))


def read_import_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise AnswerImportError(
            [ImportProblem("cannot_read", None, {"path": str(path), "reason": error.strerror})]
        ) from error
