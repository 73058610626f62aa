"""Paper-card import (CSV/JSONL, encodings, all-or-nothing) and export round-trips (JSONL, CSV, XLSX)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from openpyxl import load_workbook
from sqlalchemy import func
from sqlmodel import col, select

from surveys.exporter import EXPORT_FIELDS, collect_rows, write_csv, write_jsonl, write_xlsx
from surveys.importer import AnswerImportError, import_answers
from surveys.models import Answer, AnswerSource


async def run_import(sessions, campaign, raw: bytes, filename: str = "kort.csv"):
    async with sessions() as session, session.begin():
        return await import_answers(session, campaign, raw, filename=filename)


async def stored(sessions) -> list[Answer]:
    async with sessions() as session:
        return list((await session.exec(select(Answer).order_by(col(Answer.id)))).all())


async def test_csv_with_semicolons_and_bom(sessions, make_campaign) -> None:
    campaign = await make_campaign()
    raw = '\ufefftekst;language\nÅ være med familien;nb\n"Kaffe; og prat";nb\nFika med vänner;sv\n'.encode("utf-8")
    result = await run_import(sessions, campaign, raw)
    assert (result.imported, result.format, result.encoding) == (3, "csv", "utf-8")
    answers = await stored(sessions)
    assert [a.text for a in answers] == ["Å være med familien", "Kaffe; og prat", "Fika med vänner"]
    assert [a.language for a in answers] == ["nb", "nb", "sv"]
    assert {a.source for a in answers} == {AnswerSource.paper.value}


async def test_windows_1252_as_norwegian_excel_writes_it(sessions, make_campaign) -> None:
    campaign = await make_campaign()
    raw = "text\r\nHjelp til å gå tur i været\r\nBesøk av sønnen min\r\n".encode("cp1252")
    result = await run_import(sessions, campaign, raw)
    assert result.encoding == "windows-1252"
    assert [a.text for a in await stored(sessions)] == ["Hjelp til å gå tur i været", "Besøk av sønnen min"]


async def test_comma_csv_with_line_breaks_in_a_field(sessions, make_campaign) -> None:
    campaign = await make_campaign()
    raw = 'id,text\n1,"Første linje\nandre linje"\n2,Hagen\n'.encode()
    await run_import(sessions, campaign, raw)
    assert [a.text for a in await stored(sessions)] == ["Første linje\nandre linje", "Hagen"]


async def test_jsonl(sessions, make_campaign) -> None:
    campaign = await make_campaign()
    raw = b'{"text": "Musikk \\ud83c\\udfb5"}\n\n{"text": "Katten min", "language": "nb"}\n'
    result = await run_import(sessions, campaign, raw, filename="kort.jsonl")
    assert result.format == "jsonl"
    assert [a.text for a in await stored(sessions)] == ["Musikk 🎵", "Katten min"]


@pytest.mark.parametrize(
    ("raw", "filename", "expected"),
    [
        (b"svarene\nFamilien\n", "a.csv", "line 1: the header needs a 'text' column"),
        (b"text;language\nFamilien;nb\n\n  ;nb\n", "a.csv", "line 4: the text is empty"),
        (b"text;language\nFamilien;de\n", "a.csv", "line 2: unknown language 'de'"),
        (b"text,question\nFamilien,nope\n", "a.csv", "line 2: unknown question 'nope'"),
        (b'{"text": "ok"}\n{"tekst": "feil"}\n{broken\n', "a.jsonl", "line 2: expected an object"),
        (b"PK\x03\x04\x14\x00rest-of-a-zip", "answers.xlsx", "Excel (.xlsx)"),
        (b"%PDF-1.7 ...", "scan.pdf", "a PDF file"),
        (b"", "empty.csv", "the file is empty"),
        (b"text\n", "a.csv", "the file has no answers"),
        (b"a,text\n1,ok,extra\n", "a.csv", "line 2: 3 fields but the header has 2"),
    ],
)
async def test_broken_files_import_nothing_and_say_why(sessions, make_campaign, raw, filename, expected) -> None:
    campaign = await make_campaign()
    with pytest.raises(AnswerImportError) as caught:
        await run_import(sessions, campaign, raw, filename)
    assert any(expected in problem for problem in caught.value.problems), caught.value.problems
    assert await stored(sessions) == []


async def test_jsonl_reports_every_bad_line(sessions, make_campaign) -> None:
    campaign = await make_campaign()
    with pytest.raises(AnswerImportError) as caught:
        await run_import(sessions, campaign, b'{"text": "ok"}\n{"tekst": "feil"}\n{broken\n', "a.jsonl")
    assert [p.split(":")[0] for p in caught.value.problems] == ["line 2", "line 3"]


TRICKY = [
    "Familie, venner & «kaffe»",
    "Line one\nline two\nline three",
    "Emoji 👵🏼☕️🌷",
    "=SUM(A1:A3)",
    '"quoted"; semi',
]


async def _campaign_with_tricky_answers(sessions, make_campaign):
    campaign = await make_campaign()
    lines = [json.dumps({"text": text}, ensure_ascii=False) for text in TRICKY]
    await run_import(sessions, campaign, "\n".join(lines).encode(), "tricky.jsonl")
    async with sessions() as session:
        return campaign, await collect_rows(session, campaign)


async def test_export_jsonl_round_trip(sessions, make_campaign) -> None:
    campaign, rows = await _campaign_with_tricky_answers(sessions, make_campaign)
    buffer = io.StringIO()
    assert write_jsonl(rows, buffer) == len(TRICKY)
    back = [json.loads(line) for line in buffer.getvalue().splitlines()]
    assert [row["text"] for row in back] == TRICKY
    assert list(back[0]) == list(EXPORT_FIELDS)
    assert back[0]["campaign"] == campaign.code and back[0]["unit"] == "Hjemmetjenesten Øst"
    assert back[0]["question"] == "matters" and back[0]["source"] == "paper"
    assert back[0]["theme_id"] is None and back[0]["theme_label"] is None


def _defused(text: str) -> str:
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@pytest.mark.parametrize(("delimiter", "separator"), [(";", b";"), (",", b",")])
async def test_export_csv_round_trip(sessions, make_campaign, delimiter, separator) -> None:
    _, rows = await _campaign_with_tricky_answers(sessions, make_campaign)
    buffer = io.StringIO(newline="")
    write_csv(rows, buffer, delimiter=delimiter)
    raw = buffer.getvalue().encode("utf-8")
    assert raw.startswith(b"\xef\xbb\xbfSvar-nr" + separator + b"Kampanje" + separator + b"Enhet")
    back = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=delimiter))
    assert [row["Svar"] for row in back] == [_defused(text) for text in TRICKY]
    assert back[0]["Tema-nr"] == "" and back[0]["Spørsmål"] == "Hva er viktig for deg?"
    assert back[0]["Kampanje"] == "Hva er viktig for deg-dagen 2026" and back[0]["Kilde"] == "Papirkort"


async def test_csv_cells_that_look_like_formulas_get_an_apostrophe(sessions, make_campaign) -> None:
    campaign = await make_campaign()
    texts = ['=HYPERLINK("http://x")', "+47 912", "-2+3", "@SUM(A1)", "Vanlig svar", "Pris 3-4 kr"]
    await run_import(sessions, campaign, "\n".join(json.dumps({"text": t}) for t in texts).encode(), "x.jsonl")
    async with sessions() as session:
        rows = await collect_rows(session, campaign)
    buffer = io.StringIO(newline="")
    write_csv(rows, buffer)
    back = list(csv.DictReader(io.StringIO(buffer.getvalue().lstrip("\ufeff"), newline=""), delimiter=";"))
    assert [row["Svar"] for row in back] == [
        '\'=HYPERLINK("http://x")',
        "'+47 912",
        "'-2+3",
        "'@SUM(A1)",
        "Vanlig svar",
        "Pris 3-4 kr",
    ]


async def test_export_xlsx_round_trip(sessions, make_campaign, tmp_path) -> None:
    _, rows = await _campaign_with_tricky_answers(sessions, make_campaign)
    path = tmp_path / "answers.xlsx"
    write_xlsx(rows, path)
    sheet = load_workbook(path).active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:5] == ("Svar-nr", "Kampanje", "Enhet", "Spørsmål", "Svar")
    assert [row[4] for row in values[1:]] == TRICKY  # XLSX cells are text, never formulas: no apostrophe


async def test_line_breaks_and_control_characters_are_tidied(sessions, make_campaign) -> None:
    campaign = await make_campaign()
    await run_import(sessions, campaign, json.dumps({"text": "  a\r\nb\rc\x07  "}).encode(), "x.jsonl")
    assert [a.text for a in await stored(sessions)] == ["a\nb\nc"]


async def test_import_counts_in_database(sessions, make_campaign) -> None:
    campaign = await make_campaign()
    await run_import(sessions, campaign, ("text\n" + "\n".join(f"svar {n}" for n in range(500))).encode())
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Answer)) == 500
