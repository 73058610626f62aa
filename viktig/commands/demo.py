"""`viktig demo`: a working dashboard and web chat within a minute of cloning.

Upgrades the database, seeds two units, an admin user (password printed once), a live demo campaign with about
60 realistic answers in four languages from several sources, runs the theme analysis when it is installed, prints
where to look, and then serves like `viktig serve`. Running it again reuses what exists.
"""

from __future__ import annotations

import argparse
import importlib.util
import json

from sqlmodel import col, select

from surveys.campaigns import add_unit, create_campaign, get_unit_by_name
from surveys.i18n import t
from surveys.ids import pk
from surveys.importer import import_answers
from surveys.models import Answer, AnswerSource, Campaign, ThemeRun
from surveys.settings import LANGUAGES, Settings
from viktig.cli import UserError
from viktig.context import AppContext

DEMO_UNIT = "Hjemmetjenesten Øst"
SECOND_UNIT = "Sykehjemmet Vest"
DEMO_CAMPAIGN = "Hva er viktig for deg? (demo)"
ADMIN_EMAIL = "admin@viktig.demo"

# (language, source, channel, text): what people in home care tend to say, in their own words.
DEMO_ANSWERS: tuple[tuple[str, str, str, str], ...] = (
    ("nb", "self", "web", "At hjemmetjenesten kommer til avtalt tid, så jeg vet når jeg kan gå ut."),
    ("nb", "self", "web", "Å få bo hjemme så lenge som mulig."),
    ("nb", "self", "telegram", "At det ikke kommer så mange forskjellige folk hver uke."),
    ("nb", "self", "web", "Å kunne gå tur med hunden min hver dag."),
    ("nb", "self", "web", "At de har tid til en kopp kaffe og en prat, ikke bare medisinene."),
    ("nb", "self", "telegram", "Barnebarna mine. At jeg får være med i bursdager."),
    ("nb", "self", "web", "Å kunne lage middag selv, selv om det tar lang tid."),
    ("nb", "self", "web", "At noen forstår at jeg er ensom på kveldene."),
    ("nb", "self", "telegram", "Hagen min. Jeg vil gjerne klare å stelle rosene."),
    ("nb", "self", "web", "At jeg får dusje når jeg trenger det, ikke bare på tirsdager."),
    ("nb", "self", "web", "Å slippe å forklare alt på nytt til nye vikarer."),
    ("nb", "self", "web", "God mat. Middagene som kommer er ofte kalde."),
    ("nb", "self", "telegram", "At jeg kan komme meg til kirken på søndager."),
    ("nb", "self", "web", "Trygghet om natta. Jeg er redd for å falle."),
    ("nb", "self", "web", "At trygghetsalarmen virker og at noen kommer fort."),
    ("nb", "self", "web", "Å få være med på trimmen på frivilligsentralen."),
    ("nb", "self", "web", "At de snakker til meg og ikke over hodet mitt."),
    ("nb", "self", "telegram", "Å kunne lese avisen. Jeg trenger nye briller og hjelp til å bestille time."),
    (
        "nb",
        "staff",
        "staff",
        "Hun sier at det viktigste er å få besøk av datteren sin, og at hun gruer seg til vinteren.",
    ),
    ("nb", "staff", "staff", "Vil gjerne ha faste folk som kjenner henne og vet hvordan hun liker kaffen."),
    ("nb", "staff", "staff", "Han ønsker å komme seg ut, helst ned til brygga, minst en gang i uka."),
    ("nb", "staff", "staff", "Ønsker mer tid til stell om morgenen, føler seg stresset."),
    ("nb", "staff", "staff", "At medisinene blir gitt riktig. Har opplevd feil to ganger."),
    ("nb", "paper", "import", "Kontinuitet! Samme pleier så ofte som mulig."),
    ("nb", "paper", "import", "Å få hjelp til å handle selv, ikke bare få varer levert."),
    ("nb", "paper", "import", "Musikk. Jeg spilte fiolin i mange år."),
    ("nb", "paper", "import", "At jeg blir tatt på alvor når jeg sier at jeg har vondt."),
    ("nb", "paper", "import", "Å kunne ringe noen når jeg er urolig."),
    ("nb", "paper", "import", "Turer i skogen med nabokona."),
    ("nb", "paper", "import", "At besøkene ikke blir avlyst uten beskjed."),
    ("nn", "self", "web", "Å få bu heime på garden så lenge eg klarar det."),
    ("nn", "self", "web", "At dei som kjem, har tid til å prate litt."),
    ("nn", "self", "telegram", "Eg vil gjerne kome meg på butikken sjølv."),
    ("nn", "self", "web", "At det er dei same folka som kjem, så eg slepp å forklare alt."),
    ("nn", "self", "web", "Å ha kontakt med barnebarna på nettbrettet."),
    ("nn", "paper", "import", "Trygg om natta, eg er redd for å detta."),
    ("nn", "paper", "import", "God og varm middag."),
    ("nn", "staff", "staff", "Ho ønskjer å halde fram med strikkeklubben på bygdehuset."),
    ("nn", "self", "web", "At eg får vere med å bestemme når dei kjem om morgonen."),
    ("nn", "self", "web", "Hunden min. Nokon må hjelpe meg å gå tur med han når kneet er dårleg."),
    ("sv", "self", "web", "Att få bo kvar hemma och klara mig själv så länge som möjligt."),
    ("sv", "self", "web", "Att personalen har tid att prata en stund."),
    ("sv", "self", "telegram", "Att samma personer kommer, inte nya hela tiden."),
    ("sv", "self", "web", "Promenader i parken när vädret är fint."),
    ("sv", "self", "web", "Att jag känner mig trygg på natten."),
    ("sv", "paper", "import", "Att maten smakar bra och är varm."),
    ("sv", "staff", "staff", "Han vill gärna träffa sina gamla arbetskamrater på fiket."),
    ("sv", "self", "web", "Att få hjälp med att duscha oftare."),
    ("sv", "self", "web", "Musik och att få sjunga i kören igen."),
    ("sv", "self", "telegram", "Att de kommer på utsatt tid."),
    ("en", "self", "web", "Being able to stay in my own home with my cat."),
    ("en", "self", "web", "That the carers have time for a chat, not just the tasks."),
    ("en", "self", "telegram", "Seeing the same people each week so I do not have to explain everything again."),
    ("en", "self", "web", "Getting out for a walk by the sea now and then."),
    ("en", "self", "web", "Feeling safe at night; I worry about falling."),
    ("en", "paper", "import", "Hot meals that taste like home cooking."),
    ("en", "staff", "staff", "She would like help to video call her son in Canada every Sunday."),
    ("en", "self", "web", "Knowing when the home care visit will happen."),
    ("en", "self", "web", "Help with shopping so I can choose my own food."),
    ("en", "self", "telegram", "Music. I used to play the piano and would love to again."),
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = subparsers.add_parser(
        "demo",
        help="seed a demo (unit, admin user, campaign with answers) and serve the dashboard",
        description="Upgrade the database, seed demo data (reusing what exists), run the theme analysis when it is "
        "installed, print the dashboard URL, the login and the web chat link, and serve like `viktig serve`.",
    )
    demo.add_argument("--host", help="override HOST")
    demo.add_argument("--port", type=int, help="override PORT")
    demo.add_argument("--no-serve", action="store_true", help="seed and print, but do not start the server")
    demo.set_defaults(handler=_demo, no_context=True)


async def _demo(args: argparse.Namespace, settings: Settings) -> int:
    from viktig.migrate import upgrade

    overrides = {key: value for key, value in (("host", args.host), ("port", args.port)) if value is not None}
    settings = settings.with_overrides(**overrides) if overrides else settings
    upgrade(settings.database_url)
    ctx = AppContext.create(settings)
    try:
        code, campaign_id, password, seeded = await seed(ctx)
        analysed = await analyse_if_available(ctx, code)
        base = settings.web_base_url
        print(f"Demo ready ({seeded} answers added now).")
        print(f"  Dashboard:  {base}/campaigns/{campaign_id}")
        if password:
            print(f"  Login:      {ADMIN_EMAIL}  password (shown only now): {password}")
        else:
            print(
                f"  Login:      {ADMIN_EMAIL}  (exists already; set a new password with "
                f"`viktig user add {ADMIN_EMAIL} --role admin --reset`)"
            )
        print(f"  Web chat:   {base}/s/{code}")
        print(f"  Themes:     {analysed}")
        if args.no_serve:
            return 0
        from viktig.jobs import ProcessLockHeld, single_sqlite_process
        from viktig.server import run_server

        try:
            with single_sqlite_process(settings.database_url, "serve"):
                await run_server(ctx)
        except ProcessLockHeld as held:
            raise UserError("another `viktig serve` is already running on this SQLite database") from held
        return 0
    finally:
        await ctx.close()


async def seed(ctx: AppContext) -> tuple[str, int, str | None, int]:
    """Create what is missing; returns (campaign code, campaign id, new admin password or None, answers added)."""
    from web.accounts import find_user, save_user
    from web.passwords import generate_password

    password = None
    added = 0
    async with ctx.sessions() as session, session.begin():
        unit = await get_unit_by_name(session, DEMO_UNIT) or await add_unit(session, DEMO_UNIT)
        if await get_unit_by_name(session, SECOND_UNIT) is None:
            await add_unit(session, SECOND_UNIT)
        if await find_user(session, ADMIN_EMAIL) is None:
            password = generate_password()
            await save_user(session, email=ADMIN_EMAIL, role="admin", unit=unit, password=password)
        campaign = (
            await session.exec(select(Campaign).where(Campaign.unit_id == unit.id, Campaign.name == DEMO_CAMPAIGN))
        ).first()
        if campaign is None:
            campaign = await create_campaign(
                session,
                name=DEMO_CAMPAIGN,
                unit=unit,
                languages="nb,nn,sv,en",
                channels="telegram,web,staff",
                purpose={language: t(language, "demo.purpose") for language in LANGUAGES},
            )
        has_answers = (await session.exec(select(Answer.id).where(Answer.campaign_id == campaign.id).limit(1))).first()
        if has_answers is None:
            for (source, channel), rows in _grouped().items():
                raw = "\n".join(json.dumps({"text": text, "language": language}) for language, text in rows).encode()
                result = await import_answers(
                    session, campaign, raw, filename="demo.jsonl", source=AnswerSource(source), channel=channel
                )
                added += result.imported
        return campaign.code, pk(campaign), password, added


def _grouped() -> dict[tuple[str, str], list[tuple[str, str]]]:
    groups: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for language, source, channel, text in DEMO_ANSWERS:
        groups.setdefault((source, channel), []).append((language, text))
    return groups


async def analyse_if_available(ctx: AppContext, code: str) -> str:
    try:
        available = importlib.util.find_spec("analysis.service") is not None
    except ModuleNotFoundError:
        available = False
    if not available:
        return "the theme analysis is not installed; the themes page will say so"
    async with ctx.sessions() as session:
        campaign = (await session.exec(select(Campaign).where(Campaign.code == code))).one()
        done = (
            await session.exec(
                select(ThemeRun.id).where(ThemeRun.campaign_id == campaign.id).order_by(col(ThemeRun.id)).limit(1)
            )
        ).first()
    if done is not None:
        return "analysed before (run it again from the themes page)"
    from analysis.service import analyse_campaign

    summaries = await analyse_campaign(ctx.sessions, code, taxonomy_path=ctx.settings.taxonomy_file)
    return f"{len(summaries)} themes found"
