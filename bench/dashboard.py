"""Median and p95 response time of the campaign, answers and themes pages with 100 000 answers in the database.

Seeds a temporary SQLite database (migrated with the real migrations) by bulk insert: one campaign with N answers
over 60 days in four languages and three sources, 12 themes with every answer assigned, then starts the real
server (create_app on a free port), logs in as a manager and requests each page repeatedly over HTTP.
The answers page is measured on its first page, on a filtered page (language + source), on a search, and deep
in the list (following the keyset cursor); "cold count" clears the 10-second count cache before every request.
Target: p95 under 300 ms.

Usage: python bench/dashboard.py [--answers 100000] [--requests 40]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WORDS = (
    "tur",
    "hunden",
    "kaffe",
    "barnebarna",
    "trygg",
    "natta",
    "middag",
    "faste",
    "folk",
    "tid",
    "prat",
    "hjemme",
    "hagen",
    "musikk",
    "kirken",
    "dusj",
    "medisiner",
    "venner",
    "skogen",
    "butikken",
    "alarm",
    "besøk",
)


def _new_id(value: int | None) -> int:
    """A primary key the database has just assigned (RETURNING never gives NULL for it)."""
    assert value is not None
    return value


def _first_group(pattern: str, html: str) -> str:
    """The first group of a pattern that the page must contain."""
    found = re.search(pattern, html)
    assert found is not None, f"not on the page: {pattern}"
    return found.group(1)


def seed(url: str, n_answers: int) -> tuple[int, str]:
    """Bulk insert with the synchronous driver in one transaction; returns (campaign id, campaign code)."""
    from sqlalchemy import create_engine, insert, select, update
    from sqlmodel import col

    from surveys.campaigns import add_unit, create_campaign
    from surveys.db import create_engine as create_async_engine
    from surveys.db import session_factory
    from surveys.ids import pk
    from surveys.models import Answer, AnswerTheme, Question, StaffUser, Survey, Theme, ThemeRun
    from surveys.survey_files import DEFAULT_SURVEY_KEY
    from surveys.text import search_key
    from web.passwords import hash_password

    async def base() -> tuple[int, str]:
        engine = create_async_engine(url)
        async with session_factory(engine)() as session, session.begin():
            unit = await add_unit(session, "Hjemmetjenesten Øst")
            campaign = await create_campaign(session, name="Benchmark", unit=unit)
            session.add(
                StaffUser(
                    email="leder@bench.no",
                    password_hash=hash_password("bench-password-1"),
                    role="manager",
                    unit_id=unit.id,
                )
            )
            result = pk(campaign), campaign.code
        await engine.dispose()
        return result

    campaign_id, code = asyncio.run(base())
    engine = create_engine(url)
    rng = random.Random(7)
    start = datetime.now(UTC) - timedelta(days=60)
    with engine.begin() as connection:
        survey_id = connection.execute(select(col(Survey.id)).where(col(Survey.key) == DEFAULT_SURVEY_KEY)).scalar_one()
        questions = [
            row[0] for row in connection.execute(select(col(Question.id)).where(col(Question.survey_id) == survey_id))
        ]
        rows = []
        for index in range(n_answers):
            words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 14)))
            text = f"Det viktigste er {words}."
            rows.append(
                {
                    "campaign_id": campaign_id,
                    "question_id": rng.choice(questions),
                    "position": 1,
                    "text": text,
                    "search_text": search_key(text),  # a bulk insert skips the ORM hook that fills it
                    "language": rng.choice(("nb", "nb", "nb", "nn", "sv", "en")),
                    "channel": "web",
                    "source": rng.choice(("self", "self", "staff", "paper")),
                    "created_at": start + timedelta(seconds=index * 60 * 60 * 24 * 60 / n_answers),
                }
            )
        for offset in range(0, len(rows), 20_000):
            connection.execute(insert(Answer), rows[offset : offset + 20_000])
        answer_ids = [
            row[0] for row in connection.execute(select(col(Answer.id)).where(col(Answer.campaign_id) == campaign_id))
        ]
        run_id = connection.execute(
            insert(ThemeRun)
            .values(campaign_id=campaign_id, n_answers=n_answers, parameters={}, created_at=datetime.now(UTC))
            .returning(col(ThemeRun.id))
        ).scalar_one()
        theme_ids: list[int] = []
        for number in range(12):
            theme_ids.append(
                _new_id(
                    connection.execute(
                        insert(Theme)
                        .values(
                            campaign_id=campaign_id,
                            key=f"t{number}",
                            label=f"Tema {number + 1}: {WORDS[number]}",
                            label_locked=False,
                            keywords=list(WORDS[number : number + 5]),
                            quotes=answer_ids[number * 7 : number * 7 + 3],
                            size=0,
                            share=0.0,
                            is_other=False,
                            run_id=run_id,
                            created_at=datetime.now(UTC),
                            updated_at=datetime.now(UTC),
                        )
                        .returning(col(Theme.id))
                    ).scalar_one()
                )
            )
        chosen = [theme_ids[min(11, int(rng.expovariate(0.35)))] for _ in answer_ids]
        assignments = [
            {"answer_id": answer_id, "theme_id": theme_id, "run_id": run_id, "manual": False}
            for answer_id, theme_id in zip(answer_ids, chosen, strict=True)
        ]
        for offset in range(0, len(assignments), 20_000):
            connection.execute(insert(AnswerTheme), assignments[offset : offset + 20_000])
        counts: dict[int, int] = {}
        for theme_id in chosen:
            counts[theme_id] = counts.get(theme_id, 0) + 1
        for theme_id in theme_ids:
            connection.execute(
                update(Theme)
                .where(col(Theme.id) == theme_id)
                .values(size=counts.get(theme_id, 0), share=counts.get(theme_id, 0) / len(assignments))
            )
    engine.dispose()
    return campaign_id, code


async def measure(url: str, campaign_id: int, requests: int) -> dict[str, list[float]]:
    import aiohttp
    from aiohttp import web

    import web.answer_query as answer_query
    from surveys.settings import Settings
    from viktig.context import AppContext
    from viktig.server import create_app

    ctx = AppContext.create(
        Settings(database_url=url, secret_key="bench-secret-0123456789abcdef", host="127.0.0.1", port=0)
    )
    runner = web.AppRunner(create_app(ctx, with_telegram=False), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    timings: dict[str, list[float]] = {}
    try:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            page = await (await http.get(base + "/login")).text()
            token = _first_group(r'name="csrf_token" value="([^"]+)"', page)
            response = await http.post(
                base + "/login", data={"csrf_token": token, "email": "leder@bench.no", "password": "bench-password-1"}
            )
            assert str(response.url).endswith("/campaigns"), "login failed"
            deep = f"/campaigns/{campaign_id}/answers"
            for _ in range(40):  # follow the keyset cursor 40 pages (2 000 answers) down
                html = await (await http.get(base + deep)).text()
                deep = _first_group(r'rel="next" href="([^"]+)"', html).replace("&amp;", "&")
            pages = {
                "campaign page": f"/campaigns/{campaign_id}",
                "campaign list": "/campaigns",
                "answers, first page": f"/campaigns/{campaign_id}/answers",
                "answers, filtered (language+source)": f"/campaigns/{campaign_id}/answers?language=sv&source=paper",
                "answers, search": f"/campaigns/{campaign_id}/answers?q=barnebarna+hagen",
                "answers, page 41 (keyset)": deep,
                "answers, cold count": f"/campaigns/{campaign_id}/answers?language=nn",
                "themes page": f"/campaigns/{campaign_id}/themes",
            }
            for name, path in pages.items():
                samples = []
                for _ in range(requests):
                    if name == "answers, cold count" or name == "answers, search":
                        answer_query._COUNT_CACHE.clear()
                    started = time.perf_counter()
                    response = await http.get(base + path)
                    await response.read()
                    samples.append((time.perf_counter() - started) * 1000)
                    assert response.status == 200, (name, response.status)
                timings[name] = samples
    finally:
        await runner.cleanup()
        await ctx.close()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--answers", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=40)
    args = parser.parse_args()
    from viktig.migrate import upgrade

    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{Path(directory) / 'bench.db'}"
        upgrade(url)
        started = time.perf_counter()
        campaign_id, _code = seed(url, args.answers)
        print(f"seeded {args.answers} answers and theme assignments in {time.perf_counter() - started:.1f} s (SQLite)")
        timings = asyncio.run(measure(url, campaign_id, args.requests))
    print(f"{'page':40} {'median ms':>10} {'p95 ms':>8}   ({args.requests} requests each, target p95 < 300 ms)")
    for name, samples in timings.items():
        ordered = sorted(samples)
        p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
        print(f"{name:40} {statistics.median(samples):10.1f} {p95:8.1f}{'' if p95 < 300 else '   ABOVE TARGET'}")


if __name__ == "__main__":
    main()
