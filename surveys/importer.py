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
from surveys.models import Answer, AnswerSource, Campaign, Question, QuestionKind
from surveys.settings import LANGUAGES
from surveys.text import clean_answer_text

MAX_IMPORT_TEXT = 20_000
_TEXT_COLUMNS = ("text", "tekst", "svar", "answer")
_SIGNATURES = {
    b"PK\x03\x04": "an Excel (.xlsx) or other zip file: save it as CSV (UTF-8) first",
    b"%PDF": "a PDF file: type the answers into a CSV file instead",
    b"\xd0\xcf\x11\xe0": "an old Excel (.xls) or Word file: save it as CSV (UTF-8) first",
    b"\x89PNG": "a picture (PNG): type the answers into a CSV file instead",
    b"\xff\xd8\xff": "a picture (JPEG): type the answers into a CSV file instead",
}


class AnswerImportError(ValueError):
    """The file cannot be imported; `problems` names each row and reason. Nothing was stored."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class ImportRow:
    line: int
    text: str
    question_key: str | None
    language: str | None


@dataclass(frozen=True)
class ImportResult:
    imported: int
    format: str
    encoding: str


def decode(raw: bytes) -> tuple[str, str]:
    """UTF-8 (with or without BOM) first; otherwise Windows-1252, which is what Norwegian Excel writes."""
    for signature, description in _SIGNATURES.items():
        if raw.startswith(signature):
            raise AnswerImportError([f"the file is {description}"])
    if b"\x00" in raw[:4096]:
        raise AnswerImportError(["the file is not a text file (it contains binary data); use CSV or JSONL"])
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252", errors="strict"), "windows-1252"
    except UnicodeDecodeError:
        raise AnswerImportError(["the file is neither UTF-8 nor Windows-1252 text; save it as CSV (UTF-8)"]) from None


def parse_rows(text: str, *, filename: str = "") -> tuple[list[ImportRow], str]:
    stripped = text.lstrip()
    if filename.lower().endswith(".jsonl") or stripped.startswith("{"):
        return _parse_jsonl(text), "jsonl"
    return _parse_csv(text), "csv"


def _parse_jsonl(text: str) -> list[ImportRow]:
    rows: list[ImportRow] = []
    problems: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as error:
            problems.append(f"line {number}: not valid JSON ({error.msg})")
            continue
        if not isinstance(item, dict) or "text" not in item:
            problems.append(f'line {number}: expected an object with a "text" field')
            continue
        if not isinstance(item["text"], str):
            problems.append(f'line {number}: "text" must be a string')
            continue
        rows.append(ImportRow(number, item["text"], item.get("question"), item.get("language")))
    if problems:
        raise AnswerImportError(problems)
    return rows


def _parse_csv(text: str) -> list[ImportRow]:
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    if first_line.count("\t") > max(first_line.count(";"), first_line.count(",")):
        delimiter = "\t"
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise AnswerImportError(["the file is empty"]) from None
    names = [name.strip().lower() for name in header]
    text_index = next((names.index(name) for name in _TEXT_COLUMNS if name in names), None)
    if text_index is None:
        raise AnswerImportError([f"line 1: the header needs a 'text' column (found: {', '.join(header) or 'nothing'})"])
    question_index = names.index("question") if "question" in names else None
    language_index = names.index("language") if "language" in names else None
    rows: list[ImportRow] = []
    problems: list[str] = []
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            problems.append(
                f"line {line}: {len(row)} fields but the header has {len(header)} (is a {delimiter!r} missing quotes?)"
            )
            continue
        rows.append(
            ImportRow(line, _cell(row, text_index) or "", _cell(row, question_index), _cell(row, language_index))
        )
    if problems:
        raise AnswerImportError(problems)
    return rows


def _cell(row: list[str], index: int | None) -> str | None:
    """A column that may be absent from the header or cut short in this row."""
    return row[index] if index is not None and index < len(row) else None


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
    rows, kind = parse_rows(text, filename=filename)
    if not rows:
        raise AnswerImportError(["the file has no answers"])
    questions = (
        await session.exec(
            select(Question).where(Question.survey_id == campaign.survey_id).order_by(col(Question.position))
        )
    ).all()
    by_key = {question.key: question for question in questions}
    default_question = next((q for q in questions if q.kind == QuestionKind.text.value), questions[0])
    main_language = campaign.language_list[0] if campaign.language_list else "nb"
    problems: list[str] = []
    answers: list[Answer] = []
    for row in rows:
        body = clean_answer_text(row.text)
        if not body:
            problems.append(f"line {row.line}: the text is empty")
            continue
        if len(body) > MAX_IMPORT_TEXT:
            problems.append(f"line {row.line}: the text is longer than {MAX_IMPORT_TEXT} characters")
            continue
        question = default_question
        if row.question_key and row.question_key.strip():
            question = by_key.get(row.question_key.strip())
            if question is None:
                problems.append(
                    f"line {row.line}: unknown question {row.question_key.strip()!r} (known: {', '.join(by_key)})"
                )
                continue
        language = (row.language or "").strip().lower() or main_language
        if language not in LANGUAGES:
            problems.append(f"line {row.line}: unknown language {language!r} (use {', '.join(LANGUAGES)})")
            continue
        answers.append(
            Answer(
                campaign_id=campaign.id,
                question_id=question.id,
                text=redact(body, language),
                language=language,
                channel=channel,
                source=source.value,
            )
        )
    if problems:
        raise AnswerImportError(problems)
    session.add_all(answers)
    await session.flush()
    return ImportResult(len(answers), kind, encoding)


def read_import_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise AnswerImportError([f"cannot read {path} ({error.strerror})"]) from error
