"""Which updates' replies reached Telegram, recorded in batches: one write per burst, not one per message.

Every `record` waits until its key is written (the webhook answers 200, and polling confirms the offset, only after
that), and all keys that arrive while one write runs go into the next one. A failed write is logged and forgiven:
the worst case is that a redelivery of that update shows the person the current step once more.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


class DeliveryLedger:
    def __init__(self, mark_replied: Callable[[list[str]], Awaitable[None]]) -> None:
        self._mark_replied = mark_replied
        self._waiting: list[tuple[str, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def record(self, update_key: str) -> None:
        done = asyncio.get_running_loop().create_future()
        self._waiting.append((update_key, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_all())
        await done

    async def _write_all(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                await self._mark_replied([key for key, _done in batch])
            except Exception as error:  # noqa: BLE001 - a lost record only means one prompt shown twice
                log.warning("reply delivery not recorded for %d update(s): %s", len(batch), type(error).__name__)
            for _key, done in batch:
                if not done.done():
                    done.set_result(None)
