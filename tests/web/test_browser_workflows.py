"""Staff and manager workflows in headless Chromium, as a municipality uses them (issue 14): paper cards from
Norwegian Excel, search with æøå, theme → answers, Excel-friendly exports, erasure by reference, small numbers."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio
from sqlmodel import col, select

from surveys.ids import pk
from surveys.models import Answer, Question
from tests.web.conftest import BROWSER_MARKS, PASSWORD, Server, browser_server, serve
from tests.web.theme_data import themes_with_sizes

pytestmark = BROWSER_MARKS
server = browser_server  # the app in the event loop the shared Chromium lives in


@pytest_asyncio.fixture(loop_scope="session")
async def any_server(database_url: str) -> AsyncIterator[Server]:
    """The app over SQLite and, with TEST_DATABASE_URL, over PostgreSQL."""
    async with serve(database_url) as running:
        yield running


async def logged_in(browser, server: Server, email: str):
    context = await browser.new_context(locale="nb-NO", accept_downloads=True)
    page = await context.new_page()
    page.set_default_timeout(20_000)
    await page.goto(server.url + "/login")
    await page.get_by_label("E-post").fill(email)
    await page.get_by_label("Passord").fill(PASSWORD)
    await page.get_by_role("button", name="Logg inn").click()
    await page.wait_for_url(re.compile(r".*/(campaigns|account/two-factor)$"))
    if page.url.endswith("/account/two-factor"):  # admins set up two-factor login at their first login
        from tests.web.test_browser_two_factor import complete_enrolment

        await complete_enrolment(page, email)
        await page.get_by_role("link", name="Fortsett").click()
        await page.wait_for_url("**/campaigns")
    return context, page


async def upload(page, server: Server, campaign_id: int, path: Path) -> None:
    await page.goto(f"{server.url}/campaigns/{campaign_id}/entry")
    await page.get_by_label("CSV-fil", exact=False).set_input_files(str(path))
    await page.get_by_role("button", name="Importer fila").click()


async def stored(server: Server) -> list[tuple[str, str, str]]:
    async with server.ctx.sessions() as session:
        query = select(Answer.text, Answer.language, Question.key).join(
            Question, col(Question.id) == Answer.question_id
        )
        return [
            (text, language, key) for text, language, key in (await session.exec(query.order_by(col(Answer.id)))).all()
        ]


async def test_one_column_cp1252_card_file_with_commas(server: Server, browser, tmp_path: Path) -> None:
    campaign = await server.campaign("Hjemmetjenesten Øst")
    await server.user("ansatt@kommune.no", "staff", "Hjemmetjenesten Øst")
    context, page = await logged_in(browser, server, "ansatt@kommune.no")
    lines = ["Tekst"] + [f"Svar nummer {n}, med komma" for n in range(1, 17)] + ["Kaffe, prat og selskap, ærlig talt"]
    card = tmp_path / "kort.csv"
    card.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    await upload(page, server, pk(campaign), card)
    await page.get_by_text("17 svar er lagret").wait_for()
    assert [text for text, _, _ in await stored(server)] == lines[1:]
    await context.close()


async def test_norwegian_headers_are_mapped_and_bad_values_named_in_bokmal(
    server: Server, browser, tmp_path: Path
) -> None:
    campaign = await server.campaign("Hjemmetjenesten Øst")
    await server.user("ansatt@kommune.no", "staff", "Hjemmetjenesten Øst")
    context, page = await logged_in(browser, server, "ansatt@kommune.no")
    bad = tmp_path / "feil.csv"
    bad.write_bytes("Tekst;Spørsmål;Språk\r\nÅ få vere heime;1;nynorsk\r\nTurer;3;bokmål\r\n".encode("cp1252"))
    await upload(page, server, pk(campaign), bad)
    await page.get_by_text("Ingenting ble lagret").wait_for()
    assert await page.get_by_text("linje 3: ukjent spørsmål «3»", exact=False).count() == 1
    assert await stored(server) == []
    good = tmp_path / "kort.csv"
    good.write_bytes(
        "Tekst;Spørsmål;Språk;Merknad\r\nÅ få vere heime;1;nynorsk;\r\nMer tid, takk;2;Bokmål;x\r\n".encode("cp1252")
    )
    await upload(page, server, pk(campaign), good)
    await page.get_by_text("2 svar er lagret").wait_for()
    assert await page.get_by_text("kolonnen «Merknad» brukes ikke", exact=False).count() == 1
    assert await stored(server) == [("Å få vere heime", "nn", "matters"), ("Mer tid, takk", "nb", "more_of_it")]
    await context.close()


async def test_search_with_lower_case_nordic_letters(any_server: Server, browser) -> None:
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


async def _import_demo_answers(server: Server, campaign_id: int) -> None:
    import json

    from surveys.importer import import_answers
    from surveys.models import Campaign
    from viktig.commands.demo import DEMO_ANSWERS

    async with server.ctx.sessions() as session, session.begin():
        campaign = await session.get_one(Campaign, campaign_id)
        raw = "\n".join(json.dumps({"text": text, "language": lang}) for lang, _s, _c, text in DEMO_ANSWERS).encode()
        await import_answers(session, campaign, raw, filename="cards.jsonl")


async def run_analysis(page) -> None:
    """Press the button and wait as long as the clustering takes on a busy machine."""
    async with page.expect_navigation(url="**/themes?ran=*", timeout=300_000):
        await page.get_by_role("button", name="Kjør temaanalyse").click(timeout=300_000)


async def _theme_of(server: Server, answer_id: int) -> tuple[int, bool]:
    from surveys.models import AnswerTheme

    async with server.ctx.sessions() as session:
        row = await session.get(AnswerTheme, answer_id)
        assert row is not None
        return row.theme_id, row.manual


async def test_theme_to_all_its_answers_move_one_and_rerun_keeps_it(server: Server, browser, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    campaign = await server.campaign("Hjemmetjenesten Øst")
    await _import_demo_answers(server, pk(campaign))
    await server.user("leder@kommune.no", "manager", "Hjemmetjenesten Øst")
    context, page = await logged_in(browser, server, "leder@kommune.no")
    await page.goto(f"{server.url}/campaigns/{campaign.id}/themes")
    await run_analysis(page)

    # One click from a theme lists all its answers.
    first = page.locator("section.card").first
    label = (await first.locator("h2").inner_text()).strip()
    link = first.locator("a.theme-answers")
    count = int((await link.inner_text()).split()[2])  # "Vis alle N svar i temaet"
    await link.click()
    await page.wait_for_url("**/answers?theme=*")
    assert (await page.locator("#answer-total").inner_text()).strip() == f"{count} svar"
    assert await page.locator("#answers tbody tr").count() == min(count, 50)
    assert set(await page.locator("#answers td.answer-theme > a").all_inner_texts()) == {label}

    # The export follows the filter: only this theme's answers, for Norwegian Excel.
    async with page.expect_download() as download_info:
        await page.get_by_role("link", name="Eksporter Excel (XLSX)").click()
    target = tmp_path / "tema.xlsx"
    await (await download_info.value).save_as(target)
    sheet = load_workbook(target).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == count + 1 and {row[10] for row in rows[1:]} == {label}

    # Move one answer to another theme.
    row = page.locator("#answers tbody tr").first
    answer_id = int((await row.get_attribute("id") or "answer-0").split("-")[1])
    select = row.locator("select")
    other = next(o for o in await select.locator("option").all_inner_texts() if o != label)
    await select.select_option(label=other)
    await row.get_by_role("button", name="Flytt").click()
    await page.get_by_text("Svaret er flyttet").wait_for()
    moved_to, manual = await _theme_of(server, answer_id)
    assert manual
    assert await page.locator(f"#answer-{answer_id}").count() == 0  # it left this theme's list

    # Re-run the analysis: the manager's move stays.
    await page.goto(f"{server.url}/campaigns/{campaign.id}/themes")
    await run_analysis(page)
    assert await _theme_of(server, answer_id) == (moved_to, True)
    await page.goto(f"{server.url}/campaigns/{campaign.id}/answers?theme={moved_to}")
    assert await page.locator(f"#answer-{answer_id} td.answer-theme > a").inner_text() == other
    await context.close()


async def test_excel_friendly_csv_and_xlsx(server: Server, browser, tmp_path: Path) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from openpyxl import load_workbook

    from surveys.models import as_utc

    campaign = await server.campaign("Hjemmetjenesten Øst", name="Våren 2026")
    await server.user("leder@kommune.no", "manager", "Hjemmetjenesten Øst")
    context, page = await logged_in(browser, server, "leder@kommune.no")
    await page.goto(f"{server.url}/campaigns/{campaign.id}/entry")
    await page.get_by_label("Svar, ett per linje").fill("Kaffe, prat; og selskap\n=1+1\nTur i skogen")
    await page.get_by_role("button", name="Lagre svarene").click()
    await page.get_by_text("3 svar er lagret").wait_for()
    await page.goto(f"{server.url}/campaigns/{campaign.id}/answers")

    async with page.expect_download() as download_info:
        await page.get_by_role("link", name="Eksporter CSV", exact=True).click()
    raw = (await (await download_info.value).path()).read_bytes()
    lines = raw.split(b"\r\n")
    assert lines[0].startswith(b"\xef\xbb\xbfSvar-nr;Kampanje;Enhet;Sp\xc3\xb8rsm\xc3\xa5l;Svar;Spr\xc3\xa5k;Kilde;")
    body = raw.decode("utf-8-sig")
    assert '"Kaffe, prat; og selskap"' in body and ";'=1+1;" in body  # quoted where needed; no formula
    assert ";Våren 2026;Hjemmetjenesten Øst;Hva er viktig for deg?;" in body and ";Bokmål;Ansatt;" in body
    parsed = list(csv.reader(io.StringIO(body, newline=""), delimiter=";"))
    assert [len(row) for row in parsed] == [12] * 4  # Excel sees twelve columns: header and three answers
    assert "matters" not in body and re.fullmatch(r"\d\d\.\d\d\.\d{4} \d\d:\d\d", parsed[1][8])  # Oslo time

    async with page.expect_download() as download_info:
        await page.get_by_role("link", name="CSV med komma").click()
    comma = (await (await download_info.value).path()).read_bytes()
    assert comma.startswith(b"\xef\xbb\xbfSvar-nr,Kampanje,Enhet,")

    async with page.expect_download() as download_info:
        await page.get_by_role("link", name="Eksporter Excel (XLSX)").click()
    target = tmp_path / "svar.xlsx"
    await (await download_info.value).save_as(target)
    sheet = load_workbook(target).active
    assert sheet is not None
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:L4"
    assert sheet.column_dimensions["E"].width >= 20 and sheet.column_dimensions["A"].width >= 8
    when = sheet["I2"].value
    assert isinstance(when, datetime) and sheet["I2"].number_format == "DD.MM.YYYY HH:MM"
    async with server.ctx.sessions() as session:
        first = (await session.exec(select(Answer).order_by(col(Answer.id)))).first()
    assert first is not None
    local = as_utc(first.created_at).astimezone(ZoneInfo("Europe/Oslo")).replace(tzinfo=None, microsecond=0)
    assert when == local
    assert sheet["E3"].value == "=1+1" and sheet["E3"].data_type == "s"  # text, never a formula
    await context.close()


async def test_small_groups_are_hidden_from_managers_and_explained_to_admins(server: Server, browser) -> None:
    campaign = await server.campaign("Sykehjemmet avdeling 2")
    ids = await themes_with_sizes(server, pk(campaign), {"kaffe": 9, "hagen": 3})
    await server.user("leder@kommune.no", "manager", "Sykehjemmet avdeling 2")
    await server.user("admin@kommune.no", "admin", None)
    context, page = await logged_in(browser, server, "leder@kommune.no")
    await page.goto(f"{server.url}/campaigns/{campaign.id}/themes")
    small = page.locator(f"#theme-{ids['hagen']}")
    assert (await small.locator(".theme-count").inner_text()).strip() == "færre enn 5"
    assert await small.locator("blockquote").count() == 0 and await small.locator("a.theme-answers").count() == 0
    assert "Kort nummer 9" not in await page.content() and "25 %" not in await page.content()
    large = page.locator(f"#theme-{ids['kaffe']}")
    assert "9 svar (75 %)" in await large.locator(".theme-count").inner_text()
    assert await large.locator("blockquote").count() == 2
    assert await page.locator("figure.chart svg text", has_text="Hagen").count() == 0
    response = await page.request.get(f"{server.url}/campaigns/{campaign.id}/export.csv?theme={ids['hagen']}")
    assert response.status == 403 and "færre enn 5" in await response.text()
    await context.close()

    context, page = await logged_in(browser, server, "admin@kommune.no")
    await page.goto(f"{server.url}/campaigns/{campaign.id}/themes")
    small = page.locator(f"#theme-{ids['hagen']}")
    assert "3 svar (25 %)" in await small.locator(".theme-count").inner_text()
    assert "Skjult for ledere: temaet bygger på 3 personer" in await small.locator(".small-reason").inner_text()
    await context.close()


async def test_quotes_never_come_from_a_campaign_with_fewer_respondents_than_the_smallest_group(
    server: Server, browser
) -> None:
    from surveys.models import Unit

    campaign = await server.campaign("Bofellesskapet")
    async with server.ctx.sessions() as session, session.begin():
        unit = await session.get_one(Unit, campaign.unit_id)
        unit.min_group = 3
    await themes_with_sizes(server, pk(campaign), {"musikk": 2})
    await server.user("leder@kommune.no", "manager", "Bofellesskapet")
    context, page = await logged_in(browser, server, "leder@kommune.no")
    await page.goto(f"{server.url}/campaigns/{campaign.id}/themes")
    assert await page.locator("blockquote").count() == 0
    assert "færre enn 3 respondenter" in await page.locator("#small-campaign").inner_text()
    await context.close()


async def test_comparison_lists_themes_that_fell_to_zero(server: Server, browser) -> None:
    before = await server.campaign("Hjemmetjenesten Øst", name="Våren 2025")
    await themes_with_sizes(server, pk(before), {"mat": 10, "selskap": 10})
    latest = await server.campaign("Hjemmetjenesten Øst", name="Våren 2026")
    await themes_with_sizes(server, pk(latest), {"selskap": 12, "trygghet": 8})
    await server.user("leder@kommune.no", "manager", "Hjemmetjenesten Øst")
    context, page = await logged_in(browser, server, "leder@kommune.no")
    await page.goto(f"{server.url}/campaigns/{latest.id}/themes")
    table = page.locator("#comparison")
    gone = table.locator("tr.fell-to-zero")
    assert await gone.count() == 1
    assert [c.strip() for c in await gone.locator("th, td").all_inner_texts()] == [
        "Mat falt bort (0 %)",
        "50 %",
        "0 %",
        "-50 prosentpoeng",
        "–",  # no action was decided on it
    ]
    assert await table.locator("tbody tr").count() == 3  # selskap, trygghet (new), mat (gone)
    await context.close()


async def test_erasure_from_the_dashboard_by_reference(server: Server, browser) -> None:
    from surveys.models import AccessLogEntry, Respondent

    campaign = await server.campaign("Hjemmetjenesten Øst")
    citizen_context = await browser.new_context(locale="nb-NO")
    citizen = await citizen_context.new_page()
    await citizen.goto(f"{server.url}/s/{campaign.code}")
    await citizen.get_by_role("button", name="Ja, jeg vil svare").click()
    await citizen.get_by_label("Ditt svar").fill("Å få besøk av barnebarna")
    await citizen.get_by_role("button", name="Send").click()
    await citizen.locator("#log li.me", has_text="Å få besøk av barnebarna").wait_for()
    await citizen_context.close()
    async with server.ctx.sessions() as session:
        reference = (await session.exec(select(Respondent.reference))).one()
    typed = reference.lower().replace("-", " ")  # as read out on the phone

    # Staff of another unit cannot find the person.
    await server.user("annen@kommune.no", "staff", "Sykehjemmet")
    context, page = await logged_in(browser, server, "annen@kommune.no")
    await page.get_by_role("link", name="Slett en persons svar").click()
    await page.get_by_label("Referanse").fill(typed)
    await page.get_by_role("button", name="Finn").click()
    await page.get_by_text("Fant ingen svar med denne referansen").wait_for()
    await context.close()

    await server.user("ansatt@kommune.no", "staff", "Hjemmetjenesten Øst")
    context, page = await logged_in(browser, server, "ansatt@kommune.no")
    await page.get_by_role("link", name="Slett en persons svar").click()
    await page.get_by_label("Referanse").fill(typed)
    await page.get_by_role("button", name="Finn").click()
    await page.get_by_role("heading", name=f"Dette slettes for {reference}").wait_for()
    scope = await page.locator("#erasure-scope").inner_text()
    assert "1 svar" in scope and "1 samtaler" in scope and campaign.name in scope
    assert "barnebarna" not in await page.content()  # what is deleted is counted, not shown
    await page.get_by_role("button", name="Slett alt om personen").click()
    await page.get_by_text("Alt om personen er slettet.").wait_for()
    async with server.ctx.sessions() as session:
        assert (await session.exec(select(Answer))).all() == []
        assert (await session.exec(select(Respondent))).all() == []
        log = (await session.exec(select(AccessLogEntry).where(AccessLogEntry.action == "erasure"))).all()
    assert [(e.actor, e.campaign_id) for e in log] == [("ansatt@kommune.no", campaign.id)]
    assert all(reference not in e.detail for e in log)
    await context.close()


async def test_text_typed_before_consent_is_kept_after_yes(server: Server, browser) -> None:
    from surveys.models import Conversation

    campaign = await server.campaign("Hjemmetjenesten Øst")
    context = await browser.new_context(locale="nb-NO")
    page = await context.new_page()
    page.set_default_timeout(20_000)
    await page.goto(f"{server.url}/s/{campaign.code}")
    welcome = await page.locator("#log li").count()
    await page.get_by_label("Ditt svar").fill("Å få gå tur med hunden hver dag")
    await page.get_by_role("button", name="Send").click()
    await page.get_by_text("Vil du at vi lagrer svaret ditt?").wait_for()
    assert await page.locator("#log li").count() == welcome + 2  # the answer and one short line, no long welcome
    assert await stored(server) == []  # nothing is an answer before yes
    await page.get_by_role("button", name="Ja", exact=True).click()
    await page.get_by_text("Er det noe mer", exact=False).last.wait_for()
    assert await stored(server) == [("Å få gå tur med hunden hver dag", "nb", "matters")]
    async with server.ctx.sessions() as session:
        conversation = (await session.exec(select(Conversation))).one()
    assert conversation.consent_at is not None and conversation.pending_text is None
    await context.close()


async def test_text_typed_before_consent_is_gone_after_no(server: Server, browser) -> None:
    from surveys.models import Conversation

    campaign = await server.campaign("Hjemmetjenesten Øst")
    context = await browser.new_context(locale="nb-NO")
    page = await context.new_page()
    page.set_default_timeout(20_000)
    await page.goto(f"{server.url}/s/{campaign.code}")
    await page.get_by_label("Ditt svar").fill("Familien min")
    await page.get_by_role("button", name="Send").click()
    await page.get_by_role("button", name="Nei", exact=True).click()
    await page.get_by_text("Ingenting er lagret").wait_for()
    async with server.ctx.sessions() as session:
        assert (await session.exec(select(Conversation))).all() == []
    assert await stored(server) == []
    await context.close()


async def _answer_in_chat(browser, server: Server, code: str, text: str, *, send: bool):
    context = await browser.new_context(locale="nb-NO")
    page = await context.new_page()
    page.set_default_timeout(20_000)
    await page.goto(f"{server.url}/s/{code}")
    await page.get_by_role("button", name="Ja, jeg vil svare").click()
    await page.get_by_label("Ditt svar").fill(text)
    await page.get_by_role("button", name="Send").click()
    await page.get_by_text("Er det noe mer", exact=False).last.wait_for()
    summary = ""
    if send:
        await page.get_by_role("button", name="Nei, det var alt").click()
        await page.get_by_role("button", name="Hopp over").click()
        await page.get_by_role("button", name="Ja, send inn").last.wait_for()
        summary = await page.locator("#log li").last.inner_text()
        await page.get_by_role("button", name="Ja, send inn").last.click()
        await page.locator("#log li").last.wait_for()
    await context.close()
    return summary


async def test_completed_and_abandoned_are_shown_filtered_and_counted_as_set(server: Server, browser) -> None:
    from datetime import timedelta

    from analysis.store import text_answers
    from surveys.models import Campaign, Conversation, utcnow

    campaign = await server.campaign("Hjemmetjenesten Øst", count_completed_only=True)
    summary = await _answer_in_chat(browser, server, campaign.code, "Å bo hjemme så lenge som mulig", send=True)
    assert "Svarene dine telles med først når du trykker «Ja, send inn»." in summary  # says what happens
    await _answer_in_chat(browser, server, campaign.code, "Mer tid til en prat", send=False)
    await _answer_in_chat(browser, server, campaign.code, "Middag sammen med andre", send=False)
    async with server.ctx.sessions() as session, session.begin():
        talks = (await session.exec(select(Conversation).order_by(col(Conversation.id)))).all()
        talks[1].updated_at = utcnow() - timedelta(days=2)  # left without sending it in
        session.add(talks[1])

    await server.user("leder@kommune.no", "manager", "Hjemmetjenesten Øst")
    context, page = await logged_in(browser, server, "leder@kommune.no")
    await page.goto(f"{server.url}/campaigns/{campaign.id}/answers")
    states = dict(
        zip(
            await page.locator("#answers td.answer-text").all_inner_texts(),
            await page.locator("#answers td.answer-state").all_inner_texts(),
            strict=True,
        )
    )
    assert states == {
        "Å bo hjemme så lenge som mulig": "Fullført",
        "Mer tid til en prat": "Avbrutt",
        "Middag sammen med andre": "Pågår",
    }
    for label, expected in [("Fullført", "Å bo hjemme"), ("Avbrutt", "Mer tid"), ("Pågår", "Middag")]:
        await page.get_by_label("Samtale").select_option(label=label)
        await page.get_by_role("button", name="Filtrer").click()
        await page.locator("#answer-total").wait_for()
        texts = await page.locator("#answers td.answer-text").all_inner_texts()
        assert len(texts) == 1 and texts[0].startswith(expected), (label, texts)
    await context.close()

    async with server.ctx.sessions() as session:
        counted = [a.text for a in await text_answers(session, pk(campaign))]
        other = await session.get_one(Campaign, campaign.id)
        other.count_completed_only = False
        session.add(other)
        await session.commit()
        everything = [a.text for a in await text_answers(session, pk(campaign))]
    assert counted == ["Å bo hjemme så lenge som mulig"]
    assert len(everything) == 3
