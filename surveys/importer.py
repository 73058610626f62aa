"""Importing transcribed paper cards: CSV or JSONL, every row validated before any is stored, with row numbers and
reasons for the bad ones. Storing a validated file in chunks is surveys.import_batches."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import json
import multiprocessing
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from surveys.deidentify import redact as default_redact
from surveys.ids import pk
from surveys.import_columns import ImportProblem, QuestionLookup, map_header, parse_date, parse_language
from surveys.models import (
    Answer,
    AnswerImport,
    AnswerSource,
    Campaign,
    ImportStatus,
    Question,
    QuestionKind,
    Unit,
    utcnow,
)
from surveys.text import clean_answer_text, search_key

MAX_IMPORT_TEXT = 20_000
# Validating a big file gives the event loop a turn this often. On SQLite every database round trip of a chat turn
# waits for a loop turn while it holds the only connection, so a long slice here lengthens every chat transaction
# and the queue behind it (10 ms slices let /readyz time out behind 20 chatting people on a loaded machine).
YIELD_EVERY_SECONDS = 0.002
SEPARATE_PROCESS_BYTES = 256 * 1024  # about 8 000 paper cards: checked in a process of its own
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

    def __reduce__(self) -> tuple[type[AnswerImportError], tuple[list[ImportProblem]]]:
        return (AnswerImportError, (self.reasons,))  # it crosses from the checking process with its reasons

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


@dataclass(frozen=True)
class ImportTargets:
    """What validating a file needs from the database, read in one short transaction before the long work."""

    campaign_id: int
    questions: list[Question]
    unit_name: str | None
    main_language: str


async def import_targets(session: AsyncSession, campaign: Campaign) -> ImportTargets:
    questions = list(
        (
            await session.exec(
                select(Question).where(Question.survey_id == campaign.survey_id).order_by(col(Question.position))
            )
        ).all()
    )
    unit = await session.get(Unit, campaign.unit_id)
    main_language = campaign.language_list[0] if campaign.language_list else "nb"
    return ImportTargets(pk(campaign), questions, unit.name if unit is not None else None, main_language)


@dataclass(frozen=True)
class PreparedImport:
    """A whole file, validated and de-identified, as answer rows ready to insert in file order; nothing stored yet.

    `fingerprint` is a hash of the file and of how it came (source, channel), so a second upload of the same file
    can finish an import that stopped half-way instead of storing its first rows twice (surveys.import_batches).
    """

    campaign_id: int
    rows: list[dict[str, Any]]
    format: str
    encoding: str
    warnings: tuple[ImportProblem, ...]
    fingerprint: str
    filename: str

    def result(self, imported: int | None = None) -> ImportResult:
        return ImportResult(len(self.rows) if imported is None else imported, self.format, self.encoding, self.warnings)


def fingerprint_of(raw: bytes, source: str, channel: str) -> str:
    return hashlib.sha256(f"{source}\0{channel}\0".encode() + raw).hexdigest()


async def prepare_import(
    targets: ImportTargets,
    raw: bytes,
    *,
    filename: str = "",
    source: AnswerSource = AnswerSource.paper,
    channel: str = "import",
    redact: Callable[[str, str], str] = default_redact,
) -> PreparedImport:
    """Validate every row first and raise AnswerImportError naming every bad one; touches no database.

    De-identifying 30 000 rows takes a second or more of CPU. A big file is checked in a separate process, so the
    server's event loop (the web chat) keeps its whole share of the CPU, and a second core does the work; a small
    one here, handing the event loop back every few milliseconds.
    """
    if len(raw) >= SEPARATE_PROCESS_BYTES and redact is default_redact:
        return await _prepare_elsewhere(targets, raw, filename, source, str(channel))
    text, encoding = decode(raw)
    rows, kind, warnings = parse_file(text, filename=filename)
    answers: list[dict[str, Any]] = []
    paused = time.perf_counter()
    for _ in _checked(targets, rows, source, str(channel), redact, answers):
        if time.perf_counter() - paused > YIELD_EVERY_SECONDS:
            await asyncio.sleep(0)
            paused = time.perf_counter()
    fingerprint = fingerprint_of(raw, source.value, str(channel))
    return PreparedImport(targets.campaign_id, answers, kind, encoding, tuple(warnings), fingerprint, filename)


def prepare_here(
    targets: ImportTargets, raw: bytes, filename: str, source: AnswerSource, channel: str
) -> PreparedImport:
    """prepare_import without an event loop, for the separate process."""
    text, encoding = decode(raw)
    rows, kind, warnings = parse_file(text, filename=filename)
    answers: list[dict[str, Any]] = []
    for _ in _checked(targets, rows, source, channel, default_redact, answers):
        pass
    fingerprint = fingerprint_of(raw, source.value, channel)
    return PreparedImport(targets.campaign_id, answers, kind, encoding, tuple(warnings), fingerprint, filename)


async def _prepare_elsewhere(
    targets: ImportTargets, raw: bytes, filename: str, source: AnswerSource, channel: str
) -> PreparedImport:
    loop = asyncio.get_running_loop()
    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    try:
        return await loop.run_in_executor(pool, prepare_here, targets, raw, filename, source, channel)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _checked(
    targets: ImportTargets,
    rows: list[ImportRow],
    source: AnswerSource,
    channel: str,
    redact: Callable[[str, str], str],
    answers: list[dict[str, Any]],
) -> Iterator[None]:
    """Check each row and append its answer to `answers`; yields after each row, so the caller can pause.

    Raises AnswerImportError with every problem at the end; after the first problem no row is de-identified.
    """
    if not rows:
        raise AnswerImportError([ImportProblem("no_answers")])
    lookup = QuestionLookup(targets.questions)
    questions = targets.questions
    default_question = next((q for q in questions if q.kind == QuestionKind.text.value), questions[0])
    problems: list[ImportProblem] = []
    now = utcnow()
    for row in rows:
        yield
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
        language = parse_language(typed_language) if typed_language else targets.main_language
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
        unit_name = targets.unit_name
        if typed_unit and unit_name is not None and search_key(typed_unit) != search_key(unit_name):
            problems.append(ImportProblem("other_unit", row.line, {"value": typed_unit, "unit": unit_name}))
            continue
        if problems:
            continue  # the file will be refused: spend no time de-identifying the rows after the first problem
        stored_text = redact(body, language)
        answers.append(
            {
                "campaign_id": targets.campaign_id,
                "question_id": pk(question),
                "position": 0,
                "text": stored_text,
                "search_text": search_key(stored_text),
                "language": language,
                "channel": channel,
                "source": source.value,
                "created_at": created or now,
            }
        )
    if problems:
        raise AnswerImportError(problems)


async def insert_answers(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """One multi-row INSERT per chunk: building 30 000 ORM objects and flushing them one by one took most of the
    old import's time. `search_text` is in the rows already (no ORM event runs for a bulk insert)."""
    if rows:
        await session.execute(insert(Answer), list(rows))


async def import_answers(
    session: AsyncSession,
    campaign: Campaign,
    raw: bytes,
    *,
    filename: str = "",
    source: AnswerSource = AnswerSource.paper,
    channel: str = "import",
    redact: Callable[[str, str], str] = default_redact,
    actor: str = "system",
) -> ImportResult:
    """Validate every row, then store them all in the caller's transaction (the caller commits).

    For small files and tests; the dashboard and the CLI store big files in chunks (surveys.import_batches).
    """
    targets = await import_targets(session, campaign)
    prepared = await prepare_import(targets, raw, filename=filename, source=source, channel=channel, redact=redact)
    session.add(import_record(prepared, actor=actor, stored=len(prepared.rows)))
    await insert_answers(session, prepared.rows)
    await session.flush()
    return prepared.result()


def import_record(prepared: PreparedImport, *, actor: str, stored: int = 0) -> AnswerImport:
    """The record of an import; `stored` equal to the row count makes it a finished one."""
    done = stored >= len(prepared.rows)
    now = utcnow()
    return AnswerImport(
        campaign_id=prepared.campaign_id,
        fingerprint=prepared.fingerprint,
        filename=prepared.filename or "-",
        actor=actor,
        status=(ImportStatus.done if done else ImportStatus.running).value,
        total_rows=len(prepared.rows),
        stored_rows=stored,
        format=prepared.format,
        encoding=prepared.encoding,
        warnings=[{"code": w.code, "line": w.line, "values": w.values} for w in prepared.warnings],
        started_at=now,
        updated_at=now,
        finished_at=now if done else None,
    )


def read_import_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise AnswerImportError(
            [ImportProblem("cannot_read", None, {"path": str(path), "reason": error.strerror})]
        ) from error
