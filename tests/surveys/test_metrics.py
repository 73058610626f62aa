"""The metrics registry renders the Prometheus text format that a real scraper parses."""

from __future__ import annotations

import re
import threading

import pytest

from surveys.metrics import MetricError, Registry

SAMPLE = re.compile(
    r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? (-?[0-9.e+]+|\+Inf|-Inf|NaN)$'
)


def _lines(registry: Registry) -> list[str]:
    return registry.render().rstrip("\n").split("\n")


def test_counter_with_labels_renders_each_series() -> None:
    registry = Registry()
    updates = registry.counter("viktig_updates_total", "Updates.", ("channel", "outcome"))
    updates.inc(channel="telegram", outcome="ok")
    updates.inc(2, channel="telegram", outcome="ok")
    updates.inc(channel="web", outcome="duplicate")
    lines = _lines(registry)
    assert lines[:2] == ["# HELP viktig_updates_total Updates.", "# TYPE viktig_updates_total counter"]
    assert 'viktig_updates_total{channel="telegram",outcome="ok"} 3' in lines
    assert 'viktig_updates_total{channel="web",outcome="duplicate"} 1' in lines
    assert all(SAMPLE.match(line) for line in lines if not line.startswith("#"))


def test_counter_refuses_to_go_down_and_wrong_labels() -> None:
    counter = Registry().counter("c_total", "C.", ("channel",))
    with pytest.raises(MetricError):
        counter.inc(-1, channel="web")
    with pytest.raises(MetricError):
        counter.inc(outcome="ok")


def test_histogram_buckets_are_cumulative_with_sum_and_count() -> None:
    registry = Registry()
    latency = registry.histogram("lat_seconds", "Latency.", ("route",), buckets=(0.1, 1.0))
    for value in (0.05, 0.5, 0.7, 3.0):
        latency.observe(value, route="/telegram")
    lines = _lines(registry)
    assert 'lat_seconds_bucket{route="/telegram",le="0.1"} 1' in lines
    assert 'lat_seconds_bucket{route="/telegram",le="1"} 3' in lines
    assert 'lat_seconds_bucket{route="/telegram",le="+Inf"} 4' in lines
    assert 'lat_seconds_count{route="/telegram"} 4' in lines
    assert any(line.startswith('lat_seconds_sum{route="/telegram"} 4.25') for line in lines)
    assert latency.count(route="/telegram") == 4


def test_histogram_time_observes_even_when_the_block_raises() -> None:
    latency = Registry().histogram("h_seconds", "H.")
    with pytest.raises(RuntimeError), latency.time():
        raise RuntimeError("boom")
    assert latency.count() == 1


def test_gauge_function_is_read_at_scrape_time_and_a_broken_one_gives_nan() -> None:
    registry = Registry()
    pool = registry.gauge("pool_in_use", "Pool.")
    in_use = [3]
    pool.set_function(lambda: in_use[0])
    in_use[0] = 5
    assert "pool_in_use 5" in _lines(registry)
    pool.set_function(lambda: 1 / 0)
    assert "pool_in_use NaN" in _lines(registry)


def test_label_values_are_escaped() -> None:
    registry = Registry()
    registry.counter("e_total", "E.", ("route",)).inc(route='a"b\\c\nd')
    assert 'e_total{route="a\\"b\\\\c\\nd"} 1' in _lines(registry)


def test_redeclaring_the_same_metric_returns_it_and_a_different_one_is_refused() -> None:
    registry = Registry()
    first = registry.counter("x_total", "X.", ("a",))
    assert registry.counter("x_total", "X.", ("a",)) is first
    with pytest.raises(MetricError):
        registry.gauge("x_total", "X.", ("a",))


def test_counting_from_many_threads_loses_nothing() -> None:
    counter = Registry().counter("t_total", "T.", ("channel",))

    def work() -> None:
        for _ in range(10_000):
            counter.inc(channel="web")

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert counter.value(channel="web") == 80_000


async def test_the_engine_counts_answers_duplicates_and_queue_delay(conversation_engine, make_campaign) -> None:
    from surveys import metrics
    from surveys.messages import Incoming, IncomingKind
    from tests.support.chat_driver import ChatDriver

    campaign = await make_campaign()
    channel = "metrics-test"
    chat = ChatDriver(conversation_engine, "kari", channel=channel)
    answers_before = metrics.ANSWERS.value(channel=channel)
    await chat.start(campaign.code)
    await chat.press("Ja, jeg vil svare")
    await chat.say("Å være sammen med barnebarna")
    again = Incoming(
        channel=channel, user_ref="kari", kind=IncomingKind.text, text="Kaffe", update_key="metrics-test:dup"
    )
    await conversation_engine.handle(again)
    assert (await conversation_engine.handle(again)).duplicate
    assert metrics.ANSWERS.value(channel=channel) == answers_before + 2
    assert metrics.DUPLICATES.value(channel=channel) >= 1
    assert metrics.UPDATES.value(channel=channel, outcome="ok") >= 4
    assert metrics.QUEUE_DELAY.count(channel=channel) == metrics.PROCESSING.count(
        channel=channel
    ) + metrics.UPDATES.value(channel=channel, outcome="duplicate")
