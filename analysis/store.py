"""Reading answers and writing an analysis run's themes; surveys.themes recounts them.

Functions take a session and do not commit: the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from analysis.clustering import OTHER
from analysis.pipeline import ThemeAnalysis
from surveys.completion import counted_answers
from surveys.ids import pk
from surveys.models import Answer, AnswerTheme, Question, QuestionKind, Theme, ThemeRun, UnitTheme, utcnow
from surveys.themes import ACCEPTED, REJECTED, campaign_assignments, campaign_themes, final_theme, other_theme, recount

SAME_THEME_OVERLAP = 0.5  # share of a new theme's answers that must come from an old theme to count as the same


def _stored_id(answer_id: Hashable) -> int:
    """The pipeline takes any hashable id; a stored analysis runs on database answers, whose ids are ints."""
    if not isinstance(answer_id, int):
        raise TypeError(f"expected a stored answer id, got {answer_id!r}")
    return answer_id


@dataclass(frozen=True)
class StoredAnswer:
    id: int
    text: str


async def text_answers(session: AsyncSession, campaign_id: int, *, unassigned_only: bool = False) -> list[StoredAnswer]:
    """The campaign's answers to free-text questions, in id order (choice and scale answers are not analysed)."""
    query = (
        select(Answer.id, Answer.text)
        .join(Question, col(Question.id) == Answer.question_id)
        .where(Answer.campaign_id == campaign_id, Question.kind == QuestionKind.text.value)
        .where(counted_answers(campaign_id))
        .order_by(col(Answer.id))
    )
    if unassigned_only:
        query = query.outerjoin(AnswerTheme, col(AnswerTheme.answer_id) == Answer.id).where(
            col(AnswerTheme.answer_id).is_(None)
        )
    return [
        StoredAnswer(pk_value, text) for pk_value, text in (await session.exec(query)).all() if pk_value is not None
    ]


def rejected_again(analysis: ThemeAnalysis, existing: Sequence[Theme]) -> set[str]:
    """Keys of discovered themes that are mostly a group a manager rejected: they are not suggested again."""
    groups = [set(theme.reviewed_answers) for theme in existing if theme.review == REJECTED and theme.reviewed_answers]
    found = set()
    for result in analysis.themes:
        if result.taxonomy_key is not None or result.is_other or not result.members:
            continue
        members = {_stored_id(answer_id) for answer_id in result.members}
        if any(len(members & group) >= SAME_THEME_OVERLAP * len(members) for group in groups):
            found.add(result.key)
    return found


def match_existing(
    analysis: ThemeAnalysis,
    existing: Sequence[Theme],
    assignments: dict[int, AnswerTheme],
    skip: set[str] | None = None,
) -> dict[str, Theme]:
    """New theme key -> the existing row it continues: same key first, then the old theme most of its answers had.

    Rejected themes are never continued, and results in `skip` (rejected groups found again) match nothing."""
    skip = skip or set()
    existing = [theme for theme in existing if theme.review != REJECTED]
    by_key = {theme.key: theme for theme in existing}
    by_id = {pk(theme): theme for theme in existing}
    matched: dict[str, Theme] = {}
    used: set[int] = set()
    results = [result for result in analysis.themes if result.key not in skip]
    for result in results:
        old = by_key.get(result.key)
        if old is not None:
            matched[result.key] = old
            used.add(pk(old))
    for result in results:
        if result.key in matched or not result.members:
            continue
        votes: dict[int, int] = {}
        for answer_id in result.members:
            row = assignments.get(_stored_id(answer_id))
            if row is not None and row.theme_id not in used:
                votes[row.theme_id] = votes.get(row.theme_id, 0) + 1
        if votes:
            theme_id, count = max(votes.items(), key=lambda item: (item[1], -item[0]))
            if theme_id in by_id and count / len(result.members) >= SAME_THEME_OVERLAP and not by_id[theme_id].is_other:
                matched[result.key] = by_id[theme_id]
                used.add(theme_id)
    return matched


async def persist_analysis(
    session: AsyncSession, campaign_id: int, analysis: ThemeAnalysis, *, n_answers: int
) -> tuple[ThemeRun, list[Theme]]:
    """Write a run: continue matching themes (ids, locked labels, merges), add new ones, respect manual moves.

    A discovered theme that is mostly a group a manager rejected is not written; its answers go to "other"."""
    run = ThemeRun(campaign_id=campaign_id, n_answers=n_answers, parameters=dict(analysis.parameters))
    session.add(run)
    await session.flush()
    existing = await campaign_themes(session, campaign_id)
    assignments = await campaign_assignments(session, campaign_id)
    suppressed = rejected_again(analysis, existing)
    matched = match_existing(analysis, existing, assignments, suppressed)
    now = utcnow()
    row_for: dict[str, Theme] = {}
    taken_keys = {theme.key for theme in existing}
    for result in analysis.themes:
        if result.key in suppressed:
            continue
        row = matched.get(result.key)
        if row is None:
            key, number = result.key, 2
            while key in taken_keys:  # a rejected theme keeps its row and key
                key, number = f"{result.key}-{number}", number + 1
            taken_keys.add(key)
            row = Theme(campaign_id=campaign_id, key=key, label=result.label, created_at=now)
            session.add(row)
        elif not row.label_locked and result.taxonomy_key is not None:
            row.label = result.label  # taxonomy labels follow the (possibly edited) file; discovered themes keep theirs
        row.keywords, row.taxonomy_key, row.is_other = list(result.keywords), result.taxonomy_key, result.is_other
        learned = UnitTheme.id_in(result.taxonomy_key)
        if learned is not None:  # the unit's own theme, found again: a manager's decision, not a suggestion
            row.unit_theme_id, row.review = learned, row.review or ACCEPTED
        row.run_id, row.updated_at = run.id, now
        row_for[result.key] = row
    if OTHER not in row_for and (suppressed or any(key == OTHER for key, _ in analysis.assignments.values())):
        row_for[OTHER] = await other_theme(session, campaign_id)
    found_in = {result.key: result.found_in for result in analysis.themes if result.found_in}
    for key in suppressed:  # a rejected group split off a taxonomy theme goes back to it, others to "other"
        row_for[key] = row_for.get(found_in.get(key) or OTHER) or row_for[OTHER]
    await session.flush()
    by_id = {pk(theme): theme for theme in await campaign_themes(session, campaign_id)}
    members: dict[int, list[int]] = {}
    continuing = {
        pk(theme)
        for theme in by_id.values()
        if not theme.is_other and theme.merged_into_id is None and theme.review != REJECTED
    }
    for key_of_answer, (key, score) in analysis.assignments.items():
        answer_id = _stored_id(key_of_answer)
        current = assignments.get(answer_id)
        if current is not None and current.manual:
            target = final_theme(by_id[current.theme_id], by_id)
        else:
            target = final_theme(row_for.get(key) or row_for[OTHER], by_id)
            earlier = final_theme(by_id[current.theme_id], by_id) if current is not None else None
            if (
                earlier is not None
                and pk(earlier) in continuing
                and analysis.how.get(key_of_answer) != "seed"
                and pk(earlier) != pk(target)
                and not (key in found_in and earlier.taxonomy_key == found_in[key] and key not in suppressed)
            ):
                # Placement by meaning shifts a little when answers are added; an answer stays in the theme it
                # was in (unless that was "other" or merged away), so a manager's themes, renamed or not, do not
                # reshuffle on every run. Seed evidence (a word of a theme) still moves it, and so does a group
                # found inside its theme (analysis/weak.py), so that it can be suggested.
                target = earlier
            if current is None:
                current = AnswerTheme(answer_id=answer_id, theme_id=pk(target))
                session.add(current)
            current.theme_id, current.run_id, current.score, current.manual = pk(target), run.id, score, False
        members.setdefault(pk(target), []).append(answer_id)
    present = set(analysis.assignments)
    stale = [answer_id for answer_id in assignments if answer_id not in present]
    if stale:
        await session.execute(delete(AnswerTheme).where(col(AnswerTheme.answer_id).in_(stale)))
    quotes = {row_for[result.key].id: list(result.quotes) for result in analysis.themes if result.key not in suppressed}
    for theme in by_id.values():
        ids = members.get(pk(theme), [])
        wanted = set(ids)
        picked = [q for q in quotes.get(theme.id, []) if q in wanted]
        theme.quotes = (picked + [q for q in ids if q not in picked])[:3] if ids else []
    return run, await recount(session, campaign_id)
