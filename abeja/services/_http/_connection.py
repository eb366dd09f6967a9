"""The client's own connections: every phase of an attempt bounded by the call's deadline.

urllib3 and http.client give a socket one timeout per phase (connect, then read), and each
``recv`` or ``send`` may wait that long again: header lines trickled, an endless stream of
``100 Continue`` or a server that reads an upload slowly could hold a call many times past
its deadline. Here the socket is wrapped so that before every blocking operation its
timeout is clipped to what is left of the current attempt's deadline (a context variable
the sender sets), and the host name is resolved once, bounded, with the connection made to
the address found (urllib3 would resolve it again, unbounded).

Only the real network path comes here: ``responses``, requests-mock and other adapters that
answer without a socket never resolve a name.
"""

from __future__ import annotations

import contextvars
import io
import ipaddress
import socket
import struct
import sys
from typing import Any

import requests.adapters
import urllib3
import urllib3.connection
import urllib3.connectionpool
import urllib3.exceptions

from ._failures import AttemptFailed, Limits
from ._resolver import Resolver

current_limits: contextvars.ContextVar[Limits | None] = contextvars.ContextVar(
    "abeja_services_limits", default=None
)
"""The limits of the attempt under way in this context (None outside one)."""

RESOLVER = Resolver()


class DeadlineSocket:
    """A socket (plain or TLS) whose every blocking call ends by the attempt's deadline."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._base = sock.gettimeout()

    def _wanted(self) -> float | None:
        """The timeout for the next blocking call: the asked one, clipped to the deadline
        (a TimeoutError once it has passed)."""
        limits = current_limits.get()
        if limits is None:
            return self._base
        left = limits.remaining()
        if left <= 0:
            raise TimeoutError("the call's deadline passed")
        return left if self._base is None or left < self._base else self._base

    def _clip(self) -> None:
        if current_limits.get() is None:
            return
        wanted = self._wanted()
        if self._sock.gettimeout() != wanted:
            self._sock.settimeout(wanted)

    def settimeout(self, value: float | None) -> None:
        """The per-operation timeout urllib3 asks for (clipped further by the deadline)."""
        self._base = value
        self._sock.settimeout(value)

    def gettimeout(self) -> float | None:
        """The per-operation timeout asked for."""
        return self._base

    def recv_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> int:
        """As ``socket.recv_into``, ending by the deadline."""
        self._clip()
        return self._sock.recv_into(buffer, nbytes, flags)

    def recv(self, bufsize: int, flags: int = 0) -> bytes:
        """As ``socket.recv``, ending by the deadline."""
        self._clip()
        return self._sock.recv(bufsize, flags)

    def send(self, data: Any, flags: int = 0) -> int:
        """As ``socket.send``, ending by the deadline."""
        self._clip()
        return self._sock.send(data, flags)

    def sendall(self, data: Any, flags: int = 0) -> None:
        """As ``socket.sendall``: the whole of ``data`` within the deadline (a slow reader)."""
        view = memoryview(data).cast("B")
        while view:
            view = view[self.send(view[: 1 << 20], flags) :]

    def makefile(self, mode: str = "r", buffering: int | None = None, **_: Any) -> Any:
        """A buffered reader (or writer) over this socket, as http.client asks for."""
        raw = socket.SocketIO(self, "rb" if "r" in mode else "wb")  # type: ignore[arg-type]
        self._sock._io_refs += 1  # type: ignore[attr-defined]
        size = io.DEFAULT_BUFFER_SIZE if buffering in (None, -1) else buffering
        return io.BufferedReader(raw, size) if "r" in mode else io.BufferedWriter(raw, size)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


_TIMEVAL = struct.Struct("@ll")
# Linux's struct tcp_info: the state is its first byte, tcpi_bytes_received (4.1+) a u64
# at byte 128.
_TCP_INFO = getattr(socket, "TCP_INFO", None)
_TCP_INFO_SIZE = 136
_TCP_ESTABLISHED = 1
_BYTES_RECEIVED = struct.Struct("@Q")
KERNEL_TIMEOUTS = sys.platform == "linux" and hasattr(socket, "SO_RCVTIMEO")
"""Whether a plain TCP socket's timeouts can be kept by the kernel (Linux)."""


class KernelTimedSocket(DeadlineSocket):
    """A plain TCP socket left blocking, each ``recv`` and ``send`` bounded by the kernel
    (``SO_RCVTIMEO``, ``SO_SNDTIMEO``), clipped to the deadline as `DeadlineSocket` is.

    A socket with a Python timeout waits in ``poll`` before each ``recv`` or ``send``:
    two system calls, each handing the GIL to another thread, where this makes one. A wait
    that runs out is a ``TimeoutError``, as with a Python timeout. Not for TLS: the ssl
    module would retry a read the kernel timed out, with no end.
    """

    def __init__(self, sock: socket.socket) -> None:
        super().__init__(sock)
        self._applied: float | None = None  # what the kernel holds (None: no timeout)
        self._consumed = 0  # bytes read from the kernel: all the peer sent, when idle
        sock.settimeout(None)

    def stirred(self) -> bool | None:
        """Whether the peer closed this idle connection or sent bytes nobody read, asked of
        the kernel (``TCP_INFO``: its state, and the bytes received against those read) with
        a ``getsockopt``, which keeps the GIL; None where the kernel does not tell (then
        ask ``poll``)."""
        if _TCP_INFO is None:
            return None
        try:
            info = self._sock.getsockopt(socket.IPPROTO_TCP, _TCP_INFO, _TCP_INFO_SIZE)
        except OSError:
            return None
        if len(info) < _TCP_INFO_SIZE:
            return None
        received: int = _BYTES_RECEIVED.unpack_from(info, 128)[0]
        return info[0] != _TCP_ESTABLISHED or received != self._consumed

    def _clip(self) -> None:
        wanted = self._wanted()
        if wanted != self._applied:  # two setsockopt calls, which keep the GIL
            seconds = 0.0 if wanted is None else max(wanted, 0.001)
            whole = int(seconds)
            value = _TIMEVAL.pack(whole, int((seconds - whole) * 1_000_000))
            self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, value)
            self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, value)
            self._applied = wanted

    def settimeout(self, value: float | None) -> None:
        """The per-operation timeout asked for, kept by the kernel from the next call."""
        self._base = value

    def recv_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> int:
        """As ``socket.recv_into``, ending by the deadline."""
        self._clip()
        try:
            count = self._sock.recv_into(buffer, nbytes, flags)
        except BlockingIOError:  # the kernel's timeout ran out
            raise TimeoutError("timed out") from None
        if not flags & socket.MSG_PEEK:
            self._consumed += count
        return count

    def recv(self, bufsize: int, flags: int = 0) -> bytes:
        """As ``socket.recv``, ending by the deadline."""
        self._clip()
        try:
            data = self._sock.recv(bufsize, flags)
        except BlockingIOError:
            raise TimeoutError("timed out") from None
        if not flags & socket.MSG_PEEK:
            self._consumed += len(data)
        return data

    def send(self, data: Any, flags: int = 0) -> int:
        """As ``socket.send``, ending by the deadline."""
        self._clip()
        try:
            return self._sock.send(data, flags)
        except BlockingIOError:
            raise TimeoutError("timed out") from None


def is_address(host: str) -> bool:
    """Whether ``host`` is an IP address (nothing to resolve)."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class _Connecting:
    """What the client's HTTP and HTTPS connections add to urllib3's."""

    _dns_host: str
    port: int
    sock: Any

    def _new_conn(self) -> socket.socket:
        host = self._dns_host
        limits = current_limits.get()
        if limits is not None and host and host != "localhost" and not is_address(host):
            try:
                address = RESOLVER.resolve(host, self.port, limits)
            except AttemptFailed as failure:
                raise urllib3.exceptions.NewConnectionError(
                    self,  # type: ignore[arg-type]  # a mixin of urllib3's HTTPConnection
                    failure.message,
                ) from None
            self._dns_host = address  # connect to what was resolved, within the deadline
            try:
                return super()._new_conn()  # type: ignore[misc, no-any-return]
            finally:
                self._dns_host = host
        return super()._new_conn()  # type: ignore[misc, no-any-return]

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        if not isinstance(self.sock, DeadlineSocket):
            self.sock = DeadlineSocket(self.sock)


class HTTPConnection(_Connecting, urllib3.connection.HTTPConnection):
    """urllib3's HTTP connection, bounded by the deadline in every phase."""


class HTTPSConnection(_Connecting, urllib3.connection.HTTPSConnection):
    """urllib3's HTTPS connection, bounded by the deadline in every phase."""


class HTTPConnectionPool(urllib3.connectionpool.HTTPConnectionPool):
    """A pool of `HTTPConnection`."""

    ConnectionCls = HTTPConnection


class HTTPSConnectionPool(urllib3.connectionpool.HTTPSConnectionPool):
    """A pool of `HTTPSConnection`."""

    ConnectionCls = HTTPSConnection


_POOLS = {"http": HTTPConnectionPool, "https": HTTPSConnectionPool}


class Adapter(requests.adapters.HTTPAdapter):
    """requests' adapter, with pools of the client's own connections (direct and proxied)."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        """As requests', then the pool classes swapped for ours."""
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(_POOLS)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> urllib3.PoolManager:
        """As requests', then the pool classes swapped for ours (a SOCKS proxy's pools,
        whose connections PySocks makes, are left as they are)."""
        manager: urllib3.PoolManager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if not proxy.lower().startswith("socks"):
            manager.pool_classes_by_scheme = dict(_POOLS)
        return manager

    def forget_pools(self) -> None:
        """Drop every pool without closing its sockets (a forked child's: the parent's)."""
        forget_pools(self)


def forget_pools(adapter: requests.adapters.HTTPAdapter) -> None:
    """Drop an adapter's pools without closing their sockets (in a forked child they are the
    parent's): ours, or requests' own in a session the user passed in."""
    settings = vars(adapter)  # requests keeps them as private attributes
    adapter.init_poolmanager(
        settings["_pool_connections"], settings["_pool_maxsize"], settings["_pool_block"]
    )
    adapter.proxy_manager = {}


def connected(host: str, port: int, timeout: float | None) -> socket.socket:
    """``socket.create_connection``, except that a Ctrl-C while connecting closes the socket
    (it closes it on an ``OSError`` only, and the socket was left to the collector)."""
    failure: OSError | None = None
    for family, kind, proto, _, address in socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM):
        sock = socket.socket(family, kind, proto)
        try:
            sock.settimeout(timeout)
            sock.connect(address)
        except OSError as error:
            sock.close()
            failure = error
            continue
        except BaseException:
            sock.close()
            raise
        return sock
    raise failure or OSError(f"no address for {host}")
