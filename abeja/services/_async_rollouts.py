"""``AsyncServiceClient(...).rollouts``: the rollout of ``_rollouts``, its steps awaited."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from ._rollout_io import Steps, drive_async
from ._rollouts import RolloutsBase
from .rollout_report import RolloutReport


class AsyncRollouts(RolloutsBase[Coroutine[Any, Any, RolloutReport]]):
    """The same rollouts on the async client: ``await client.rollouts.run(...)``.

    Reached as ``AsyncServiceClient(...).rollouts``. The arguments are checked when the
    method is called (a bad one raises before any coroutine exists); ``check``,
    ``compare`` and ``on_event`` are plain functions. A task cancelled mid-run (or an
    ``asyncio.timeout`` expiring) rolls back as Ctrl-C does, then the ``CancelledError``
    goes on.
    """

    _interrupts = (KeyboardInterrupt, asyncio.CancelledError)

    def _drive(self, steps: Steps[RolloutReport]) -> Coroutine[Any, Any, RolloutReport]:
        return drive_async(steps, self._managers)
