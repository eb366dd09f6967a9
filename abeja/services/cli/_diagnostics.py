"""What the SDK's logger says, as the command line shows it on stderr.

Always: a line when a call is about to be retried, as soon as its attempt failed (``could
not connect to http://…, retrying (2/7) in 0.5 s``), so that a wrong or unreachable API
URL is not seconds of silence. Other warnings too, but not the one about a missing
credential: a command that then fails says what to set, in CLI terms. With ``--debug``:
every record, each request and answer among them (the SDK redacts credentials).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import click

from .. import _constants as C
from ._style import paint

if TYPE_CHECKING:
    from .._http._policy import RetryNote


def retry_line(note: RetryNote) -> str:
    """The line for a retry about to be made."""
    parts = urlsplit(note.url)
    then = f"retrying ({note.attempt}/{note.attempts}) in {note.wait:.1f} s"
    if not note.connected:
        return f"could not connect to {parts.scheme}://{parts.netloc}, {then}"
    return f"{note.method} {parts.path}: {note.reason}, {then}"


class _Stderr(logging.Handler):
    def __init__(self, debug: bool) -> None:
        super().__init__(logging.DEBUG if debug else logging.INFO)
        self._debug = debug

    def emit(self, record: logging.LogRecord) -> None:
        note = getattr(record, "retry", None)
        if note is not None:  # a RetryNote: only the policy's retry records carry one
            click.echo(paint("retry:", "yellow") + " " + retry_line(note), err=True)
        elif self._debug:
            click.echo(f"debug: {record.getMessage()}", err=True)
        elif record.levelno >= logging.WARNING and "no credential" not in record.getMessage():
            click.echo(paint("warning:", "yellow") + " " + record.getMessage(), err=True)


@contextlib.contextmanager
def sdk_log_on_stderr(*, debug: bool) -> Iterator[None]:
    """While inside: the SDK's logger goes to stderr only (``debug``: every record); its
    handlers, level and propagation are as they were afterwards."""
    logger = logging.getLogger(C.LOGGER_NAME)
    before = (logger.level, logger.propagate)
    handler = _Stderr(debug)
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if debug else logging.INFO)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(before[0])
        logger.propagate = before[1]
