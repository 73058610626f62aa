"""The smaller findings of issue 14, checked in headless Chromium as a person meets them: the campaign page's
layout on a desktop screen, and the web chat's language switch, empty send and old buttons in a second tab."""

from __future__ import annotations

import pytest

from tests.web.conftest import BROWSER_MARKS, Server, browser_server
from tests.web.test_browser_workflows import logged_in

pytestmark = BROWSER_MARKS
server = browser_server  # the app in the event loop the shared Chromium lives in

# Boxes of every fact (term and value) and of the links column, in page coordinates.
BOXES = """() => {
  const box = (el) => { const r = el.getBoundingClientRect(); return {left: r.left, right: r.right, top: r.top,
                                                                      bottom: r.bottom, text: el.textContent.trim()}; };
  const links = document.querySelector('section[aria-labelledby="links-h"]');
  const linkParts = [links, ...links.querySelectorAll('h2, p, figure, a')].map(box);
  return {facts: [...document.querySelectorAll('dl.facts dt, dl.facts dd')].map(box), links: linkParts,
          factsSection: box(document.querySelector('section[aria-labelledby="facts-h"]'))};
}"""


def _overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return a["left"] < b["right"] and b["left"] < a["right"] and a["top"] < b["bottom"] and b["top"] < a["bottom"]


@pytest.mark.parametrize("width", [1280, 1920])
async def test_campaign_facts_never_overlap_the_links_column(server: Server, browser, width: int) -> None:
    campaign = await server.campaign("Hjemmetjenesten Øst", languages="nb,nn,sv,en", channels="telegram,web,staff")
    await server.user("leder@kommune.no", "manager", "Hjemmetjenesten Øst")
    context, page = await logged_in(browser, server, "leder@kommune.no")
    await page.set_viewport_size({"width": width, "height": 1000})
    await page.goto(f"{server.url}/campaigns/{campaign.id}")
    boxes = await page.evaluate(BOXES)
    unit = next(box for box in boxes["facts"] if box["text"] == "Hjemmetjenesten Øst")
    links = boxes["links"][0]
    assert unit["right"] <= links["left"], (unit, links)
    for fact in boxes["facts"]:
        assert fact["right"] <= boxes["factsSection"]["right"] + 0.5, fact  # nothing sticks out of its column
        for part in boxes["links"]:
            assert not _overlap(fact, part), (fact, part)
    await context.close()


async def chat_page(browser, server: Server, code: str, *, javascript: bool = True):
    context = await browser.new_context(locale="nb-NO", java_script_enabled=javascript)
    page = await context.new_page()
    page.set_default_timeout(20_000)
    await page.goto(f"{server.url}/s/{code}")
    return context, page


async def interface_texts(page) -> dict[str, str | None]:
    return {
        "lang": await page.locator("html").get_attribute("lang"),
        "title": await page.title(),
        "heading": await page.locator("h1").inner_text(),
        "label": await page.locator('label[for="message"]').inner_text(),
        "hint": await page.locator("#message-hint").inner_text(),
        "send": await page.locator("#compose button.send").inner_text(),
        "skip": await page.locator("a.skip").inner_text(),
        "log": await page.locator("#log").get_attribute("aria-label"),
    }


def expected_texts(language: str) -> dict[str, str | None]:
    from web.i18n import chat_text

    def c(key: str) -> str:
        return chat_text(language, key)

    return {
        "lang": language,
        "title": c("title"),
        "heading": c("title"),
        "label": c("your_message"),
        "hint": c("message_hint"),
        "send": c("send"),
        "skip": c("skip_to_answer"),
        "log": c("conversation"),
    }


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
async def test_choosing_a_language_switches_the_whole_chat_page_at_once(server: Server, browser, javascript) -> None:
    from surveys.i18n import t

    campaign = await server.campaign("Hjemmetjenesten Øst", languages="nb,nn,sv,en")
    context, page = await chat_page(browser, server, campaign.code, javascript=javascript)
    assert await interface_texts(page) == expected_texts("nb")
    await page.get_by_role("button", name="Nynorsk / Svenska / English").click()
    await page.get_by_role("button", name="English").click()
    await page.get_by_text(t("en", "consent.ask")).last.wait_for()
    assert await interface_texts(page) == expected_texts("en")  # no reload needed
    await page.get_by_role("button", name=t("en", "consent.yes")).click()
    await page.locator("#log li.bot", has_text="What matters to you?").wait_for()  # not the page heading
    await page.reload()
    assert await interface_texts(page) == expected_texts("en")
    await context.close()


async def test_an_empty_send_with_javascript_gets_the_engines_answer(server: Server, browser) -> None:
    from surveys.i18n import t

    campaign = await server.campaign("Hjemmetjenesten Øst")
    context, page = await chat_page(browser, server, campaign.code)
    await page.get_by_role("button", name=t("nb", "consent.yes")).click()
    await page.locator("#log li.bot", has_text="Hva er viktig for deg?").wait_for()  # not the page heading
    mine = await page.locator("#log li.me").count()
    await page.get_by_label("Ditt svar").fill("   ")
    await page.get_by_role("button", name="Send").click()
    await page.locator("#log li.bot", has_text=t("nb", "error.empty")).wait_for()
    assert await page.locator("#log li.me").count() == mine  # no empty bubble of the person's
    await context.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
async def test_an_old_button_in_a_second_tab_repeats_the_current_question(server: Server, browser, javascript) -> None:
    from surveys.i18n import t

    campaign = await server.campaign("Hjemmetjenesten Øst")
    context, first = await chat_page(browser, server, campaign.code, javascript=javascript)
    second = await context.new_page()  # the same visitor (cookie) in a second tab, still showing the consent
    await second.goto(f"{server.url}/s/{campaign.code}")
    await first.get_by_role("button", name=t("nb", "consent.yes")).click()
    await first.get_by_label("Ditt svar").fill("Kaffe og en prat")
    await first.get_by_role("button", name="Send").click()
    await first.get_by_role("button", name=t("nb", "question.no_more")).wait_for()

    await second.get_by_role("button", name=t("nb", "consent.no")).click()  # the old tab's button
    latest = second.locator("#log li.bot").last
    await latest.get_by_role("button", name=t("nb", "question.no_more")).wait_for()  # the current question again
    said = await latest.inner_text()
    assert t("nb", "error.stale_repeat") in said
    log = await second.locator("#log").inner_text()
    assert "1.no" not in log and ".no" not in log.replace(t("nb", "consent.no"), "")  # never an internal payload
    assert await second.locator("#log li.me", has_text=t("nb", "consent.no")).count() == 0
    # The repeated buttons work: the conversation goes on from where it is, to the next question.
    bot_lines = await second.locator("#log li.bot").count()
    await latest.get_by_role("button", name=t("nb", "question.no_more")).click()
    await second.locator("#log li.me", has_text=t("nb", "question.no_more")).wait_for()
    assert await second.locator("#log li.bot").count() == bot_lines + 1
    assert t("nb", "error.stale_button") not in await second.locator("#log").inner_text()
    await context.close()


async def test_the_first_page_loads_have_no_console_errors(server: Server, browser) -> None:
    """What a person trying `make demo` opens first: the login page, the dashboard and the web chat, without a
    single failed request or console message (a missing icon was one)."""
    campaign = await server.campaign("Hjemmetjenesten Øst")
    await server.user("leder@kommune.no", "manager", "Hjemmetjenesten Øst")
    context = await browser.new_context(locale="nb-NO")
    page = await context.new_page()
    said: list[str] = []
    page.on("console", lambda message: said.append(f"{message.type}: {message.text}"))
    page.on("requestfailed", lambda request: said.append(f"failed: {request.url}"))
    for path in ("/login", f"/s/{campaign.code}"):
        await page.goto(server.url + path)
        await page.wait_for_load_state("networkidle")
    icon = await context.request.get(server.url + "/static/favicon.svg")
    assert icon.status == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    await context.close()
    context, page = await logged_in(browser, server, "leder@kommune.no")
    page.on("console", lambda message: said.append(f"{message.type}: {message.text}"))
    await page.goto(f"{server.url}/campaigns/{campaign.id}")
    await page.wait_for_load_state("networkidle")
    assert said == []
    await context.close()
