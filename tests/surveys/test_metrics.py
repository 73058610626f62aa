"""The engine's Prometheus series (prometheus_client's default registry) count what the engine did."""

from __future__ import annotations

from prometheus_client import REGISTRY


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_the_engine_counts_answers_duplicates_and_queue_delay(conversation_engine, make_campaign) -> None:
    from surveys.messages import Incoming, IncomingKind
    from tests.support.chat_driver import ChatDriver

    campaign = await make_campaign()
    channel = "metrics-test"
    chat = ChatDriver(conversation_engine, "kari", channel=channel)
    answers_before = sample("viktig_answers_stored_total", channel=channel)
    await chat.start(campaign.code)
    await chat.press("Ja, jeg vil svare")
    await chat.say("Å være sammen med barnebarna")
    again = Incoming(
        channel=channel, user_ref="kari", kind=IncomingKind.text, text="Kaffe", update_key="metrics-test:dup"
    )
    await conversation_engine.handle(again)
    assert (await conversation_engine.handle(again)).duplicate
    assert sample("viktig_answers_stored_total", channel=channel) == answers_before + 2
    assert sample("viktig_duplicate_updates_total", channel=channel) >= 1
    assert sample("viktig_updates_total", channel=channel, outcome="ok") >= 4
    assert sample("viktig_update_queue_delay_seconds_count", channel=channel) == sample(
        "viktig_update_processing_seconds_count", channel=channel
    ) + sample("viktig_updates_total", channel=channel, outcome="duplicate")
