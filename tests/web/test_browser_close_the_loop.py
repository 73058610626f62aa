"""Closing the loop in headless Chromium (issue 16, "Done when"): a manager adds actions to two themes, picks a
quote and publishes "Dette sa dere – dette gjør vi"; a citizen without a login reads the poster's QR code, opens the
page in nynorsk and sees the themes, the picked quote and the actions, and not the theme below the limit; the unit's
next campaign shows the actions in its comparison."""

from __future__ import annotations

import io
import re

import pytest

from surveys.ids import pk
from tests.web import test_browser as shared
from tests.web.conftest import BROWSER_MARKS, Server, browser_server
from tests.web.test_browser_workflows import logged_in
from tests.web.theme_data import themes_with_sizes

pytestmark = BROWSER_MARKS
server = browser_server  # the app in the event loop the shared Chromium lives in

UNIT = "Sjukeheimen Nord"
CARD = re.compile(r"Kort nummer \d+")


async def scan_qr(page, selector: str) -> str:
    """What a phone camera reads from the QR code on the page."""
    zxingcpp = pytest.importorskip("zxingcpp")
    image_module = pytest.importorskip("PIL.Image")
    shot = await page.locator(selector).screenshot()
    found = zxingcpp.read_barcodes(image_module.open(io.BytesIO(shot)))
    assert found, "no QR code could be read from the poster"
    return str(found[0].text)


async def add_action(page, card, what: str, responsible: str, due: str, status: str) -> None:
    await card.get_by_text("Legg til tiltak").click()
    form = card.locator("details.add-action form")
    await form.get_by_label("Hva skal gjøres").fill(what)
    await form.get_by_label("Ansvarlig", exact=True).fill(responsible)
    await form.get_by_label("Når", exact=True).fill(due)
    await form.get_by_label("Status").select_option(label=status)
    await form.get_by_role("button", name="Lagre tiltaket").click()
    await page.wait_for_url(re.compile(r".*/themes#action-\d+$"))


async def test_manager_publishes_and_a_citizen_reads_it_in_nynorsk(server: Server, browser) -> None:
    spring = await server.campaign(UNIT, name="Våren 2026", languages="nn,nb,sv,en")
    # 20 people: outdoors 10 (50 %), safety 7 (35 %), food 3 (below the unit's minste gruppe, 5).
    ids = await themes_with_sizes(server, pk(spring), {"outdoors": 10, "safety": 7, "food": 3})
    await server.user("leder@kommune.no", "manager", UNIT)

    context, page = await logged_in(browser, server, "leder@kommune.no")
    await page.goto(f"{server.url}/campaigns/{spring.id}/themes")
    outdoors, safety = page.locator(f"#theme-{ids['outdoors']}"), page.locator(f"#theme-{ids['safety']}")
    await add_action(page, outdoors, "Turgruppe kvar tysdag", "Aktivitetsgruppa", "2026-05-05", "I gang")
    await add_action(page, safety, "Nattevakta går ein ekstra runde", "Avdelingsleiar", "2026-06-01", "Planlagt")
    assert "Turgruppe kvar tysdag" in await outdoors.locator(".action-list").inner_text()
    assert "I gang" in await outdoors.locator(".action-list").inner_text()

    await page.get_by_role("link", name="Offentlig side").click()
    await page.wait_for_url("**/public")
    assert "Ikke publisert" in await page.locator("#public-state").inner_text()
    first = page.locator(".quote-picks").first.locator("li").first
    picked = (await first.locator("blockquote").inner_text()).strip()
    await first.get_by_role("button", name="Vis på siden").click()
    await page.wait_for_url("**/public#theme-quotes")
    assert await page.locator("li.picked blockquote").all_inner_texts() == [picked]
    await page.get_by_role("button", name="Publiser siden").click()
    await page.wait_for_url("**/public")
    assert "Publisert" in await page.locator("#public-state").inner_text()

    await page.get_by_role("link", name="Plakat med QR-kode (A4)").click()
    await page.wait_for_url(re.compile(r".*/p/[\w-]+/plakat$"))
    address = await scan_qr(page, ".qr-block .qr svg")
    assert address == (await page.locator(".qr-block .link").inner_text()).strip()
    assert "Familie" not in await page.content() and "Food" not in await page.content()
    pdf = await page.pdf(format="A4", print_background=True)
    assert pdf.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page\b", pdf)) == 1  # one A4 sheet
    await context.close()

    # The citizen: no login, a phone set to nynorsk, the address the QR code gave.
    citizen_context = await browser.new_context(locale="nn-NO")
    await citizen_context.add_init_script(path=str(shared.AXE))
    citizen = await citizen_context.new_page()
    citizen.set_default_timeout(20_000)
    assert address.startswith(server.url + "/p/")
    response = await citizen.goto(address)
    assert response is not None and response.status == 200
    assert await citizen.locator("html").get_attribute("lang") == "nn"
    assert await citizen.locator("h1").inner_text() == "Dette sa de – dette gjer vi"
    themes = [text.strip() for text in await citizen.locator("section.theme h2").all_inner_texts()]
    assert themes == ["Kome meg ut og gå tur", "Tryggleik og alarm"]  # taxonomy labels in nynorsk
    body = await citizen.locator("main").inner_text()
    assert "50 % av svara" in body and "35 % av svara" in body and "20 personar svarte." in body
    assert "Turgruppe kvar tysdag" in body and "Nattevakta går ein ekstra runde" in body
    assert "Ansvarleg: Aktivitetsgruppa" in body and "5. mai 2026" in body
    statuses = await citizen.locator("section.theme .status").all_inner_texts()
    assert statuses == ["I gang", "Planlagt"]
    await shared.assert_accessible(citizen, "public page")
    html = await citizen.content()
    assert CARD.findall(html) == [picked]  # the one picked answer, no other
    assert "Mat og måltid" not in html and "Food" not in html  # 3 people: not on the page at all
    await citizen.get_by_role("link", name="Lettlest").click()
    await citizen.wait_for_url("**lettlest=1")
    assert "5 av 10 svar handla om dette." in await citizen.locator("main").inner_text()
    assert "Vi held på med dette." in await citizen.locator("main").inner_text()
    await shared.assert_accessible(citizen, "public page, lettlest")
    await citizen.get_by_role("link", name="Svenska").click()
    await citizen.wait_for_url("**lang=sv**")
    assert "Det här sa ni. Det här gör vi." in await citizen.locator("h1").inner_text()

    # The unit's next campaign: the actions carry over, and the comparison says what came before the change.
    autumn = await server.campaign(UNIT, name="Hausten 2026", languages="nn,nb,sv,en")
    later = await themes_with_sizes(server, pk(autumn), {"outdoors": 6, "safety": 12, "coping": 12})
    context, page = await logged_in(browser, server, "leder@kommune.no")
    await page.goto(f"{server.url}/campaigns/{autumn.id}/themes")
    row = page.locator("#comparison tbody tr", has_text="Outdoors")
    cells = [text.strip() for text in await row.locator("th, td").all_inner_texts()]
    assert cells == ["Outdoors", "50 %", "20 %", "-30 prosentpoeng", "etter tiltak: Turgruppe kvar tysdag (I gang)"]
    card = page.locator(f"#theme-{later['outdoors']}")
    assert "fra «Våren 2026»" in await card.locator(".action-list").inner_text()
    # Marked gjennomført in the new campaign: it is the same action, so the published page says so too.
    await card.get_by_text("Endre tiltaket").click()
    await card.locator(".action-list form").get_by_label("Status").select_option(label="Gjennomført")
    await card.locator(".action-list form").get_by_role("button", name="Lagre endringene").click()
    await page.wait_for_url(re.compile(r".*/themes#action-\d+$"))
    await context.close()
    await citizen.goto(address)
    assert (await citizen.locator("section.theme .status").all_inner_texts())[0] == "Gjennomført"
    await citizen_context.close()
