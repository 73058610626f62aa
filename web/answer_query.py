"""The answers list query: filters and keyset pagination that ride the (campaign_id, created_at) index.

Pages are addressed by the last row's (created_at, id), so page 2000 costs the same as page 1; the count runs
once per filter combination and is cached for a short while, since it is the only part that reads every row.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from surveys.answer_filter import EARLIEST_DAY, LATEST_DAY, MAX_ID, AnswerFilter
from surveys.completion import CompletionState, completion_state
from surveys.ids import pk
from surveys.models import Answer, AnswerTheme, Conversation, Question, Theme, as_utc, utcnow
from surveys.themes import campaign_themes, final_theme, is_uncertain, themes_by_id

PAGE_SIZE = 50
LOCAL = ZoneInfo("Europe/Oslo")
_COUNT_CACHE: dict[tuple[object, ...], tuple[float, int]] = {}
COUNT_TTL_SECONDS = 10.0


def encode_cursor(answer: Answer) -> str:
    return f"{as_utc(answer.created_at).isoformat()}~{answer.id}"


def decode_cursor(text: str) -> tuple[datetime, int] | None:
    moment, _, ident = text.partition("~")
    try:
        cursor = as_utc(datetime.fromisoformat(moment)), int(ident)
    except (ValueError, OverflowError):
        return None
    # A crafted cursor must not reach the database as an id it cannot hold (INTEGER on PostgreSQL) or a date
    # the UTC conversion cannot handle.
    return cursor if 0 <= cursor[1] <= MAX_ID and EARLIEST_DAY <= cursor[0].date() <= LATEST_DAY else None


@dataclass(frozen=True)
class AnswerRow:
    answer: Answer
    question: Question
    theme: Theme | None  # after merges; None before the analysis has placed it
    state: CompletionState
    uncertain: bool = False  # placed with low confidence and not confirmed by a manager


async def answer_page(
    session: AsyncSession, campaign_id: int, filters: AnswerFilter, after: str = ""
) -> tuple[list[AnswerRow], str | None]:
    """One page, newest first, with each answer's question, theme and completion; and the next page's cursor."""
    where = filters.conditions(campaign_id)
    cursor = decode_cursor(after) if after else None
    if cursor is not None:
        moment, ident = cursor
        where.append(
            or_(col(Answer.created_at) < moment, and_(col(Answer.created_at) == moment, col(Answer.id) < ident))
        )
    rows = (
        await session.exec(
            select(Answer, Question)
            .join(Question, col(Question.id) == Answer.question_id)
            .where(*where)
            .order_by(col(Answer.created_at).desc(), col(Answer.id).desc())
            .limit(PAGE_SIZE + 1)
        )
    ).all()
    shown = rows[:PAGE_SIZE]
    answer_ids = [answer.id for answer, _ in shown]
    placed = (
        {
            row.answer_id: row
            for row in (await session.exec(select(AnswerTheme).where(col(AnswerTheme.answer_id).in_(answer_ids)))).all()
        }
        if answer_ids
        else {}
    )
    by_id = themes_by_id(await campaign_themes(session, campaign_id)) if placed else {}
    conversation_ids = {answer.conversation_id for answer, _ in shown if answer.conversation_id is not None}
    conversations = (
        {
            c.id: c
            for c in (await session.exec(select(Conversation).where(col(Conversation.id).in_(conversation_ids)))).all()
        }
        if conversation_ids
        else {}
    )
    now = utcnow()
    page = []
    for answer, question in shown:
        placement = placed.get(pk(answer))
        theme_id = placement.theme_id if placement is not None else None
        theme = final_theme(by_id[theme_id], by_id) if theme_id in by_id else None
        state = completion_state(conversations.get(answer.conversation_id), now)
        unsure = placement is not None and theme is not None and not theme.is_other and is_uncertain(placement)
        page.append(AnswerRow(answer, question, theme, state, unsure))
    next_cursor = encode_cursor(shown[-1][0]) if len(rows) > PAGE_SIZE else None
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
