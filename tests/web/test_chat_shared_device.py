"""The web chat on a shared device: one person's words never reach the next person, nor raw identifiers memory."""

from __future__ import annotations

from yarl import URL

from surveys.i18n import t
from tests.e2e.test_privacy_e2e import fodselsnummer
from tests.support.raw_database import query, sqlite_file_bytes, texts_in
from tests.web.chat_visit import ChatVisit
from tests.web.conftest import Client, Server
from web.cookies import VISITOR_COOKIE
from web.transcript import TranscriptStore
from web.views.chat import KIOSK_RESET_SECONDS, TRANSCRIPTS

FNR = fodselsnummer("120548", 321)


def visitor_cookie(client: Client) -> str | None:
    cookie = client.http.cookie_jar.filter_cookies(URL(client.base + "/s/")).get(VISITOR_COOKIE)
    return cookie.value if cookie else None


def answer_texts(server: Server) -> list[str]:
    return [row[0] for row in query(server.ctx.settings.database_url, "SELECT text FROM answer ORDER BY id")]


async def test_ferdig_ends_the_visit_and_the_next_person_cannot_reach_the_answers(
    server: Server, client: Client
) -> None:
    campaign = await server.campaign("Hjemmetjenesten Øst")
    person_a = ChatVisit(client, campaign.code)
    await person_a.open()
    first_cookie = visitor_cookie(client)
    await person_a.answer_everything(f"Datteren min, fnr {FNR}, kommer hver søndag", "Kaffe med naboen Ruth")
    assert len(answer_texts(server)) == 2

    response = await client.post(f"/s/{campaign.code}/ferdig")  # "Ferdig – neste person"
    assert response.status == 200 and str(response.url).endswith(f"/s/{campaign.code}")
    html = client.last_html  # the redirect's page: a new visitor (the browser sent no language, so it is asked)
    assert t("nb", "done.already") not in html
    assert "Kaffe med naboen" not in html and "Datteren min" not in html
    assert visitor_cookie(client) not in (None, first_cookie)

    person_b = ChatVisit(client, campaign.code)
    html = await person_b.open()
    assert "Kaffe med naboen" not in html and "R-" not in html
    if t("nb", "consent.ask") not in html:  # the redirect's page asked the language: B answers it first
        await person_b.press("Bokmål")
        assert t("nb", "consent.ask") in person_b.texts[-1]
    await person_b.send("/mine_data")
    assert not any("Kaffe med naboen" in text for text in person_b.texts)
    assert "Datteren min" not in person_b.texts[-1] and "R-" + "" in person_b.texts[-1]  # B's own (empty) data
    await person_b.send("/slett")
    await person_b.press(t("nb", "delete.yes"))  # B erases B's own data...
    assert t("nb", "delete.done") in person_b.texts
    assert len(answer_texts(server)) == 2  # ...and A's answers are untouched


async def test_a_finished_conversation_is_never_shown_to_a_new_page_load(server: Server, client: Client) -> None:
    campaign = await server.campaign("Hjemmetjenesten Øst")
    person_a = ChatVisit(client, campaign.code)
    await person_a.open()
    await person_a.answer_everything("Å gå tur i skogen", "Mer tid til å prate")
    cookie = visitor_cookie(client)
    html = await ChatVisit(client, campaign.code).open()  # no "Ferdig": the next person just reloads
    assert "gå tur i skogen" not in html and "R-" not in html and t("nb", "done.already") not in html
    assert t("nb", "consent.ask") in html
    assert visitor_cookie(client) != cookie


async def test_without_the_transcript_a_finished_visitor_still_starts_fresh(server: Server, client: Client) -> None:
    campaign = await server.campaign("Hjemmetjenesten Øst")
    person_a = ChatVisit(client, campaign.code)
    await person_a.open()
    await person_a.answer_everything("Å gå tur i skogen", "Mer tid til å prate")
    app_store = _store(server)
    for key in list(app_store._visits):
        app_store.drop(*key)  # as after a restart or on another process
    html = await ChatVisit(client, campaign.code).open()
    assert t("nb", "done.already") not in html and t("nb", "consent.ask") in html


async def test_the_transcript_keeps_only_redacted_text_and_slett_clears_it(server: Server, client: Client) -> None:
    campaign = await server.campaign("Hjemmetjenesten Øst")
    visit = ChatVisit(client, campaign.code)
    await visit.open()
    await visit.press(t("nb", "consent.yes"))
    await visit.send(f"Hemmelig hage bak huset, ring 934-79-821, fødselsnummer {FNR}")
    assert FNR not in str(visit.last)  # not even echoed back
    html = await visit.open()  # reload in the middle of the conversation
    assert "Hemmelig hage" in html and "[fødselsnummer]" in html and FNR not in html
    lines = [line.text for transcript in _store(server)._visits.values() for line in transcript.lines]
    assert lines and not any(FNR in line or FNR[:6] in line for line in lines)

    await visit.send("/slett")
    await visit.press(t("nb", "delete.yes"))
    assert t("nb", "delete.done") in visit.texts
    html = await visit.open()
    assert "Hemmelig hage" not in html and "[fødselsnummer]" not in html
    assert answer_texts(server) == []


async def test_the_visitor_cookie_value_never_reaches_the_database(server: Server, client: Client) -> None:
    campaign = await server.campaign("Hjemmetjenesten Øst", anonymous=False)
    visit = ChatVisit(client, campaign.code)
    await visit.open()
    cookie = visitor_cookie(client)
    assert cookie and len(cookie) >= 20
    await visit.answer_everything("Å høre på musikk", "Besøk av barnebarna")
    await visit.send("/mine_data")
    blobs = sqlite_file_bytes(server.ctx.settings.database_url)
    assert texts_in(blobs, ["Besøk av barnebarna"]), "the scan reads the real file"
    assert texts_in(blobs, [cookie]) == {}


async def test_a_kiosk_campaign_resets_every_finished_conversation(server: Server, client: Client) -> None:
    campaign = await server.campaign("Hjemmetjenesten Øst", kiosk=True)
    visit = ChatVisit(client, campaign.code)
    await visit.open()
    await visit.press(t("nb", "consent.yes"))
    await visit.send("Å synge i koret")
    await visit.press(t("nb", "question.no_more"))
    await visit.send("Mer sang")
    # The last step as a plain form (no JavaScript): the page after it shows the thanks and refreshes itself.
    response = await client.post(
        f"/s/{campaign.code}", {"payload": visit.buttons[t("nb", "summary.send")], "nonce": visit.nonce}
    )
    assert response.status == 200 and t("nb", "done.thanks") in client.last_html
    assert response.headers["Refresh"] == f"{KIOSK_RESET_SECONDS}; url=/s/{campaign.code}"
    assert "Ferdig – neste person" in client.last_html
    html = await ChatVisit(client, campaign.code).open()  # what the refresh loads
    assert "Å synge i koret" not in html and t("nb", "consent.ask") in html


async def test_with_javascript_the_kiosk_gets_its_pause_in_the_reply(server: Server, client: Client) -> None:
    campaign = await server.campaign("Hjemmetjenesten Øst", kiosk=True)
    visit = ChatVisit(client, campaign.code)
    await visit.open()
    await visit.answer_everything("Å synge i koret", "Mer sang")
    assert visit.last["reset_after"] == KIOSK_RESET_SECONDS and visit.last["reset_note"]


def _store(server: Server) -> TranscriptStore:
    assert server.app is not None
    return server.app[TRANSCRIPTS]
