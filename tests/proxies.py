"""Local proxies for the tests, on 127.0.0.1 only: an HTTP proxy (absolute-URI forwarding and
CONNECT tunnels) and a SOCKS5 proxy (no authentication, CONNECT only). Each records what it
was asked for (``seen``), so a test asserts that a call went through it, and how.
"""

from __future__ import annotations

import select
import socket
import socketserver
import struct
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Seen:
    """One thing a proxy was asked: ``method`` (``CONNECT``, ``GET``, ... or ``SOCKS``),
    the ``target`` (``host:port`` or the absolute URI) and whether it carried credentials."""

    method: str
    target: str
    proxy_authorization: str | None = None


_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _pipe(a: socket.socket, b: socket.socket) -> None:
    """Copy both ways until either side closes."""
    sockets = [a, b]
    try:
        while True:
            readable, _, _ = select.select(sockets, [], [], 10)
            if not readable:
                return
            for source in readable:
                data = source.recv(65536)
                if not data:
                    return
                (b if source is a else a).sendall(data)
    except OSError:
        return


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, handler: type[socketserver.BaseRequestHandler]) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.seen: list[Seen] = []


class _LocalProxy:
    """A proxy running in a thread while the ``with`` block lasts."""

    handler: type[socketserver.BaseRequestHandler]
    scheme = "http"

    def __enter__(self) -> _LocalProxy:
        self._server = _Server(self.handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"{self.scheme}://{host}:{port}"

    @property
    def seen(self) -> list[Seen]:
        return self._server.seen


class _HTTPProxyHandler(socketserver.StreamRequestHandler):
    server: _Server

    def handle(self) -> None:
        while True:
            line = self.rfile.readline(65537)
            if not line:
                return
            method, target, _ = line.decode("latin-1").split(" ", 2)
            headers: dict[str, str] = {}
            raw = [line]
            while (header := self.rfile.readline(65537)) not in (b"\r\n", b"\n", b""):
                name, _, value = header.decode("latin-1").partition(":")
                headers[name.strip().lower()] = value.strip()
                if name.strip().lower() not in (
                    "proxy-authorization",
                    "connection",
                    "proxy-connection",
                    "keep-alive",
                ):
                    raw.append(header)
            self.server.seen.append(Seen(method, target, headers.get("proxy-authorization")))
            if method == "CONNECT":
                self._tunnel(target)
                return
            if not self._forward(method, target, headers, raw):
                return

    def _tunnel(self, target: str) -> None:
        host, _, port = target.rpartition(":")
        if host.strip("[]") not in _LOOPBACK:  # nothing leaves this machine
            self.wfile.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            return
        with socket.create_connection((host, int(port)), timeout=10) as upstream:
            self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            _pipe(self.connection, upstream)

    def _forward(self, method: str, target: str, headers: dict[str, str], raw: list[bytes]) -> bool:
        parts = urlsplit(target)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        raw[0] = f"{method} {path} HTTP/1.1\r\n".encode("latin-1")
        body = self.rfile.read(int(headers.get("content-length") or 0))
        if parts.hostname not in _LOOPBACK:  # nothing leaves this machine
            self.wfile.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            return False
        with socket.create_connection((parts.hostname, parts.port or 80), timeout=10) as upstream:
            upstream.sendall(b"".join(raw) + b"Connection: close\r\n\r\n" + body)
            answer = b""
            while chunk := upstream.recv(65536):
                answer += chunk
        head, _, rest = answer.partition(b"\r\n\r\n")
        kept = [h for h in head.split(b"\r\n") if not h.lower().startswith(b"connection:")]
        self.wfile.write(b"\r\n".join(kept) + b"\r\nConnection: close\r\n\r\n" + rest)
        return False  # one request per connection: the client reconnects


class HTTPProxy(_LocalProxy):
    """A forward proxy: absolute-URI requests (plain HTTP) and CONNECT (TLS)."""

    handler = _HTTPProxyHandler


class _SOCKSHandler(socketserver.BaseRequestHandler):
    server: _Server

    def _read(self, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = self.request.recv(size - len(data))
            if not chunk:
                raise ConnectionError("closed")
            data += chunk
        return data

    def handle(self) -> None:
        version, methods = self._read(2)
        self._read(methods)
        self.request.sendall(b"\x05\x00")  # no authentication
        _, command, _, kind = self._read(4)
        if kind == 1:
            host = socket.inet_ntoa(self._read(4))
        elif kind == 3:
            host = self._read(self._read(1)[0]).decode()
        else:
            host = socket.inet_ntop(socket.AF_INET6, self._read(16))
        (port,) = struct.unpack("!H", self._read(2))
        self.server.seen.append(Seen("SOCKS", f"{host}:{port}"))
        if command != 1 or host not in _LOOPBACK:
            self.request.sendall(b"\x05\x07\x00\x01" + b"\0" * 6)
            return
        with socket.create_connection((host, port), timeout=10) as upstream:
            self.request.sendall(b"\x05\x00\x00\x01" + b"\0" * 6)
            _pipe(self.request, upstream)


class SOCKSProxy(_LocalProxy):
    """A SOCKS5 proxy (no authentication)."""

    handler = _SOCKSHandler
    scheme = "socks5"


def proxy_environment(**variables: Any) -> dict[str, str]:
    """The process environment with every proxy variable removed, then ``variables`` set."""
    import os

    names = {"http_proxy", "https_proxy", "all_proxy", "no_proxy"}
    kept = {k: v for k, v in os.environ.items() if k.lower() not in names}
    return {**kept, **{k: str(v) for k, v in variables.items()}}
