"""Polling workflows: waiting for a service's state and walking (or following) its logs.

Time comes from an injected ``clock`` and ``sleep``, so tests run without waiting.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from .. import _constants as C
from .. import errors as exc
from .._api._validation import check_wait
from .._http._types import Clock, StopSignal
from ..models import LogEvent, LogPage, Service

logger = logging.getLogger(C.LOGGER_NAME)

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


@dataclass(frozen=True)
class WaitPlan:
    """How one wait polls: for ``timeout`` seconds, first every ``interval`` seconds,
    growing by ``growth`` per poll up to ``MAX_POLL_INTERVAL``."""

    timeout: float
    interval: float
    growth: float
    clock: Clock

    @classmethod
    def checked(
        cls,
        timeout: float,
        poll_interval: float | None,
        clock: Clock,
        growth: float = C.POLL_GROWTH,
    ) -> WaitPlan:
        """The plan of a wait, the caller's numbers checked (ValueError before any poll)."""
        timeout = check_wait("timeout", timeout)
        interval = C.FIRST_POLL_INTERVAL if poll_interval is None else poll_interval
        interval = check_wait("poll_interval", interval, zero=False)
        return cls(timeout, interval, growth, clock)


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
        plan: WaitPlan,
        goal: str | None,
        on_status: Callable[[Service], object] | None,
        failed_statuses: Collection[str],
    ) -> None:
        self._plan = plan
        self._goal = goal
        self._what = goal or "deleted"
        self._on_status = on_status
        self._failed_statuses = failed_statuses
        self._clock = plan.clock
        self._start = self._clock()
        self._deadline = self._start + plan.timeout
        self._interval = plan.interval
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
                f"service not {self._what} after {self._plan.timeout:g} s ({seen})", self.last
            )
        pause = min(self._interval, remaining)
        plan = self._plan
        self._interval = max(min(self._interval * plan.growth, C.MAX_POLL_INTERVAL), plan.interval)
        return pause


_PROBE_KEYS = frozenset({"json", "data", "content_type"})


class Probe:
    """After READY, a prediction until the first 2xx: on the platform the serving proxy
    answers 503 until the handler has loaded its model, after the service reports READY.

    The loop (sync in `StatusWaiter.until_answered`, async in the async client) sends
    ``request`` with ``budget()`` seconds; ``failed(error)`` returns on a 503 (poll on) and
    raises anything else; ``pause()`` is the seconds to sleep (``WaitTimeoutError`` once the
    wait's own timeout, counted from its start, has passed).
    """

    def __init__(self, plan: WaitPlan, request: object) -> None:
        if not isinstance(request, Mapping):
            raise TypeError("probe must be a dict of predict() arguments, such as {'json': {}}")
        unknown = set(request) - _PROBE_KEYS
        if unknown:
            raise ValueError(f"probe: unknown {sorted(unknown)}; use {sorted(_PROBE_KEYS)}")
        self.request: dict[str, Any] = dict(request)
        self._plan = plan
        self._deadline = plan.clock() + plan.timeout
        self._interval = plan.interval
        self.service: Service | None = None
        """The service, once READY (the error's ``service`` if the wait times out)."""

    def budget(self) -> float:
        """Seconds the next prediction may take."""
        return max(self._deadline - self._plan.clock(), _MIN_POLL_BUDGET)

    def failed(self, error: exc.Error) -> None:
        """Return on a 503 (still loading); raise anything else."""
        if not (isinstance(error, exc.HttpError) and error.status_code == 503):
            raise error

    def pause(self) -> float:
        """Seconds to sleep before the next prediction; WaitTimeoutError once out of time."""
        remaining = self._deadline - self._plan.clock()
        if remaining <= 0:
            raise exc.WaitTimeoutError(
                f"service READY, but the probe got no 2xx answer within {self._plan.timeout:g} s "
                "(503: the model is still loading)",
                self.service,
            )
        pause = min(self._interval, remaining)
        self._interval = min(self._interval * self._plan.growth, C.MAX_POLL_INTERVAL)
        return pause


@dataclass(frozen=True)
class FetchLogPage:
    """The walk's next request: one page along these tokens, within ``within`` seconds
    (what is left of the walk's ``timeout``; None: no timeout of its own)."""

    forward: str | None
    backward: str | None
    within: float | None = None


class LogWalk:
    """One log walk's state, for a loop that fetches and sleeps its own way.

    It walks newest to oldest along ``next_backward_token``; then, with ``follow``, new
    events oldest to newest along ``next_forward_token``. The loop asks ``step()``: a
    `FetchLogPage` to fetch (then hands the page to ``received``, which gives the events
    to yield), a float of seconds to sleep, or None when the walk is over. A fetch that
    raised ``APITimeoutError`` goes to ``cut_short``: True when the walk's own deadline
    cut it (the walk is over), False when the error is the caller's.

    Walking back stops on a missing or empty token, an empty page, or the token that was
    sent coming back (CloudWatch's end-of-stream signal; a server that keeps sending
    events under one token therefore cannot loop us forever). Both stop at ``timeout``
    and after ``max_pages`` requests (a server that always hands a new token cannot keep
    the walk going); following also stops when ``stop_event`` is set.
    """

    def __init__(
        self,
        *,
        limit: int | None,
        max_pages: int,
        follow: bool,
        poll_interval: float,
        timeout: float | None,
        stop_event: StopSignal | None,
        clock: Clock,
    ) -> None:
        if limit is not None and limit < 0:
            raise ValueError("limit must be 0 or more")
        if max_pages < 1:
            raise ValueError("max_pages must be at least 1")
        self._poll_interval = check_wait("poll_interval", poll_interval, zero=False)
        if timeout is not None:
            timeout = check_wait("timeout", timeout)
        self._clock = clock
        self._deadline = None if timeout is None else clock() + timeout
        self._left_to_yield = limit
        self._max_pages = max_pages
        self._pages = 0
        self._follow = follow
        self._stop_event = stop_event
        self._over = limit == 0
        self._backward = True  # walking back; False once following
        self._sent: str | None = None  # the backward token last sent
        self._forward: str | None = None  # where following goes on from
        self._first = True
        self._quiet = True  # the last forward page was empty (or none yet): pause first
        self._slept = False
        self._unfollowable = False

    def _left(self) -> float | None:
        return None if self._deadline is None else self._deadline - self._clock()

    def step(self) -> FetchLogPage | float | None:
        """What the loop does next: fetch a page, sleep so many seconds, or stop (None)."""
        if self._over:
            return None
        if self._unfollowable:
            self._end()
            raise exc.InvalidResponseError(
                "the server sent no next_forward_token: the log cannot be followed",
                status_code=200,
                url="recentlogs",
            )
        left = self._left()
        if not self._backward:
            if (self._stop_event is not None and self._stop_event.is_set()) or (
                left is not None and left <= 0
            ):
                self._end()
                return None
            if self._quiet and not self._slept:
                self._slept = True
                return self._poll_interval if left is None else min(self._poll_interval, left)
            self._slept = False
        if self._pages >= self._max_pages:
            logger.warning("log walk stopped after %d pages (max_pages)", self._max_pages)
            self._end()
            return None
        if left is not None and left <= 0:
            self._end()
            return None
        self._pages += 1
        if self._backward:
            return FetchLogPage(None, self._sent, left)
        return FetchLogPage(self._forward, None, left)

    def _end(self) -> None:
        self._over = True

    def cut_short(self) -> bool:
        """After an ``APITimeoutError``: True (the walk is over) when its deadline cut it."""
        left = self._left()
        if left is not None and left <= _DEADLINE_SLACK:
            self._end()
            return True
        return False

    def received(self, page: LogPage) -> list[LogEvent]:
        """The events of ``page`` to yield, in the walk's order."""
        if self._backward:
            events = list(page.events)
            if self._first:
                self._first = False
                self._forward = page.next_forward_token
            token = page.next_backward_token
            if not page.events or not token or token == self._sent:
                self._start_following()
            else:
                self._sent = token
        else:
            events = list(reversed(page.events))
            self._quiet = not page.events
            if page.next_forward_token:
                self._forward = page.next_forward_token
        if self._left_to_yield is not None:
            events = events[: self._left_to_yield]
            self._left_to_yield -= len(events)
            if self._left_to_yield == 0:
                self._end()
        return events

    def _start_following(self) -> None:
        if not self._follow:
            self._end()
            return
        self._backward = False
        # Raised at the next step, once this page's events are out.
        self._unfollowable = not self._forward
