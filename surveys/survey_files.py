"""Survey definitions as TOML files: loading, precise validation errors, and installing them in the database."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from surveys.ids import pk
from surveys.models import Question, QuestionKind, Survey
from surveys.settings import LANGUAGES

DEFINITIONS_DIR = Path(__file__).parent / "definitions"
DEFAULT_SURVEY_KEY = "hva-er-viktig"
_KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


class SurveyFileError(ValueError):
    """A survey file is not usable; `problems` lists every problem found, each naming where it is."""

    def __init__(self, path: str, problems: list[str]):
        self.problems = problems
        super().__init__(f"{path}: " + "; ".join(problems))


@dataclass(frozen=True)
class OptionDefinition:
    key: str
    label: dict[str, str]


@dataclass(frozen=True)
class QuestionDefinition:
    key: str
    kind: str
    required: bool
    repeat: bool
    prompt: dict[str, str]
    more: dict[str, str] = field(default_factory=dict)
    options: tuple[OptionDefinition, ...] = ()
    scale_min: int | None = None
    scale_max: int | None = None


@dataclass(frozen=True)
class SurveyDefinition:
    key: str
    version: int
    title: dict[str, str]
    questions: tuple[QuestionDefinition, ...]


def _texts(value: Any, where: str, problems: list[str]) -> dict[str, str]:
    if not isinstance(value, dict):
        problems.append(f"{where}: expected a table with texts in {', '.join(LANGUAGES)}")
        return {}
    texts: dict[str, str] = {}
    for lang in LANGUAGES:
        text = value.get(lang)
        if not isinstance(text, str) or not text.strip():
            problems.append(f"{where}: missing text in '{lang}'")
        else:
            texts[lang] = text.strip()
    unknown = sorted(set(value) - set(LANGUAGES))
    if unknown:
        problems.append(f"{where}: unknown language(s) {', '.join(unknown)} (allowed: {', '.join(LANGUAGES)})")
    return texts


def parse_survey(data: dict[str, Any], source: str = "<survey>") -> SurveyDefinition:
    problems: list[str] = []
    key = data.get("key")
    if not isinstance(key, str) or not _KEY_PATTERN.match(key):
        problems.append("'key' must be 1-40 characters of a-z, 0-9, '-' or '_' (e.g. key = \"hverdagsrehab\")")
        key = ""
    version = data.get("version", 1)
    if not isinstance(version, int) or version < 1:
        problems.append("'version' must be a whole number of at least 1")
        version = 1
    title = _texts(data.get("title"), "title", problems)
    raw_questions = data.get("questions")
    questions: list[QuestionDefinition] = []
    if not isinstance(raw_questions, list) or not raw_questions:
        problems.append("no questions: add at least one [[questions]] table")
        raw_questions = []
    seen: set[str] = set()
    for number, raw in enumerate(raw_questions, start=1):
        where = f"question {number}"
        if not isinstance(raw, dict):
            problems.append(f"{where}: expected a [[questions]] table")
            continue
        qkey = raw.get("key")
        if not isinstance(qkey, str) or not _KEY_PATTERN.match(qkey):
            problems.append(f"{where}: 'key' must be 1-40 characters of a-z, 0-9, '-' or '_'")
            qkey = f"q{number}"
        else:
            where = f"question {number} ('{qkey}')"
            if qkey in seen:
                problems.append(f"{where}: the key is used twice")
            seen.add(qkey)
        kind = raw.get("kind", "text")
        if kind not in {k.value for k in QuestionKind}:
            problems.append(f"{where}: 'kind' must be text, choice or scale, not {kind!r}")
            kind = "text"
        required = raw.get("required", True)
        repeat = raw.get("repeat", False)
        for name, value in (("required", required), ("repeat", repeat)):
            if not isinstance(value, bool):
                problems.append(f"{where}: '{name}' must be true or false")
        if repeat is True and kind != "text":
            problems.append(f"{where}: 'repeat' is only possible for text questions")
        prompt = _texts(raw.get("prompt"), f"{where} prompt", problems)
        more = _texts(raw["more"], f"{where} more", problems) if repeat is True else {}
        if repeat is True and "more" not in raw:
            problems.append(f"{where}: a repeated question needs a 'more' text (\"Is there anything more…?\")")
        options: list[OptionDefinition] = []
        scale_min = scale_max = None
        if kind == "choice":
            raw_options = raw.get("options")
            if not isinstance(raw_options, list) or len(raw_options) < 2:
                problems.append(f"{where}: a choice question needs at least two [[questions.options]]")
                raw_options = []
            for onum, option in enumerate(raw_options, start=1):
                okey = option.get("key") if isinstance(option, dict) else None
                if not isinstance(okey, str) or not _KEY_PATTERN.match(okey):
                    problems.append(f"{where} option {onum}: 'key' must be 1-40 characters of a-z, 0-9, '-' or '_'")
                    continue
                label = _texts(option.get("label"), f"{where} option '{okey}' label", problems)
                options.append(OptionDefinition(okey, label))
        elif kind == "scale":
            scale_min, scale_max = raw.get("min", 1), raw.get("max", 5)
            if not (isinstance(scale_min, int) and isinstance(scale_max, int) and 0 <= scale_min < scale_max <= 10):
                problems.append(f"{where}: 'min' and 'max' must be whole numbers with 0 <= min < max <= 10")
        questions.append(
            QuestionDefinition(
                qkey, kind, bool(required), bool(repeat), prompt, more, tuple(options), scale_min, scale_max
            )
        )
    if problems:
        raise SurveyFileError(source, problems)
    return SurveyDefinition(key, version, title, tuple(questions))


def load_survey_file(path: Path) -> SurveyDefinition:
    try:
        raw_bytes = path.read_bytes()
    except OSError as error:
        raise SurveyFileError(str(path), [f"cannot read the file ({error.strerror})"]) from error
    try:
        data = tomllib.loads(raw_bytes.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        raise SurveyFileError(str(path), ["the file is not UTF-8 text (save it as UTF-8)"]) from error
    except tomllib.TOMLDecodeError as error:
        raise SurveyFileError(str(path), [f"not valid TOML: {error}"]) from error
    return parse_survey(data, str(path))


def default_survey() -> SurveyDefinition:
    return load_survey_file(DEFINITIONS_DIR / f"{DEFAULT_SURVEY_KEY}.toml")


async def install_survey(session: AsyncSession, definition: SurveyDefinition) -> Survey:
    """Store a survey; an existing key with answers keeps its questions, so a new version needs a new key."""
    existing = (await session.exec(select(Survey).where(Survey.key == definition.key))).first()
    if existing is not None:
        if existing.version >= definition.version:
            return existing
        raise SurveyFileError(
            definition.key,
            [
                f"a survey with key '{definition.key}' already exists (version {existing.version}); "
                "give the changed survey a new key so answers already given keep their questions"
            ],
        )
    survey = Survey(key=definition.key, version=definition.version, texts={"title": definition.title})
    session.add(survey)
    await session.flush()
    for position, question in enumerate(definition.questions):
        texts: dict[str, Any] = {"prompt": question.prompt}
        if question.more:
            texts["more"] = question.more
        if question.options:
            texts["options"] = [{"key": option.key, "label": option.label} for option in question.options]
        session.add(
            Question(
                survey_id=pk(survey),
                position=position,
                key=question.key,
                kind=question.kind,
                required=question.required,
                repeat=question.repeat,
                texts=texts,
                scale_min=question.scale_min,
                scale_max=question.scale_max,
            )
        )
    await session.flush()
    return survey


async def ensure_default_survey(session: AsyncSession) -> Survey:
    return await install_survey(session, default_survey())
