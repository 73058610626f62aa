"""The server's one process pool for theme analysis, and the `analyse` callable the themes page is given.

Why one pool owned by the root: the pipeline is CPU-heavy and imports scikit-learn, so it runs in another process
(never on the event loop that serves the bot and the web chat); starting a fresh process on every click of
"Kjør temaanalyse" cost seconds each time. The pool is created when the app starts, optionally warmed (the worker
process starts and imports the pipeline in the background, a little after start-up so that it does not compete
with it), and shut down when the app cleans up.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import AsyncGenerator, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from aiohttp import web
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

log = logging.getLogger(__name__)

WARM_DELAY = 10.0  # seconds after start-up; a server that lives shorter (a test, a failed start) never warms


def analysis_installed() -> bool:
    """The analysis package is optional (the dashboard works without it)."""
    try:
        return importlib.util.find_spec("analysis.service") is not None
    except ModuleNotFoundError:
        return False


def warm_up(taxonomy_path: str | None) -> None:
    """Runs in the pool's process: import the pipeline and read the taxonomy, so the first analysis is quick."""
    from analysis.pipeline import ThemePipeline

    ThemePipeline(taxonomy_path)


class AnalysisPool:
    """One worker process for the app's lifetime; `analyse(code)` runs a campaign's analysis in it."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], taxonomy_path: str | Path | None, *, warm: bool
    ) -> None:
        self.sessions, self.taxonomy_path, self.warm = sessions, taxonomy_path, warm
        self.executor: ProcessPoolExecutor | None = None

    async def lifecycle(self, _app: web.Application) -> AsyncGenerator[None]:
        """aiohttp cleanup context: the pool opens with the app and closes with it."""
        self.executor = _new_executor()
        warming = asyncio.create_task(self._warm_later()) if self.warm else None
        try:
            yield
        finally:
            if warming is not None:
                warming.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await warming
            executor, self.executor = self.executor, None
            await asyncio.get_running_loop().run_in_executor(
                None, lambda: executor.shutdown(wait=True, cancel_futures=True)
            )

    async def _warm_later(self) -> None:
        await asyncio.sleep(WARM_DELAY)
        if self.executor is None:
            return
        taxonomy = str(self.taxonomy_path) if self.taxonomy_path else None
        try:
            with _worker_ignores_ctrl_c():
                warming = asyncio.get_running_loop().run_in_executor(self.executor, warm_up, taxonomy)
            await warming
        except Exception as error:  # noqa: BLE001 - a failed warm-up only makes the first run slower
            log.warning("analysis_warm_up_failed error=%s", type(error).__name__)

    async def analyse(self, campaign_code: str) -> int:
        """Analyse the campaign in the pool and keep its themes; returns how many themes it has."""
        from analysis.service import analyse_campaign

        if self.executor is None:
            raise RuntimeError("the analysis pool is not running (the app has not started or has stopped)")
        with _worker_ignores_ctrl_c():  # starts the worker here when the warm-up has not (a no-op call otherwise)
            started = asyncio.get_running_loop().run_in_executor(self.executor, int)
        try:
            await started
            themes = await analyse_campaign(
                self.sessions, campaign_code, taxonomy_path=self.taxonomy_path, executor=self.executor
            )
        except BrokenProcessPool:
            log.error("analysis_pool_broken action=replace")  # e.g. the worker was killed; the next click works
            self.executor.shutdown(wait=False, cancel_futures=True)
            self.executor = _new_executor()
            raise
        return len(themes)


PARENT_CHECK_SECONDS = 1.0


def _new_executor() -> ProcessPoolExecutor:
    return ProcessPoolExecutor(
        max_workers=1,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=stop_with_parent,
        initargs=(os.getpid(),),
    )


def stop_with_parent(parent: int) -> None:
    """Pool initializer: the worker ends when the server that started it is gone.

    A server killed with SIGKILL (the OOM killer, `kill -9`, a crashed container runtime) never shuts its pool down,
    and the worker does not notice by itself: it holds both ends of its own task queue, so it waits for work forever,
    and with it the multiprocessing resource tracker. A restarted server starts a new worker, so the old ones piled up.
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(0)

    threading.Thread(target=watch, name="viktig-parent-watch", daemon=True).start()


@contextlib.contextmanager
def _worker_ignores_ctrl_c() -> Iterator[None]:
    """Around a submit that may start the worker: Ctrl-C in a terminal reaches every process of the group, and the
    server stops on it and shuts the pool down itself (a running analysis finishes first). The worker is started
    with SIGINT blocked, which it inherits, so it never prints a KeyboardInterrupt traceback, not even when the key
    comes while it starts. Blocked, not ignored: a Ctrl-C meant for the server in that moment waits, it is not lost."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
