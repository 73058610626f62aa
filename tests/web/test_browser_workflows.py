"""Staff and manager workflows in headless Chromium, as a municipality uses them (issue 14): paper cards from
Norwegian Excel, search with æøå, theme → answers, Excel-friendly exports, erasure by reference, small numbers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlmodel import col, select

from surveys.models import Answer, Question
from tests.web import test_browser as shared
from tests.web.conftest import PASSWORD, Server, serve

CHROMIUM = shared.CHROMIUM
browser = shared.browser  # the same headless Chromium fixture

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is missing (apt-get install chromium)"),
]


@pytest.fixture
async def any_server(database_url: str) -> AsyncIterator[Server]:
    """The app over SQLite and, with TEST_DATABASE_URL, over PostgreSQL."""
    async with serve(database_url) as running:
        yield running


async def logged_in(browser, server: Server, email: str):  # type: ignore[no-untyped-def]
    context = await browser.new_context(locale="nb-NO", accept_downloads=True)
    page = await context.new_page()
    page.set_default_timeout(20_000)
    await page.goto(server.url + "/login")
    await page.get_by_label("E-post").fill(email)
    await page.get_by_label("Passord").fill(PASSWORD)
    await page.get_by_role("button", name="Logg inn").click()
    await page.wait_for_url("**/campaigns")
    return context, page


async def upload(page, server: Server, campaign_id: int, path: Path) -> None:  # type: ignore[no-untyped-def]
    await page.goto(f"{server.url}/campaigns/{campaign_id}/entry")
    await page.get_by_label("CSV-fil", exact=False).set_input_files(str(path))
    await page.get_by_role("button", name="Importer fila").click()


async def stored(server: Server) -> list[tuple[str, str, str]]:
    async with server.ctx.sessions() as session:
        query = select(Answer.text, Answer.language, Question.key).join(
            Question, col(Question.id) == Answer.question_id
        )
        return [tuple(row) for row in (await session.exec(query.order_by(col(Answer.id)))).all()]  # type: ignore[misc]


async def test_one_column_cp1252_card_file_with_commas(server: Server, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    campaign = await server.campaign("Hjemmetjenesten Øst")
    await server.user("ansatt@kommune.no", "staff", "Hjemmetjenesten Øst")
    context, page = await logged_in(browser, server, "ansatt@kommune.no")
    lines = ["Tekst"] + [f"Svar nummer {n}, med komma" for n in range(1, 17)] + ["Kaffe, prat og selskap, ærlig talt"]
    card = tmp_path / "kort.csv"
    card.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    await upload(page, server, campaign.id, card)  # type: ignore[arg-type]
    await page.get_by_text("17 svar er lagret").wait_for()
    assert [text for text, _, _ in await stored(server)] == lines[1:]
    await context.close()


async def test_norwegian_headers_are_mapped_and_bad_values_named_in_bokmal(
    server: Server, browser, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    campaign = await server.campaign("Hjemmetjenesten Øst")
    await server.user("ansatt@kommune.no", "staff", "Hjemmetjenesten Øst")
    context, page = await logged_in(browser, server, "ansatt@kommune.no")
    bad = tmp_path / "feil.csv"
    bad.write_bytes("Tekst;Spørsmål;Språk\r\nÅ få vere heime;1;nynorsk\r\nTurer;3;bokmål\r\n".encode("cp1252"))
    await upload(page, server, campaign.id, bad)  # type: ignore[arg-type]
    await page.get_by_text("Ingenting ble lagret").wait_for()
    assert await page.get_by_text("linje 3: ukjent spørsmål «3»", exact=False).count() == 1
    assert await stored(server) == []
    good = tmp_path / "kort.csv"
    good.write_bytes(
        "Tekst;Spørsmål;Språk;Merknad\r\nÅ få vere heime;1;nynorsk;\r\nMer tid, takk;2;Bokmål;x\r\n".encode("cp1252")
    )
    await upload(page, server, campaign.id, good)  # type: ignore[arg-type]
    await page.get_by_text("2 svar er lagret").wait_for()
    assert await page.get_by_text("kolonnen «Merknad» brukes ikke", exact=False).count() == 1
    assert await stored(server) == [("Å få vere heime", "nn", "matters"), ("Mer tid, takk", "nb", "more_of_it")]
    await context.close()


async def test_search_with_lower_case_nordic_letters(any_server: Server, browser) -> None:  # type: ignore[no-untyped-def]
    server = any_server
    campaign = await server.campaign("Østensjø sykehjem")
    await server.user("leder@kommune.no", "manager", "Østensjø sykehjem")
    context, page = await logged_in(browser, server, "leder@kommune.no")
    await page.goto(f"{server.url}/campaigns/{campaign.id}/entry")
    texts = ["Turer rundt Østensjøvannet", "Å FÅ BESØK AV BARNA", "Ärlig talat: fika", "Kaffe på café Crème", "Hagen"]
    await page.get_by_label("Svar, ett per linje").fill("\n".join(texts))
    await page.get_by_role("button", name="Lagre svarene").click()
    await page.get_by_text("5 svar er lagret").wait_for()
    for query, expected in [
        ("østensjø", [texts[0]]),
        ("å få", [texts[1]]),
        ("besøk", [texts[1]]),
        ("ärlig", [texts[2]]),
        ("ÆRLIG", [texts[2]]),
        ("cafe creme", [texts[3]]),
        ("CAFÉ", [texts[3]]),
    ]:
        await page.goto(f"{server.url}/campaigns/{campaign.id}/answers")
        await page.get_by_label("Søk i svarene").fill(query)
        await page.get_by_role("button", name="Filtrer").click()
        await page.locator("#answer-total").wait_for()
        found = await page.locator("#answers td.answer-text").all_inner_texts()
        assert sorted(found) == sorted(expected), query
    await context.close()
