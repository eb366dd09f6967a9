"""Long operations as a person follows them: a live line on a terminal, redrawn with the
elapsed time, and plain lines when piped (both on stderr, so that stdout keeps the result).
"""

from __future__ import annotations

import sys
import threading
import time
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from ..rollout_report import RolloutEvent

_MARKS = {"ok": "done", "failed": "FAILED", "skipped": "skipped", "planned": "plan"}
# How often the live line's elapsed time is redrawn on a terminal.
REDRAW_SECONDS = 0.5


class LiveLine:
    """One line that changes: ``show`` sets it, ``finish`` replaces it with a last line.

    On a terminal the line is redrawn in place every ``REDRAW_SECONDS`` with the seconds
    since it was (re)started; piped, each ``show`` is one plain line and nothing is redrawn.
    """

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self._lock = threading.Lock()
        self._line: str | None = None
        self._since = time.monotonic()
        self._done = threading.Event()
        if self.tty:
            threading.Thread(target=self._tick, daemon=True).start()

    def elapsed(self) -> float:
        """Seconds since the line was last restarted."""
        return time.monotonic() - self._since

    def show(self, text: str, *, restart: bool = False) -> None:
        """Set the line (``restart``: count its time from now)."""
        with self._lock:
            self._line = text
            if restart:
                self._since = time.monotonic()
            if self.tty:
                self._draw()
            else:
                click.echo(text, err=True)

    def finish(self, text: str) -> None:
        """Replace the live line with ``text``, a line that stays."""
        with self._lock:
            self._line = None
            click.echo(("\r\033[K" if self.tty else "") + text, err=True)

    def _draw(self) -> None:
        if self._line is not None:
            click.echo(f"\r\033[K{self._line} ({self.elapsed():.0f} s)", nl=False, err=True)

    def _tick(self) -> None:
        while not self._done.wait(REDRAW_SECONDS):
            with self._lock:
                self._draw()

    def __enter__(self) -> LiveLine:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop redrawing; end a live line that is still shown."""
        self._done.set()
        with self._lock:
            if self.tty and self._line is not None:
                click.echo("", err=True)
            self._line = None


class LiveSteps(LiveLine):
    """Shows ``RolloutEvent`` objects: ``show_event`` is a run's ``on_event``."""

    def __enter__(self) -> LiveSteps:
        return self

    def show_event(self, event: RolloutEvent) -> None:
        """One event: a step started, progressed or ended."""
        if event.state in ("started", "progress"):
            self.show(f"{event.step}: {event.message}", restart=event.state == "started")
            return
        text = f"{event.step}: {_MARKS.get(event.state, event.state)}: {event.message}"
        if event.state in ("ok", "failed"):
            text += f" ({self.elapsed():.1f} s)"
        self.finish(text)
