"""The answers list query: filters and keyset pagination that ride the (campaign_id, created_at) index.

Pages are addressed by the last row's (created_at, id), so page 2000 costs the same as page 1; the count runs
once per filter combination and is cached for a short while, since it is the only part that reads every row.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as day_time
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from surveys.models import Answer, Question, as_utc
from surveys.text import search_key

PAGE_SIZE = 50
EARLIEST_DAY, LATEST_DAY = date(1900, 1, 1), date(2999, 12, 31)
MAX_ID = 2**31 - 1  # answer ids are INTEGER on PostgreSQL
LOCAL = ZoneInfo("Europe/Oslo")
_COUNT_CACHE: dict[tuple, tuple[float, int]] = {}  # type: ignore[type-arg]
COUNT_TTL_SECONDS = 10.0


@dataclass(frozen=True)
class AnswerFilter:
    search: str = ""
    question_id: int | None = None
    language: str = ""
    source: str = ""
    since: date | None = None
    until: date | None = None

    @classmethod
    def from_query(cls, query) -> AnswerFilter:  # type: ignore[no-untyped-def]
        def day(name: str) -> date | None:
            try:
                found = date.fromisoformat(query.get(name, "").strip()) if query.get(name, "").strip() else None
            except ValueError:
                return None
            # Outside these years the UTC conversion overflows; no answer is that old or that new anyway.
            return found if found is None or EARLIEST_DAY <= found <= LATEST_DAY else None

        question = query.get("question", "").strip()
        return cls(
            search=query.get("q", "").strip()[:200],
            question_id=int(question) if question.isdigit() and len(question) <= 9 else None,
            language=query.get("language", "").strip()[:5],
            source=query.get("source", "").strip()[:10],
            since=day("from"),
            until=day("to"),
        )

    def conditions(self, campaign_id: int) -> list:  # type: ignore[type-arg]
        where = [Answer.campaign_id == campaign_id]
        if self.search:
            folded = search_key(self.search)
            escaped = folded.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            where.append(col(Answer.search_text).like(f"%{escaped}%", escape="\\"))
        if self.question_id is not None:
            where.append(Answer.question_id == self.question_id)
        if self.language:
            where.append(Answer.language == self.language)
        if self.source:
            where.append(Answer.source == self.source)
        if self.since:
            where.append(col(Answer.created_at) >= _local_midnight(self.since))
        if self.until:
            where.append(col(Answer.created_at) < _local_midnight(self.until + timedelta(days=1)))
        return where


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, day_time(0, 0), tzinfo=LOCAL).astimezone(UTC)


def encode_cursor(answer: Answer) -> str:
    return f"{as_utc(answer.created_at).isoformat()}~{answer.id}"


def decode_cursor(text: str) -> tuple[datetime, int] | None:
    moment, _, ident = text.partition("~")
    try:
        cursor = as_utc(datetime.fromisoformat(moment)), int(ident)
    except (ValueError, OverflowError):
        return None
    return cursor if 0 <= cursor[1] <= MAX_ID and EARLIEST_DAY <= cursor[0].date() <= LATEST_DAY else None


async def answer_page(
    session: AsyncSession, campaign_id: int, filters: AnswerFilter, after: str = ""
) -> tuple[list[tuple[Answer, str]], str | None]:
    """One page, newest first, with each answer's question key; and the cursor of the next page, if any."""
    where = filters.conditions(campaign_id)
    cursor = decode_cursor(after) if after else None
    if cursor is not None:
        moment, ident = cursor
        where.append(
            or_(col(Answer.created_at) < moment, and_(col(Answer.created_at) == moment, col(Answer.id) < ident))
        )
    rows = (
        await session.exec(
            select(Answer, Question.key)
            .join(Question, col(Question.id) == Answer.question_id)
            .where(*where)
            .order_by(col(Answer.created_at).desc(), col(Answer.id).desc())
            .limit(PAGE_SIZE + 1)
        )
    ).all()
    page = [(answer, key) for answer, key in rows[:PAGE_SIZE]]
    next_cursor = encode_cursor(page[-1][0]) if len(rows) > PAGE_SIZE else None
    return page, next_cursor


async def answer_count(session: AsyncSession, campaign_id: int, filters: AnswerFilter) -> int:
    key = (campaign_id, filters)
    cached = _COUNT_CACHE.get(key)
    if cached is not None and time.monotonic() - cached[0] < COUNT_TTL_SECONDS:
        return cached[1]
    count = int(
        await session.scalar(select(func.count()).select_from(Answer).where(*filters.conditions(campaign_id))) or 0
    )
    if len(_COUNT_CACHE) > 1000:
        _COUNT_CACHE.clear()
    _COUNT_CACHE[key] = (time.monotonic(), count)
    return count
