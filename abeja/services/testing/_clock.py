"""A fake clock for tests: time passes only when something sleeps."""

from __future__ import annotations


class FakeClock:
    """Epoch and monotonic time that move only by `sleep`, which returns at once.

    Give ``time`` to the emulator and ``monotonic``/``sleep`` to a client: waits then
    finish instantly and the same way every run (``sleeps`` records them).
    """

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._start = start
        self.now = start
        """The current epoch time."""
        self.sleeps: list[float] = []
        """Every sleep asked for, in order."""

    def time(self) -> float:
        """Epoch seconds (the emulator's clock)."""
        return self.now

    def monotonic(self) -> float:
        """Seconds since the clock was made (a client's clock)."""
        return self.now - self._start

    def sleep(self, seconds: float) -> None:
        """Advance the clock by ``seconds`` at once."""
        if seconds < 0:
            raise ValueError("cannot sleep a negative time")
        self.sleeps.append(seconds)
        self.now += seconds

    async def async_sleep(self, seconds: float) -> None:
        """`sleep`, awaitable: the ``sleep`` of an ``AsyncServiceClient``."""
        self.sleep(seconds)
