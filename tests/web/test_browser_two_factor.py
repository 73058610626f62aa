"""Headless Chromium: an admin enrols two-factor login by scanning the QR code, logs in with a code, and uses a
recovery code once (the second use is refused). The QR code is read from a screenshot with zxing-cpp, the codes
are computed with pyotp, as a phone's authenticator app would."""

from __future__ import annotations

import asyncio
import io
import re
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.web.conftest import BROWSER_MARKS, PASSWORD, Server, browser_server
from tests.web.test_browser import AXE, assert_accessible

pytestmark = BROWSER_MARKS
server = browser_server  # the app in the event loop the shared Chromium lives in


async def scan_qr(page) -> str:
    """What a phone camera would read from the QR code on the page."""
    zxingcpp = pytest.importorskip("zxingcpp")
    image_module = pytest.importorskip("PIL.Image")
    shot = await page.locator("#totp-qr svg").screenshot()
    found = zxingcpp.read_barcodes(image_module.open(io.BytesIO(shot)))
    assert found, "no QR code could be read from the page"
    return str(found[0].text)


async def unused_code(totp, used_steps: list[int]) -> tuple[str, int]:
    """A code for a step after every step used so far that the server still accepts (one step ahead at most)."""
    while True:
        current = totp.timecode(datetime.now(UTC))
        step = max(current - 1, used_steps[-1] + 1)
        if step <= current + 1:
            used_steps.append(step)
            return totp.generate_otp(step), step
        await asyncio.sleep(1)


async def log_in_with_password(page, server: Server, email: str) -> None:
    await page.goto(server.url + "/login")
    await page.get_by_label("E-post").fill(email)
    await page.get_by_label("Passord").fill(PASSWORD)
    await page.get_by_role("button", name="Logg inn").click()


async def enrol_in_browser(page, server: Server, email: str):
    """Password, then the forced enrolment (see complete_enrolment)."""
    await log_in_with_password(page, server, email)
    await page.wait_for_url("**/account/two-factor")
    return await complete_enrolment(page, email)


async def complete_enrolment(page, email: str):
    """On the enrolment page: scan, type a code, keep the recovery codes. Returns (TOTP, codes)."""
    import pyotp

    uri = await scan_qr(page)
    parts = urlsplit(uri)
    assert parts.scheme == "otpauth" and parts.netloc == "totp" and "Viktig" in parts.path
    secret = parse_qs(parts.query)["secret"][0]
    totp = pyotp.TOTP(secret)
    assert totp.provisioning_uri(name=email, issuer_name="Viktig") == uri
    await page.get_by_label("Kode fra appen").fill(totp.now())
    await page.get_by_role("button", name="Bekreft og slå på").click()
    await page.get_by_role("heading", name="Gjenopprettingskoder").wait_for()
    codes = [text.strip() for text in await page.locator("#recovery-codes code").all_inner_texts()]
    assert len(codes) == 10 and all(re.fullmatch(r"[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}", code) for code in codes)
    return totp, codes


async def test_admin_enrols_totp_logs_in_with_a_code_and_a_recovery_code_once(server: Server, browser) -> None:
    await server.user("admin@kommune.no", "admin", None)
    context = await browser.new_context(locale="nb-NO")
    await context.add_init_script(path=str(AXE))
    page = await context.new_page()
    page.set_default_timeout(20_000)

    # First login: the password alone does not open the dashboard; enrolment comes first.
    await log_in_with_password(page, server, "admin@kommune.no")
    await page.wait_for_url("**/account/two-factor")
    await page.goto(server.url + "/campaigns")
    await page.wait_for_url("**/login?next=/campaigns")
    totp, codes = await enrol_in_browser(page, server, "admin@kommune.no")
    used_steps = [totp.timecode(datetime.now(UTC)) + 1]  # the enrolment code may have been from the step after
    await assert_accessible(page, "recovery codes")
    await page.get_by_role("link", name="Fortsett").click()
    await page.wait_for_url("**/campaigns")
    await page.get_by_role("button", name="Logg ut", exact=True).click()

    # Log in with a code from the app: a step not used yet (each 30-second step works once).
    await log_in_with_password(page, server, "admin@kommune.no")
    await page.wait_for_url("**/login/two-factor")
    await assert_accessible(page, "two-factor login")
    code, step = await unused_code(totp, used_steps)
    await page.get_by_label("Kode fra appen eller en gjenopprettingskode").fill(code)
    await page.get_by_role("button", name="Logg inn").click()
    await page.wait_for_url("**/campaigns")
    await page.get_by_role("button", name="Logg ut", exact=True).click()

    # The same code again (someone saw it over a shoulder): still inside its time window, but refused.
    await log_in_with_password(page, server, "admin@kommune.no")
    await page.wait_for_url("**/login/two-factor")
    assert totp.timecode(datetime.now(UTC)) <= step + 1, "the machine was too slow to test a replay in the window"
    await page.get_by_label("Kode fra appen eller en gjenopprettingskode").fill(code)
    await page.get_by_role("button", name="Logg inn").click()
    await page.get_by_text("Koden stemmer ikke, eller den er brukt før").wait_for()
    code, _ = await unused_code(totp, used_steps)
    await page.get_by_label("Kode fra appen eller en gjenopprettingskode").fill(code)
    await page.get_by_role("button", name="Logg inn").click()
    await page.wait_for_url("**/campaigns")
    await page.goto(server.url + "/account")
    await page.get_by_text("Tofaktorinnlogging er på.").wait_for()
    await assert_accessible(page, "account")
    await page.get_by_role("button", name="Logg ut", exact=True).click()

    # Phone lost: a recovery code works once...
    await log_in_with_password(page, server, "admin@kommune.no")
    await page.wait_for_url("**/login/two-factor")
    await page.get_by_label("Kode fra appen eller en gjenopprettingskode").fill(codes[3].upper())
    await page.get_by_role("button", name="Logg inn").click()
    await page.wait_for_url("**/campaigns")
    await page.goto(server.url + "/account")
    await page.get_by_text("9 ubrukte gjenopprettingskoder").wait_for()
    await page.get_by_role("button", name="Logg ut", exact=True).click()

    # ...and is refused the second time.
    await log_in_with_password(page, server, "admin@kommune.no")
    await page.wait_for_url("**/login/two-factor")
    await page.get_by_label("Kode fra appen eller en gjenopprettingskode").fill(codes[3])
    await page.get_by_role("button", name="Logg inn").click()
    await page.get_by_text("Koden stemmer ikke, eller den er brukt før").wait_for()
    assert "/login/two-factor" in page.url
    await page.goto(server.url + "/campaigns")
    await page.wait_for_url("**/login?next=/campaigns")
    await context.close()
