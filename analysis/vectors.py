"""Answer vectors in the database: embedded once when an answer is stored, reused by every analysis.

Embedding costs tens of milliseconds an answer on a small CPU, clustering stored vectors a fraction of that, so
`viktig worker` (job "embeddings") and the analysis itself fill in what is missing, and a re-analysis of 100 000
answers reads 100 000 vectors instead of computing them. Functions take a session and do not commit.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable, Sequence

import numpy as np
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from analysis.embedding import TEMPLATES, E5Embedder, default_embedder, from_bytes, to_bytes
from surveys.models import Answer, AnswerVector, Campaign, Question, QuestionKind

log = logging.getLogger(__name__)
BATCH = 256


def embedder_name(language: str) -> str:
    """The model name the default embedder stores for a campaign of this main language (without loading it)."""
    return E5Embedder(language).name


def current_models() -> list[str]:
    """Every model name the default embedder stores today (one per frame language). A vector stored under any other
    name (an earlier model or frame) is stale: the worker embeds its answer again, once, and replaces it."""
    return sorted({embedder_name(language) for language in TEMPLATES})


async def stored_vectors(session: AsyncSession, answer_ids: Sequence[int], model: str) -> dict[int, np.ndarray]:
    """answer id -> float32 vector, for the ids that have one made by `model`."""
    result: dict[int, np.ndarray] = {}
    for start in range(0, len(answer_ids), 5000):
        chunk = list(answer_ids[start : start + 5000])
        rows = await session.exec(
            select(AnswerVector.answer_id, AnswerVector.vector).where(
                col(AnswerVector.answer_id).in_(chunk), AnswerVector.model == model
            )
        )
        for answer_id, blob in rows.all():
            vector = from_bytes(blob, len(blob) // 2)
            if vector is not None:
                result[answer_id] = vector
    return result


async def save_vectors(session: AsyncSession, vectors: dict[int, np.ndarray], model: str) -> None:
    """Insert or replace the vectors of these answers."""
    if not vectors:
        return
    ids = list(vectors)
    await session.execute(delete(AnswerVector).where(col(AnswerVector.answer_id).in_(ids)))
    session.add_all(AnswerVector(answer_id=i, model=model, vector=to_bytes(vectors[i])) for i in ids)
    await session.flush()


def embed_texts(language: str, texts: list[str]) -> np.ndarray:
    """Top-level (picklable) so a process pool can run it."""
    return default_embedder(language).embed(texts)


async def answers_without_vectors(
    session: AsyncSession, *, campaign_id: int | None = None, limit: int = BATCH
) -> list[tuple[int, str, str]]:
    """(answer id, text, campaign main language) of free-text answers with no vector, or only a stale one (of a
    model name the embedder no longer makes)."""
    current = (col(AnswerVector.answer_id) == Answer.id) & col(AnswerVector.model).in_(current_models())
    query = (
        select(Answer.id, Answer.text, Campaign.languages)
        .join(Question, col(Question.id) == Answer.question_id)
        .join(Campaign, col(Campaign.id) == Answer.campaign_id)
        .outerjoin(AnswerVector, current)
        .where(Question.kind == QuestionKind.text.value, col(AnswerVector.answer_id).is_(None))
        .order_by(col(Answer.id))
        .limit(limit)
    )
    if campaign_id is not None:
        query = query.where(Answer.campaign_id == campaign_id)
    rows = (await session.exec(query)).all()
    return [
        (answer_id, text, (languages or "nb").split(",")[0] or "nb")
        for answer_id, text, languages in rows
        if answer_id is not None  # ids: never NULL
    ]


async def embed_pending(
    sessions: async_sessionmaker[AsyncSession], *, campaign_id: int | None = None, max_batches: int = 40
) -> dict[str, int]:
    """Embed stored answers that have no vector yet, in batches; returns counts (never text) for the log."""
    done, started = 0, time.perf_counter()
    for _ in range(max_batches):
        async with sessions() as session:
            pending = await answers_without_vectors(session, campaign_id=campaign_id)
        if not pending:
            break
        by_language: dict[str, list[tuple[int, str]]] = {}
        for answer_id, text, language in pending:
            by_language.setdefault(language, []).append((answer_id, text))
        async with sessions() as session, session.begin():
            for language, items in by_language.items():
                vectors = await asyncio.to_thread(embed_texts, language, [text for _, text in items])
                await save_vectors(session, dict(zip(_ids(items), vectors, strict=True)), embedder_name(language))
        done += len(pending)
        if len(pending) < BATCH:
            break
    seconds = time.perf_counter() - started
    if done:
        log.info("embedded answers=%d seconds=%.1f per_second=%.0f", done, seconds, done / max(seconds, 1e-9))
    return {"embedded": done}


def _ids(items: Iterable[tuple[int, str]]) -> list[int]:
    return [answer_id for answer_id, _ in items]
