"""The question after the thanks, "Vil du få vite hva vi gjør med svarene?", in the engine (SQLite and PostgreSQL).

Only a channel that can write later (Telegram, which hands the engine an address) asks it; a yes keeps the address
sealed for that campaign, a no keeps nothing, and /stopp and /slett take it away.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from surveys.campaigns import require_campaign, set_status
from surveys.engine import ConversationEngine
from surveys.i18n import t
from surveys.models import CampaignStatus, NotifyContact, utcnow
from surveys.retention import purge_due
from surveys.sealing import SealBroken, seal, unseal
from tests.support.chat_driver import ChatDriver
from tests.support.factories import count

CHAT_ID = "7391845263"


async def to_thanks(chat: ChatDriver, code: str) -> None:
    await chat.start(code)
    await chat.press(t("nb", "consent.yes"))
    await chat.say("Kaffe med naboen")
    await chat.say("nei")
    await chat.press(t("nb", "question.skip"))
    await chat.press(t("nb", "summary.send"))
    assert t("nb", "done.thanks") in chat.text


async def test_yes_keeps_a_sealed_address_and_stop_deletes_it(
    conversation_engine: ConversationEngine, sessions, make_campaign
) -> None:
    campaign = await make_campaign()
    chat = ChatDriver(conversation_engine, CHAT_ID, address=CHAT_ID)
    await to_thanks(chat, campaign.code)
    thanks, reference = chat.last.texts  # still two messages: the question rides on the reference
    assert thanks == t("nb", "done.thanks")
    assert reference.startswith("Referansen din er") and reference.endswith(t("nb", "notify.ask"))
    assert [button.label for button in chat.buttons()] == [t("nb", "notify.yes"), t("nb", "notify.no")]
    assert chat.last.finished and chat.last.step == "notify"
    await chat.press(t("nb", "notify.yes"))
    assert chat.text == t("nb", "notify.saved")
    async with sessions() as session:
        contact = (await session.exec(select(NotifyContact))).one()
    assert contact.campaign_id == campaign.id and contact.channel == "telegram"
    assert CHAT_ID not in contact.sealed_address
    assert conversation_engine.open_address(contact.sealed_address) == CHAT_ID
    await chat.say("/mine_data")
    assert t("nb", "mydata.notify") in chat.text
    await chat.start(campaign.code)  # back again: no second question
    assert t("nb", "done.already") in chat.text
    await chat.say("/stopp")
    assert chat.text == t("nb", "notify.stopped")
    assert await count(sessions, NotifyContact) == 0
    await chat.say("/stopp")
    assert chat.text == t("nb", "notify.none")


async def test_a_rebuilt_thanks_asks_again_while_the_question_is_open(
    conversation_engine: ConversationEngine, make_campaign
) -> None:
    campaign = await make_campaign()
    chat = ChatDriver(conversation_engine, "8000000006", address="8000000006")
    await to_thanks(chat, campaign.code)
    send_again = dict(update_key="telegram:lost-reply", records_delivery=True)
    await chat.say("/hjelp", **send_again)
    rebuilt = await chat.say("/hjelp", **send_again)  # its reply never reached the person: rebuilt from the state
    assert rebuilt.duplicate and rebuilt.texts[0] == t("nb", "done.thanks")
    assert rebuilt.texts[1].endswith(t("nb", "notify.ask"))
    await chat.press(t("nb", "notify.yes"))  # the rebuilt buttons work
    assert chat.text == t("nb", "notify.saved")


async def test_no_and_other_channels_keep_nothing(
    conversation_engine: ConversationEngine, sessions, make_campaign
) -> None:
    campaign = await make_campaign()
    declines = ChatDriver(conversation_engine, "8000000001", address="8000000001")
    await to_thanks(declines, campaign.code)
    await declines.say("nei")  # typed, not pressed
    assert declines.text == t("nb", "notify.declined")
    web = ChatDriver(conversation_engine, "visitor", channel="web")
    await to_thanks(web, campaign.code)
    assert t("nb", "notify.ask") not in web.text and web.last.step == "done"
    moves_on = ChatDriver(conversation_engine, "8000000002", address="8000000002")
    await to_thanks(moves_on, campaign.code)
    await moves_on.say("Hva skjer nå?")  # neither yes nor no: the offer lapses, the conversation is done
    assert t("nb", "done.already") in moves_on.text
    await moves_on.press(t("nb", "done.add_more"))
    assert await count(sessions, NotifyContact) == 0


async def test_delete_my_data_takes_the_contact_and_anonymous_campaigns_do_not_ask(
    conversation_engine: ConversationEngine, sessions, make_campaign
) -> None:
    campaign = await make_campaign()
    chat = ChatDriver(conversation_engine, "8000000003", address="8000000003")
    await to_thanks(chat, campaign.code)
    await chat.say("ja")
    assert await count(sessions, NotifyContact) == 1
    await chat.say("/slett")
    await chat.press(t("nb", "delete.yes"))
    assert await count(sessions, NotifyContact) == 0
    anonymous = await make_campaign(name="Anonym", anonymous=True)
    other = ChatDriver(conversation_engine, "8000000004", address="8000000004")
    await to_thanks(other, anonymous.code)
    assert t("nb", "notify.ask") not in other.text


async def test_retention_deletes_the_contacts_when_it_ends(
    conversation_engine: ConversationEngine, sessions, make_campaign
) -> None:
    campaign = await make_campaign(retention_months=1)
    chat = ChatDriver(conversation_engine, "8000000005", address="8000000005")
    await to_thanks(chat, campaign.code)
    await chat.press(t("nb", "notify.yes"))
    async with sessions() as session, session.begin():
        await set_status(session, await require_campaign(session, campaign.code), CampaignStatus.closed)
        early = await purge_due(session, utcnow() + timedelta(days=20))
    assert early.notify_contacts == 0 and await count(sessions, NotifyContact) == 1
    async with sessions() as session, session.begin():
        late = await purge_due(session, utcnow() + timedelta(days=40))
    assert late.notify_contacts == 1 and await count(sessions, NotifyContact) == 0


def test_a_seal_opens_only_under_its_key_and_never_repeats() -> None:
    first, second = seal("k" * 32, CHAT_ID), seal("k" * 32, CHAT_ID)
    assert first != second and CHAT_ID not in first
    assert unseal("k" * 32, first) == unseal("k" * 32, second) == CHAT_ID
    for broken in (seal("x" * 32, CHAT_ID), first[:-2] + "AA", "v1.", "plain"):
        with pytest.raises(SealBroken):
            unseal("k" * 32, broken)
