"""The request path: prepare once, attempt, and the retry policy (tenacity) around it.

With ``_sender``, the only module that touches requests. The first attempt runs
outside tenacity (nothing to pay when it succeeds); a failure is replayed into the
policy, which then decides as if it had made that attempt itself.

The policy, in short: every call ends by its deadline (all attempts, waits and slow
bodies included); idempotent methods are retried on transient failures; a POST is
sent again only when it provably did not reach the backend (see ``_constants``).
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from urllib.parse import urlencode

import requests
import requests.adapters
import requests.utils
from requests.structures import CaseInsensitiveDict

from . import _constants as C
from . import errors as exc
from ._bodies import encode_json
from ._cleartext import warn_if_cleartext
from ._config import Settings, resolve_max_retries
from ._connection import Adapter
from ._failures import AttemptFailed, Limits
from ._logging import configure_from_environment
from ._policy import Outcome, describe, retrying, worth_retrying
from ._response import HTTPResponse, error_for
from ._sender import Sender
from ._types import Clock, Sleep
from ._validation import check_headers, check_timeout
from ._version import __version__

logger = logging.getLogger(C.LOGGER_NAME)

USER_AGENT = f"abeja-services/{__version__} python/{sys.version_info[0]}.{sys.version_info[1]}"

NO_CREDENTIAL = (
    "Set PLATFORM_AUTH_TOKEN, or ABEJA_PLATFORM_USER_ID with "
    "ABEJA_PLATFORM_PERSONAL_ACCESS_TOKEN, or pass credential={'auth_token': ...}"
)

# A deadline set around several calls (a waiter's), on the transport's clock.
_outer_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "abeja_services_deadline", default=None
)


class _Attempts:
    """The callable tenacity retries: replays the first outcome, then sends for real."""

    def __init__(
        self,
        transport: Transport,
        prepared: requests.PreparedRequest,
        origin: str,
        path: str,
        data: object,
        limits: Limits,
        idempotent: bool,
    ) -> None:
        self.transport = transport
        self.prepared = prepared
        self.origin = origin
        self.proxies = transport._proxies_for(origin)
        self.path = path
        self.limits = limits
        self.idempotent = idempotent
        self.rewind = _rewinder(data)
        self.replay: Outcome | None = None
        self.number = 0

    def __call__(self) -> Outcome:
        if self.replay is not None:
            outcome, self.replay = self.replay, None
            return outcome
        self.number += 1
        if self.number > 1 and self.rewind is not None:
            self.rewind()
        started = time.perf_counter()
        outcome = Outcome()
        try:
            outcome.response = self.transport._sender.send(
                self.prepared,
                origin=self.origin,
                path=self.path,
                proxies=self.proxies,
                limits=self.limits,
            )
            outcome.response.elapsed = time.perf_counter() - started
        except (AttemptFailed, exc.ResponseTooLargeError) as failure:
            # Its traceback and the foreign error it replaced hold frames, and so the
            # connection, in a cycle that only the garbage collector would break.
            failure.__context__ = failure.__cause__ = None
            outcome.failure = failure.with_traceback(None)
        if logger.isEnabledFor(logging.DEBUG):
            response = outcome.response
            logger.debug(
                "%s %s -> %s (attempt %d, %.1f ms, request id %s)",
                self.prepared.method,
                self.path.split("?", 1)[0],
                response.status_code if response else describe(outcome),
                self.number,
                (time.perf_counter() - started) * 1000,
                (response.request_id if response else None) or "-",
            )
        return outcome


def _rewinder(data: object) -> Callable[[], None] | None:
    """A function that puts a seekable body back where it started, or None if it cannot."""
    if data is None or isinstance(data, (bytes, bytearray, str)):
        return lambda: None
    seekable = getattr(data, "seekable", None)
    if callable(seekable) and seekable():
        start = data.tell()  # type: ignore[attr-defined]
        return lambda: data.seek(start)  # type: ignore[attr-defined]
    return None


def refuse_pickling(client: object) -> tuple[object, ...]:
    """``__reduce__`` of the clients: they hold open connections and a credential."""
    raise TypeError(
        f"a {type(client).__name__} cannot be pickled: it holds open connections and a "
        "credential; make one in each process"
    )


class Transport:
    """One pooled ``requests.Session``, its settings and the retry policy around it."""

    def __init__(
        self,
        settings: Settings,
        *,
        session: requests.Session | None = None,
        sleep: Sleep | None = None,
        clock: Clock | None = None,
    ) -> None:
        configure_from_environment()
        self.timeout = settings.timeout
        self.deadline = settings.deadline
        self._clock: Clock = clock if clock is not None else time.monotonic
        owns_session = session is None
        if session is None:
            session = requests.Session()
            adapter = Adapter(pool_connections=4, pool_maxsize=C.POOL_MAXSIZE, max_retries=0)
            session.mount("https://", adapter)
            session.mount("http://", adapter)
            # Proxies and CA bundle come from the environment once per client, not per call.
            session.trust_env = False
            session.verify = settings.ca_bundle or True
        self._session = session
        self._sender = Sender(session, owns_session=owns_session)
        self._owns_session = owns_session
        self._trust_env = session.trust_env or owns_session
        self._proxies: dict[str, dict[str, str]] = {}
        self._max_retries = settings.max_retries
        self._sleep: Sleep = sleep if sleep is not None else time.sleep
        self._retrying = retrying(settings.max_retries, self._sleep)
        self._headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if settings.auth is not None:
            self._headers["Authorization"] = settings.auth.header
        self._warn_no_credential = settings.auth is None
        if settings.auth is not None:
            warn_if_cleartext(settings)
        self.closed = False

    def close(self) -> None:
        """Release pooled connections; safe to call more than once."""
        if not self.closed:
            self.closed = True
            if self._owns_session:
                self._sender.close()  # its pools, then the session

    @property
    def max_retries(self) -> int:
        """Retries after the first attempt."""
        return self._max_retries

    def with_options(
        self,
        *,
        timeout: float | None = None,
        max_retries: int | None = None,
        deadline: float | None = None,
        extra_headers: Mapping[str, str] | None = None,
        sleep: Sleep | None = None,
    ) -> Transport:
        """A copy with other settings that shares this one's connections (and leaves them
        open when closed: the original owns them)."""
        copy = object.__new__(Transport)
        copy.__dict__.update(self.__dict__)
        copy._owns_session = False
        if timeout is not None:
            copy.timeout = check_timeout("timeout", timeout)
        if deadline is not None:
            copy.deadline = check_timeout("deadline", deadline)
        if max_retries is not None or sleep is not None:
            if max_retries is not None:
                copy._max_retries = resolve_max_retries(max_retries, {})
            copy._retrying = retrying(
                self._max_retries if max_retries is None else resolve_max_retries(max_retries, {}),
                self._sleep if sleep is None else sleep,
            )
        if extra_headers:
            copy._headers = {**self._headers, **check_headers(extra_headers)}
        return copy

    def checked_out(self) -> int:
        """Connections taken from the pools and not given back (0 between calls)."""
        total = 0
        for adapter in {id(a): a for a in self._session.adapters.values()}.values():
            manager = getattr(adapter, "poolmanager", None)
            for key in list(getattr(manager, "pools", {}).keys()):
                pool = manager.pools.get(key) if manager is not None else None
                queue = getattr(pool, "pool", None)
                if queue is not None:
                    total += queue.maxsize - queue.qsize()
        return total

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

    def _proxies_for(self, origin: str) -> dict[str, str]:
        """The proxies for ``scheme://host[:port]``, read once per origin."""
        proxies = self._proxies.get(origin)
        if proxies is None:
            proxies = dict(self._session.proxies)
            if self._trust_env:
                for scheme, proxy in requests.utils.get_environ_proxies(origin).items():
                    proxies.setdefault(scheme, proxy)
            self._proxies[origin] = proxies
        return proxies

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
    ) -> HTTPResponse:
        """Send with retries; return a 2xx answer or raise an ``abeja.exceptions`` error.

        ``timeout`` (this call's per-read timeout) also extends its deadline when longer.
        """
        if self.closed:
            raise exc.Error("this client is closed")
        if self._warn_no_credential:
            self._warn_no_credential = False
            logger.warning(
                "no credential is configured: requests go without one. %s", NO_CREDENTIAL
            )
        if json_body is not None:
            data = encode_json(json_body)
            headers = {"Content-Type": "application/json", **(headers or {})}
        result = self._exchange(method, url, params, data, headers, timeout, max_bytes)
        # Raised here, where no local holds the credential or the requests objects.
        if isinstance(result, exc.Error):
            raise result
        return result

    def _limits(self, timeout: float | None, max_bytes: int) -> Limits:
        seconds = self.timeout if timeout is None else timeout
        now = self._clock()
        deadline_at = now + max(self.deadline, seconds)
        outer = _outer_deadline.get()
        if outer is not None:
            deadline_at = min(deadline_at, outer)
        return Limits(seconds, deadline_at, self._clock, max_bytes)

    def _exchange(
        self,
        method: str,
        url: str,
        params: Mapping[str, str] | None,
        data: object,
        headers: Mapping[str, str] | None,
        timeout: float | None,
        max_bytes: int,
    ) -> HTTPResponse | exc.Error:
        send_headers = dict(self._headers)
        if headers:
            send_headers.update(headers)
        query = f"?{urlencode(params)}" if params else ""
        prepared = requests.PreparedRequest()
        prepared.method = method
        prepared.url = url + query  # built from checked ids and urlencode: nothing to normalise
        prepared.headers = CaseInsensitiveDict(send_headers)
        prepared.prepare_body(data, None)  # Content-Length, or chunked for iterators
        end = url.find("/", len("https://"))  # the first "/" after scheme://host
        origin, path = (url, "/") if end < 0 else (url[:end], url[end:])
        idempotent = method in C.IDEMPOTENT_METHODS
        attempts = _Attempts(
            self, prepared, origin, path + query, data, self._limits(timeout, max_bytes), idempotent
        )
        outcome = attempts()
        if worth_retrying(outcome, idempotent) and attempts.rewind is not None:
            attempts.replay = outcome
            outcome = self._retrying[idempotent](attempts)
        return self._result(outcome, method, url, idempotent)

    def _result(
        self, outcome: Outcome, method: str, url: str, idempotent: bool
    ) -> HTTPResponse | exc.Error:
        failure = outcome.failure
        if isinstance(failure, exc.ResponseTooLargeError):
            return failure
        if failure is not None:
            return failure.to_error(
                f"{method} {url}", may_have_applied=not idempotent and failure.sent
            )
        response = outcome.response
        assert response is not None
        if response.status_code < 300:
            return response
        no_credential = response.status_code == 401 and "Authorization" not in self._headers
        return error_for(
            response,
            time.time(),
            may_have_applied=not idempotent and response.status_code >= 500,
            note=NO_CREDENTIAL if no_credential else None,
        )
