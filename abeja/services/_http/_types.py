"""The injected time types shared by the client, the transport and the waiters (defined once)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

Sleep = Callable[[float], None]
"""Waits a number of seconds (``time.sleep``; tests pass a recorder)."""

Clock = Callable[[], float]
"""Monotonic seconds, for deadlines (``time.monotonic``; tests pass a fake)."""

AsyncSleep = Callable[[float], Awaitable[None]]
"""What the async client awaits between retries and polls (``asyncio.sleep`` by default)."""


class StopSignal(Protocol):
    """What ends a followed log walk once set: a ``threading.Event`` or an ``asyncio.Event``."""

    def is_set(self) -> bool: ...
