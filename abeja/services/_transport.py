"""The only module that talks to requests: one pooled session, the retry policy, error mapping."""

from __future__ import annotations

import json
import logging
import random
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

import requests
import requests.adapters
import requests.utils
import tenacity
import urllib3.exceptions
from requests.structures import CaseInsensitiveDict

from .. import exceptions as exc
from . import _constants as C
from ._config import Settings
from ._response import HTTPResponse, error_for, parse_retry_after
from ._types import Sleep
from ._version import __version__

logger = logging.getLogger(C.LOGGER_NAME)

USER_AGENT = f"abeja-services/{__version__} python/{sys.version_info[0]}.{sys.version_info[1]}"


def backoff(attempt: int, rand: Callable[[], float] = random.random) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1-based), with jitter."""
    base = min(C.BACKOFF_BASE * 2.0 ** (attempt - 1), C.BACKOFF_CAP)
    return base * (1.0 - C.BACKOFF_JITTER * rand())


def _connect_failed(error: BaseException) -> bool:
    """True when the request cannot have reached the server (nothing was sent)."""
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(error, requests.exceptions.SSLError) or not isinstance(
        error, requests.exceptions.ConnectionError
    ):
        return False
    cause = error.args[0] if error.args else None
    reason = getattr(cause, "reason", cause)
    return isinstance(
        reason, (urllib3.exceptions.NewConnectionError, urllib3.exceptions.ConnectTimeoutError)
    )


def _translate(error: requests.RequestException, method: str, url: str) -> exc.Error:
    """Turn a requests exception into ours; the message names no header or credential."""
    if isinstance(error, requests.exceptions.Timeout):
        what = "connect" if isinstance(error, requests.exceptions.ConnectTimeout) else "read"
        return exc.APITimeoutError(f"{method} {url}: timed out ({what})")
    if isinstance(error, requests.exceptions.SSLError):
        return exc.APIConnectionError(f"{method} {url}: TLS error: {_reason(error)}")
    if _connect_failed(error):
        return exc.APIConnectionError(f"{method} {url}: could not connect: {_reason(error)}")
    return exc.APIConnectionError(f"{method} {url}: connection failed: {_reason(error)}")


def _reason(error: BaseException) -> str:
    cause = error.args[0] if error.args else error
    reason = getattr(cause, "reason", cause)
    return f"{type(reason).__name__}: {reason}"


def _rewinder(data: object) -> Callable[[], None] | None:
    """A function that puts a seekable body back where it started, or None if it cannot."""
    if data is None or isinstance(data, (bytes, bytearray, str)):
        return lambda: None
    seekable = getattr(data, "seekable", None)
    if callable(seekable) and seekable():
        start = data.tell()  # type: ignore[attr-defined]
        return lambda: data.seek(start)  # type: ignore[attr-defined]
    return None


def _retry_policy(idempotent: bool) -> Callable[[tenacity.RetryCallState], bool]:
    """Whether an attempt's outcome is worth another attempt, for one kind of method."""
    statuses = C.RETRY_STATUSES if idempotent else C.RETRY_STATUSES_POST

    def should_retry(state: tenacity.RetryCallState) -> bool:
        outcome = state.outcome
        assert outcome is not None
        if outcome.failed:
            error = outcome.exception()
            assert error is not None
            if _connect_failed(error):
                return True
            # After a read timeout or a dropped connection the server may have acted.
            return (
                idempotent
                and isinstance(
                    error,
                    (
                        requests.exceptions.ReadTimeout,
                        requests.exceptions.ConnectionError,
                        requests.exceptions.ChunkedEncodingError,
                    ),
                )
                and not isinstance(error, requests.exceptions.SSLError)
            )
        response: requests.Response = outcome.result()
        if response.status_code not in statuses:
            return False
        delay = parse_retry_after(response.headers.get("Retry-After"), time.time())
        return delay is None or delay <= C.MAX_RETRY_AFTER

    return should_retry


def _wait(state: tenacity.RetryCallState) -> float:
    """The server's Retry-After when it gave one, else exponential backoff with jitter."""
    outcome = state.outcome
    if outcome is not None and not outcome.failed:
        delay = parse_retry_after(outcome.result().headers.get("Retry-After"), time.time())
        if delay is not None:
            return delay
    return backoff(state.attempt_number)


def _last_outcome(state: tenacity.RetryCallState) -> Any:
    """When attempts run out: the last response (mapped to an error later) or exception."""
    assert state.outcome is not None
    return state.outcome.result()


class Transport:
    """One pooled ``requests.Session`` and the retry policy around it."""

    def __init__(
        self,
        settings: Settings,
        *,
        session: requests.Session | None = None,
        sleep: Sleep | None = None,
    ) -> None:
        self.timeout = settings.timeout
        self._sleep: Sleep = sleep if sleep is not None else time.sleep
        self._owns_session = session is None
        if session is None:
            session = requests.Session()
            adapter = requests.adapters.HTTPAdapter(
                pool_connections=4, pool_maxsize=C.POOL_MAXSIZE, max_retries=0
            )
            session.mount("https://", adapter)
            session.mount("http://", adapter)
            # Proxies and CA bundle come from the environment once per client, not per call.
            session.trust_env = False
            session.verify = settings.ca_bundle or True
        self._session = session
        # Requests go straight to the session's adapters: Session.request would merge
        # cookies, hooks, settings and the environment again on every call.
        self._trust_env = session.trust_env or self._owns_session
        self._proxies: dict[str, dict[str, str]] = {}
        self._retrying = {
            idempotent: tenacity.Retrying(
                stop=tenacity.stop_after_attempt(settings.max_retries + 1),
                wait=_wait,
                retry=_retry_policy(idempotent),
                sleep=self._sleep,
                retry_error_callback=_last_outcome,
                reraise=True,
            )
            for idempotent in (True, False)
        }
        self._headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if settings.auth is not None:
            self._headers["Authorization"] = settings.auth.header
        self.closed = False

    def close(self) -> None:
        """Release pooled connections; safe to call more than once."""
        if not self.closed:
            self.closed = True
            if self._owns_session:
                self._session.close()

    def _proxies_for(self, url: str) -> dict[str, str]:
        end = url.find("/", len("https://"))
        origin = url if end < 0 else url[:end]
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
    ) -> HTTPResponse:
        """Send with retries; return a 2xx answer or raise an ``abeja.exceptions`` error."""
        if self.closed:
            raise exc.Error("this client is closed")
        prepared = self._prepare(method, url, params, json_body, data, headers)
        attempt = _Attempt(self, prepared, url, self.timeout if timeout is None else timeout, data)
        result: requests.Response | exc.Error
        try:
            if attempt.rewind is None:
                result = attempt()  # a body that cannot be rewound is never sent twice
            else:
                result = self._retrying[method in C.IDEMPOTENT_METHODS](attempt)
        except requests.RequestException as error:
            result = _translate(error, method, url)
        if isinstance(result, exc.Error):
            # Raised outside the except block so the requests exception (which holds the
            # request and its Authorization header) is not chained to ours.
            raise result
        response = HTTPResponse(
            method=method,
            url=url,
            status_code=result.status_code,
            reason=result.reason or "",
            headers=result.headers,
            content=result.content,
            elapsed=attempt.elapsed,
            raw=result,
        )
        if response.status_code >= 300:
            raise error_for(response, time.time())
        return response

    def _prepare(
        self,
        method: str,
        url: str,
        params: Mapping[str, str] | None,
        json_body: object,
        data: object,
        headers: Mapping[str, str] | None,
    ) -> requests.PreparedRequest:
        send_headers = dict(self._headers)
        if headers:
            send_headers.update(headers)
        if json_body is not None:
            data = json.dumps(json_body, separators=(",", ":"), ensure_ascii=False).encode()
            send_headers.setdefault("Content-Type", "application/json")
        prepared = requests.PreparedRequest()
        prepared.method = method
        # Built from checked ids and urlencode: nothing to normalise.
        prepared.url = f"{url}?{urlencode(params)}" if params else url
        prepared.headers = CaseInsensitiveDict(send_headers)
        prepared.prepare_body(data, None)  # Content-Length, or chunked for iterators
        return prepared


class _Attempt:
    """Sends one prepared request once per call, reading the whole body; logs each attempt."""

    def __init__(
        self,
        transport: Transport,
        prepared: requests.PreparedRequest,
        url: str,
        seconds: float,
        data: object,
    ) -> None:
        session = transport._session
        self.prepared = prepared
        self.url = url
        self.adapter = session.get_adapter(url)
        self.verify = True if session.verify is None else session.verify
        self.cert = session.cert
        self.timeout = (seconds, seconds)
        self.proxies = transport._proxies_for(url)
        self.rewind = _rewinder(data)
        self.number = 0
        self.elapsed = 0.0

    def __call__(self) -> requests.Response:
        self.number += 1
        if self.number > 1 and self.rewind is not None:
            self.rewind()
        started = time.perf_counter()
        status: object = "error"
        try:
            response = self.adapter.send(
                self.prepared,
                stream=False,
                timeout=self.timeout,
                verify=self.verify,
                cert=self.cert,
                proxies=self.proxies,
            )
            response.content  # noqa: B018 - read the body inside the retried attempt
            status = response.status_code
            return response
        finally:
            self.elapsed = time.perf_counter() - started
            if logger.isEnabledFor(logging.DEBUG):
                logger.debug(
                    "%s %s -> %s (attempt %d, %.1f ms)",
                    self.prepared.method,
                    self.url,
                    status,
                    self.number,
                    self.elapsed * 1000,
                )
