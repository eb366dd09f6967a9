"""The async request path: the same policy as ``_transport`` (``TransportCore`` and
``_policy``'s strategies, through tenacity's ``AsyncRetrying``), on ``httpx.AsyncClient``.

Only the I/O differs from the sync transport: one attempt is ``AsyncSender.send`` and the
wait between attempts is awaited. What is retried, the deadline arithmetic, the caps,
"sent or not" and the errors are ``TransportCore``'s and ``_policy``'s.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable
from contextlib import AbstractContextManager

import httpx

from ... import _constants as C
from ... import errors as exc
from ..._api._answers import HTTPResponse
from ..._api._bodies import PredictBody
from ..._config import Settings
from .._failures import Limits
from .._policy import Outcome, async_retrying, worth_retrying
from .._tls import tls_context
from .._transport_core import Attempts, Call, TransportCore
from .._types import AsyncSleep, Clock
from ._async_connection import RoutedTransport
from ._async_sender import AsyncSender

logger = logging.getLogger(C.LOGGER_NAME)


class _AsyncAttempts(Attempts):
    """The coroutine function tenacity retries: replays the first outcome, then sends."""

    def __init__(self, transport: AsyncTransport, call: Call, limits: Limits) -> None:
        super().__init__(call, limits)
        self.transport = transport

    async def __call__(self) -> Outcome:
        replayed = self.begin()
        if replayed is not None:
            return replayed
        outcome, started = Outcome(), time.perf_counter()
        try:
            outcome.response = await self.transport._sender.send(self.call, self.limits)
        except self.SCRUBBED as failure:
            self.failed(outcome, failure)
        return self.done(outcome, started)


def default_http_client(settings: Settings, *, keep_alive: bool = True) -> httpx.AsyncClient:
    """The client's own ``httpx.AsyncClient``: pooled (unless ``keep_alive=False``), no
    redirects, proxies from the environment (by requests' rules, as the sync client), the
    CA certificates of ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE``/``SSL_CERT_FILE``/
    ``SSL_CERT_DIR`` if set (a file or a folder)."""
    context = tls_context(settings.ca_bundle or True)
    return httpx.AsyncClient(
        transport=RoutedTransport(context, keep_alive=keep_alive),
        verify=context,
        trust_env=True,
        follow_redirects=False,
        timeout=settings.timeout,
    )


def unpooled_http_client() -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` on our transport that keeps no connection between calls
    (the emulator's test clients: nothing is left open when a test's event loop ends)."""
    context = tls_context(True)
    transport = RoutedTransport(context, keep_alive=False)
    return httpx.AsyncClient(transport=transport, verify=context, follow_redirects=False)


class AsyncTransport(TransportCore[Awaitable[HTTPResponse]]):
    """One ``httpx.AsyncClient``, the settings and the retry policy around it."""

    def __init__(
        self,
        settings: Settings,
        *,
        http_client: httpx.AsyncClient | None = None,
        sleep: AsyncSleep | None = None,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(settings, sleep=None, clock=clock)
        self._owns_client = http_client is None
        self._http = http_client if http_client is not None else default_http_client(settings)
        # The client's own pool keeps connections of the loop it was first used on.
        self._sender = AsyncSender(self._http, pooled=self._owns_client)
        self._async_sleep: AsyncSleep = sleep if sleep is not None else asyncio.sleep
        self._retrying = async_retrying(settings.max_retries, self._async_sleep)

    def checked_out(self) -> int:
        """Connections of our own pool busy with a request (0 between calls).

        It reads httpx's pool, which is private: if httpx moves it, this raises rather
        than answer 0 (a count that could not be wrong would prove nothing).
        """
        transport = getattr(self._http, "_transport", None)
        routed = transport.transports() if isinstance(transport, RoutedTransport) else [transport]
        busy = 0
        for each in routed:
            connections = getattr(getattr(each, "_pool", None), "connections", None)
            if connections is None:
                raise RuntimeError(
                    "httpx's connection pool is not where it was: update checked_out"
                )
            busy += sum(1 for c in connections if not (c.is_idle() or c.is_closed()))
        if isinstance(transport, RoutedTransport):
            busy += transport.fast.in_use()
        return busy

    async def aclose(self) -> None:
        """Close the pooled connections (not a client passed in); safe to call twice."""
        if not self.closed:
            self.closed = True
            self._sender.closed = True
            if self._owns_client:
                await self._http.aclose()

    def _share(self) -> None:
        self._owns_client = False

    def _retry_with(self, max_retries: int, sleep: object) -> None:
        if sleep is not None:
            self._async_sleep = sleep  # type: ignore[assignment]
        self._retrying = async_retrying(max_retries, self._async_sleep)

    async def _answer(self, call: Call, limits: Limits) -> HTTPResponse:
        result = await self._exchange(call, limits)
        # Raised here, where no local holds the credential or the httpx objects.
        if isinstance(result, exc.Error):
            raise result
        return result

    async def _exchange(self, call: Call, limits: Limits) -> HTTPResponse | exc.Error:
        attempts = _AsyncAttempts(self, call, limits)
        outcome = await attempts()
        if worth_retrying(outcome, call.idempotent) and attempts.rewind is not None:
            attempts.replay = outcome
            outcome = await self._retrying(attempts)
        return self.result(outcome, call)

    async def _predicted(
        self, url: str, opened: AbstractContextManager[PredictBody], limits: Limits
    ) -> HTTPResponse:
        with opened as body:
            return await self._answer(self._predict_call(url, body), limits)
