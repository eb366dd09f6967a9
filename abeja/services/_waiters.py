"""Polling workflows: waiting for a service's state and walking (or following) its logs.

Time comes from an injected ``clock`` and ``sleep``, so tests run without waiting.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable, Collection, Iterator

from . import _constants as C
from . import errors as exc
from ._types import Clock, Sleep
from ._validation import check_wait
from .models import LogEvent, LogPage, Service

logger = logging.getLogger(C.LOGGER_NAME)

FetchPage = Callable[[str | None, str | None], LogPage]
FetchService = Callable[[float], Service]
"""Fetches the service, taking at most the given seconds."""

# A poll always gets this long, even at the deadline (so timeout=0 still looks once).
_MIN_POLL_BUDGET = 0.5
# A request cut short this close to a walk's deadline was cut by it.
_DEADLINE_SLACK = 0.05


def _transient(error: exc.Error) -> bool:
    """Errors a waiter polls through: no answer, rate limits and server-side failures."""
    if isinstance(error, exc.APIConnectionError):
        return True
    return isinstance(error, exc.HttpError) and (
        error.status_code is not None and (error.status_code == 429 or error.status_code >= 500)
    )


class StatusWaiter:
    """Polls ``fetch`` with a growing interval until a goal, a failure or the deadline.

    The interval grows by ``growth`` per poll up to ``MAX_POLL_INTERVAL`` (``growth=1``:
    every ``poll_interval``, as the command line's ``wait --interval`` polls).

    Transient errors are polled through, and so is a 404 within
    ``NOT_FOUND_GRACE`` seconds of the start. It never sleeps past the deadline.
    """

    def __init__(
        self,
        fetch: FetchService,
        *,
        timeout: float,
        poll_interval: float | None,
        clock: Clock,
        sleep: Sleep,
        growth: float = C.POLL_GROWTH,
    ) -> None:
        timeout = check_wait("timeout", timeout)
        interval = C.FIRST_POLL_INTERVAL if poll_interval is None else poll_interval
        interval = check_wait("poll_interval", interval, zero=False)
        self._fetch = fetch
        self._timeout = timeout
        self._interval = interval
        self._growth = growth
        self._clock = clock
        self._sleep = sleep

    def until_status(
        self,
        goal: str,
        on_status: Callable[[Service], object] | None,
        failed_statuses: Collection[str],
    ) -> Service:
        """The service once its status is ``goal``; ``ServiceFailedError`` on a failed one."""
        service = self._poll(goal, on_status, failed_statuses)
        assert service is not None  # only a wait for deletion returns None
        return service

    def until_deleted(self, on_status: Callable[[Service], object] | None) -> None:
        """Return once the API answers 404 for the service."""
        self._poll(None, on_status, ())

    def _poll(
        self,
        goal: str | None,
        on_status: Callable[[Service], object] | None,
        failed_statuses: Collection[str],
    ) -> Service | None:
        poll = Poll(self, goal, on_status, failed_statuses)
        try:
            while True:
                try:
                    current = self._fetch(poll.budget())
                except exc.Error as error:
                    poll.failed(error)
                else:
                    if poll.seen(current):
                        return current
                self._sleep(poll.pause())
        except Poll.Gone:
            return None

    def poll(
        self,
        goal: str | None,
        on_status: Callable[[Service], object] | None,
        failed_statuses: Collection[str],
    ) -> Poll:
        """The waiting's state, for a loop that fetches and sleeps its own way (async)."""
        return Poll(self, goal, on_status, failed_statuses)


class _Gone(Exception):
    """The service being waited for deletion answered 404: the wait is over."""


class Poll:
    """One wait's state: what each fetched service, failure and pause means.

    The loop (sync in `StatusWaiter`, async in the async client) only fetches and sleeps:
    ``budget()`` seconds for a fetch; ``seen(service)`` True when the goal is reached
    (``ServiceFailedError`` on a failed status); ``failed(error)`` returns when the error
    is polled through, raises it otherwise (``Gone`` when deletion is confirmed);
    ``pause()`` the seconds to sleep (``WaitTimeoutError`` at the deadline).
    """

    Gone = _Gone

    def __init__(
        self,
        waiter: StatusWaiter,
        goal: str | None,
        on_status: Callable[[Service], object] | None,
        failed_statuses: Collection[str],
    ) -> None:
        self._waiter = waiter
        self._goal = goal
        self._what = goal or "deleted"
        self._on_status = on_status
        self._failed_statuses = failed_statuses
        self._clock = waiter._clock
        self._start = self._clock()
        self._deadline = self._start + waiter._timeout
        self._interval = waiter._interval
        self.last: Service | None = None

    def budget(self) -> float:
        """Seconds the next fetch may take."""
        return max(self._deadline - self._clock(), _MIN_POLL_BUDGET)

    def seen(self, current: Service) -> bool:
        """Whether ``current`` is the goal; raises ServiceFailedError on a failed status."""
        if self._on_status is not None and (
            self.last is None or self.last.status != current.status
        ):
            self._on_status(current)
        self.last = current
        if self._goal is not None and current.status == self._goal:
            return True
        if current.status in self._failed_statuses:
            raise exc.ServiceFailedError(
                f"service {current.service_id} is {current.status} (waiting until {self._what})",
                current,
            )
        return False

    def failed(self, error: exc.Error) -> None:
        """Return to poll on through ``error``; raise what ends the wait."""
        if isinstance(error, exc.NotFound):
            if self._goal is None:
                raise _Gone from None
            if self._clock() - self._start > C.NOT_FOUND_GRACE:
                raise error
            return
        if not _transient(error):
            raise error

    def pause(self) -> float:
        """Seconds to sleep before the next fetch; WaitTimeoutError once the time is up."""
        remaining = self._deadline - self._clock()
        if remaining <= 0:
            seen = f"last seen {self.last.status}" if self.last is not None else "never seen"
            raise exc.WaitTimeoutError(
                f"service not {self._what} after {self._waiter._timeout:g} s ({seen})", self.last
            )
        pause = min(self._interval, remaining)
        growth = self._waiter._growth
        self._interval = max(
            min(self._interval * growth, C.MAX_POLL_INTERVAL), self._waiter._interval
        )
        return pause


def iter_logs(
    fetch: FetchPage,
    *,
    limit: int | None,
    max_pages: int,
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
    Both stop at ``timeout`` and after ``max_pages`` requests (a server that always
    hands a new token cannot keep the walk going); following also stops when
    ``stop_event`` is set, or on KeyboardInterrupt while waiting for new events.
    """
    if limit is not None and limit < 0:
        raise ValueError("limit must be 0 or more")
    if max_pages < 1:
        raise ValueError("max_pages must be at least 1")
    poll_interval = check_wait("poll_interval", poll_interval, zero=False)
    if timeout is not None:
        timeout = check_wait("timeout", timeout)
    deadline = None if timeout is None else clock() + timeout
    fetch = _bounded(fetch, max_pages, deadline, clock)
    first: list[LogPage] = []  # the walk back's first page: where following starts
    events = _walk_back(fetch, first)
    if follow:
        events = itertools.chain(
            events, _follow(fetch, first, poll_interval, deadline, stop_event, clock, sleep)
        )
    return events if limit is None else itertools.islice(events, limit)


class _WalkOver(Exception):
    """The walk reached its page cap or its deadline."""


def _bounded(fetch: FetchPage, max_pages: int, deadline: float | None, clock: Clock) -> FetchPage:
    pages = 0

    def bounded(forward: str | None, backward: str | None) -> LogPage:
        nonlocal pages
        if pages >= max_pages:
            logger.warning("log walk stopped after %d pages (max_pages)", max_pages)
            raise _WalkOver
        if deadline is not None and clock() >= deadline:
            raise _WalkOver
        pages += 1
        try:
            return fetch(forward, backward)
        except exc.APITimeoutError:
            if deadline is not None and clock() >= deadline - _DEADLINE_SLACK:
                raise _WalkOver from None  # the walk's own timeout, not a failure
            raise

    return bounded


def _walk_back(fetch: FetchPage, first: list[LogPage]) -> Iterator[LogEvent]:
    """Every existing event, newest first; the first page is fetched at the first ``next``."""
    try:
        page = fetch(None, None)
        first.append(page)
        sent: str | None = None
        while True:
            yield from page.events
            token = page.next_backward_token
            if not page.events or not token or token == sent:
                return
            sent = token
            page = fetch(None, token)
    except _WalkOver:
        return


def _follow(
    fetch: FetchPage,
    first: list[LogPage],
    poll_interval: float,
    deadline: float | None,
    stop_event: threading.Event | None,
    clock: Clock,
    sleep: Sleep,
) -> Iterator[LogEvent]:
    """New events, oldest first, polling along ``next_forward_token``."""
    if not first:  # the walk back was cut short before its first page
        return
    forward = first[0].next_forward_token
    if not forward:
        raise exc.InvalidResponseError(
            "the server sent no next_forward_token: the log cannot be followed",
            status_code=200,
            url="recentlogs",
        )
    quiet = True
    while True:
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
        try:
            page = fetch(forward, None)
        except _WalkOver:
            return
        yield from reversed(page.events)
        quiet = not page.events
        if page.next_forward_token:
            forward = page.next_forward_token
