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

import numpy as np
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from analysis.assign import assign_to_existing
from analysis.clustering import OTHER
from analysis.learned import LearnedTheme
from analysis.pipeline import AnswerText, ThemeAnalysis, ThemePipeline
from analysis.store import StoredAnswer, persist_analysis, text_answers
from analysis.taxonomy import load_taxonomy
from analysis.vectors import embed_texts, embedder_name, save_vectors, stored_vectors
from surveys.campaigns import require_campaign
from surveys.ids import pk
from surveys.models import AnswerTheme, Campaign, Theme
from surveys.themes import answer_texts, campaign_assignments, campaign_themes, final_theme, recount, unit_themes

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
    vectors: dict[int, np.ndarray] | None = None,
    learned: list[LearnedTheme] | None = None,
) -> ThemeAnalysis:
    """Top-level (picklable) so a process pool can run it."""
    pipeline = ThemePipeline(
        taxonomy_path, languages=languages or ["nb"], label_language=label_language, learned=learned or ()
    )
    return pipeline.fit_transform(answers, progress=progress, vectors=vectors)  # type: ignore[arg-type]  # int ids are Hashable; Mapping keys are invariant


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
        answers = await text_answers(session, pk(campaign))
    if taxonomy_path is not None:
        load_taxonomy(taxonomy_path)  # fail here, with the file's own error, before starting a worker
    inputs = [AnswerText(answer.id, answer.text) for answer in answers]
    own = executor is None
    pool = executor or _default_executor()
    forward = progress if isinstance(pool, ThreadPoolExecutor) else None
    try:
        loop = asyncio.get_running_loop()
        report("vectors", 0.02)
        vectors = await campaign_vectors(sessions, pool, answers, main_language(campaign))
        learned = await learned_themes(sessions, campaign)
        report("analyse", 0.05)
        analysis = await loop.run_in_executor(
            pool,
            run_pipeline,
            inputs,
            str(taxonomy_path) if taxonomy_path else None,
            campaign.language_list,
            main_language(campaign),
            forward,
            vectors,
            learned,
        )
    finally:
        if own:
            pool.shutdown(wait=True)
    report("save", 0.95)
    async with sessions() as session, session.begin():
        campaign = await require_campaign(session, campaign_code)
        _run, themes = await persist_analysis(session, pk(campaign), analysis, n_answers=len(inputs))
        summaries = await summarise(session, themes)
    log.info("analysed campaign %s: %d answers, %d themes", campaign.id, len(inputs), len(summaries))
    report("done", 1.0)
    return summaries


async def learned_themes(sessions: async_sessionmaker[AsyncSession], campaign: Campaign) -> list[LearnedTheme]:
    """The unit's accepted themes, with the stored vectors of those example answers that still exist."""
    model = embedder_name(main_language(campaign))
    async with sessions() as session:
        rows = await unit_themes(session, campaign.unit_id)
        vectors = await stored_vectors(session, [i for row in rows for i in row.example_ids], model)
    learned = []
    for row in rows:
        found = [vectors[i] for i in row.example_ids if i in vectors]
        matrix = np.vstack(found).astype(np.float32) if found else np.zeros((0, 0), dtype=np.float32)
        learned.append(LearnedTheme(row.key, row.label, tuple(row.terms), matrix))
    return learned


async def campaign_vectors(
    sessions: async_sessionmaker[AsyncSession], pool: Executor, answers: list[StoredAnswer], language: str
) -> dict[int, np.ndarray]:
    """The answers' stored vectors; those still missing (the worker has not reached them) are embedded in the pool
    and stored, so the next analysis finds them all."""
    model = embedder_name(language)
    async with sessions() as session:
        vectors = await stored_vectors(session, [answer.id for answer in answers], model)
    missing = [answer for answer in answers if answer.id not in vectors]
    if missing:
        loop = asyncio.get_running_loop()
        made = await loop.run_in_executor(pool, embed_texts, language, [answer.text for answer in missing])
        new = {answer.id: made[row] for row, answer in enumerate(missing)}
        async with sessions() as session, session.begin():
            await save_vectors(session, new, model)
        vectors.update(new)
        log.info("embedded answers=%d for analysis", len(missing))
    return vectors


async def assign_new_answers(
    sessions: async_sessionmaker[AsyncSession], campaign_code: str, *, taxonomy_path: str | Path | None = None
) -> int:
    """Give answers that arrived since the last run a theme among the existing ones; returns how many."""
    async with sessions() as session, session.begin():
        campaign = await require_campaign(session, campaign_code)
        new = await text_answers(session, pk(campaign), unassigned_only=True)
        themes = await campaign_themes(session, pk(campaign))
        if not new or not themes:
            return 0
        by_id = {pk(theme): theme for theme in themes}
        assignments = await campaign_assignments(session, pk(campaign))
        texts = await answer_texts(session, list(assignments))
        members: dict[str, list[str]] = {}
        for answer_id, row in assignments.items():
            members.setdefault(final_theme(by_id[row.theme_id], by_id).key, []).append(texts[answer_id])
        active = [theme for theme in themes if theme.merged_into_id is None]
        taxonomy_keys = {theme.taxonomy_key: theme.key for theme in active if theme.taxonomy_key}
        rows = await unit_themes(session, campaign.unit_id)
        learned = [LearnedTheme(row.key, row.label, tuple(row.terms)) for row in rows]
        pipeline = ThemePipeline(
            taxonomy_path,
            languages=campaign.language_list or ["nb"],
            label_language=main_language(campaign),
            learned=learned,
        )
        result = assign_to_existing(pipeline, members, taxonomy_keys, [AnswerText(a.id, a.text) for a in new])
        by_key = {theme.key: theme for theme in active}
        if OTHER not in by_key and any(key == OTHER for key, _ in result.values()):
            other = Theme(
                campaign_id=pk(campaign),
                key=OTHER,
                label=pipeline.taxonomy.other_label(main_language(campaign)),
                is_other=True,
            )
            session.add(other)
            await session.flush()
            by_key[OTHER], by_id[pk(other)] = other, other
        for answer in new:
            if answer.id not in result:
                continue
            key, score = result[answer.id]
            session.add(AnswerTheme(answer_id=answer.id, theme_id=pk(by_key[key]), score=score))
        await session.flush()
        await recount(session, pk(campaign))
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
            pk(theme),
            theme.key,
            theme.label,
            theme.size,
            theme.share,
            list(theme.keywords),
            list(theme.quotes),
            [texts[q] for q in theme.quotes if q in texts],
            theme.taxonomy_key,
            theme.is_other,
        )
        for theme in shown
    ]


async def campaign_summary(sessions: async_sessionmaker[AsyncSession], campaign_code: str) -> list[ThemeSummary]:
    async with sessions() as session:
        campaign = await require_campaign(session, campaign_code)
        return await summarise(session, await campaign_themes(session, pk(campaign)))
