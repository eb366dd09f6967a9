"""The async client's own connections: httpcore streams that notice a 1xx answer.

httpcore skips informational (1xx) answers and hands the next one over as the answer; a
server that sends ``103`` and then a ``200`` meant for another request would have its
``200`` taken. These streams look at the first bytes read after each request is written:
when they start a 1xx status line (other than 101), the stream says so
(``informational``), and the sender refuses the answer and closes the connection, as the
sync client does. A client passed in by the user keeps its own streams.
"""

from __future__ import annotations

import asyncio
import contextlib
import select
import ssl
import typing
import weakref

import httpcore
import httpx

from ... import _constants as C
from ... import errors as exc
from .._failures import AttemptFailed
from .._proxies import check_socks_support, proxy_for
from ._async_direct import AsyncDirectPools

_STATUS_LINES = (b"HTTP/1.1 ", b"HTTP/1.0 ")
_SLICE = 256 * 1024  # a large write goes out in slices, the socket looked at in between


class NoticingStream(httpcore.AsyncNetworkStream):
    """A network stream that notes whether the answer it is reading began with a 1xx."""

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner
        self.closed = False
        self._unlooked = 0  # bytes of the request sent since the socket was looked at
        self._answer_starts = False
        self.informational = False
        """Whether the answer to the last request written began with a 1xx status line."""

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        self._unlooked = 0
        data = await self._inner.read(max_bytes, timeout)
        if self._answer_starts and data:
            self._answer_starts = False
            status = data[9:12]
            self.informational = (
                data[:9] in _STATUS_LINES and status[:1] == b"1" and status != b"101"
            )
        return data

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._answer_starts, self.informational = True, False
        # A server may answer before reading the whole body (a 413, say) and close at once:
        # the socket is looked at once every _SLICE bytes sent (a small request never pays
        # the poll), and on an answer the sending stops, so that httpcore reads it (a write
        # error is its cue to) before a failed send closes the socket and loses it.
        for start in range(0, len(buffer), _SLICE):
            if self._unlooked >= _SLICE:
                self._unlooked = 0
                if self._answered_early():
                    raise httpcore.WriteError("the server answered before the body was sent")
            piece = buffer if len(buffer) <= _SLICE else buffer[start : start + _SLICE]
            self._unlooked += len(piece)
            await self._inner.write(piece, timeout)

    def _answered_early(self) -> bool:
        """Whether the server has sent something while the request is still going out."""
        sock = self._inner.get_extra_info("socket")
        fileno = getattr(sock, "fileno", None)
        if fileno is None or fileno() < 0:
            return False
        poller = select.poll()
        poller.register(fileno(), select.POLLIN)
        return bool(poller.poll(0))

    async def aclose(self) -> None:
        self.closed = True
        await self._inner.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return NoticingStream(await self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> typing.Any:
        return self._inner.get_extra_info(info)


class NoticingBackend(httpcore.AsyncNetworkBackend):
    """anyio's network backend (asyncio or trio), its streams noticing 1xx answers.

    It keeps its open streams: `close` closes every one still open (httpcore's pool, closed
    while a connection was still being made, forgets that connection, whose socket then
    stays open), and refuses (closes) any connection made after it.
    """

    def __init__(self) -> None:
        self._inner = httpcore.AnyIOBackend()
        self._streams: weakref.WeakSet[NoticingStream] = weakref.WeakSet()
        self.closed = False

    def _kept(self, stream: NoticingStream) -> NoticingStream:
        self._streams.add(stream)
        return stream

    async def close(self) -> None:
        """Close every stream still open; refuse new ones."""
        self.closed = True
        for stream in list(self._streams):
            if not stream.closed:
                with contextlib.suppress(Exception):
                    await stream.aclose()

    async def _refuse_if_closed(self, stream: NoticingStream) -> None:
        if self.closed:
            with contextlib.suppress(Exception):
                await stream.aclose()
            raise httpcore.ConnectError("the client was closed")

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[typing.Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        if self.closed:
            raise httpcore.ConnectError("the client was closed")
        made = await self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        stream = self._kept(NoticingStream(made))
        await self._refuse_if_closed(stream)
        return stream

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[typing.Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        made = await self._inner.connect_unix_socket(path, timeout, socket_options)
        stream = self._kept(NoticingStream(made))
        await self._refuse_if_closed(stream)
        return stream

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def own_transport(
    ssl_context: ssl.SSLContext, *, keep_alive: bool = True, backend: NoticingBackend | None = None
) -> httpx.AsyncHTTPTransport:
    """httpx's transport on a pool of noticing streams; with ``keep_alive=False`` each
    connection is closed once its answer is read (nothing stays open between calls)."""
    transport = httpx.AsyncHTTPTransport(verify=ssl_context)
    transport._pool = httpcore.AsyncConnectionPool(  # httpx's own pool, with our backend
        ssl_context=ssl_context,
        max_connections=C.ASYNC_MAX_CONNECTIONS,
        # As many kept as may be open: a burst of calls reuses them instead of closing
        # the ones beyond a smaller keep-alive limit while other calls wait for one.
        max_keepalive_connections=C.ASYNC_MAX_CONNECTIONS if keep_alive else 0,
        network_backend=backend or NoticingBackend(),
    )
    return transport


def _proxied_transport(
    proxy: str, ssl_context: ssl.SSLContext, *, keep_alive: bool, backend: NoticingBackend
) -> httpx.AsyncHTTPTransport:
    """httpx's transport through ``proxy`` (HTTP: forward or CONNECT; SOCKS with socksio),
    its pool on noticing streams too."""
    keep = C.ASYNC_MAX_CONNECTIONS if keep_alive else 0
    limits = httpx.Limits(max_connections=C.ASYNC_MAX_CONNECTIONS, max_keepalive_connections=keep)
    transport = httpx.AsyncHTTPTransport(verify=ssl_context, proxy=httpx.Proxy(proxy),
                                         limits=limits)  # fmt: skip
    transport._pool._network_backend = backend  # httpcore's proxy pools take it
    return transport


def _unstarted(info: str) -> bool:
    """A connection that no request has started on: still ``CONNECTING``, or connected
    (``NEW``) with no request sent on it."""
    return info == "CONNECTING" or info.endswith(", NEW, Request Count: 0")


async def prune_unstarted(transport: httpx.AsyncBaseTransport) -> None:
    """Close and drop the pool's connections that a cancelled request was given and never
    started on.

    httpcore hands a waiting request a new connection, which the request then opens and
    sends on; a request cancelled in between (by its task, or by a timeout) leaves that
    connection ``CONNECTING`` or ``NEW`` for good: neither idle, closed nor available, it
    holds one of the pool's places (a burst of 200 cancelled against a pool of 100 left all
    100 so, and every later call waited for a place until its deadline).
    """
    pool = getattr(transport, "_pool", None)
    connections = getattr(pool, "_connections", None)
    waiting = getattr(pool, "_requests", None)
    if connections is None or waiting is None:
        return
    assigned = {id(request.connection) for request in waiting if request.connection is not None}
    stuck = [c for c in connections if id(c) not in assigned and _unstarted(c.info())]
    if not stuck:
        return
    connections[:] = [c for c in connections if c not in stuck]
    for connection in stuck:
        with contextlib.suppress(Exception):
            await connection.aclose()


class RoutedTransport(httpx.AsyncBaseTransport):
    """Each request direct, or through the proxy the environment names for its origin.

    The choice is requests' (``_proxies``: the same variables and ``NO_PROXY`` rules as the
    sync client), made once per origin; one pool per proxy. A SOCKS proxy without socksio
    fails before anything is sent, naming the extra to install.
    """

    def __init__(self, ssl_context: ssl.SSLContext, *, keep_alive: bool = True) -> None:
        self._ssl_context = ssl_context
        self._keep_alive = keep_alive
        self._backend = NoticingBackend()  # every pool's: its streams, closed with it
        self.direct = own_transport(ssl_context, keep_alive=keep_alive, backend=self._backend)
        self.fast = AsyncDirectPools(ssl_context, keep_alive=keep_alive)
        """The fast path's pools (``_async_direct``): direct origins, when nothing watches."""
        self._proxied: dict[str, httpx.AsyncHTTPTransport] = {}
        self._routes: dict[str, str | None] = {}

    def transports(self) -> list[httpx.AsyncHTTPTransport]:
        """Every transport made so far: the direct one first."""
        return [self.direct, *self._proxied.values()]

    async def prune(self) -> None:
        """After a call was cut short: `prune_unstarted` on every pool."""
        for transport in self.transports():
            await prune_unstarted(transport)

    def proxied(self, origin: str) -> bool:
        """Whether calls to ``origin`` (``scheme://host[:port]``) go through a proxy."""
        return self._proxy_of(origin) is not None

    def route(self, url: httpx.URL) -> httpx.AsyncHTTPTransport:
        """The transport for ``url``: direct, or its proxy's."""
        proxy = self._proxy_of(f"{url.scheme}://{url.netloc.decode('ascii')}")
        if proxy is None:
            return self.direct
        transport = self._proxied.get(proxy)
        if transport is None:
            transport = _proxied_transport(
                proxy, self._ssl_context, keep_alive=self._keep_alive, backend=self._backend
            )
            self._proxied[proxy] = transport
        return transport

    def _proxy_of(self, origin: str) -> str | None:
        if origin not in self._routes:
            chosen = proxy_for(origin + "/")
            if chosen is not None:
                try:
                    check_socks_support(chosen, "socksio", "socksio")
                except exc.APIConnectionError as error:
                    raise AttemptFailed("local", str(error), sent=False) from None
            self._routes[origin] = chosen
        return self._routes[origin]

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self.route(request.url).handle_async_request(request)

    async def aclose(self) -> None:
        self._backend.closed = True
        self.fast.close()
        await asyncio.sleep(0)  # the aborted sockets close at the loop's next turn
        for transport in self.transports():
            await transport.aclose()
        await self._backend.close()


def answered_informational(response: httpx.Response) -> bool:
    """Whether ``response`` came after a 1xx on its connection (our streams only)."""
    stream = response.extensions.get("network_stream")
    return bool(getattr(stream, "informational", False))
