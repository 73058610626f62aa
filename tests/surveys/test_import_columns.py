"""Paper cards as Nordic staff type them: one column with commas, Norwegian/Swedish headers, questions by number."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import col, select

from surveys.importer import AnswerImportError, import_answers
from surveys.models import Answer, Question


async def run_import(sessions, campaign, raw: bytes):
    async with sessions() as session, session.begin():
        return await import_answers(session, campaign, raw, filename="kort.csv")


async def stored(sessions) -> list[tuple[Answer, str]]:
    async with sessions() as session:
        query = select(Answer, Question.key).join(Question, col(Question.id) == Answer.question_id)
        return list((await session.exec(query.order_by(col(Answer.id)))).all())


async def test_one_column_cp1252_with_commas_is_one_answer_per_line(sessions, make_campaign) -> None:
    campaign = await make_campaign()
    lines = ["Tekst", "Kaffe, prat og selskap", "Å gå tur, helst hver dag, med hunden", "Familien; barnebarna"]
    raw = ("\r\n".join(lines) + "\r\n").encode("cp1252")
    result = await run_import(sessions, campaign, raw)
    assert (result.imported, result.encoding, result.warnings) == (3, "windows-1252", ())
    assert [answer.text for answer, _ in await stored(sessions)] == lines[1:]


async def test_norwegian_headers_map_question_language_and_date(sessions, make_campaign) -> None:
    campaign = await make_campaign()
    raw = (
        "Tekst;Spørsmål;Språk;Dato;Enhet\r\n"
        "Å få vere heime;1;nynorsk;04.06.2026;Hjemmetjenesten Øst\r\n"
        "Mer tid til prat;Hva kan vi gjøre for at du skal få mer av dette?;Bokmål;4.6.2026;hjemmetjenesten øst\r\n"
        "Fika med vänner;2;sv;2026-06-05;\r\n"
    ).encode("cp1252")
    await run_import(sessions, campaign, raw)
    rows = await stored(sessions)
    assert [(a.language, key) for a, key in rows] == [("nn", "matters"), ("nb", "more_of_it"), ("sv", "more_of_it")]
    first = rows[0][0].created_at.replace(tzinfo=rows[0][0].created_at.tzinfo or UTC)
    assert first == datetime(2026, 6, 4, 10, 0, tzinfo=UTC)  # noon in Oslo (summer time)


async def test_swedish_and_english_headers(sessions, make_campaign) -> None:
    campaign = await make_campaign()
    await run_import(sessions, campaign, "Svar;Fråga;Språk\nFika;1;svenska\n".encode())
    await run_import(sessions, campaign, b"Text,Question,Language\nMy garden,2,English\n")
    assert [(a.text, a.language, key) for a, key in await stored(sessions)] == [
        ("Fika", "sv", "matters"),
        ("My garden", "en", "more_of_it"),
    ]


async def test_unknown_column_is_a_warning_in_the_users_language(sessions, make_campaign) -> None:
    campaign = await make_campaign()
    result = await run_import(sessions, campaign, b"Tekst;Alder\nTurer;87\n")
    assert result.imported == 1
    assert [w.render("nb") for w in result.warnings] == [
        "linje 1: kolonnen «Alder» brukes ikke (kjente kolonner: Tekst, Spørsmål, Språk, Dato, Enhet)"
    ]


@pytest.mark.parametrize(
    ("raw", "norwegian"),
    [
        ("Tekst;Spørsmål\nTurer;7\n", "linje 2: ukjent spørsmål «7» (kjente: 1 (matters), 2 (more_of_it))"),
        ("Tekst;Språk\nTurer;tysk\n", "linje 2: ukjent språk «tysk»"),
        ("Tekst;Dato\nTurer;31.02.2026\n", "linje 2: «31.02.2026» er ikke en dato"),
        ("Tekst;Enhet\nTurer;Sykehjemmet\n", "linje 2: enheten «Sykehjemmet» er ikke kampanjens enhet"),
        ("Navn;Alder\nKari;87\n", "linje 1: første linje må ha en kolonne for svaret"),
        ("Tekst;Spørsmål\nTurer;1;ekstra\n", "linje 2: 3 felt, men første linje har 2"),
    ],
)
async def test_an_unknown_value_is_a_row_error_and_nothing_is_stored(sessions, make_campaign, raw, norwegian) -> None:
    campaign = await make_campaign()
    with pytest.raises(AnswerImportError) as caught:
        await run_import(sessions, campaign, raw.encode("cp1252"))
    assert any(message.startswith(norwegian) for message in caught.value.messages("nb")), caught.value.messages("nb")
    assert await stored(sessions) == []
