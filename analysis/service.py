"""Analyse a campaign's answers and keep its themes: the entry points the CLI, the web dashboard and jobs call.

The pipeline is CPU-heavy, so it runs in an executor (by default a one-worker process pool), never on the event
loop that also serves the bot and the web chat.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from analysis.assign import assign_to_existing
from analysis.clustering import OTHER
from analysis.pipeline import AnswerText, ThemeAnalysis, ThemePipeline
from analysis.store import persist_analysis, text_answers
from analysis.taxonomy import load_taxonomy
from surveys.campaigns import require_campaign
from surveys.models import AnswerTheme, Campaign, Theme
from surveys.themes import answer_texts, campaign_assignments, campaign_themes, final_theme, recount

log = logging.getLogger(__name__)
Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class ThemeSummary:
    id: int
    key: str
    label: str
    size: int
    share: float
    keywords: list[str]
    quotes: list[int]
    quote_texts: list[str]
    taxonomy_key: str | None
    is_other: bool


def main_language(campaign: Campaign) -> str:
    return (campaign.language_list or ["nb"])[0]


def run_pipeline(
    answers: list[AnswerText],
    taxonomy_path: str | None,
    languages: list[str],
    label_language: str,
    progress: Progress | None = None,
) -> ThemeAnalysis:
    """Top-level (picklable) so a process pool can run it."""
    pipeline = ThemePipeline(taxonomy_path, languages=languages or ["nb"], label_language=label_language)
    return pipeline.fit_transform(answers, progress=progress)


def _default_executor() -> Executor:
    return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))


async def analyse_campaign(
    sessions: async_sessionmaker[AsyncSession],
    campaign_code: str,
    *,
    taxonomy_path: str | Path | None = None,
    progress: Progress | None = None,
    executor: Executor | None = None,
) -> list[ThemeSummary]:
    """Run the pipeline on the campaign's free-text answers and persist themes, keeping what managers decided.

    Progress from inside the pipeline is forwarded only with a thread executor (a process cannot call back);
    with a process pool the caller gets the coarse steps.
    """
    report = progress or (lambda _step, _fraction: None)
    report("load", 0.0)
    async with sessions() as session:
        campaign = await require_campaign(session, campaign_code)
        answers = await text_answers(session, campaign.id)  # type: ignore[arg-type]
    if taxonomy_path is not None:
        load_taxonomy(taxonomy_path)  # fail here, with the file's own error, before starting a worker
    inputs = [AnswerText(answer.id, answer.text) for answer in answers]
    own = executor is None
    pool = executor or _default_executor()
    forward = progress if isinstance(pool, ThreadPoolExecutor) else None
    try:
        loop = asyncio.get_running_loop()
        report("analyse", 0.05)
        analysis = await loop.run_in_executor(
            pool,
            run_pipeline,
            inputs,
            str(taxonomy_path) if taxonomy_path else None,
            campaign.language_list,
            main_language(campaign),
            forward,
        )
    finally:
        if own:
            pool.shutdown(wait=True)
    report("save", 0.95)
    async with sessions() as session, session.begin():
        campaign = await require_campaign(session, campaign_code)
        _run, themes = await persist_analysis(session, campaign.id, analysis, n_answers=len(inputs))  # type: ignore[arg-type]
        summaries = await summarise(session, themes)
    log.info("analysed campaign %s: %d answers, %d themes", campaign.id, len(inputs), len(summaries))
    report("done", 1.0)
    return summaries


async def assign_new_answers(
    sessions: async_sessionmaker[AsyncSession], campaign_code: str, *, taxonomy_path: str | Path | None = None
) -> int:
    """Give answers that arrived since the last run a theme among the existing ones; returns how many."""
    async with sessions() as session, session.begin():
        campaign = await require_campaign(session, campaign_code)
        new = await text_answers(session, campaign.id, unassigned_only=True)  # type: ignore[arg-type]
        themes = await campaign_themes(session, campaign.id)  # type: ignore[arg-type]
        if not new or not themes:
            return 0
        by_id = {theme.id: theme for theme in themes}
        assignments = await campaign_assignments(session, campaign.id)  # type: ignore[arg-type]
        texts = await answer_texts(session, list(assignments))
        members: dict[str, list[str]] = {}
        for answer_id, row in assignments.items():
            members.setdefault(final_theme(by_id[row.theme_id], by_id).key, []).append(texts[answer_id])
        active = [theme for theme in themes if theme.merged_into_id is None]
        taxonomy_keys = {theme.taxonomy_key: theme.key for theme in active if theme.taxonomy_key}
        pipeline = ThemePipeline(
            taxonomy_path, languages=campaign.language_list or ["nb"], label_language=main_language(campaign)
        )
        result = assign_to_existing(pipeline, members, taxonomy_keys, [AnswerText(a.id, a.text) for a in new])
        by_key = {theme.key: theme for theme in active}
        if OTHER not in by_key and any(key == OTHER for key, _ in result.values()):
            other = Theme(
                campaign_id=campaign.id,
                key=OTHER,
                label=pipeline.taxonomy.other_label(main_language(campaign)),  # type: ignore[arg-type]
                is_other=True,
            )
            session.add(other)
            await session.flush()
            by_key[OTHER], by_id[other.id] = other, other  # type: ignore[index]
        for answer_id, (key, score) in result.items():
            session.add(AnswerTheme(answer_id=answer_id, theme_id=by_key[key].id, score=score))  # type: ignore[arg-type]
        await session.flush()
        await recount(session, campaign.id)  # type: ignore[arg-type]
    log.info("assigned %d new answers in campaign %s", len(result), campaign.id)
    return len(result)


async def summarise(session: AsyncSession, themes: list[Theme]) -> list[ThemeSummary]:
    """Themes with answers, largest first and "other" last, with their quotes' texts."""
    shown = [theme for theme in themes if theme.size > 0 and theme.merged_into_id is None]
    shown.sort(key=lambda t: (t.is_other, -t.size, t.id))
    quote_ids = [q for theme in shown for q in theme.quotes]
    texts = await answer_texts(session, quote_ids)
    return [
        ThemeSummary(
            theme.id,
            theme.key,
            theme.label,
            theme.size,
            theme.share,
            list(theme.keywords),
            list(theme.quotes),  # type: ignore[arg-type]
            [texts[q] for q in theme.quotes if q in texts],
            theme.taxonomy_key,
            theme.is_other,
        )
        for theme in shown
    ]


async def campaign_summary(sessions: async_sessionmaker[AsyncSession], campaign_code: str) -> list[ThemeSummary]:
    async with sessions() as session:
        campaign = await require_campaign(session, campaign_code)
        return await summarise(session, await campaign_themes(session, campaign.id))  # type: ignore[arg-type]
