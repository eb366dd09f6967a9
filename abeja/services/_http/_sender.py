"""One attempt on the wire: send a prepared request once and read its answer, bounded.

With the transport, the only module that touches requests. Two paths:

- fast: when nothing is watching (the client's own session, no hooks, no proxy for the
  origin, TLS verified without a client certificate, and requests' ``Session.send``,
  ``Session.get_adapter``, ``HTTPAdapter.send`` and the adapter itself unpatched),
  straight to ``http.client`` connections kept per origin (``_direct``), with no
  ``PreparedRequest`` made unless the body needs one;
- watched: through ``Session.request``, so instrumentation (OpenTelemetry, ddtrace),
  mocks (``responses``, ``requests-mock``), hooks, default headers and proxies all act.

Either way the client's own connections (``_connection``) end every phase by the
deadline, the body is read with ``read1`` in chunks, the decompressed size is capped, and a
1xx taken as the answer is refused. Every failure of the network stack becomes an
`AttemptFailed` saying whether the request may have reached the server; any other
exception (a signal handler's) propagates unchanged.

A forked child never uses its parent's pooled sockets (the pools are dropped at the first
call after the fork), and a client closed while calls run closes what they opened.
"""

from __future__ import annotations

import os
import types
from collections.abc import Callable, Mapping
from typing import Any

import requests
import requests.adapters
import requests.sessions

from .. import _constants as C
from .. import errors as exc
from .._api._answers import HTTPResponse
from ._connection import Adapter, current_limits, forget_pools
from ._direct import DirectPool, DirectPools, DirectResponse
from ._failures import (
    LOCAL_ERRORS as LOCAL,
)
from ._failures import (
    NETWORK_ERRORS,
    AttemptFailed,
    Limits,
    classify,
    past_deadline,
)
from ._reading import read_answer
from ._transport_core import Call

# Bumped in a child after os.fork(): a sender made before it drops its pools then.
_forks = 0


def _forked() -> None:
    global _forks
    _forks += 1


os.register_at_fork(after_in_child=_forked)


def is_original(function: object, module: types.ModuleType) -> bool:
    """True for a plain function defined in ``module``: not wrapped, patched or mocked."""
    return (
        type(function) is types.FunctionType
        and not hasattr(function, "__wrapped__")
        and function.__code__.co_filename == module.__file__
    )


_verdict: tuple[object, object, object, bool] | None = None


def _wire_request(
    call: Call, prepare: Callable[[], requests.PreparedRequest]
) -> tuple[Mapping[str, str], Any, bool]:
    """The headers, body and chunking of ``call`` as requests would send them: worked out
    here for no body or bytes (Content-Length as ``prepare_body`` sets it), taken from the
    ``PreparedRequest`` for a file, a stream or text."""
    data = call.data
    headers = call.headers
    if (data is None or type(data) is bytes) and not any(
        name.lower() == "content-length" for name in headers
    ):
        if data:
            headers["Content-Length"] = str(len(data))
            return headers, data, False
        if data is None:
            if call.method not in ("GET", "HEAD"):
                headers["Content-Length"] = "0"
            return headers, None, False
    prepared = prepare()
    body = prepared.body
    return prepared.headers, body, "Content-Length" not in prepared.headers and body is not None


def requests_unpatched() -> bool:
    """Whether requests' send path is its own (cheap: re-checked only when it changes)."""
    global _verdict
    send = requests.Session.send
    get_adapter = requests.Session.get_adapter
    adapter_send = requests.adapters.HTTPAdapter.send
    seen = _verdict
    if (
        seen is None
        or seen[0] is not send
        or seen[1] is not get_adapter
        or seen[2] is not adapter_send
    ):
        original = (
            is_original(send, requests.sessions)
            and is_original(get_adapter, requests.sessions)
            and is_original(adapter_send, requests.adapters)
        )
        seen = _verdict = (send, get_adapter, adapter_send, original)
    return seen[3]


def _as_sent(request: requests.PreparedRequest) -> requests.PreparedRequest:
    """requests' auth hook that leaves the request as it is (its Authorization ours)."""
    return request


class Sender:
    """Sends prepared requests over one session, by the fast or the watched path."""

    def __init__(self, session: requests.Session, *, owns_session: bool) -> None:
        self.session = session
        self.owns_session = owns_session
        self.closed = False
        self._forks = _forks
        # The session's adapters when last looked at, and per origin whether the fast path
        # may take it (requests' get_adapter, asked again only when the adapters change).
        self._adapters_seen: tuple[tuple[str, ...], tuple[object, ...], dict[str, bool]] | None
        self._adapters_seen = None
        self.fast_sends = 0
        """How many attempts took the fast path (tests and benchmarks read it)."""
        self._direct = DirectPools(keep=C.POOL_MAXSIZE)

    def _unwatched(self, url: str, origin: str, proxies: Mapping[str, str]) -> bool:
        """Whether nothing watches this call: the fast path may take it."""
        session = self.session
        if not self.owns_session or proxies or any(session.hooks.get("response") or ()):
            return False
        if not requests_unpatched():
            return False
        adapters = session.adapters
        seen = self._adapters_seen
        if seen is None or seen[0] != tuple(adapters) or seen[1] != tuple(adapters.values()):
            seen = self._adapters_seen = (tuple(adapters), tuple(adapters.values()), {})
        verdict = seen[2].get(origin)
        if verdict is None:
            adapter = session.get_adapter(url)
            verdict = seen[2][origin] = type(adapter) is Adapter and "send" not in vars(adapter)
        return verdict

    def send(
        self,
        call: Call,
        prepare: Callable[[], requests.PreparedRequest],
        *,
        proxies: Mapping[str, str],
        limits: Limits,
    ) -> HTTPResponse:
        """Send ``call`` once and read the whole answer; raises AttemptFailed or
        ResponseTooLargeError. ``prepare`` gives its ``PreparedRequest`` (made only where
        requests needs one: the watched path, a streamed body, the compat response)."""
        if self.closed:
            raise exc.ClientClosedError("this client is closed")
        if self._forks != _forks:
            self._after_fork()
        remaining = limits.remaining()
        if remaining <= 0:
            raise AttemptFailed("deadline", "the call's deadline passed", sent=False)
        token = current_limits.set(limits)
        try:
            seconds = min(limits.timeout, remaining)
            return self._send(call, prepare, proxies, limits, seconds)
        finally:
            current_limits.reset(token)
            self._close_if_closed()

    def _close_if_closed(self) -> None:
        if self.closed:  # closed while a call ran: what it opened is closed too
            self.close()

    def _send(
        self,
        call: Call,
        prepare: Callable[[], requests.PreparedRequest],
        proxies: Mapping[str, str],
        limits: Limits,
        seconds: float,
    ) -> HTTPResponse:
        url = call.url
        unwatched = self._unwatched(url, call.origin, proxies)
        pool = self._direct_pool(call.origin) if unwatched else None
        if pool is not None:
            headers, body, chunked = _wire_request(call, prepare)
            held: list[DirectResponse] = []
            try:
                pool.send(call.method, call.path, headers, body, chunked, limits, seconds, held)
                self.fast_sends += 1
                return read_answer(held[0], url, call.method, limits, prepare)
            except BaseException:  # a Ctrl-C between the send and the read included
                for answer in held:
                    answer.close()  # once given back, a no-op
                raise
        response = self._send_watched(prepare(), proxies, seconds, limits)
        return read_answer(response.raw, url, call.method, limits, prepare, response)

    def direct_in_use(self) -> int:
        """Connections of the fast path taken and not given back (0 between calls)."""
        return self._direct.in_use()

    def _direct_pool(self, origin: str) -> DirectPool | None:
        """The http.client pool for ``origin``; None where requests must serve (a session
        that does not verify TLS, or presents a client certificate: urllib3's warnings
        and certificate handling stay theirs)."""
        session = self.session
        verify = True if session.verify is None else session.verify
        if verify is False or session.cert is not None:
            return None
        if self.closed:
            raise exc.ClientClosedError("this client is closed")
        return self._direct.pool(origin, verify)

    def _after_fork(self) -> None:
        """In a forked child: the parent's pooled sockets are never used (nor closed: they
        are the parent's too); fresh pools are made on demand."""
        self._forks = _forks
        self._direct.forget()
        for adapter in {id(a): a for a in self.session.adapters.values()}.values():
            if isinstance(adapter, requests.adapters.HTTPAdapter):  # a user's session's too
                forget_pools(adapter)

    def close(self) -> None:
        """Close the connections this sender used; calls still running close theirs when
        they end."""
        self.closed = True
        self._direct.close()
        if self.owns_session:
            self.session.close()

    def _send_watched(
        self,
        prepared: requests.PreparedRequest,
        proxies: Mapping[str, str],
        seconds: float,
        limits: Limits,
    ) -> requests.Response:
        session = self.session
        headers = dict(prepared.headers)
        try:
            return session.request(
                str(prepared.method),
                str(prepared.url),
                data=prepared.body,
                headers=headers,
                timeout=(seconds, seconds),
                proxies=dict(proxies),
                stream=True,
                allow_redirects=False,
                # The client's credential wins: requests reads ~/.netrc only when a request
                # has no auth, and its Basic auth would replace our Authorization header.
                auth=_as_sent if "Authorization" in headers else None,
                # A session's own verify (False, or a CA path) wins over REQUESTS_CA_BUNDLE,
                # which requests would otherwise put in its place; True lets it apply.
                verify=None if session.verify is True else session.verify,
            )
        except NETWORK_ERRORS + LOCAL as error:  # instrumentation and mocks raise these too
            raise past_deadline(classify(error), limits) from None
