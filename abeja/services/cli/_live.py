"""A rollout's steps as a person follows them: a live line on a terminal, plain lines when
piped (both on stderr, so that stdout keeps the report)."""

from __future__ import annotations

import sys
import threading
import time

import click

from ..rollout_report import RolloutEvent

_MARKS = {"ok": "done", "failed": "FAILED", "skipped": "skipped", "planned": "plan"}
# How often the live line's elapsed time is redrawn on a terminal.
REDRAW_SECONDS = 0.5


class LiveSteps:
    """Shows :class:`RolloutEvent` objects: ``show`` is a run's ``on_event``."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self._lock = threading.Lock()
        self._line: str | None = None
        self._since = time.monotonic()
        self._done = threading.Event()
        self._ticker: threading.Thread | None = None
        if self.tty:
            self._ticker = threading.Thread(target=self._tick, daemon=True)
            self._ticker.start()

    def show(self, event: RolloutEvent) -> None:
        """One event: a step started, progressed or ended."""
        with self._lock:
            if event.state in ("started", "progress"):
                self._line = f"{event.step}: {event.message}"
                if event.state == "started":
                    self._since = time.monotonic()
                if self.tty:
                    self._draw()
                else:
                    click.echo(f"{event.step}: {event.message}", err=True)
                return
            self._line = None
            took = time.monotonic() - self._since
            text = f"{event.step}: {_MARKS.get(event.state, event.state)}: {event.message}"
            if event.state in ("ok", "failed"):
                text += f" ({took:.1f} s)"
            click.echo(("\r\033[K" if self.tty else "") + text, err=True)

    def _draw(self) -> None:
        if self._line is not None:
            elapsed = time.monotonic() - self._since
            click.echo(f"\r\033[K{self._line} ({elapsed:.0f} s)", nl=False, err=True)

    def _tick(self) -> None:
        while not self._done.wait(REDRAW_SECONDS):
            with self._lock:
                self._draw()

    def __enter__(self) -> LiveSteps:
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
