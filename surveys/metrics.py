"""A tiny Prometheus-style metrics registry: counters, gauges and histograms with labels, text exposition.

Dependency-free on purpose: the core must not import a metrics client, and a few dozen series are all Viktig needs.
Labels carry only channel names, outcomes, job names and routes, never anything about a person.
Every process has its own registry (`REGISTRY`); Prometheus scrapes each `viktig serve` process and sums them.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

LabelValues = tuple[str, ...]
_T = TypeVar("_T")

DEFAULT_BUCKETS: tuple[float, ...] = (
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
)


class MetricError(ValueError):
    """A metric was declared or used inconsistently (a programming error, not a runtime condition)."""


class _Metric:
    kind = "untyped"

    def __init__(self, name: str, help_text: str, labels: Sequence[str]) -> None:
        self.name = name
        self.help = help_text
        self.labels = tuple(labels)
        self._lock = threading.Lock()

    def _key(self, values: dict[str, str]) -> LabelValues:
        if set(values) != set(self.labels):
            raise MetricError(f"{self.name} takes labels {self.labels}, got {tuple(sorted(values))}")
        return tuple(str(values[label]) for label in self.labels)

    def _label_text(self, key: LabelValues, extra: tuple[tuple[str, str], ...] = ()) -> str:
        pairs = list(zip(self.labels, key, strict=True)) + list(extra)
        if not pairs:
            return ""
        return "{" + ",".join(f'{name}="{_escape(value)}"' for name, value in pairs) + "}"

    def samples(self) -> list[str]:
        raise NotImplementedError

    def render(self) -> str:
        lines = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} {self.kind}"]
        lines.extend(self.samples())
        return "\n".join(lines)


class Counter(_Metric):
    """Only goes up; Prometheus computes rates from it."""

    kind = "counter"

    def __init__(self, name: str, help_text: str, labels: Sequence[str] = ()) -> None:
        super().__init__(name, help_text, labels)
        self._values: dict[LabelValues, float] = {}

    def inc(self, amount: float = 1.0, **labels: str) -> None:
        if amount < 0:
            raise MetricError(f"{self.name}: a counter cannot decrease")
        key = self._key(labels)
        with self._lock:
            self._values[key] = self._values.get(key, 0.0) + amount

    def value(self, **labels: str) -> float:
        return self._values.get(self._key(labels), 0.0)

    def samples(self) -> list[str]:
        with self._lock:
            items = sorted(self._values.items())
        return [f"{self.name}{self._label_text(key)} {_number(value)}" for key, value in items]


class Gauge(_Metric):
    """A value that goes up and down; `set_function` reads it at scrape time (e.g. the DB pool in use)."""

    kind = "gauge"

    def __init__(self, name: str, help_text: str, labels: Sequence[str] = ()) -> None:
        super().__init__(name, help_text, labels)
        self._values: dict[LabelValues, float] = {}
        self._functions: dict[LabelValues, Callable[[], float]] = {}

    def set(self, value: float, **labels: str) -> None:
        key = self._key(labels)
        with self._lock:
            self._values[key] = float(value)

    def inc(self, amount: float = 1.0, **labels: str) -> None:
        key = self._key(labels)
        with self._lock:
            self._values[key] = self._values.get(key, 0.0) + amount

    def dec(self, amount: float = 1.0, **labels: str) -> None:
        self.inc(-amount, **labels)

    def set_function(self, function: Callable[[], float], **labels: str) -> None:
        key = self._key(labels)
        with self._lock:
            self._functions[key] = function

    def value(self, **labels: str) -> float:
        key = self._key(labels)
        function = self._functions.get(key)
        return float(function()) if function is not None else self._values.get(key, 0.0)

    def samples(self) -> list[str]:
        with self._lock:
            values = dict(self._values)
            functions = dict(self._functions)
        for key, function in functions.items():
            try:
                values[key] = float(function())
            except Exception:  # noqa: BLE001 - a broken reading must not break the whole scrape
                values[key] = math.nan
        return [f"{self.name}{self._label_text(key)} {_number(value)}" for key, value in sorted(values.items())]


class Histogram(_Metric):
    """Observations counted into cumulative buckets, with their sum and count (latencies, queue delays)."""

    kind = "histogram"

    def __init__(
        self, name: str, help_text: str, labels: Sequence[str] = (), buckets: Sequence[float] = DEFAULT_BUCKETS
    ) -> None:
        super().__init__(name, help_text, labels)
        if list(buckets) != sorted(buckets) or not buckets:
            raise MetricError(f"{self.name}: buckets must be a non-empty increasing sequence")
        self.buckets = tuple(float(bound) for bound in buckets)
        self._counts: dict[LabelValues, list[int]] = {}
        self._sums: dict[LabelValues, float] = {}

    def observe(self, value: float, **labels: str) -> None:
        key = self._key(labels)
        with self._lock:
            counts = self._counts.setdefault(key, [0] * (len(self.buckets) + 1))
            for index, bound in enumerate(self.buckets):
                if value <= bound:
                    counts[index] += 1
                    break
            else:
                counts[-1] += 1
            self._sums[key] = self._sums.get(key, 0.0) + value

    @contextmanager
    def time(self, **labels: str) -> Iterator[None]:
        """Observe how long the block took, also when it raised."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.observe(time.perf_counter() - started, **labels)

    def count(self, **labels: str) -> int:
        return sum(self._counts.get(self._key(labels), []))

    def samples(self) -> list[str]:
        lines: list[str] = []
        with self._lock:
            items = sorted((key, list(counts), self._sums[key]) for key, counts in self._counts.items())
        for key, counts, total in items:
            cumulative = 0
            for bound, count in zip(self.buckets + (math.inf,), counts, strict=True):
                cumulative += count
                lines.append(f"{self.name}_bucket{self._label_text(key, (('le', _number(bound)),))} {cumulative}")
            lines.append(f"{self.name}_sum{self._label_text(key)} {_number(total)}")
            lines.append(f"{self.name}_count{self._label_text(key)} {cumulative}")
        return lines


class Registry:
    """The metrics of one process, in declaration order; `render()` is what /metrics returns."""

    CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

    def __init__(self) -> None:
        self._metrics: dict[str, _Metric] = {}
        self._lock = threading.Lock()

    def _add(self, metric: _Metric) -> _Metric:
        with self._lock:
            existing = self._metrics.get(metric.name)
            if existing is not None:
                if type(existing) is not type(metric) or existing.labels != metric.labels:
                    raise MetricError(f"{metric.name} is already declared differently")
                return existing
            self._metrics[metric.name] = metric
            return metric

    def counter(self, name: str, help_text: str, labels: Sequence[str] = ()) -> Counter:
        return self._add(Counter(name, help_text, labels))  # type: ignore[return-value]

    def gauge(self, name: str, help_text: str, labels: Sequence[str] = ()) -> Gauge:
        return self._add(Gauge(name, help_text, labels))  # type: ignore[return-value]

    def histogram(
        self, name: str, help_text: str, labels: Sequence[str] = (), buckets: Sequence[float] = DEFAULT_BUCKETS
    ) -> Histogram:
        return self._add(Histogram(name, help_text, labels, buckets))  # type: ignore[return-value]

    def render(self) -> str:
        with self._lock:
            metrics = list(self._metrics.values())
        return "\n".join(metric.render() for metric in metrics) + "\n"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if math.isnan(value):
        return "NaN"
    if float(value).is_integer():
        return str(int(value))
    return repr(float(value))


REGISTRY = Registry()

# The series every process exposes. Channel and outcome values are short fixed words.
UPDATES = REGISTRY.counter(
    "viktig_updates_total",
    "Incoming messages processed by the engine, by channel and outcome (ok, duplicate); "
    "failures count in viktig_errors_total.",
    ("channel", "outcome"),
)
ANSWERS = REGISTRY.counter("viktig_answers_stored_total", "Answers stored, by channel.", ("channel",))
DUPLICATES = REGISTRY.counter(
    "viktig_duplicate_updates_total", "Updates recognised as already processed and skipped, by channel.", ("channel",)
)
ERRORS = REGISTRY.counter(
    "viktig_errors_total", "Errors by component (http: 5xx answers; job: failed jobs).", ("component",)
)
QUEUE_DELAY = REGISTRY.histogram(
    "viktig_update_queue_delay_seconds",
    "Time an update waited for its respondent's turn before processing began.",
    ("channel",),
)
PROCESSING = REGISTRY.histogram(
    "viktig_update_processing_seconds", "Time from taking a respondent's turn to the committed reply.", ("channel",)
)
HTTP_REQUESTS = REGISTRY.counter(
    "viktig_http_requests_total", "HTTP requests answered, by route and status class.", ("route", "status")
)
HTTP_LATENCY = REGISTRY.histogram("viktig_http_request_seconds", "HTTP request latency by route.", ("route",))
IN_FLIGHT = REGISTRY.gauge("viktig_http_in_flight_requests", "HTTP requests being handled right now.")
DB_POOL_IN_USE = REGISTRY.gauge(
    "viktig_db_pool_connections_in_use", "Database connections checked out of this process's pool."
)
JOB_RUNS = REGISTRY.counter(
    "viktig_job_runs_total", "Periodic job runs by job and outcome (ok, error, skipped_locked).", ("job", "outcome")
)
JOB_DURATION = REGISTRY.histogram(
    "viktig_job_duration_seconds",
    "Periodic job duration by job.",
    ("job",),
    buckets=(0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600),
)


# -- one-call helpers for the engine, so instrumenting it costs one line per place ---------------------------------

now = time.perf_counter


def turn_taken(channel: str, queued: float) -> float:
    """The update got its respondent's turn (both locks held): record how long it queued; returns the moment."""
    moment = time.perf_counter()
    QUEUE_DELAY.observe(moment - queued, channel=channel)
    return moment


def processed(channel: str, started: float) -> None:
    PROCESSING.observe(time.perf_counter() - started, channel=channel)
    UPDATES.inc(channel=channel, outcome="ok")


def skipped_duplicate(channel: str, reply: _T) -> _T:
    """Count an update recognised as already processed, and hand back the reply to return."""
    DUPLICATES.inc(channel=channel)
    UPDATES.inc(channel=channel, outcome="duplicate")
    return reply
