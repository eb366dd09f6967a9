"""Polling workflows: waiting for a service's state and walking (or following) its logs.

Time comes from an injected ``clock`` and ``sleep``, so tests run without waiting.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterator

from .. import exceptions as exc
from . import _constants as C
from .models import LogEvent, LogPage, Service

Clock = Callable[[], float]
Sleep = Callable[[float], None]
FetchPage = Callable[[str | None, str | None], LogPage]


def _transient(error: exc.Error) -> bool:
    """Errors a waiter polls through: no answer, rate limits and server-side failures."""
    if isinstance(error, exc.APIConnectionError):
        return True
    return isinstance(error, exc.HttpError) and (
        error.status_code == 429 or error.status_code >= 500
    )


def wait_for(
    fetch: Callable[[], Service],
    *,
    goal: str | None,
    timeout: float,
    poll_interval: float | None,
    on_status: Callable[[Service], object] | None,
    failed_statuses: Collection[str],
    clock: Clock,
    sleep: Sleep,
) -> Service | None:
    """Poll ``fetch`` until the status is ``goal`` (or, with ``goal=None``, until a 404).

    Raises ``ServiceFailedError`` at once on a failed status and ``WaitTimeoutError``
    at the deadline (never sleeping past it). Transient errors are polled through,
    and so is a 404 within ``NOT_FOUND_GRACE`` seconds of the start.
    """
    if timeout < 0:
        raise ValueError("timeout must be 0 or more seconds")
    interval = C.FIRST_POLL_INTERVAL if poll_interval is None else poll_interval
    if interval <= 0:
        raise ValueError("poll_interval must be a positive number of seconds")
    what = goal or "deleted"
    start = clock()
    deadline = start + timeout
    last: Service | None = None
    while True:
        try:
            current = fetch()
        except exc.NotFound:
            if goal is None:
                return None
            if clock() - start > C.NOT_FOUND_GRACE:
                raise
        except exc.Error as error:
            if not _transient(error):
                raise
        else:
            if on_status is not None and (last is None or last.status != current.status):
                on_status(current)
            last = current
            if goal is not None and current.status == goal:
                return current
            if current.status in failed_statuses:
                raise exc.ServiceFailedError(
                    f"service {current.service_id} is {current.status} (waiting until {what})",
                    current,
                )
        remaining = deadline - clock()
        if remaining <= 0:
            seen = f"last seen {last.status}" if last is not None else "never seen"
            raise exc.WaitTimeoutError(f"service not {what} after {timeout:g} s ({seen})", last)
        sleep(min(interval, remaining))
        interval = min(interval * C.POLL_GROWTH, C.MAX_POLL_INTERVAL)


def iter_logs(
    fetch: FetchPage,
    *,
    limit: int | None,
    follow: bool,
    poll_interval: float,
    timeout: float | None,
    stop_event: threading.Event | None,
    clock: Clock,
    sleep: Sleep,
) -> Iterator[LogEvent]:
    """Yield events newest to oldest along ``next_backward_token``; then, with ``follow``,
    new events oldest to newest along ``next_forward_token``.

    Walking back stops on a missing or empty token, an empty page, or the token
    that was sent coming back (CloudWatch's end-of-stream signal; a server that
    keeps sending events under one token therefore cannot loop us forever).
    Following stops at ``timeout``, when ``stop_event`` is set, or on
    KeyboardInterrupt while waiting for new events.
    """
    if limit is not None and limit < 0:
        raise ValueError("limit must be 0 or more")
    if poll_interval <= 0:
        raise ValueError("poll_interval must be a positive number of seconds")
    remaining = limit
    deadline = None if timeout is None else clock() + timeout

    def budget() -> bool:
        return remaining is None or remaining > 0

    if not budget():
        return
    page = fetch(None, None)
    forward = page.next_forward_token
    sent: str | None = None
    while True:
        for event in page.events:
            if not budget():
                return
            yield event
            if remaining is not None:
                remaining -= 1
        token = page.next_backward_token
        if not page.events or not token or token == sent:
            break
        sent = token
        page = fetch(None, token)
    if not follow:
        return
    if not forward:
        raise exc.InvalidResponseError(
            "the server sent no next_forward_token: the log cannot be followed",
            status_code=200,
            url="recentlogs",
        )
    quiet = True
    while budget():
        if stop_event is not None and stop_event.is_set():
            return
        left = None if deadline is None else deadline - clock()
        if left is not None and left <= 0:
            return
        if quiet:
            try:
                sleep(poll_interval if left is None else min(poll_interval, left))
            except KeyboardInterrupt:
                return
            if stop_event is not None and stop_event.is_set():
                return
        page = fetch(forward, None)
        for event in reversed(page.events):
            if not budget():
                return
            yield event
            if remaining is not None:
                remaining -= 1
        quiet = not page.events
        if page.next_forward_token:
            forward = page.next_forward_token
