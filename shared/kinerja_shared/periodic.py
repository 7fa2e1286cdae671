"""A step run every few seconds in the background (dispatch passes, polls, probes, retries).

A failing step is logged and tried again on the next round: a store or broker outage delays the
work and loses none of it. ``stop`` cancels the task and waits for it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger(__name__)


class Periodic:
    def __init__(
        self,
        name: str,
        step: Callable[[], Awaitable[Any]],
        interval_s: float,
        *,
        wait_first: bool = False,
    ) -> None:
        self._name = name
        self._step = step
        self._interval_s = interval_s
        self._wait_first = wait_first
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self._name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        if self._wait_first:
            await asyncio.sleep(self._interval_s)
        while True:
            try:
                await self._step()
            except asyncio.CancelledError:
                raise
            except Exception:  # the next round tries again
                log.exception("%s failed; retrying", self._name)
            await asyncio.sleep(self._interval_s)
