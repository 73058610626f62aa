"""Long polling that confirms an update to Telegram only after it is stored and answered.

Telegram forgets every update below the `offset` of the next getUpdates call. PTB's Updater moves the offset as soon
as it has fetched a batch, so a crash (or a full disk) between fetching and committing lost updates for good. Here
the offset moves past an update only when its handling has finished: committed, reply sent, delivery recorded. If
storage fails, the offset stays at the first update that failed and the batch is fetched again after a back-off;
updates in it that were stored meanwhile are recognised as duplicates (and stay silent, their replies delivered).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from telegram import Bot, Update
from telegram.error import TelegramError

from bot.processing import StorageUnavailable, UpdateProcessor, where
from bot.updates import ALLOWED_UPDATES, route
from surveys.i18n import normalise_language, t
from surveys.messages import OutgoingMessage
from surveys.settings import DEFAULT_LANGUAGE

log = logging.getLogger(__name__)

RETRY_DELAY_MAX = 10.0


def retry_delay(failures: int) -> float:
    """0.5, 1, 2 ... seconds after that many failed rounds in a row, at most RETRY_DELAY_MAX."""
    return min(RETRY_DELAY_MAX, 0.5 * 2.0 ** (failures - 1))


class StoredFirstPoller:
    """getUpdates in a loop; see the module docstring. `start`/`stop` are called from the server's lifecycle."""

    def __init__(self, bot: Bot, processor: UpdateProcessor, *, timeout: int = 10, limit: int = 100) -> None:
        self.bot = bot
        self.processor = processor
        self.timeout = timeout
        self.limit = limit
        self.offset: int | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._in_batch = False
        self._told: set[int] = set()  # update ids whose sender already heard "could not save": once per update

    async def start(self) -> None:
        await self.bot.delete_webhook(drop_pending_updates=False)
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Let a batch in progress finish (so its updates are confirmed), then confirm the offset and return."""
        self._stopping.set()
        if self._task is None:
            return
        if not self._in_batch:
            self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        if self.offset is not None:
            with contextlib.suppress(TelegramError):  # confirms what was handled; the next start will not see it
                await self.bot.get_updates(offset=self.offset, limit=1, timeout=0)

    async def _run(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            try:
                updates = await self.bot.get_updates(
                    offset=self.offset,
                    limit=self.limit,
                    timeout=self.timeout,
                    allowed_updates=ALLOWED_UPDATES,
                    read_timeout=self.timeout + 10,
                )
            except TelegramError as error:
                failures += 1
                log.warning(
                    "telegram getUpdates failed: %s (retry in %.1f s)", type(error).__name__, retry_delay(failures)
                )
                await self._pause(retry_delay(failures))
                continue
            if not updates:
                continue
            self._in_batch = True
            try:
                stored = await self._handle_batch(list(updates))
            finally:
                self._in_batch = False
            failures = 0 if stored else failures + 1
            if not stored:
                await self._pause(retry_delay(failures))

    async def _handle_batch(self, updates: list[Update]) -> bool:
        """Handle a batch (per chat in order, chats side by side); move the offset up to the first failure."""
        results = await asyncio.gather(*(self._handle_one(update) for update in updates))
        for update, stored in zip(updates, results, strict=True):
            if not stored:
                self.offset = update.update_id
                return False
            self.offset = update.update_id + 1
            self._told.discard(update.update_id)
        return True

    async def _handle_one(self, update: Update) -> bool:
        try:
            await self.processor.handle(update)
        except StorageUnavailable:
            await self._tell_storage_busy(update)
            return False
        except Exception as error:  # noqa: BLE001 - a bug in one update must not stall the others for good
            log.error("telegram update failed outside the engine: %s at %s", type(error).__name__, where(error))
        return True

    async def _tell_storage_busy(self, update: Update) -> None:
        """A button press is answered at once (or its spinner turns); a message's sender hears once that it waits."""
        if update.update_id in self._told:
            return
        self._told.add(update.update_id)
        routed = route(update)
        if routed is None:
            return
        language = normalise_language(routed.language_hint) or DEFAULT_LANGUAGE
        try:
            if routed.callback_query_id is not None:
                await self.bot.answer_callback_query(routed.callback_query_id, text=t(language, "error.storage_busy"))
            elif routed.chat_id is not None and routed.incoming is not None:
                message = OutgoingMessage(t(language, "error.storage_delayed"))
                await self.processor.sender.send_messages(routed.chat_id, [message], None)
        except TelegramError as error:
            log.info("could not tell a sender that storage is busy: %s", type(error).__name__)

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
