"""SIGTERM and SIGHUP during a rollout: rolled back like Ctrl-C.

CI runners cancel a job with SIGTERM (then SIGKILL after a grace period); a closed terminal
sends SIGHUP. Either would end the process where it stands, with the endpoint on a version
that was never baked. While a run goes on in the main thread, each of them (if the process
left it at its default action) becomes an interrupt that the run unwinds, as it does Ctrl-C.
A second signal during the rollback is not acted on: the rollback finishes. A handler the
program installed itself is left alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

_NAMES = ("SIGTERM", "SIGHUP")


class Terminated(KeyboardInterrupt):
    """A signal other than Ctrl-C's arrived during a run (unwound as Ctrl-C is)."""

    def __init__(self, number: int) -> None:
        super().__init__(f"interrupted ({signal.Signals(number).name})")
        self.number = number


def _ours() -> list[signal.Signals]:
    """The signals to take over: present here, and left at their default action."""
    if threading.current_thread() is not threading.main_thread():
        return []
    found = [getattr(signal, name) for name in _NAMES if hasattr(signal, name)]
    return [number for number in found if signal.getsignal(number) is signal.SIG_DFL]


@contextlib.contextmanager
def raised_as_interrupts() -> Iterator[None]:
    """Within: SIGTERM and SIGHUP raise `Terminated` in the main thread (once)."""
    received: list[int] = []

    def handler(number: int, frame: FrameType | None) -> None:
        if not received:  # a second signal lets the rollback finish
            received.append(number)
            raise Terminated(number)

    taken = _ours()
    for number in taken:
        signal.signal(number, handler)
    try:
        yield
    finally:
        for number in taken:
            signal.signal(number, signal.SIG_DFL)


@contextlib.contextmanager
def cancelling(
    task: asyncio.Task[Any] | None, told: Callable[[int], object]
) -> Iterator[Callable[[], int | None]]:
    """Within: SIGTERM and SIGHUP cancel ``task`` (once, ``told`` first), through the running
    loop; yields a function that tells which signal arrived, if any."""
    received: list[int] = []

    def cancel(number: int) -> None:
        if not received and task is not None:
            received.append(number)
            told(number)
            task.cancel()

    loop = asyncio.get_running_loop()
    taken = []
    for number in _ours() if task is not None else []:
        try:
            loop.add_signal_handler(number, cancel, int(number))
        except (NotImplementedError, RuntimeError, ValueError):  # not on this loop
            continue
        taken.append(number)
    try:
        yield lambda: received[0] if received else None
    finally:
        for number in taken:
            loop.remove_signal_handler(number)


def name_of(number: int) -> str:
    """``SIGTERM`` for 15, and so on."""
    return signal.Signals(number).name
