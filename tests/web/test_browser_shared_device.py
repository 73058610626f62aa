"""A shared tablet in Chromium: person A answers and presses "Ferdig"; person B starts fresh and cannot reach A.

Then B answers, erases it with /slett, reloads, and nothing of the erased text is shown.
"""

from __future__ import annotations

from typing import Any

from surveys.i18n import t
from tests.e2e.test_privacy_e2e import fodselsnummer
from tests.support.raw_database import query
from tests.web.conftest import BROWSER_MARKS, Server, browser_server
from tests.web.test_browser import AXE, assert_accessible

pytestmark = BROWSER_MARKS
server = browser_server  # the app in the event loop the shared Chromium lives in

FNR = fodselsnummer("020347", 123)


async def send(page, text: str) -> None:
    await page.get_by_label("Ditt svar").fill(text)
    await page.get_by_role("button", name="Send").click()
    await page.locator("#log li.me").last.wait_for()


async def test_the_next_person_on_a_shared_tablet_starts_fresh(server: Server, browser: Any) -> None:
    campaign = await server.campaign("Hjemmetjenesten Øst")
    tablet = await browser.new_context(locale="nb-NO")
    await tablet.add_init_script(path=str(AXE))
    page = await tablet.new_page()
    page.set_default_timeout(20_000)
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)

    # Person A answers everything and sends it in.
    await page.goto(f"{server.url}/s/{campaign.code}")
    await page.get_by_role("button", name=t("nb", "consent.yes")).click()
    await page.get_by_text("Hva er viktig for deg?", exact=False).last.wait_for()
    await send(page, f"Hemmelig hage bak huset, fødselsnummer {FNR}")
    await page.get_by_role("button", name=t("nb", "question.no_more")).click()
    await send(page, "Kaffe med naboen Ruth")
    await page.get_by_role("button", name="Avslutt").wait_for()  # the summary offers to end the visit
    await page.get_by_role("button", name=t("nb", "summary.send")).click()
    await page.get_by_text(t("nb", "done.thanks")).wait_for()
    assert FNR not in await page.content()  # the chat never shows the number back, not even to A
    done = page.get_by_role("button", name="Ferdig – neste person")
    await done.wait_for()
    await assert_accessible(page, "web chat after the thanks")
    await done.click()

    # Person B: a fresh welcome, nothing of A.
    await page.get_by_role("button", name=t("nb", "consent.yes")).wait_for()
    content = await page.content()
    assert "Hemmelig hage" not in content and "Kaffe med naboen" not in content and "R-" not in content
    assert t("nb", "done.already") not in content
    await page.reload()
    assert "Hemmelig hage" not in await page.content()
    await send(page, "/mine_data")
    await page.get_by_text("Dette er lagret om deg", exact=False).last.wait_for()
    assert "Hemmelig hage" not in await page.content() and "Kaffe med naboen" not in await page.content()

    # B answers, then erases it; after a reload nothing of it is shown.
    await send(page, "ja")  # the consent, typed (the buttons went with the /mine_data reply)
    await page.get_by_text("Hva er viktig for deg?", exact=False).last.wait_for()
    await send(page, "Min egen lille hemmelighet om sønnen min")
    await send(page, "/slett")
    await page.get_by_role("button", name=t("nb", "delete.yes")).click()
    await page.get_by_text(t("nb", "delete.done")).wait_for()
    await page.reload()
    await page.locator("#log").wait_for()
    content = await page.content()
    assert "Min egen lille hemmelighet" not in content and "Hemmelig hage" not in content

    # A's two answers are untouched by B's /slett; B's is gone.
    texts = [row[0] for row in query(server.ctx.settings.database_url, "SELECT text FROM answer ORDER BY id")]
    assert len(texts) == 2 and texts[0].startswith("Hemmelig hage") and "[fødselsnummer]" in texts[0]
    assert not [e for e in errors if "Content Security Policy" in e or "Uncaught" in e], errors
    await tablet.close()
