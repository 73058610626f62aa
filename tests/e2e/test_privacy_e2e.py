"""End to end: identifiers typed into any channel never reach the database file, an export or a log.

Each channel gets answers holding a valid fødselsnummer, a phone number and an e-mail address, through the real
entry point (the terminal chat and the importer as `viktig` processes, Telegram through the real
python-telegram-bot stack against the fake Bot API, the web chat through the real server). Then the database
file's bytes (WAL included, before and after a checkpoint), the three export formats and every log line are
scanned for the raw values, and the stored answers must carry the placeholders instead.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from openpyxl import load_workbook

from surveys.deidentify import redact
from surveys.i18n import t
from tests.conftest import TEST_SECRET
from tests.support.raw_database import query, sqlite_file_bytes, texts_in

WEIGHTS_1 = (3, 7, 6, 1, 8, 9, 4, 5, 2)
WEIGHTS_2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


def fodselsnummer(birth: str, individual: int) -> str:
    """A valid Norwegian national identity number (both mod-11 control digits) for DDMMYY and an individual number."""
    while True:
        digits = [int(c) for c in f"{birth}{individual:03d}"]
        k1 = (11 - sum(w * d for w, d in zip(WEIGHTS_1, digits, strict=True)) % 11) % 11
        k2 = (11 - sum(w * d for w, d in zip(WEIGHTS_2, [*digits, k1], strict=True)) % 11) % 11
        if k1 < 10 and k2 < 10:
            return f"{birth}{individual:03d}{k1}{k2}"
        individual += 1


@dataclass(frozen=True)
class Identifiers:
    """One channel's identifiers: distinct per channel, so a leak names the channel it came through."""

    fnr: str
    phone: str
    email: str

    @property
    def raw_values(self) -> list[str]:
        compact_phone = "".join(c for c in self.phone if c.isdigit())[-8:]
        return [self.fnr, self.fnr[:6] + " " + self.fnr[6:], self.phone, compact_phone, self.email]

    @property
    def answers(self) -> list[str]:
        return [
            f"Ring meg på {self.phone} eller skriv til {self.email}, fødselsnummeret mitt er {self.fnr}",
            "Å gå tur med hunden hver morgen",
        ]


CHANNEL_IDENTIFIERS = {
    "terminal": Identifiers(fodselsnummer("150385", 123), "+47 912 34 567", "kari.nordmann@example.no"),
    "importer": Identifiers(fodselsnummer("010160", 456), "0047 48 12 34 56", "ola.hansen@kommune.example"),
    "web": Identifiers(fodselsnummer("290272", 234), "98 76 54 32", "per.olsen@example.com"),
    "telegram": Identifiers(fodselsnummer("311299", 345), "+4793456789", "anne-lise@epost.example.no"),
}


def viktig(url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url, "VIKTIG_SECRET_KEY": TEST_SECRET, "VIKTIG_LOG_LEVEL": "DEBUG"}
    result = subprocess.run(
        [sys.executable, "-m", "viktig", *args], input=stdin, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, f"viktig {args[0]} failed: {result.stderr[-2000:]}"
    return result


def through_terminal(url: str, code: str, answers: list[str]) -> str:
    first, second = answers
    result = viktig(url, "chat", "--campaign", code, "--language", "nb", stdin=f"ja\n{first}\nnei\n{second}\nja\n")
    assert t("nb", "done.thanks") in result.stdout
    return result.stderr


def through_importer(url: str, code: str, answers: list[str], tmp_path: Path) -> str:
    path = tmp_path / "kort.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["text", "language"])
        writer.writerows([text, "nb"] for text in answers)
    result = viktig(url, "answers", "import", str(path), "--campaign", code)
    assert f"imported {len(answers)} answers" in result.stdout
    return result.stderr


async def through_telegram(url: str, code: str, answers: list[str]) -> str:
    from tests.bot.fixtures import Person, running_server
    from tests.support.fake_bot_api import FakeBotApi
    from tests.support.log_capture import debug_log_capture

    first, second = answers
    async with FakeBotApi(retry_delay=0.01, max_retry_delay=0.05) as fake:
        with debug_log_capture(fake.token) as log:
            async with running_server(fake, url, "webhook"):
                person = Person(fake, 6_200_001, language_code="nb")
                await person.start(code)
                await person.press(t("nb", "consent.yes"))
                await person.say(first)
                await person.press(t("nb", "question.no_more"))
                [summary] = await person.say(second)
                assert t("nb", "summary.intro") in summary
                thanks, _reference = await person.press(t("nb", "summary.send"), expect=2)
                assert thanks == t("nb", "done.thanks")
        assert fake.violations == []
        return log.getvalue()


def exports(url: str, code: str, tmp_path: Path) -> tuple[dict[str, str], str]:
    """The three export formats as text (xlsx: every cell value), and the export processes' logs."""
    texts: dict[str, str] = {}
    logs: list[str] = []
    for fmt in ("jsonl", "csv", "xlsx"):
        out = tmp_path / f"export.{fmt}"
        logs.append(viktig(url, "export", "--campaign", code, "--format", fmt, "--out", str(out)).stderr)
        if fmt == "xlsx":
            sheet = load_workbook(out, read_only=True).active
            assert sheet is not None
            texts[fmt] = "\n".join(
                str(cell) for row in sheet.iter_rows(values_only=True) for cell in row if cell is not None
            )
        else:
            texts[fmt] = out.read_text(encoding="utf-8-sig")
    return texts, "\n".join(logs)


@pytest.mark.parametrize("channel", ["terminal", "importer", "web", "telegram"])
async def test_identifiers_never_reach_the_database_exports_or_logs(
    sqlite_url: str, make_campaign_in, tmp_path: Path, channel: str
) -> None:
    identifiers = CHANNEL_IDENTIFIERS[channel]
    campaign = await make_campaign_in(sqlite_url)
    answers = identifiers.answers

    if channel == "terminal":
        channel_log = through_terminal(sqlite_url, campaign.code, answers)
    elif channel == "importer":
        channel_log = through_importer(sqlite_url, campaign.code, answers, tmp_path)
    elif channel == "telegram":
        channel_log = await through_telegram(sqlite_url, campaign.code, answers)
    else:
        channel_log = await through_web(sqlite_url, campaign.code, answers)

    stored = [row[0] for row in query(sqlite_url, "SELECT text FROM answer ORDER BY id")]
    assert len(stored) == 2, stored
    assert "[fødselsnummer]" in stored[0] and "[telefonnummer]" in stored[0]
    assert (
        stored[0] == redact(answers[0], "nb") and stored[1] == answers[1]
    )  # the e-mail placeholder too; plain text kept

    export_texts, export_log = exports(sqlite_url, campaign.code, tmp_path)
    for fmt, text in export_texts.items():
        assert "[fødselsnummer]" in text and answers[1] in text, fmt  # the scan reads real content
    raw = identifiers.raw_values
    leaks = {fmt: [value for value in raw if value in text] for fmt, text in export_texts.items()}
    leaks["channel log"] = [value for value in raw if value in channel_log]
    leaks["export log"] = [value for value in raw if value in export_log]
    leaks.update(texts_in(sqlite_file_bytes(sqlite_url, checkpoint=False), raw))
    leaks.update(
        {f"{name} after checkpoint": hits for name, hits in texts_in(sqlite_file_bytes(sqlite_url), raw).items()}
    )
    assert {where: hits for where, hits in leaks.items() if hits} == {}
    assert texts_in(sqlite_file_bytes(sqlite_url), [answers[1]])  # the file scan finds what is there


async def through_web(url: str, code: str, answers: list[str]) -> str:
    """The web chat through the real server (create_app) on a free port."""
    import aiohttp
    from aiohttp import web as aioweb

    from surveys.settings import Settings
    from tests.bot.fixtures import bound_socket
    from tests.support.log_capture import debug_log_capture
    from viktig.context import AppContext
    from viktig.server import create_app

    first, second = answers
    with debug_log_capture() as log:
        ctx = AppContext.create(Settings(database_url=url, secret_key=TEST_SECRET))
        app = create_app(ctx)
        runner = aioweb.AppRunner(app)
        await runner.setup()
        sock = bound_socket()
        await aioweb.SockSite(runner, sock).start()
        base = f"http://127.0.0.1:{sock.getsockname()[1]}"
        try:
            # keeps the visitor cookie on 127.0.0.1, as a browser does
            jar = aiohttp.CookieJar(unsafe=True)
            async with aiohttp.ClientSession(cookie_jar=jar, headers={"Accept-Language": "nb"}) as client:
                async with client.get(f"{base}/s/{code}") as page:
                    assert page.status == 200
                    html = await page.text()
                csrf = re.search(r'name="csrf_token" value="([^"]+)"', html)
                assert csrf, "the chat page has no CSRF field"
                for number, text in enumerate(("ja", first, "nei", second, "ja")):
                    form = {"text": text, "nonce": f"n{number}", "csrf_token": csrf.group(1)}
                    async with client.post(
                        f"{base}/s/{code}", data=form, headers={"Accept": "application/json"}
                    ) as response:
                        assert response.status == 200, await response.text()
                        reply = await response.json()
                        assert not reply["duplicate"]
                assert t("nb", "done.thanks") in [line["text"] for line in reply["lines"]]
        finally:
            await runner.cleanup()
            await ctx.close()
    return log.getvalue()


@pytest.fixture
def make_campaign_in():
    from tests.support.factories import campaign_in

    return campaign_in


def test_generated_numbers_pass_both_control_digits_and_a_changed_digit_fails() -> None:
    def valid(number: str) -> bool:
        digits = [int(c) for c in number]
        return (
            sum(w * d for w, d in zip((*WEIGHTS_1, 1), digits[:10], strict=True)) % 11 == 0
            and sum(w * d for w, d in zip((*WEIGHTS_2, 1), digits, strict=True)) % 11 == 0
        )

    for identifiers in CHANNEL_IDENTIFIERS.values():
        assert len(identifiers.fnr) == 11 and valid(identifiers.fnr)
        changed = identifiers.fnr[:-1] + str((int(identifiers.fnr[-1]) + 1) % 10)
        assert not valid(changed)
