"""Headless Chromium (Debian's /usr/bin/chromium driven by Playwright) through the whole staff and citizen flow,
with axe-core checking the web chat and the main dashboard pages for serious or critical accessibility problems."""

from __future__ import annotations

import json
from pathlib import Path

from openpyxl import load_workbook
from sqlmodel import select

from surveys.importer import import_answers
from surveys.models import Campaign
from tests.web.conftest import BROWSER_MARKS, PASSWORD, Server, browser_server

AXE = Path(__file__).parents[1] / "data" / "axe" / "axe.min.js"

pytestmark = BROWSER_MARKS
server = browser_server  # the app in the event loop the shared Chromium lives in

AXE_RUN = """async () => {
  const result = await axe.run(document, {
    runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']},
    resultTypes: ['violations'],
  });
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                      targets: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
}"""


async def assert_accessible(page, name: str) -> None:
    violations = await page.evaluate(AXE_RUN)
    serious = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert not serious, f"{name}: {json.dumps(serious, ensure_ascii=False, indent=1)}"


async def test_staff_and_citizen_flow_with_accessibility(server: Server, browser, tmp_path: Path) -> None:
    await server.user("leder@kommune.no", "manager", "Hjemmetjenesten Øst")
    staff = await browser.new_context(locale="nb-NO", accept_downloads=True)
    await staff.add_init_script(
        path=str(AXE)
    )  # through the DevTools protocol, so the page's CSP still applies to the app
    page = await staff.new_page()
    page.set_default_timeout(20_000)
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)

    # Log in.
    await page.goto(server.url + "/campaigns")
    await assert_accessible(page, "login")
    await page.get_by_label("E-post").fill("leder@kommune.no")
    await page.get_by_label("Passord").fill(PASSWORD)
    await page.get_by_role("button", name="Logg inn").click()
    await page.wait_for_url("**/campaigns")
    await assert_accessible(page, "campaign list")

    # Create a campaign and see its QR code.
    await page.get_by_role("link", name="Ny kampanje").click()
    await assert_accessible(page, "campaign form")
    await page.get_by_label("Navn", exact=True).fill("Hva er viktig for deg-dagen 2026")
    await page.get_by_role("button", name="Lagre").click()
    await page.wait_for_url("**/campaigns/*")
    assert await page.locator("figure.qr-figure svg").count() == 1
    await assert_accessible(page, "campaign page")
    web_link = await page.locator("#web-link").get_attribute("href")
    assert web_link and "/s/" in web_link

    # A citizen answers in the web chat, in another browser context (JavaScript on: fetch, no reload).
    citizen_context = await browser.new_context(locale="nb-NO")
    await citizen_context.add_init_script(path=str(AXE))
    citizen = await citizen_context.new_page()
    citizen.set_default_timeout(20_000)
    await citizen.goto(web_link)
    assert await citizen.locator("html").get_attribute("lang") == "nb"
    await assert_accessible(citizen, "web chat")
    await citizen.get_by_role("button", name="Ja, jeg vil svare").click()
    await citizen.get_by_text("Hva er viktig for deg?", exact=False).last.wait_for()
    answer = "Å kunne gå tur med hunden min i parken hver morgen"
    await citizen.get_by_label("Ditt svar").fill(answer)
    await citizen.get_by_role("button", name="Send").click()
    await citizen.locator("#log li.me", has_text=answer).wait_for()
    await citizen.get_by_text("Er det noe mer", exact=False).last.wait_for()
    assert await citizen.evaluate("document.activeElement && document.activeElement.tagName") in ("BUTTON", "TEXTAREA")
    await assert_accessible(citizen, "web chat after answering")
    await citizen.reload()  # resumes where it was
    assert await citizen.locator("#log li.me", has_text=answer).count() == 1

    # The answer shows up in the answers list.
    campaign_url = page.url
    await page.goto(campaign_url + "/answers")
    assert await page.get_by_text(answer).count() == 1
    await assert_accessible(page, "answers list")

    # More answers arrive from paper cards, then the theme analysis runs from the themes page.
    async with server.ctx.sessions() as session, session.begin():
        from viktig.commands.demo import DEMO_ANSWERS

        campaign = (await session.exec(select(Campaign))).one()
        raw = "\n".join(json.dumps({"text": text, "language": lang}) for lang, _s, _c, text in DEMO_ANSWERS).encode()
        await import_answers(session, campaign, raw, filename="cards.jsonl")
    await page.goto(campaign_url + "/themes")
    await page.get_by_role("button", name="Kjør temaanalyse").click(timeout=300_000)  # clustering on a busy machine
    await page.wait_for_url("**/themes?ran=*", timeout=300_000)
    assert await page.locator("section.card").count() >= 2
    assert await page.locator("figure.chart svg rect").count() >= 2
    await assert_accessible(page, "themes")

    # Export XLSX and read it back.
    await page.goto(campaign_url + "/answers")
    async with page.expect_download() as download_info:
        await page.get_by_role("link", name="Eksporter Excel (XLSX)").click()
    download = await download_info.value
    target = tmp_path / "export.xlsx"
    await download.save_as(target)
    sheet = load_workbook(target).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("Svar-nr", "Kampanje", "Enhet", "Spørsmål", "Svar")
    texts = [row[4] for row in rows[1:]]
    assert answer in texts and len(texts) == 61
    assert any(row[10] for row in rows[1:]), "the export carries the themes from the analysis"
    assert not [e for e in errors if "Content Security Policy" in e], errors
    await citizen_context.close()
    await staff.close()


async def test_web_chat_works_without_javascript(server: Server, browser) -> None:
    campaign = await server.campaign("Hjemmetjenesten Øst")
    context = await browser.new_context(locale="nb-NO", java_script_enabled=False)
    page = await context.new_page()
    await page.goto(f"{server.url}/s/{campaign.code}")
    await page.get_by_role("button", name="Ja, jeg vil svare").click()
    await page.get_by_label("Ditt svar").fill("At noen har tid til en prat")
    await page.get_by_role("button", name="Send").click()
    await page.locator("#log li.me", has_text="At noen har tid til en prat").wait_for()
    assert "#latest" in page.url
    await context.close()


async def test_admin_and_entry_pages_are_accessible(server: Server, browser) -> None:
    campaign = await server.campaign("Hjemmetjenesten Øst")
    await server.user("admin@kommune.no", "admin", None)
    context = await browser.new_context(locale="nb-NO")
    await context.add_init_script(path=str(AXE))
    page = await context.new_page()
    from tests.web.test_browser_two_factor import enrol_in_browser

    await enrol_in_browser(page, server, "admin@kommune.no")  # admins set up two-factor login at the first login
    await assert_accessible(page, "two-factor enrolment done")
    await page.get_by_role("link", name="Fortsett").click()
    await page.wait_for_url("**/campaigns")
    await page.goto(f"{server.url}/campaigns/{campaign.id}/entry")
    await page.get_by_label("Svar, ett per linje").fill("Å få hjelp til å handle\nTurer i skogen")
    await page.get_by_role("button", name="Lagre svarene").click()
    await page.get_by_text("2 svar er lagret").wait_for()
    await assert_accessible(page, "staff entry")
    await page.goto(f"{server.url}/campaigns/{campaign.id}/answers")
    await page.goto(server.url + "/admin/users")
    await page.get_by_label("E-post").fill("ny.ansatt@kommune.no")
    await page.get_by_label("Enhet", exact=True).select_option(label="Hjemmetjenesten Øst")
    await page.get_by_role("button", name="Legg til bruker").click()
    await page.get_by_text("Passordet vises bare denne ene gangen").wait_for()
    await assert_accessible(page, "users")
    await page.goto(server.url + "/admin/access-log")
    assert await page.locator("#access-log tbody tr").count() >= 1
    await assert_accessible(page, "access log")
    await page.get_by_role("button", name="English").click()
    await page.get_by_role("heading", name="Access log").wait_for()
    await assert_accessible(page, "access log in English")
    await context.close()
