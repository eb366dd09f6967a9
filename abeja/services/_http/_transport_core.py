"""What both transports (requests for ``ServiceClient``, httpx for ``AsyncServiceClient``)
share: the policy around the wire, written once.

A transport prepares a call here (`TransportCore.prepare`: headers, JSON, query, the
no-credential warning), sets its limits here (`TransportCore.limits`: per-attempt
timeout, the deadline, size caps), asks `_policy` whether and when to retry (the same
tenacity strategies, sync or async), and turns the last outcome into the answer or the
error here (`TransportCore.result`: what is a write that may have applied, the error
body's mapping). Only sending one attempt and sleeping differ between the two.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar
from urllib.parse import urlencode

from .. import _constants as C
from .. import errors as exc
from .._api._answers import HTTPResponse, answers_streamed
from .._api._bodies import DataBody, PredictBody, encode_json, open_predict_body
from .._api._response import error_for
from .._api._validation import check_headers, check_timeout
from .._config import Settings, resolve_max_retries
from .._logging import configure_from_environment
from .._version import __version__
from ._cleartext import warn_if_cleartext
from ._failures import AttemptFailed, Limits
from ._policy import Outcome, describe
from ._types import Clock, Sleep

logger = logging.getLogger(C.LOGGER_NAME)

USER_AGENT = f"abeja-services/{__version__} python/{sys.version_info[0]}.{sys.version_info[1]}"

NO_CREDENTIAL = (
    "Set PLATFORM_AUTH_TOKEN, or ABEJA_PLATFORM_USER_ID with "
    "ABEJA_PLATFORM_PERSONAL_ACCESS_TOKEN, or pass credential={'auth_token': ...}"
)

REFUSED = (
    "the credential was refused: check PLATFORM_AUTH_TOKEN (or the user id and personal "
    "access token) and that it belongs to this organization"
)

# A deadline set around several calls (a waiter's), on the transport's clock.
_outer_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "abeja_services_deadline", default=None
)


@dataclass
class Call:
    """One call, prepared: what every attempt sends (the policy reads ``method``/``url``)."""

    method: str
    url: str
    """With its query."""
    headers: dict[str, str] = field(repr=False)
    """With the credential: never shown."""
    data: object
    """The body: bytes, a file, an iterable of bytes, or None."""
    origin: str
    """``scheme://host[:port]``."""
    path: str
    """The rest of the URL, query included."""
    idempotent: bool


_Core = TypeVar("_Core", bound="TransportCore[object]")
_Answer_co = TypeVar("_Answer_co", covariant=True)


class Attempts:
    """What the callable tenacity retries keeps, for both transports: the first outcome to
    replay, the attempt count, rewinding a body before a resend, timing, the DEBUG line,
    and a failure scrubbed of its traceback. A transport's subclass only sends: its
    ``__call__`` takes ``begin()``'s replay if there is one, else sends, hands a
    ``SCRUBBED`` failure to ``failed`` and returns ``done(outcome, started)``.
    """

    SCRUBBED = (AttemptFailed, exc.ResponseTooLargeError)
    """What one attempt raises to say how it failed (the rest are bugs and propagate)."""

    def __init__(self, call: Call, limits: Limits) -> None:
        self.call = call
        self.method = call.method
        self.path = call.path
        self.limits = limits
        self.idempotent = call.idempotent
        self.rewind = rewinder(call.data)
        self.replay: Outcome | None = None
        self.number = 0

    def begin(self) -> Outcome | None:
        """The outcome to replay (the first attempt's, seen before retrying), else None
        after counting this attempt and rewinding the body for it."""
        if self.replay is not None:
            outcome, self.replay = self.replay, None
            return outcome
        self.number += 1
        if self.number > 1 and self.rewind is not None:
            self.rewind()
        return None

    @staticmethod
    def failed(outcome: Outcome, failure: AttemptFailed | exc.ResponseTooLargeError) -> None:
        """Keep ``failure`` in ``outcome``, without what would keep the connection alive:
        its traceback and the foreign error it replaced hold frames in a cycle."""
        failure.__context__ = failure.__cause__ = None
        outcome.failure = failure.with_traceback(None)

    def done(self, outcome: Outcome, started: float) -> Outcome:
        """``outcome`` timed (``elapsed``) and logged at DEBUG."""
        if outcome.response is not None:
            outcome.response.elapsed = time.perf_counter() - started
        if logger.isEnabledFor(logging.DEBUG):
            log_attempt(self.method, self.path, outcome, self.number, started)
        return outcome


def log_attempt(method: str, path: str, outcome: Outcome, number: int, started: float) -> None:
    """The DEBUG line of one attempt."""
    response = outcome.response
    logger.debug(
        "%s %s -> %s (attempt %d, %.1f ms, request id %s)",
        method,
        path.split("?", 1)[0],
        response.status_code if response else describe(outcome),
        number,
        (time.perf_counter() - started) * 1000,
        (response.request_id if response else None) or "-",
    )


def _split(url: str) -> tuple[str, str]:
    """``scheme://host[:port]`` and the rest (query included) of ``url``."""
    end = url.find("/", len("https://"))  # the first "/" after scheme://host
    return (url, "/") if end < 0 else (url[:end], url[end:])


def rewinder(data: object) -> Callable[[], None] | None:
    """A function that puts a seekable body back where it started, or None if it cannot."""
    if data is None or isinstance(data, (bytes, bytearray, str)):
        return lambda: None
    seekable = getattr(data, "seekable", None)
    if callable(seekable) and seekable():
        start = data.tell()  # type: ignore[attr-defined]
        return lambda: data.seek(start)  # type: ignore[attr-defined]
    return None


class TransportCore(Generic[_Answer_co]):
    """Settings, headers, limits and results: the transport's part that does no I/O, and
    its two calls, ``request`` and ``predict``, written once: each answers an
    ``HTTPResponse`` on the sync transport and an awaitable of one on the async.
    """

    def __init__(self, settings: Settings, *, sleep: Sleep | None, clock: Clock | None) -> None:
        configure_from_environment()
        self.timeout = settings.timeout
        self.deadline = settings.deadline
        self._api_url = settings.api_url
        self._clock: Clock = clock if clock is not None else time.monotonic
        self._max_retries = settings.max_retries
        self._headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if settings.auth is not None:
            self._headers["Authorization"] = settings.auth.header
            warn_if_cleartext(settings)
        self._warn_no_credential = settings.auth is None
        self.closed = False

    @property
    def max_retries(self) -> int:
        """Retries after the first attempt."""
        return self._max_retries

    def _retry_with(self, max_retries: int, sleep: Sleep | None) -> None:
        """Rebuild the retry policy (the subclass knows sync from async)."""
        raise NotImplementedError

    def _share(self) -> None:
        """In a ``with_options`` copy: leave the connections to the original."""
        raise NotImplementedError

    def with_options(
        self: _Core,
        *,
        timeout: float | None = None,
        max_retries: int | None = None,
        deadline: float | None = None,
        extra_headers: Mapping[str, str] | None = None,
        sleep: Sleep | None = None,
    ) -> _Core:
        """A copy with other settings that shares this one's connections (and leaves them
        open when closed: the original owns them)."""
        copy = object.__new__(type(self))
        copy.__dict__.update(self.__dict__)
        copy._share()
        if timeout is not None:
            copy.timeout = check_timeout("timeout", timeout)
        if deadline is not None:
            copy.deadline = check_timeout("deadline", deadline)
        if max_retries is not None or sleep is not None:
            if max_retries is not None:
                copy._max_retries = resolve_max_retries(max_retries, {})
            copy._retry_with(copy._max_retries, sleep)
        if extra_headers:
            copy._headers = {**self._headers, **check_headers(extra_headers)}
        return copy

    @contextlib.contextmanager
    def within(self, seconds: float) -> Iterator[None]:
        """Every call inside ends within ``seconds`` from now (or its own deadline if sooner)."""
        at = self._clock() + seconds
        outer = _outer_deadline.get()
        token = _outer_deadline.set(at if outer is None else min(at, outer))
        try:
            yield
        finally:
            _outer_deadline.reset(token)

    def prepare(
        self,
        method: str,
        url: str,
        params: Mapping[str, str] | None,
        json_body: object,
        data: object,
        headers: Mapping[str, str] | None,
        presigned: bool = False,
    ) -> Call:
        """The call to send: refused on a closed client; JSON encoded; headers merged.

        ``presigned``: a URL that carries its own signature (a storage upload or download
        link): sent with none of the client's headers but its User-Agent (no credential,
        no extra header), and, as a write to storage, resent only when it cannot have
        been stored (nothing sent, or a 429/503 answer).
        """
        if self.closed:
            raise exc.ClientClosedError("this client is closed")
        if presigned:
            send = {"User-Agent": self._headers["User-Agent"], **(headers or {})}
            return Call(method, url, send, data, *_split(url), method == "GET")
        if self._warn_no_credential:
            self._warn_no_credential = False
            logger.warning(
                "no credential is configured: requests go without one. %s", NO_CREDENTIAL
            )
        send_headers = dict(self._headers)
        if json_body is not None:
            data = encode_json(json_body)
            send_headers["Content-Type"] = "application/json"
        if headers:
            send_headers.update(headers)
        url += f"?{urlencode(params)}" if params else ""
        return Call(method, url, send_headers, data, *_split(url), method in C.IDEMPOTENT_METHODS)

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: object = None,
        data: object = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        max_bytes: int = C.MAX_RESPONSE_BYTES,
        presigned: bool = False,
    ) -> _Answer_co:
        """Send with retries; the 2xx answer, or an ``abeja.exceptions`` error raised.

        ``timeout`` (this call's per-read timeout) also extends its deadline when longer.
        """
        call = self.prepare(method, url, params, json_body, data, headers, presigned)
        return self._answer(call, self.limits(timeout, max_bytes))

    def predict(
        self,
        url: str,
        json: object,
        data: DataBody | Path | None,
        content_type: str | None,
        timeout: float | None,
        max_bytes: int,
    ) -> _Answer_co:
        """A prediction: its body opened (a ``Path`` streamed, then closed), then sent.

        Within ``streamed_answers()`` (``with_streaming_response``), a 2xx answer comes
        back with its body unread, in ``body_stream``.
        """
        limits = self.limits(timeout, max_bytes)
        limits.stream = answers_streamed()
        return self._predicted(url, open_predict_body(json, data, content_type), limits)

    def _answer(self, call: Call, limits: Limits) -> _Answer_co:
        """Send ``call`` under the retry policy; the 2xx answer or the error raised."""
        raise NotImplementedError

    def _predicted(
        self, url: str, opened: AbstractContextManager[PredictBody], limits: Limits
    ) -> _Answer_co:
        """``_answer`` of a prediction's POST, its body ``opened`` around the send."""
        raise NotImplementedError

    def _predict_call(self, url: str, body: PredictBody) -> Call:
        return self.prepare("POST", url, None, body.json, body.data, body.headers)

    def limits(self, timeout: float | None, max_bytes: int) -> Limits:
        """One call's limits: ``timeout`` (per read) also extends the deadline when longer."""
        seconds = self.timeout if timeout is None else timeout
        now = self._clock()
        deadline_at = now + max(self.deadline, seconds)
        outer = _outer_deadline.get()
        if outer is not None:
            deadline_at = min(deadline_at, outer)
        return Limits(seconds, deadline_at, self._clock, max_bytes)

    def _connect_hint(self, url: str) -> str:
        """Which setting names the host that could not be reached."""
        if url.startswith(self._api_url.rstrip("/") + "/organizations/"):
            return " (is the API URL right? base_url=, ABEJA_API_URL)"
        return (
            " (predictions go to the organization's sub-domain of the API host, or to "
            "service_url_template=, ABEJA_SERVICE_URL_TEMPLATE: is it right?)"
        )

    def result(self, outcome: Outcome, call: Call) -> HTTPResponse | exc.Error:
        """The 2xx answer, or the error to raise, for the last attempt's outcome."""
        method, url, idempotent = call.method, call.url.split("?", 1)[0], call.idempotent
        failure = outcome.failure
        if isinstance(failure, exc.ResponseTooLargeError):
            return failure
        if failure is not None:
            hint = self._connect_hint(url) if failure.kind == "connect" else ""
            return failure.to_error(
                f"{method} {url}", may_have_applied=not idempotent and failure.sent, hint=hint
            )
        response = outcome.response
        assert response is not None
        if response.status_code < 300:
            return response
        no_credential = response.status_code == 401 and "Authorization" not in self._headers
        return error_for(
            response,
            time.time(),
            # A 429 from the model itself (the serving proxy's header is on it) may follow
            # work done, as a 5xx may; the gateway's 429 provably did not arrive.
            may_have_applied=not idempotent
            and (
                response.status_code >= 500
                or (response.status_code == 429 and C.SERVICE_ANSWER_HEADER in response.headers)
            ),
            note=NO_CREDENTIAL if no_credential else None,
            hint=REFUSED if response.status_code == 401 and not no_credential else None,
        )
