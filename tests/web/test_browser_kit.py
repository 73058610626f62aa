"""The 6 June kit in headless Chromium: the file `viktig kit` writes opens with no server and prints on A4 as one
poster page per unit plus one page of staff guide; the dashboard's print page (the button) prints the same way."""

from __future__ import annotations

import re
from pathlib import Path

from surveys.area_campaigns import create_kit, members_of, parse_day
from surveys.areas import add_area, set_unit_area
from surveys.campaigns import add_unit
from surveys.ids import pk
from tests.web.conftest import BROWSER_MARKS, PASSWORD, Server, browser_server
from tests.web.test_browser_workflows import logged_in
from web.accounts import save_user
from web.kit import render_kit

pytestmark = BROWSER_MARKS
server = browser_server  # the app in the event loop the shared Chromium lives in
A4_POINTS = (595.0, 842.0)  # 210 × 297 mm
PAGE = re.compile(rb"/Type\s*/Page(?![s\w])")
MEDIA_BOX = re.compile(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]")


def pdf_pages(pdf: bytes) -> int:
    return len(PAGE.findall(pdf))


def assert_a4(pdf: bytes) -> None:
    boxes = {(round(float(w)), round(float(h))) for w, h in MEDIA_BOX.findall(pdf)}
    assert boxes and all(abs(w - A4_POINTS[0]) <= 1 and abs(h - A4_POINTS[1]) <= 1 for w, h in boxes), boxes


async def _area_with_kit(server: Server, units: int):
    async with server.ctx.sessions() as session, session.begin():
        area = await add_area(session, "Helse og omsorg")
        for n in range(units):
            await set_unit_area(session, await add_unit(session, f"Hjemmetjenesten sone {n + 1}"), area)
        result = await create_kit(session, area, parse_day("2027-06-06"), telegram=False)
        email = "omrade@kommune.no"
        await save_user(session, email=email, role="area_manager", unit=None, area=area, password=PASSWORD)
        members = await members_of(session, pk(result.area_campaign))
    return area, result.area_campaign, members


async def test_the_kit_file_opens_without_a_server_and_prints_one_a4_page_per_unit_and_the_guide(
    server: Server, browser, tmp_path: Path
) -> None:
    area, group, members = await _area_with_kit(server, 5)
    html = render_kit(area, group, members, web_base_url="https://viktig.kommune.no", bot_username=None)
    kit_file = tmp_path / "kit.html"
    kit_file.write_text(html, encoding="utf-8")
    context = await browser.new_context(locale="nb-NO")
    page = await context.new_page()
    await page.goto(kit_file.as_uri())
    assert await page.locator("section.poster svg").count() == 5  # a QR code on every poster
    assert await page.get_by_role("heading", name="Slik gjør dere det").is_visible()
    pdf = await page.pdf(format="A4", print_background=True)
    assert pdf_pages(pdf) == 5 + 1
    assert_a4(pdf)
    await context.close()


async def test_the_dashboard_print_page_prints_the_same_pages(server: Server, browser) -> None:
    _, group, _ = await _area_with_kit(server, 3)
    context, page = await logged_in(browser, server, "omrade@kommune.no")
    await page.goto(f"{server.url}/area-campaigns/{group.id}")
    await page.get_by_role("link", name="Plakater og veiledning (skriv ut)").click()
    await page.wait_for_url(f"**/area-campaigns/{group.id}/print")
    assert await page.locator("section.poster").count() == 3
    pdf = await page.pdf(format="A4")
    assert pdf_pages(pdf) == 3 + 1
    assert_a4(pdf)
    await context.close()
