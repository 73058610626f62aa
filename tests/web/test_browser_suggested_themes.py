"""Suggested themes in headless Chromium (issue 11): a manager accepts a theme the analysis found, renames it, opens
its answers, and finds it again after a re-run and in the unit's next campaign, where it anchors the analysis."""

from __future__ import annotations

import json
from pathlib import Path

from surveys.ids import pk
from tests.web.conftest import BROWSER_MARKS, Server, browser_server
from tests.web.test_browser_workflows import logged_in, run_analysis

pytestmark = BROWSER_MARKS
server = browser_server  # the app in the event loop the shared Chromium lives in

REALISTIC_DEV = Path(__file__).resolve().parents[1] / "data" / "answers" / "realistic_dev.jsonl"
NOVEL = ("money", "learning", "traditions", "technology", "faith")
KNOWN = ("family", "food", "outdoors", "company", "safety")


def two_campaigns() -> tuple[list[str], list[str]]:
    """Answers on five themes the taxonomy lacks and five it has, split in two halves (two campaigns)."""
    rows = [json.loads(line) for line in REALISTIC_DEV.read_text(encoding="utf-8").splitlines() if line.strip()]
    wanted = [row["text"] for row in rows if row["theme"] in NOVEL + KNOWN]
    return wanted[0::2], wanted[1::2]


async def add(server: Server, campaign_id: int, texts: list[str]) -> None:
    from surveys.importer import import_answers
    from surveys.models import Campaign

    async with server.ctx.sessions() as session, session.begin():
        campaign = await session.get_one(Campaign, campaign_id)
        raw = "\n".join(json.dumps({"text": text}, ensure_ascii=False) for text in texts).encode()
        await import_answers(session, campaign, raw, filename="cards.jsonl")


async def test_accept_rename_open_rerun_and_next_campaign(server: Server, browser) -> None:
    unit = "Hjemmetjenesten Øst"
    spring_texts, autumn_texts = two_campaigns()
    spring = await server.campaign(unit, "Våren 2026")
    await add(server, pk(spring), spring_texts)
    await server.user("leder@kommune.no", "manager", unit)
    context, page = await logged_in(browser, server, "leder@kommune.no")
    await page.goto(f"{server.url}/campaigns/{spring.id}/themes")
    await run_analysis(page)

    # Accept the largest suggestion under its proposed name.
    suggestion = page.locator("#suggestions section.card").first
    await suggestion.wait_for()
    card_id = await suggestion.get_attribute("id")
    proposed = (await suggestion.locator("h3").inner_text()).strip()
    assert proposed and await suggestion.locator("blockquote").count() >= 1
    await suggestion.get_by_role("button", name="Godta som tema").click()
    await page.get_by_text(f"Temaet «{proposed}» er godtatt").wait_for()
    card = page.locator(f"#{card_id}")
    assert await page.locator(f"#suggestions #{card_id}").count() == 0  # no longer a suggestion
    assert await card.locator(".tag.learned").inner_text() == "Enhetens eget tema"

    # Rename it.
    await card.locator("summary", has_text="Gi nytt navn").click()
    await card.get_by_label("Nytt navn").fill("Lederens nye tema")
    await card.get_by_role("button", name="Gi nytt navn").click()
    await page.wait_for_url(f"**/themes#{card_id}")
    assert (await card.locator("h2").inner_text()).strip() == "Lederens nye tema"

    # Open all its answers.
    link = card.locator("a.theme-answers")
    count = int((await link.inner_text()).split()[2])
    await link.click()
    await page.wait_for_url("**/answers?theme=*")
    assert (await page.locator("#answer-total").inner_text()).strip() == f"{count} svar"
    assert set(await page.locator("#answers td.answer-theme > a").all_inner_texts()) == {"Lederens nye tema"}

    # A re-run keeps it, with its name.
    await page.goto(f"{server.url}/campaigns/{spring.id}/themes")
    await run_analysis(page)
    again = page.locator(f"#{card_id}")
    assert (await again.locator("h2").inner_text()).strip() == "Lederens nye tema"
    assert await again.locator(".tag.learned").count() == 1

    # The unit's next campaign finds it too, under the manager's name, not as a suggestion.
    autumn = await server.campaign(unit, "Høsten 2026")
    await add(server, pk(autumn), autumn_texts)
    await page.goto(f"{server.url}/campaigns/{autumn.id}/themes")
    await run_analysis(page)
    learned = page.locator("section.card", has=page.locator("h2", has_text="Lederens nye tema"))
    assert await learned.count() == 1
    assert await learned.locator(".tag.learned").count() == 1
    assert await page.locator("#suggestions h3", has_text="Lederens nye tema").count() == 0
    assert "Sammenligning med «Våren 2026»" in await page.content()
    await context.close()
