"""Callable types shared by the client, the transport and the waiters (defined once)."""

from __future__ import annotations

from collections.abc import Callable

Sleep = Callable[[float], None]
"""Waits a number of seconds (``time.sleep``; tests pass a recorder)."""

Clock = Callable[[], float]
"""Monotonic seconds, for deadlines (``time.monotonic``; tests pass a fake)."""
