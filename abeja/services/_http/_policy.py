"""The retry policy as tenacity strategies: what is worth another attempt, how long to wait,
and when to stop. Which statuses and failures count is explained in ``_constants``.

The strategies read the call they are retrying (``retry_state.fn``): whether its body
can be sent again, whether its method is idempotent, and its deadline.
"""

from __future__ import annotations

import functools
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

import tenacity

from .. import _constants as C
from .. import errors as exc
from .._api._answers import HTTPResponse
from .._api._response import parse_retry_after
from ._failures import AttemptFailed, Limits
from ._types import Sleep

logger = logging.getLogger(C.LOGGER_NAME)


class RetriedCall(Protocol):
    """What the strategies need to know of the call they retry."""

    rewind: Callable[[], None] | None
    idempotent: bool
    limits: Limits
    path: str
    call: Any  # the transport's Call: .method, .url


def describe(outcome: Outcome) -> str:
    """An attempt's result in a few words (a status, or what failed)."""
    if outcome.response is not None:
        return str(outcome.response.status_code)
    failure = outcome.failure
    if isinstance(failure, AttemptFailed):
        return f"{failure.kind} ({failure.message})"
    return type(failure).__name__


def _call(retry_state: tenacity.RetryCallState) -> str:
    attempts: RetriedCall = retry_state.fn  # type: ignore[assignment]
    return f"{attempts.call.method} {attempts.path.split('?', 1)[0]}"


@dataclass(frozen=True)
class RetryNote:
    """What a retry's log record carries as ``record.retry`` (the CLI's retry line)."""

    method: str
    url: str
    """The request's URL without its query."""
    reason: str
    """What the attempt gave, in a few words (``describe``)."""
    connected: bool
    """Whether the server was reached (an answer, or a failure after connecting)."""
    attempt: int
    """The attempt about to be made (2 for the first retry)."""
    attempts: int
    """The most attempts the call may make."""
    wait: float


def _log_retry(attempts: int, retry_state: tenacity.RetryCallState) -> None:
    """One INFO line per decision to retry: why, and how long it waits."""
    if logger.isEnabledFor(logging.INFO):
        call: RetriedCall = retry_state.fn  # type: ignore[assignment]
        outcome: Outcome = retry_state.outcome.result()  # type: ignore[union-attr]
        failure = outcome.failure
        note = RetryNote(
            method=call.call.method,
            url=str(call.call.url).split("?", 1)[0],
            reason=describe(outcome),
            connected=not (isinstance(failure, AttemptFailed) and failure.kind == "connect"),
            attempt=retry_state.attempt_number + 1,
            attempts=attempts,
            wait=retry_state.upcoming_sleep,
        )
        logger.info(
            "retrying %s after %s: waiting %.2f s (attempt %d done)",
            _call(retry_state),
            note.reason,
            note.wait,
            retry_state.attempt_number,
            extra={"retry": note},
        )


def backoff(attempt: int, rand: Callable[[], float] = random.random) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1-based), with jitter."""
    base = min(C.BACKOFF_BASE * 2.0 ** (attempt - 1), C.BACKOFF_CAP)
    return base * (1.0 - C.BACKOFF_JITTER * rand())


@dataclass
class Outcome:
    """What one attempt gave: an answer, or a failure."""

    response: HTTPResponse | None = None
    failure: AttemptFailed | exc.ResponseTooLargeError | None = None


def _retry_after(outcome: Outcome, now: float) -> float | None:
    if outcome.response is None:
        return None
    return parse_retry_after(outcome.response.headers.get("Retry-After"), now)


_NEVER_RETRIED = frozenset({"tls", "deadline", "local", "body", "closed"})


def worth_retrying(outcome: Outcome, idempotent: bool) -> bool:
    """Whether another attempt may help, and cannot apply a write twice."""
    failure = outcome.failure
    if failure is not None:
        if not isinstance(failure, AttemptFailed) or failure.kind in _NEVER_RETRIED:
            return False
        return idempotent or not failure.sent
    response = outcome.response
    assert response is not None
    if idempotent:
        return response.status_code in C.RETRY_STATUSES
    # A 429 from the model itself (the serving proxy's header is on it) may follow work done.
    return (
        response.status_code in C.RETRY_STATUSES_POST
        and C.SERVICE_ANSWER_HEADER not in response.headers
    )


class _PastDeadline(tenacity.stop.stop_base):
    """Stop when the coming wait would end after the call's deadline (it is not waited)."""

    def __call__(self, retry_state: tenacity.RetryCallState) -> bool:
        attempts: RetriedCall = retry_state.fn  # type: ignore[assignment]
        return attempts.limits.remaining() < retry_state.upcoming_sleep


def _should_retry(retry_state: tenacity.RetryCallState) -> bool:
    attempts: RetriedCall = retry_state.fn  # type: ignore[assignment]
    outcome: Outcome = retry_state.outcome.result()  # type: ignore[union-attr]
    if attempts.rewind is None or not worth_retrying(outcome, attempts.idempotent):
        return False
    delay = _retry_after(outcome, time.time())
    if delay is not None and delay > C.MAX_RETRY_AFTER:
        logger.info(
            "not retrying %s: Retry-After %.0f s is over %.0f s",
            _call(retry_state),
            delay,
            C.MAX_RETRY_AFTER,
        )
        return False
    return True


def _wait(retry_state: tenacity.RetryCallState) -> float:
    """The server's Retry-After, never less than the backoff (no zero-delay bursts)."""
    outcome: Outcome = retry_state.outcome.result()  # type: ignore[union-attr]
    delay = backoff(retry_state.attempt_number)
    after = _retry_after(outcome, time.time())
    return delay if after is None else max(after, delay)


def _last_outcome(retry_state: tenacity.RetryCallState) -> Outcome:
    outcome: Outcome = retry_state.outcome.result()  # type: ignore[union-attr]
    return outcome


def _strategies(max_retries: int) -> dict[str, Any]:
    """The policy as tenacity's keyword arguments: the same for sync and async calls."""
    return {
        "stop": tenacity.stop_after_attempt(max_retries + 1) | _PastDeadline(),
        "wait": _wait,
        "retry": _should_retry,
        "before_sleep": functools.partial(_log_retry, max_retries + 1),
        "retry_error_callback": _last_outcome,
    }


def retrying(max_retries: int, sleep: Sleep) -> dict[bool, tenacity.Retrying]:
    """The policy for idempotent (True) and other (False) methods."""
    return {
        idempotent: tenacity.Retrying(sleep=sleep, **_strategies(max_retries))
        for idempotent in (True, False)
    }


def async_retrying(
    max_retries: int, sleep: Callable[[float], Awaitable[None]]
) -> tenacity.AsyncRetrying:
    """The same policy for the async transport (its sleep awaited)."""
    return tenacity.AsyncRetrying(sleep=sleep, **_strategies(max_retries))
