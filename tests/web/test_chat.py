"""The web chat over real HTTP: plain forms (POST-redirect-GET), JSON for the script, idempotent nonces, resume."""

from __future__ import annotations

import re
from typing import Any

from sqlmodel import select

from surveys.campaigns import set_status
from surveys.i18n import t
from surveys.models import Answer, Campaign, CampaignStatus, PublicPage
from surveys.public_page import set_published
from tests.web.chat_visit import ChatVisit
from tests.web.conftest import Client, Server

NONCE = re.compile(r'name="nonce" value="([^"]+)"')
BUTTON = re.compile(r'<button type="submit" name="payload" value="([^"]+)">([^<]+)</button>')


def buttons(html: str) -> dict[str, str]:
    return {label: payload for payload, label in BUTTON.findall(html)}


def nonce(html: str) -> str:
    match = NONCE.search(html)
    assert match
    return match.group(1)


async def answers_of(server: Server, campaign: Campaign) -> list[Answer]:
    async with server.ctx.sessions() as session:
        return list((await session.exec(select(Answer).where(Answer.campaign_id == campaign.id))).all())


async def start(client: Client, campaign: Campaign, language: str = "nb-NO,nb;q=0.9") -> str:
    response = await client.get(f"/s/{campaign.code}", headers={"Accept-Language": language})
    assert response.status == 200
    return client.last_html


async def test_plain_forms_answer_and_resume_after_reload(server: Server, client: Client) -> None:
    campaign = await server.campaign("Hjemmetjenesten Øst")
    html = await start(client, campaign)
    assert '<html lang="nb">' in html and "Vil du svare?" in html
    response = await client.post(
        f"/s/{campaign.code}", {"payload": buttons(html)["Ja, jeg vil svare"], "nonce": nonce(html)}
    )
    assert response.status == 200 and str(response.url).endswith(f"/s/{campaign.code}")  # redirected back (PRG)
    assert "Hva er viktig for deg?" in client.last_html
    await client.post(
        f"/s/{campaign.code}", {"text": "Å kunne gå tur med hunden min", "nonce": nonce(client.last_html)}
    )
    assert "Å kunne gå tur med hunden min" in client.last_html  # the visit's transcript shows it
    stored = await answers_of(server, campaign)
    assert [a.text for a in stored] == ["Å kunne gå tur med hunden min"] and stored[0].channel == "web"
    # A reload shows the same conversation and does not store anything again.
    await client.get(f"/s/{campaign.code}")
    assert "Er det noe mer som er viktig for deg?" in client.last_html
    assert len(await answers_of(server, campaign)) == 1


async def test_resubmitted_form_is_processed_once(server: Server, client: Client) -> None:
    campaign = await server.campaign("Hjemmetjenesten Øst")
    html = await start(client, campaign)
    await client.post(f"/s/{campaign.code}", {"payload": buttons(html)["Ja, jeg vil svare"], "nonce": nonce(html)})
    form_nonce = nonce(client.last_html)
    token = client.csrf()
    for _ in range(3):  # a double click, then the browser's "resubmit form"
        await client.post(
            f"/s/{campaign.code}", {"text": "Besøk av barnebarna", "nonce": form_nonce, "csrf_token": token}
        )
    assert len(await answers_of(server, campaign)) == 1


async def test_json_mode_returns_new_lines(server: Server, client: Client) -> None:
    campaign = await server.campaign("Hjemmetjenesten Øst")
    html = await start(client, campaign)
    response = await client.post(
        f"/s/{campaign.code}",
        {"payload": buttons(html)["Ja, jeg vil svare"], "nonce": nonce(html)},
        headers={"Accept": "application/json"},
    )
    body = await response.json()
    assert body["duplicate"] is False and body["nonce"]
    assert body["lines"][0] == {"who": "me", "text": "Ja, jeg vil svare", "link": "", "buttons": []}
    assert any("Hva er viktig for deg?" in line["text"] for line in body["lines"][1:])


async def test_english_browser_gets_english(server: Server, client: Client) -> None:
    campaign = await server.campaign("Hjemmetjenesten Øst", languages="en,nb")
    html = await start(client, campaign, language="en-GB,en;q=0.8")
    assert '<html lang="en">' in html and "Your answer" in html


async def test_unknown_and_closed_codes_show_a_clear_page(server: Server, client: Client) -> None:
    response = await client.get("/s/nosuchcode1")
    assert response.status == 404 and "kode" in client.last_html.lower() and 'id="compose"' not in client.last_html
    campaign = await server.campaign("Hjemmetjenesten Øst", draft=True)
    response = await client.get(f"/s/{campaign.code}")
    assert response.status == 410 and 'id="compose"' not in client.last_html


async def test_campaign_without_web_channel_refuses_politely(server: Server, client: Client) -> None:
    campaign = await server.campaign("Hjemmetjenesten Øst", channels="telegram,staff")
    html = await start(client, campaign)
    assert "Vil du svare?" not in html
    assert await answers_of(server, campaign) == []


async def test_post_without_visitor_cookie_or_token_is_refused(server: Server, make_client) -> None:
    campaign = await server.campaign("Hjemmetjenesten Øst")
    stranger: Client = make_client()
    response = await stranger.post(f"/s/{campaign.code}", {"text": "hei", "nonce": "x"}, csrf=False)
    assert response.status == 403
    assert await answers_of(server, campaign) == []


async def test_empty_and_over_long_texts_get_a_clear_answer_and_long_ones_are_kept_whole(
    server: Server, client: Client
) -> None:
    from surveys.engine import MAX_ANSWER_CHARS
    from surveys.i18n import t

    campaign = await server.campaign("Hjemmetjenesten Øst")
    html = await start(client, campaign)
    assert f'maxlength="{MAX_ANSWER_CHARS}"' in html  # the form allows what the engine accepts, no less
    await client.post(f"/s/{campaign.code}", {"payload": buttons(html)["Ja, jeg vil svare"], "nonce": nonce(html)})

    async def send(text: str, number: int) -> list[dict[str, Any]]:
        response = await client.post(
            f"/s/{campaign.code}", {"text": text, "nonce": f"long-{number}"}, headers={"Accept": "application/json"}
        )
        lines: list[dict[str, Any]] = (await response.json())["lines"]
        return lines

    empty = await send("   \n ", 1)
    assert [line["who"] for line in empty][:1] == ["bot"]  # no empty bubble of the person's
    assert empty[0]["text"] == t("nb", "error.empty")
    too_long = await send("x" * (MAX_ANSWER_CHARS + 1), 2)
    assert t("nb", "error.too_long", max=MAX_ANSWER_CHARS) in [line["text"] for line in too_long]
    assert await answers_of(server, campaign) == []
    long_answer = "Å ha det fint hjemme. " * 700  # about 15 000 characters: more than the old 8 000 limit
    await send(long_answer, 3)
    assert [a.text for a in await answers_of(server, campaign)] == [long_answer.strip()]


async def test_the_thanks_give_the_public_page_address_and_the_closed_chat_leads_there(
    server: Server, make_client
) -> None:
    """Issue 16, item 3: the address exists from the start, the thanks show it, the poster's chat link ends there."""
    campaign = await server.campaign("Hjemmetjenesten Øst")
    async with server.ctx.sessions() as session:
        row = await session.get(PublicPage, campaign.id)
    assert row is not None and row.published_at is None  # made with the campaign, unpublished
    address = f"{server.url}/p/{row.token}"

    visit = ChatVisit(make_client(), campaign.code)
    await visit.open()
    await visit.answer_everything("Å gå tur med hunden", "Kaffe med de andre")
    thanks = visit.last["lines"][-1]
    assert thanks == {
        "who": "bot",
        "text": t("nb", "done.public_page", address=address),  # "Her kan du se hva vi gjør med svarene: <address>"
        "link": f"{address}?lang=nb",
        "buttons": [],
    }
    # Without the script (plain forms: the page after the last post shows the thanks) the address is a link too.
    plain = ChatVisit(make_client(), campaign.code)
    await plain.open()
    await plain.press(t("nb", "consent.yes"))
    await plain.send("Å synge")
    await plain.press(t("nb", "question.no_more"))
    await plain.press(t("nb", "question.skip"))
    await plain.client.post(f"/s/{campaign.code}", {"payload": plain.buttons[t("nb", "summary.send")], "nonce": "x"})
    assert f'<a href="{address}?lang=nb" class="public-link">{address}</a>' in plain.client.last_html

    # Saying no to consent stores nothing and gets no address.
    declined = ChatVisit(make_client(), campaign.code)
    await declined.open()
    await declined.press(t("nb", "consent.no"))
    assert declined.last["lines"] and all(line["link"] == "" for line in declined.last["lines"])

    # Closed, not yet published: the chat link says so and gives the address; once published it leads there.
    async with server.ctx.sessions() as session, session.begin():
        stored = await session.get(Campaign, campaign.id)
        assert stored is not None
        await set_status(session, stored, CampaignStatus.closed)
    later = make_client()
    response = await later.get(f"/s/{campaign.code}")
    assert response.status == 410 and f'href="{address}?lang=nb"' in later.last_html
    async with server.ctx.sessions() as session, session.begin():
        stored = await session.get(Campaign, campaign.id)
        assert stored is not None
        await set_published(session, stored, True)
    response = await later.get(f"/s/{campaign.code}", allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == f"/p/{row.token}"
    response = await later.get(f"/s/{campaign.code}")
    assert response.status == 200 and response.url.path == f"/p/{row.token}"
