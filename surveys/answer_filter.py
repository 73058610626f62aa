"""Which answers a manager is looking at: the same filter for the answers page and every export of it.

Built from the page's query string (q, question, language, source, from, to, theme, state), so an export link that
carries the page's query exports exactly the rows on screen.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as day_time
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import col, or_, select

from surveys.completion import CompletionState, completion_condition, parse_state
from surveys.models import Answer, AnswerTheme, Theme, utcnow
from surveys.text import search_key

LOCAL = ZoneInfo("Europe/Oslo")
# Crafted filters get no answers rather than a 500: outside these years the UTC conversion overflows, and ids
# beyond INTEGER would make PostgreSQL refuse the query.
EARLIEST_DAY, LATEST_DAY = date(1900, 1, 1), date(2999, 12, 31)
MAX_ID = 2**31 - 1


@dataclass(frozen=True)
class AnswerFilter:
    search: str = ""
    question_id: int | None = None
    language: str = ""
    source: str = ""
    since: date | None = None
    until: date | None = None
    theme_id: int | None = None
    state: CompletionState | None = None

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> AnswerFilter:
        def day(name: str) -> date | None:
            try:
                found = date.fromisoformat(query.get(name, "").strip()) if query.get(name, "").strip() else None
            except ValueError:
                return None
            return found if found is None or EARLIEST_DAY <= found <= LATEST_DAY else None

        def number(name: str) -> int | None:
            value = query.get(name, "").strip()
            return int(value) if value.isdigit() and int(value) <= MAX_ID else None

        return cls(
            search=query.get("q", "").strip()[:200],
            question_id=number("question"),
            language=query.get("language", "").strip()[:5],
            source=query.get("source", "").strip()[:10],
            since=day("from"),
            until=day("to"),
            theme_id=number("theme"),
            state=parse_state(query.get("state", "").strip()),
        )

    def conditions(self, campaign_id: int, now: datetime | None = None) -> list[Any]:
        where: list[Any] = [Answer.campaign_id == campaign_id]
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
            where.append(col(Answer.created_at) >= local_midnight(self.since))
        if self.until:
            where.append(col(Answer.created_at) < local_midnight(self.until + timedelta(days=1)))
        if self.theme_id is not None:
            # The theme's own answers and those of themes merged into it.
            themes = select(Theme.id).where(or_(Theme.id == self.theme_id, Theme.merged_into_id == self.theme_id))
            where.append(col(Answer.id).in_(select(AnswerTheme.answer_id).where(col(AnswerTheme.theme_id).in_(themes))))
        if self.state is not None:
            where.append(completion_condition(self.state, now or utcnow()))
        return where


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, day_time(0, 0), tzinfo=LOCAL).astimezone(UTC)
