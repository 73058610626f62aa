"""Attacks from the outside black-box test (issue 13), each replayed over real HTTP against a real server.

Each test was written before the fix and failed on the code of that day.
"""

from __future__ import annotations

import asyncio
import os
import stat
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from sqlmodel import select

from surveys.models import AccessLogEntry, Answer, utcnow
from tests.web.conftest import CSRF, PASSWORD, Client, Server, group_of
from tests.web.hardening_support import serving

PROXY = {"VIKTIG_TRUSTED_PROXIES": "127.0.0.1/32, ::1"}


def session_cookie(client: Client) -> str:
    for cookie in client.http.cookie_jar:
        if cookie.key == "viktig_session":
            return cookie.value
    raise AssertionError("no session cookie")


async def status_with_cookie(server: Server, cookie: str, path: str) -> int:
    async with (
        aiohttp.ClientSession(cookies={"viktig_session": cookie}) as http,
        http.get(server.url + path, allow_redirects=False) as response,
    ):
        return response.status


# --- defect 5: open redirect ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    ["/\t/evil.example", "//evil.example", "/\\evil.example", "https://evil.example/", "/%09/evil.example", "/\n/evil"],
)
async def test_next_accepts_only_same_site_relative_paths(server: Server, client: Client, target: str) -> None:
    await server.user("leder@kommune.no", "manager", "Hjemmetjenesten Øst")
    await client.get("/login")
    response = await client.post(
        "/login", {"email": "leder@kommune.no", "password": PASSWORD, "next": target}, allow_redirects=False
    )
    assert response.status == 303
    location = response.headers["Location"]
    cleaned = "".join(ch for ch in location if ch >= " ")
    assert location == "/campaigns" or (cleaned.startswith("/") and not cleaned.startswith(("//", "/\\"))), location
    assert "evil" not in location
    # Already logged in: the login page redirects straight away, through the same rule.
    response = await client.get(
        "/login?next=" + target.replace("\t", "%09").replace("\n", "%0A"), allow_redirects=False
    )
    assert "evil" not in response.headers.get("Location", "")


# --- defect 2: lockout behind a proxy ---------------------------------------------------------------------------


async def test_an_attacker_cannot_lock_out_a_user_from_another_address(sqlite_url: str) -> None:
    async with serving(sqlite_url, PROXY) as server:
        await server.user("admin.leder@kommune.no", "manager", "Hjemmetjenesten Øst")
        attacker, owner = Client(server.url), Client(server.url)
        try:
            for n in range(25):
                await attacker.login(
                    "admin.leder@kommune.no", f"gjetning {n}", headers={"X-Forwarded-For": "203.0.113.66"}
                )
            assert (
                await attacker.login("admin.leder@kommune.no", headers={"X-Forwarded-For": "203.0.113.66"})
            ).status == 429
            response = await owner.login("admin.leder@kommune.no", headers={"X-Forwarded-For": "198.51.100.7"})
            assert response.status == 200 and str(response.url).endswith("/campaigns")
        finally:
            await attacker.close()
            await owner.close()


async def test_forwarded_for_from_an_untrusted_peer_is_not_believed(server: Server, client: Client) -> None:
    """Without VIKTIG_TRUSTED_PROXIES a client cannot dodge the limit by inventing X-Forwarded-For addresses."""
    await server.user("leder@kommune.no", "manager", "Hjemmetjenesten Øst")
    statuses = [
        (await client.login("leder@kommune.no", f"feil {n}", headers={"X-Forwarded-For": f"203.0.113.{n}"})).status
        for n in range(8)
    ]
    assert statuses[:5] == [401] * 5 and set(statuses[5:]) == {429}


async def test_back_off_grows_and_says_when_to_try_again(server: Server, client: Client) -> None:
    await server.user("leder@kommune.no", "manager", "Hjemmetjenesten Øst")
    for n in range(5):
        await client.login("leder@kommune.no", f"feil {n}")
    response = await client.login("leder@kommune.no", "feil igjen")
    assert response.status == 429
    first_wait = int(response.headers["Retry-After"])
    assert 30 <= first_wait <= 120
    # Pretend the wait is over: one more wrong guess doubles it.
    await _expire_blocks(server)
    assert (await client.login("leder@kommune.no", "feil etter pausen")).status == 401
    response = await client.login("leder@kommune.no", "feil igjen")
    assert response.status == 429 and int(response.headers["Retry-After"]) >= 2 * first_wait - 2


async def _expire_blocks(server: Server) -> None:
    from sqlalchemy import text

    async with server.ctx.sessions() as session, session.begin():
        await session.execute(
            text("UPDATE login_throttle SET blocked_until = :past"), {"past": utcnow() - timedelta(seconds=1)}
        )


# --- defect 6: throttle race on PostgreSQL ----------------------------------------------------------------------


@pytest.mark.postgres
async def test_forty_parallel_guesses_on_postgresql_give_at_most_the_limit(postgres_url: str) -> None:
    async with serving(postgres_url) as server:
        await server.user("leder@kommune.no", "manager", "Hjemmetjenesten Øst")
        for n in range(40):
            await server.user(f"ansatt{n}@kommune.no", "staff", "Hjemmetjenesten Øst")
        client = Client(server.url)
        try:
            await client.get("/login")
            token = client.csrf()

            async def guess(email: str, n: int) -> int:
                form = {"email": email, "password": f"gjetning {n}", "csrf_token": token}
                async with client.http.post(server.url + "/login", data=form, allow_redirects=False) as response:
                    return response.status

            one_account = await asyncio.gather(*(guess("leder@kommune.no", n) for n in range(40)))
            checked = sum(status == 401 for status in one_account)
            assert set(one_account) <= {401, 429} and checked <= 5, one_account
            await _expire_blocks(server)
            from sqlalchemy import text

            async with server.ctx.sessions() as session, session.begin():
                await session.execute(text("DELETE FROM login_throttle"))
            many_accounts = await asyncio.gather(*(guess(f"ansatt{n}@kommune.no", n) for n in range(40)))
            checked = sum(status == 401 for status in many_accounts)
            assert set(many_accounts) <= {401, 429} and checked <= 10, many_accounts
        finally:
            await client.close()


# --- defect 3: sessions that outlive logout, lifetime and deactivation -----------------------------------------


async def test_logout_kills_a_copied_cookie(server: Server, client: Client) -> None:
    campaign = await server.campaign("Hjemmetjenesten Øst")
    await server.user("leder@kommune.no", "manager", "Hjemmetjenesten Øst")
    await client.login("leder@kommune.no")
    copied = session_cookie(client)
    assert await status_with_cookie(server, copied, f"/campaigns/{campaign.id}/export.csv") == 200
    await client.get("/campaigns")
    await client.post("/logout", {})
    assert await status_with_cookie(server, copied, f"/campaigns/{campaign.id}/export.csv") == 303
    assert await status_with_cookie(server, copied, "/campaigns") == 303
    async with server.ctx.sessions() as session:
        exports = (await session.exec(select(AccessLogEntry).where(AccessLogEntry.action == "export"))).all()
    assert len(exports) == 1


async def _age_sessions(server: Server, *, created: timedelta, seen: timedelta) -> None:
    from sqlalchemy import text

    now = utcnow()
    async with server.ctx.sessions() as session, session.begin():
        await session.execute(
            text("UPDATE staff_session SET created_at = :created, last_seen_at = :seen"),
            {"created": now - created, "seen": now - seen},
        )


async def test_a_session_has_an_absolute_lifetime_and_an_idle_timeout(server: Server, client: Client) -> None:
    await server.user("leder@kommune.no", "manager", "Hjemmetjenesten Øst")
    await client.login("leder@kommune.no")
    await _age_sessions(server, created=timedelta(hours=11), seen=timedelta(minutes=29))
    assert (await client.get("/campaigns", allow_redirects=False)).status == 200  # still alive, and renewed
    await _age_sessions(server, created=timedelta(hours=11), seen=timedelta(minutes=31))
    assert (await client.get("/campaigns", allow_redirects=False)).status == 303
    await client.login("leder@kommune.no")
    await _age_sessions(server, created=timedelta(hours=12, minutes=1), seen=timedelta(seconds=5))
    assert (await client.get("/campaigns", allow_redirects=False)).status == 303


async def test_session_lifetimes_are_settings(sqlite_url: str) -> None:
    env = {"VIKTIG_SESSION_IDLE_MINUTES": "5", "VIKTIG_SESSION_LIFETIME_HOURS": "2"}
    async with serving(sqlite_url, env) as server:
        await server.user("leder@kommune.no", "manager", "Hjemmetjenesten Øst")
        client = Client(server.url)
        try:
            await client.login("leder@kommune.no")
            await _age_sessions(server, created=timedelta(hours=1), seen=timedelta(minutes=6))
            assert (await client.get("/campaigns", allow_redirects=False)).status == 303
        finally:
            await client.close()


async def test_reactivating_a_user_does_not_revive_old_cookies(server: Server, client: Client, make_client) -> None:
    await server.user("admin@kommune.no", "admin", None)
    staff = await server.user("ansatt@kommune.no", "staff", "Hjemmetjenesten Øst")
    person: Client = make_client()
    await person.login("ansatt@kommune.no")
    copied = session_cookie(person)
    await client.login("admin@kommune.no")
    await client.get("/admin/users")
    await client.post(f"/admin/users/{staff.id}/active", {"active": "0"})
    await client.get("/admin/users")
    await client.post(f"/admin/users/{staff.id}/active", {"active": "1"})
    assert await status_with_cookie(server, copied, "/campaigns") == 303


async def test_an_admin_logs_a_user_out_everywhere(server: Server, client: Client, make_client) -> None:
    await server.user("admin@kommune.no", "admin", None)
    staff = await server.user("ansatt@kommune.no", "staff", "Hjemmetjenesten Øst")
    laptop, tablet = make_client(), make_client()
    await laptop.login("ansatt@kommune.no")
    await tablet.login("ansatt@kommune.no")
    await client.login("admin@kommune.no")
    await client.get("/admin/users")
    response = await client.post(f"/admin/users/{staff.id}/logout", {})
    assert response.status == 200
    for device in (laptop, tablet):
        assert (await device.get("/campaigns", allow_redirects=False)).status == 303


async def test_password_change_ends_the_other_sessions(server: Server, client: Client, make_client) -> None:
    await server.user("ansatt@kommune.no", "staff", "Hjemmetjenesten Øst")
    other: Client = make_client()
    await other.login("ansatt@kommune.no")
    copied = session_cookie(other)
    await client.login("ansatt@kommune.no")
    await client.get("/account/password")
    new = "ein heilt ny passordfrase"
    await client.post("/account/password", {"current": PASSWORD, "new": new, "repeat": new})
    assert (await client.get("/campaigns", allow_redirects=False)).status == 200
    assert await status_with_cookie(server, copied, "/campaigns") == 303


async def test_the_account_page_lists_and_ends_sessions(server: Server, client: Client, make_client) -> None:
    await server.user("ansatt@kommune.no", "staff", "Hjemmetjenesten Øst")
    tablet: Client = make_client()
    await tablet.login("ansatt@kommune.no", headers={"User-Agent": "Nettbrett på vaktrommet"})
    await client.login("ansatt@kommune.no")
    await client.get("/account")
    assert client.last_html.count('class="session"') == 2
    assert "Nettbrett på vaktrommet" in client.last_html and "denne økten" in client.last_html.lower()
    await client.post("/account/sessions/end-others", {})
    assert (await tablet.get("/campaigns", allow_redirects=False)).status == 303
    assert (await client.get("/campaigns", allow_redirects=False)).status == 200


# --- defect 9: the smaller ones ---------------------------------------------------------------------------------


@pytest.mark.parametrize("password", ["kort1234567", "passwordpassword", "123456789012", "qwertyuiopasdfgh"])
async def test_short_and_common_passwords_are_refused(server: Server, client: Client, password: str) -> None:
    await server.user("ansatt@kommune.no", "staff", "Hjemmetjenesten Øst")
    await client.login("ansatt@kommune.no")
    await client.get("/account/password")
    response = await client.post("/account/password", {"current": PASSWORD, "new": password, "repeat": password})
    assert response.status == 400
    assert "minst 12 tegn" in client.last_html or "for vanlig" in client.last_html


async def test_hsts_and_secure_cookies_when_the_public_url_is_https(sqlite_url: str) -> None:
    https = {"VIKTIG_PUBLIC_URL": "https://viktig.example.kommune.no"}
    for env, expected in ((https, True), ({}, False)):
        async with serving(sqlite_url, env) as server, aiohttp.ClientSession() as http:
            response = await http.get(server.url + "/login")
            assert ("Strict-Transport-Security" in response.headers) is expected, env
            if expected:
                assert response.headers["Strict-Transport-Security"].startswith("max-age=")
            response.release()


async def test_links_and_cookies_follow_a_trusted_proxy(sqlite_url: str) -> None:
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "viktig.kommune.no", "X-Forwarded-For": "198.51.100.4"}
    async with serving(sqlite_url, PROXY) as server:
        campaign = await server.campaign("Hjemmetjenesten Øst")
        await server.user("leder@kommune.no", "manager", "Hjemmetjenesten Øst")
        client = Client(server.url)
        try:
            # The cookie is Secure, so this plain-http test client hands it over by hand, as the proxy would.
            async with client.http.get(server.url + "/login", headers=headers) as response:
                assert "secure" in response.headers["Set-Cookie"].lower()
                assert response.headers["Strict-Transport-Security"].startswith("max-age=")
                cookie = response.cookies["viktig_session"].value
                token = group_of(CSRF, await response.text())
            form = {"email": "leder@kommune.no", "password": PASSWORD, "csrf_token": token}
            with_cookie = {**headers, "Cookie": f"viktig_session={cookie}"}
            async with client.http.post(
                server.url + "/login", data=form, headers=with_cookie, allow_redirects=False
            ) as response:
                assert response.status == 303
                cookie = response.cookies["viktig_session"].value
            with_cookie = {**headers, "Cookie": f"viktig_session={cookie}"}
            async with client.http.get(server.url + f"/campaigns/{campaign.id}", headers=with_cookie) as page:
                assert f"https://viktig.kommune.no/s/{campaign.code}" in await page.text()
        finally:
            await client.close()
    async with serving(sqlite_url) as server:  # the same headers from an untrusted peer change nothing
        client = Client(server.url)
        try:
            response = await client.get("/login", headers=headers)
            assert "secure" not in response.headers["Set-Cookie"].lower()
        finally:
            await client.close()


@pytest.mark.parametrize(
    "query",
    [
        "from=9999-12-31&to=9999-12-31",
        "from=0001-01-01&to=0001-01-01",
        "question=99999999999999999999999999",
        "after=9999-12-31T23:59:59~99999999999999999999999",
        "after=x~1",
        "from=2026-02-30",
    ],
)
async def test_crafted_filters_give_4xx_or_a_page_never_500(server: Server, client: Client, query: str) -> None:
    campaign = await server.campaign("Hjemmetjenesten Øst")
    await server.user("leder@kommune.no", "manager", "Hjemmetjenesten Øst")
    await client.login("leder@kommune.no")
    response = await client.get(f"/campaigns/{campaign.id}/answers?{query}")
    assert response.status < 500


async def test_sqlite_files_are_readable_by_the_owner_only(tmp_path: Path) -> None:
    from viktig.migrate import upgrade

    old = os.umask(0o022)
    try:
        url = f"sqlite:///{tmp_path / 'ny.db'}"
        upgrade(url)
        async with serving(url) as server:
            await server.user("leder@kommune.no", "manager", "Hjemmetjenesten Øst")
        modes = {
            p.name: oct(stat.S_IMODE(os.stat(p).st_mode)) for p in os.scandir(tmp_path) if p.name.startswith("ny.db")
        }
        assert "ny.db" in modes and set(modes.values()) == {"0o600"}, modes
    finally:
        os.umask(old)


async def test_client_addresses_stay_out_of_log_lines_unless_asked_for() -> None:
    import logging

    from surveys.logsafety import RedactingFilter

    record = logging.LogRecord(
        "aiohttp.server", logging.ERROR, __file__, 1, "Error handling request from %s", ("203.0.113.77",), None
    )
    RedactingFilter([]).filter(record)
    assert "203.0.113.77" not in record.getMessage()
    record = logging.LogRecord("aiohttp.server", logging.ERROR, __file__, 1, "from %s", ("2001:db8::77",), None)
    RedactingFilter([]).filter(record)
    assert "2001:db8::77" not in record.getMessage()
    record = logging.LogRecord("aiohttp.server", logging.ERROR, __file__, 1, "from %s", ("203.0.113.77",), None)
    RedactingFilter([], keep_addresses=True).filter(record)
    assert "203.0.113.77" in record.getMessage()


async def test_admin_actions_are_in_the_access_log(server: Server, client: Client) -> None:
    await server.user("admin@kommune.no", "admin", None)
    await client.login("admin@kommune.no")
    await client.get("/admin/users")
    await client.post("/admin/units", {"name": "Sykehjemmet Vest"})
    await client.get("/admin/users")
    await client.post("/admin/users", {"email": "ny@kommune.no", "role": "admin", "unit_id": ""})
    async with server.ctx.sessions() as session:
        from surveys.models import StaffUser

        new = (await session.exec(select(StaffUser).where(StaffUser.email == "ny@kommune.no"))).one()
    await client.post(f"/admin/users/{new.id}/active", {"active": "0"})
    await client.get("/admin/access-log")
    await client.get("/admin/access-log")
    async with server.ctx.sessions() as session:
        actions = [entry.action for entry in (await session.exec(select(AccessLogEntry))).all()]
    for action in ("add_unit", "add_user", "deactivate_user", "view_access_log"):
        assert action in actions, actions
    assert "add_user" in client.last_html and "ny@kommune.no" in client.last_html


async def test_a_closed_campaign_refuses_new_staff_entries(server: Server, client: Client) -> None:
    campaign = await server.campaign("Hjemmetjenesten Øst")
    await server.user("ansatt@kommune.no", "staff", "Hjemmetjenesten Øst")
    await client.login("ansatt@kommune.no")
    await client.get(f"/campaigns/{campaign.id}")
    await client.post(f"/campaigns/{campaign.id}/status", {"status": "closed"})
    await client.get(f"/campaigns/{campaign.id}/entry")
    response = await client.post(f"/campaigns/{campaign.id}/entry", {"lines": "Et sent svar"})
    assert response.status == 409
    assert "Kampanjen er avsluttet" in client.last_html
    async with server.ctx.sessions() as session:
        assert (await session.exec(select(Answer))).all() == []
