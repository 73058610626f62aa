"""Token buckets that keep outgoing messages within what Telegram tolerates.

Telegram's published limits: about 30 messages per second overall and about one message per second in one chat,
with short bursts tolerated. Our choice: an overall bucket of 30/s without burst (evenly spaced, so no one-second
window ever holds more than 30; a burst of 30 on top of the rate would allow 60) and a per-chat bucket refilled at
1/s with a burst of 3, because one engine reply is often two or three messages (e.g. "thank you" plus the
reference) that a person should see together; a fourth message within the same second waits. After a 429 every
send pauses for the `retry_after` Telegram gave (we cannot tell a chat flood from a global one, so we wait
globally: slower for a moment, never a second 429 in a row).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class SendLimits:
    overall_per_second: float = 30.0
    overall_burst: int = 1
    per_chat_per_second: float = 1.0
    per_chat_burst: int = 3
    max_retries_after_429: int = 3

    @classmethod
    def for_rate(cls, overall_per_second: float) -> SendLimits:
        """Limits for one process sending at most `overall_per_second` (Telegram's ~30/s is per bot, so N
        processes each get 30/N). Rates above Telegram's own only make sense against a local Bot API in
        benchmarks; there the per-chat rate is lifted in proportion so that it does not become the bottleneck."""
        return cls(overall_per_second=overall_per_second, per_chat_per_second=max(1.0, overall_per_second / 30))


class TokenBucket:
    """A FIFO token bucket: waiters are served in arrival order (the lock is held while waiting)."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = burst
        self._tokens = float(burst)
        self._stamp = time.monotonic()
        self._lock = asyncio.Lock()

    def _refill(self, now: float) -> None:
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    def restart_refill(self) -> None:
        """Refill from now on: the token was taken earlier, but the message only left now."""
        self._stamp = max(self._stamp, time.monotonic())

    @property
    def full(self) -> bool:
        self._refill(time.monotonic())
        return self._tokens >= self.burst and not self._lock.locked()

    async def take(self, not_before: PauseGate | None = None) -> None:
        async with self._lock:
            while True:
                wait = not_before.remaining() if not_before is not None else 0.0
                now = time.monotonic()
                self._refill(now)
                if wait <= 0 and self._tokens >= 1:
                    self._tokens -= 1
                    return
                await asyncio.sleep(max(wait, (1 - self._tokens) / self.rate))


class PauseGate:
    """A moment before which nothing may be sent (set by a 429's retry_after)."""

    def __init__(self) -> None:
        self._until = 0.0

    def pause(self, seconds: float) -> None:
        self._until = max(self._until, time.monotonic() + seconds)

    def remaining(self) -> float:
        return self._until - time.monotonic()


class OutgoingLimiter:
    """One per process: the overall bucket, a bucket per chat, and the pause after a 429."""

    _SWEEP_EVERY = 1000  # forget full per-chat buckets now and then, so memory stays bounded

    def __init__(self, limits: SendLimits | None = None) -> None:
        self.limits = limits or SendLimits()
        self._overall = TokenBucket(self.limits.overall_per_second, self.limits.overall_burst)
        self._chats: dict[int | str, TokenBucket] = {}
        self._gate = PauseGate()
        self._acquired = 0

    async def acquire(self, chat_id: int | str) -> None:
        """Wait until one more message to `chat_id` may go out."""
        bucket = self._chats.get(chat_id)
        if bucket is None:
            bucket = self._chats[chat_id] = TokenBucket(self.limits.per_chat_per_second, self.limits.per_chat_burst)
        await bucket.take(self._gate)
        await self._overall.take(self._gate)
        bucket.restart_refill()  # waiting for the overall bucket must not count as the chat's quiet time
        self._acquired += 1
        if self._acquired % self._SWEEP_EVERY == 0:
            for key in [key for key, chat in self._chats.items() if chat.full]:
                del self._chats[key]

    def pause(self, seconds: float) -> None:
        self._gate.pause(seconds)
