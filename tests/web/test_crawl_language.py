"""Every dashboard page, as each role, in bokmål: `<html lang="nb">`, no internal key and no English on the page.

The crawler follows every same-site link from the start page, so a new page is checked as soon as it is linked;
the test also fails if a page a role should reach was not reached.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from sqlmodel import select

from surveys.area_campaigns import create_area_campaign, kit_name
from surveys.areas import add_area, get_area_by_name, set_unit_area
from surveys.campaigns import add_unit, get_unit_by_name
from surveys.ids import pk
from surveys.models import Answer, Campaign, Conversation, ConversationStatus, Question, Respondent, utcnow
from surveys.rights import erase_by_reference
from tests.web.conftest import PASSWORD, Client, Server
from tests.web.theme_data import themes_with_sizes
from web.access import ROLES
from web.accounts import save_user

# Values the code uses internally; a bokmål page must show their names instead.
INTERNAL_KEYS = {
    "matters",
    "more_of_it",
    "view_answers",
    "view_themes",
    "export",
    "erasure",
    "purge",
    "report",
    "self",
    "paper",
    "staff",
    "manager",
    "admin",
    "completed",
    "abandoned",
    "in_progress",
    "draft",
    "live",
    "closed",
    "web",
    "telegram",
    "nb",
    "nn",
    "sv",
    "rows",
    "format=csv",
    "filtered",
}
ENGLISH = {"the", "and", "answers", "answer", "themes", "theme", "export", "search", "language", "source"}
ENGLISH |= {"campaign", "campaigns", "users", "password", "deleted", "question", "none", "fewer", "than", "hidden"}
SKIP = re.compile(r"^/(static/|metrics|healthz|readyz)|/export\.|/qr\.|/count$")
OTHER_LANGUAGE = re.compile(r"(^|&)lang=(?!nb(&|$))")  # the public page's language chooser: checked in its tests
WORD = re.compile(r"[\w=]+", re.UNICODE)


class PageText(HTMLParser):
    """What a reader sees or hears: text nodes and the labelling attributes, not option values or URLs."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.links: list[str] = []
        self.lang: str | None = None
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "html":
            self.lang = values.get("lang")
        if tag in ("script", "style"):
            self._hidden += 1
        if tag == "a" and values.get("href"):
            self.links.append(values["href"] or "")
        for name in ("title", "aria-label", "placeholder", "alt"):
            if values.get(name):
                self.parts.append(values[name] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def problems_on(path: str, html: str) -> tuple[list[str], list[str]]:
    parser = PageText()
    parser.feed(html)
    found = []
    if parser.lang != "nb":
        found.append(f"{path}: <html lang={parser.lang!r}>")
    # The chat's language picker asks in all four languages on purpose ("Velg språk · … · Choose language").
    text = " ".join(parser.parts).replace("Choose language", "")
    for word in WORD.findall(text):
        if word in INTERNAL_KEYS:
            found.append(f"{path}: internal key {word!r}")
        elif word.lower() in ENGLISH and word != "Tema":
            found.append(f"{path}: English word {word!r}")
    return found, parser.links


async def crawl(client: Client, start: str) -> tuple[set[str], list[str]]:
    seen: set[str] = set()
    queue, problems = [start], []
    while queue:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        response = await client.get(path)
        if response.content_type != "text/html":
            continue
        assert response.status == 200, (path, response.status)
        found, links = problems_on(path, client.last_html)
        problems += found
        for link in links:
            parts = urlsplit(urljoin(client.base + path, link))
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if (
                parts.netloc == urlsplit(client.base).netloc
                and not SKIP.search(parts.path)
                and not OTHER_LANGUAGE.search(parts.query)
                and target not in seen
            ):
                queue.append(target)
    return seen, problems


PATH_IDS = (
    (re.compile(r"^/p/[\w-]+"), "/p/{token}"),
    (re.compile(r"^/areas/\d+"), "/areas/{area}"),
    (re.compile(r"^/area-campaigns/\d+"), "/area-campaigns/{group}"),
)


def templates_of(paths: set[str], campaign_id: int) -> set[str]:
    found = set()
    for path in paths:
        template = urlsplit(path).path.replace(f"/{campaign_id}", "/{id}")
        for pattern, name in PATH_IDS:
            template = pattern.sub(name, template)
        found.add(template)
    return found


async def _data(server: Server) -> Campaign:
    await server.campaign("Hjemmetjenesten Øst", name="Våren 2025")
    earlier = pk(await server.campaign("Hjemmetjenesten Øst", name="Høsten 2025"))
    await themes_with_sizes(server, earlier, {"mat": 10, "selskap": 6})
    campaign = await server.campaign("Hjemmetjenesten Øst", name="Våren 2026")
    # "hagen" is a suggestion (discovered, small); every placement is uncertain: both sections are crawled too
    await themes_with_sizes(
        server, pk(campaign), {"selskap": 8, "trygghet": 6, "hagen": 2}, suggested=frozenset({"hagen"}), score=0.4
    )
    async with server.ctx.sessions() as session, session.begin():
        question = (await session.exec(select(Question).where(Question.key == "more_of_it"))).one()
        for n, status in enumerate((ConversationStatus.active, ConversationStatus.cancelled)):
            person = Respondent(pseudonym=f"p{n}", reference=f"R-AAAA-000{n}", channel="web")
            session.add(person)
            await session.flush()
            talk = Conversation(respondent_id=pk(person), campaign_id=pk(campaign), channel="web", status=status.value)
            talk.updated_at = utcnow() - timedelta(minutes=5)
            session.add(talk)
            await session.flush()
            session.add(
                Answer(
                    campaign_id=pk(campaign),
                    question_id=pk(question),
                    conversation_id=talk.id,
                    respondent_id=person.id,
                    position=1,
                    text=f"Svar fra nettchatten {n}",
                    channel="web",
                )
            )
    async with server.ctx.sessions() as session, session.begin():
        await erase_by_reference(session, "R-AAAA-0001", actor="leder@kommune.no")
    # An area with the 6 June campaigns, so the area pages, the roll-up (with a hidden cell), posters and report are
    # crawled; open now (the kit's own campaigns open on the day, and their chat says "not open yet" until then).
    async with server.ctx.sessions() as session, session.begin():
        area = await add_area(session, "Helse og omsorg")
        home = await get_unit_by_name(session, "Hjemmetjenesten Øst")
        assert home is not None
        await set_unit_area(session, home, area)
        await set_unit_area(session, await add_unit(session, "Solsiden sykehjem"), area)
        day = date(2027, 6, 6)
        kit = await create_area_campaign(session, area, name=kit_name(day), day=day, channels="web,staff")
    for member, sizes in zip(kit.members, ({"selskap": 7, "familie": 2}, {"familie": 9}), strict=True):
        await themes_with_sizes(server, pk(member.campaign), sizes)
    return campaign


EXPECTED = {
    "staff": {"/campaigns", "/campaigns/new", "/campaigns/{id}", "/campaigns/{id}/edit", "/campaigns/{id}/entry"},
    "manager": {
        "/campaigns/{id}/answers",
        "/campaigns/{id}/themes",
        "/campaigns/{id}/public",
        "/campaigns/{id}/public/preview",
        "/p/{token}",
        "/p/{token}/plakat",
    },
    "area_manager": {
        "/areas",
        "/areas/{area}",
        "/area-campaigns/{group}",
        "/area-campaigns/{group}/rollup",
        "/area-campaigns/{group}/print",
        "/area-campaigns/{group}/report",
    },
    "admin": {"/admin/users", "/admin/access-log"},
}
EXPECTED_ALL = {"/campaigns/{id}/poster", "/account/password", "/erasure"}


@pytest.mark.parametrize("role", ROLES)
async def test_every_page_is_bokmal_without_internal_keys(server: Server, make_client, role: str) -> None:
    campaign = await _data(server)
    emails = {"staff": "ansatt", "manager": "leder", "area_manager": "omrade", "admin": "sjef"}
    email = f"{emails[role]}@kommune.no"
    if role == "area_manager":
        async with server.ctx.sessions() as session, session.begin():
            area = await get_area_by_name(session, "Helse og omsorg")
            await save_user(session, email=email, role=role, unit=None, area=area, password=PASSWORD)
    else:
        await server.user(email, role, None if role == "admin" else "Hjemmetjenesten Øst")
    # Something in the access log, so its page shows translated actions and details.
    manager = make_client()
    if role != "manager":
        await server.user("leder@kommune.no", "manager", "Hjemmetjenesten Øst")
    await manager.login("leder@kommune.no")
    await manager.get(f"/campaigns/{campaign.id}/answers?state=completed")
    await manager.get(f"/campaigns/{campaign.id}/export.csv?q=kort")
    await manager.get(f"/campaigns/{campaign.id}/themes")
    # An action (its status and the access log entry are shown by name) and the published public page.
    theme_id = int(re.findall(r'id="theme-(\d+)"', manager.last_html)[0])
    await manager.post(
        f"/campaigns/{campaign.id}/themes/{theme_id}/actions", {"what": "Kaffeprat", "status": "in_progress"}
    )
    await manager.get(f"/campaigns/{campaign.id}/public")
    await manager.post(f"/campaigns/{campaign.id}/public/publish", {"publish": "1"})

    client = make_client()
    await client.get("/login")
    found, _ = problems_on("/login", client.last_html)
    await client.login(email)
    seen, problems = await crawl(client, "/campaigns")
    await client.get(f"/s/{campaign.code}")  # the web chat a citizen opens from the poster
    chat, _ = problems_on(f"/s/{campaign.code}", client.last_html)
    assert found + problems + chat == [], "\n".join(found + problems + chat)
    reached = templates_of(seen, pk(campaign))
    expected = set(EXPECTED_ALL)
    for level in ROLES[: ROLES.index(role) + 1]:
        expected |= EXPECTED[level]
    assert expected <= reached, sorted(expected - reached)


async def test_campaign_page_and_poster_warn_when_the_link_only_works_here(server: Server, client: Client) -> None:
    from web.views.campaigns import only_here

    campaign = await server.campaign("Hjemmetjenesten Øst")
    await server.user("ansatt@kommune.no", "staff", "Hjemmetjenesten Øst")
    await client.login("ansatt@kommune.no")
    for path in (f"/campaigns/{campaign.id}", f"/campaigns/{campaign.id}/poster"):
        await client.get(path)
        assert 'id="local-address"' in client.last_html and "VIKTIG_PUBLIC_URL" in client.last_html, path
    assert only_here("http://127.0.0.1:8080/s/x") and only_here("http://localhost/s/x")
    assert not only_here("https://viktig.kommune.no/s/x")
