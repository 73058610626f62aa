"""Dashboard flows over real HTTP against a real server and SQLite file."""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook
from sqlmodel import col, select

from surveys.ids import pk
from surveys.models import AccessLogEntry, Answer, AnswerTheme, Campaign, PublicPage, Theme, ThemeRun
from tests.web.conftest import PASSWORD, Client, Server
from web.i18n import LOCALES, catalogue_keys


def test_catalogues_have_the_same_keys() -> None:
    assert catalogue_keys(LOCALES / "nb.toml") == catalogue_keys(LOCALES / "en.toml")
    chat = [catalogue_keys(LOCALES / "chat" / f"{lang}.toml") for lang in ("nb", "nn", "sv", "en")]
    assert all(keys == chat[0] for keys in chat)


async def test_login_create_campaign_and_see_qr(server: Server, client: Client) -> None:
    await server.user("leder@kommune.no", "manager", "Hjemmetjenesten Øst")
    response = await client.get("/campaigns")
    assert str(response.url).endswith("/login?next=/campaigns")
    response = await client.login("leder@kommune.no")
    assert response.status == 200 and str(response.url).endswith("/campaigns")
    await client.get("/campaigns/new")
    response = await client.post(
        "/campaigns/new",
        {
            "name": "Brukerundersøkelse vår",
            "main_language": "nb",
            "lang_nb": "1",
            "lang_en": "1",
            "channel_web": "1",
            "channel_staff": "1",
            "retention_months": "6",
            "privacy_nb": "Vi tar vare på svarene.",
        },
    )
    assert response.status == 200
    assert "Brukerundersøkelse vår" in client.last_html and "<svg" in client.last_html
    async with server.ctx.sessions() as session:
        campaign = (await session.exec(select(Campaign))).one()
    assert campaign.languages == "nb,en" and campaign.channels == "web,staff" and campaign.retention_months == 6
    assert f"/s/{campaign.code}" in client.last_html
    png = await client.get(f"/campaigns/{campaign.id}/qr.png")
    assert png.status == 200 and (await png.read()).startswith(b"\x89PNG")
    poster = await client.get(f"/campaigns/{campaign.id}/poster")
    assert "Hva er viktig for deg?" in client.last_html and "Skann koden" in client.last_html and poster.status == 200
    # The poster's CSS sets the QR code's size in mm: with a viewBox it scales to that size instead of being cropped.
    size = re.search(r'<svg width="(\d+)" height="\1" [^>]*viewBox="0 0 \1 \1" class="qr"', client.last_html)
    assert size is not None, client.last_html
    # Editing the privacy text bumps its version; editing other things does not.
    await client.get(f"/campaigns/{campaign.id}/edit")
    form = {
        "name": "Brukerundersøkelse vår",
        "main_language": "nb",
        "lang_nb": "1",
        "channel_web": "1",
        "channel_staff": "1",
        "retention_months": "6",
        "privacy_nb": "Ny tekst om personvern.",
    }
    await client.post(f"/campaigns/{campaign.id}/edit", form)
    await client.get(f"/campaigns/{campaign.id}/edit")
    await client.post(f"/campaigns/{campaign.id}/edit", {**form, "name": "Nytt navn"})
    async with server.ctx.sessions() as session:
        stored = await session.get(Campaign, campaign.id)
    assert stored is not None
    campaign = stored
    assert campaign.privacy_version == 2 and campaign.name == "Nytt navn" and campaign.languages == "nb"


async def test_staff_entry_answers_list_filters_export_and_access_log(
    server: Server, client: Client, make_client
) -> None:
    campaign = await server.campaign("Hjemmetjenesten Øst")
    await server.user("ansatt@kommune.no", "staff", "Hjemmetjenesten Øst")
    await server.user("leder@kommune.no", "manager", "Hjemmetjenesten Øst")
    await server.user("admin@kommune.no", "admin", None)
    await client.login("ansatt@kommune.no")
    await client.get(f"/campaigns/{campaign.id}/entry")
    await client.post(
        f"/campaigns/{campaign.id}/entry", {"lines": "Å bo hjemme lenge\n\nRing meg på 912 34 567", "language": "nb"}
    )
    assert "2 svar er lagret" in client.last_html
    # Staff typing for a person can tell them where the public page will be (the chat's thanks, in their language).
    async with server.ctx.sessions() as session:
        token = (await session.get_one(PublicPage, campaign.id)).token
    assert f'Her kan du se hva vi gjør med svarene: <a href="{server.url}/p/{token}?lang=nb"' in client.last_html
    # A bad paper-card file stores nothing and names the rows.
    bad = b"text,language\nFin dag,nb\nSvar,xx\n"
    import aiohttp

    form = aiohttp.FormData()
    form.add_field("csrf_token", client.csrf())
    form.add_field("file", bad, filename="kort.csv", content_type="text/csv")
    response = await client.http.post(f"{client.base}/campaigns/{campaign.id}/entry", data=form)
    assert response.status == 400 and "linje 3: ukjent språk «xx»" in await response.text()  # in bokmål
    async with server.ctx.sessions() as session:
        stored = (await session.exec(select(Answer).where(Answer.campaign_id == campaign.id))).all()
    assert sorted(a.source for a in stored) == ["staff", "staff"]
    assert "Ring meg på [telefonnummer]" in [a.text for a in stored]  # de-identified like every channel
    # Staff may not read answers.
    assert (await client.get(f"/campaigns/{campaign.id}/answers")).status == 403

    manager: Client = make_client()
    await manager.login("leder@kommune.no")
    response = await manager.get(f"/campaigns/{campaign.id}/answers?q=hjemme")
    assert response.status == 200 and "Å bo hjemme lenge" in manager.last_html and "1 svar" in manager.last_html
    await manager.get(f"/campaigns/{campaign.id}/answers?language=en")
    assert "Å bo hjemme lenge" not in manager.last_html
    xlsx = await manager.get(f"/campaigns/{campaign.id}/export.xlsx")
    sheet = load_workbook(io.BytesIO(await xlsx.read())).active
    assert sheet is not None
    texts = sorted(str(row[4]) for row in sheet.iter_rows(min_row=2, values_only=True))
    assert len(texts) == 2 and "Å bo hjemme lenge" in texts
    csv_response = await manager.get(f"/campaigns/{campaign.id}/export.csv")
    assert "Å bo hjemme lenge" in await csv_response.text()
    async with server.ctx.sessions() as session:
        actions = [(e.actor, e.action) for e in (await session.exec(select(AccessLogEntry))).all()]
    assert actions.count(("leder@kommune.no", "view_answers")) == 2 and ("leder@kommune.no", "export") in actions
    # Only admins see the access log.
    assert (await manager.get("/admin/access-log")).status == 403
    admin: Client = make_client()
    await admin.login("admin@kommune.no")
    await admin.get("/admin/access-log")
    assert "leder@kommune.no" in admin.last_html and "Eksporterte svarene" in admin.last_html


async def test_answers_pagination_is_keyset(server: Server, client: Client) -> None:
    campaign = await server.campaign("Hjemmetjenesten Øst")
    async with server.ctx.sessions() as session, session.begin():
        from surveys.importer import import_answers

        raw = "text\n" + "\n".join(f"Svar nummer {n:03d}" for n in range(120))
        await import_answers(session, await session.get_one(Campaign, campaign.id), raw.encode())
    await server.user("leder@kommune.no", "manager", "Hjemmetjenesten Øst")
    await client.login("leder@kommune.no")
    seen: list[str] = []
    path = f"/campaigns/{campaign.id}/answers"
    while path:
        await client.get(path)
        seen += re.findall(r"Svar nummer \d{3}", client.last_html)
        match = re.search(r'rel="next" href="([^"]+)"', client.last_html)
        path = match.group(1).replace("&amp;", "&") if match else ""
    assert len(seen) == 120 and len(set(seen)) == 120


async def test_rename_and_merge_themes(server: Server, client: Client) -> None:
    campaign = await server.campaign("Hjemmetjenesten Øst")
    async with server.ctx.sessions() as session, session.begin():
        from surveys.importer import import_answers
        from surveys.models import Unit

        unit = await session.get_one(Unit, campaign.unit_id)
        unit.min_group = 1  # this test is about renaming and merging, not small-number protection

        await import_answers(
            session,
            await session.get_one(Campaign, campaign.id),
            "text\nTur i skogen\nGå ute\nKaffe med venner\n".encode(),
        )
        answers = (await session.exec(select(Answer).order_by(col(Answer.id)))).all()
        run = ThemeRun(campaign_id=pk(campaign), n_answers=3)
        session.add(run)
        await session.flush()
        outdoors = Theme(
            campaign_id=pk(campaign),
            key="t1",
            label="Natur",
            keywords=["tur"],
            quotes=[pk(answers[0])],
            size=2,
            share=2 / 3,
            run_id=run.id,
        )
        friends = Theme(
            campaign_id=pk(campaign),
            key="t2",
            label="Venner",
            keywords=["venner"],
            quotes=[pk(answers[2])],
            size=1,
            share=1 / 3,
            run_id=run.id,
        )
        session.add_all([outdoors, friends])
        await session.flush()
        session.add_all(
            [
                AnswerTheme(answer_id=pk(answers[0]), theme_id=pk(outdoors)),
                AnswerTheme(answer_id=pk(answers[1]), theme_id=pk(outdoors)),
                AnswerTheme(answer_id=pk(answers[2]), theme_id=pk(friends)),
            ]
        )
    await server.user("leder@kommune.no", "manager", "Hjemmetjenesten Øst")
    await client.login("leder@kommune.no")
    await client.get(f"/campaigns/{campaign.id}/themes")
    assert "Natur" in client.last_html and "Tur i skogen" in client.last_html and "67 %" in client.last_html
    await client.post(f"/campaigns/{campaign.id}/themes/{outdoors.id}/rename", {"label": "Friluftsliv"})
    await client.post(f"/campaigns/{campaign.id}/themes/{friends.id}/merge", {"into": str(outdoors.id)})
    async with server.ctx.sessions() as session:
        themes = {t.key: t for t in (await session.exec(select(Theme))).all()}
        moved = (await session.exec(select(AnswerTheme))).all()
    assert themes["t1"].label == "Friluftsliv" and themes["t1"].label_locked and themes["t1"].size == 3
    assert themes["t2"].merged_into_id == themes["t1"].id and {m.theme_id for m in moved} == {themes["t1"].id}


async def test_change_password_and_logout(server: Server, client: Client) -> None:
    await server.user("ansatt@kommune.no", "staff", "Hjemmetjenesten Øst")
    await client.login("ansatt@kommune.no")
    await client.get("/account/password")
    await client.post(
        "/account/password", {"current": PASSWORD, "new": "et nytt langt passord", "repeat": "et nytt langt passord"}
    )
    assert "Passordet er byttet" in client.last_html
    await client.post("/logout", {})
    assert str((await client.get("/campaigns")).url).endswith("/login?next=/campaigns")
    assert (await client.login("ansatt@kommune.no")).status == 401
    assert str((await client.login("ansatt@kommune.no", "et nytt langt passord")).url).endswith("/campaigns")


async def test_language_switch_is_stored_on_the_user(server: Server, client: Client) -> None:
    await server.user("admin@kommune.no", "admin", None)
    await client.login("admin@kommune.no")
    await client.post("/account/language", {"language": "en", "next": "/campaigns"})
    assert "New campaign" in client.last_html and '<html lang="en">' in client.last_html


async def test_themes_show_change_since_the_previous_campaign_of_the_unit(server: Server, client: Client) -> None:
    async def with_themes(name: str, shares: dict[str, float]) -> Campaign:
        campaign = await server.campaign("Hjemmetjenesten Øst", name=name)
        async with server.ctx.sessions() as session, session.begin():
            for key, share in shares.items():
                session.add(
                    Theme(
                        campaign_id=pk(campaign),
                        key=key,
                        label=key.title(),
                        taxonomy_key=key,
                        size=int(share * 100),
                        share=share,
                    )
                )
        return campaign

    await with_themes("Våren 2025", {"selskap": 0.30, "mat": 0.70})
    latest = await with_themes("Våren 2026", {"selskap": 0.45, "mat": 0.40, "trygghet": 0.15})
    await server.user("leder@kommune.no", "manager", "Hjemmetjenesten Øst")
    await client.login("leder@kommune.no")
    await client.get(f"/campaigns/{latest.id}/themes")
    html = client.last_html
    assert "Sammenlignet med «Våren 2025»" in html
    assert "+15 prosentpoeng" in html and "-30 prosentpoeng" in html and "nytt" in html
