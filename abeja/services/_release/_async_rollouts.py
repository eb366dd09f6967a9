"""``AsyncServiceClient(...).rollouts``: the rollout of ``_rollouts``, its steps awaited."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from ..rollout_report import RolloutInterrupted, RolloutReport
from ._rollout_io import Steps, drive_async
from ._rollout_signals import cancelling, name_of
from ._rollout_steps import Run
from ._rollouts import RolloutsBase


class AsyncRollouts(RolloutsBase[Coroutine[Any, Any, RolloutReport]]):
    """The same rollouts on the async client: ``await client.rollouts.run(...)``.

    Reached as ``AsyncServiceClient(...).rollouts``. The arguments are checked when the
    method is called (a bad one raises before any coroutine exists); ``check``,
    ``compare`` and ``on_event`` are plain functions, a guard may be either. A task
    cancelled mid-run (or an ``asyncio.timeout`` expiring) rolls back as Ctrl-C does, then
    the ``CancelledError`` goes on. SIGTERM and SIGHUP (in the main thread, if left at
    their default) cancel the run's task: it rolls back, then raises `RolloutInterrupted`.
    """

    _interrupts = (KeyboardInterrupt, asyncio.CancelledError)
    _awaits = True

    def _drive(self, run: Run, steps: Steps[RolloutReport]) -> Coroutine[Any, Any, RolloutReport]:
        return self._driven(run, steps)

    async def _driven(self, run: Run, steps: Steps[RolloutReport]) -> RolloutReport:
        task = asyncio.current_task()
        with cancelling(task, lambda number: run.interrupted_by(name_of(number))) as received:
            try:
                return await drive_async(steps, self._managers)
            except asyncio.CancelledError:
                number = received()
                if number is None or task is None:
                    raise
                if hasattr(task, "uncancel"):  # Python 3.11+: this cancel is handled here
                    task.uncancel()
                raise RolloutInterrupted(run.report, number) from None
