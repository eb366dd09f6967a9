"""A raw-socket HTTP server on 127.0.0.1 whose answers are scripted byte by byte.

For what a well-behaved server (and so our emulator) never does: stay silent, trickle a
body, send a 1xx as the answer, announce gigabytes, gzip-bomb, drop mid-body. Each
request is parsed, recorded, and answered by ``script(request)``: a list of actions, each
``bytes`` (sent as is), a ``float`` (a pause, cut short when the server stops) or
``CLOSE``.
"""

from __future__ import annotations

import contextlib
import gzip
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from types import TracebackType

CLOSE = object()
Action = bytes | float | object


@dataclass
class Received:
    """One request as the server read it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    connection: int
    """Which TCP connection (counting from 0) it came on."""


def answer(
    status: int = 200,
    body: bytes = b"{}",
    *,
    reason: str = "OK",
    headers: dict[str, str] | None = None,
    length: int | None = None,
) -> bytes:
    """A complete HTTP/1.1 answer (``length`` overrides Content-Length)."""
    lines = [f"HTTP/1.1 {status} {reason}"]
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    all_headers["Content-Length"] = str(len(body) if length is None else length)
    lines += [f"{k}: {v}" for k, v in all_headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def timed(call: Callable[[], object]) -> tuple[float, BaseException | None]:
    """How long ``call()`` took, and what it raised (None if nothing)."""
    started = time.monotonic()
    try:
        call()
    except Exception as error:  # noqa: BLE001 - the caller asserts on it
        return time.monotonic() - started, error
    return time.monotonic() - started, None


def gzip_bomb(size: int) -> bytes:
    """``size`` zero bytes, gzipped (about a thousandth of the size)."""
    return gzip.compress(b"\0" * size, compresslevel=9)


@dataclass
class HostileServer:
    """Serves scripted answers until stopped; use it as a context manager."""

    script: Callable[[Received], Iterable[Action]]
    received: list[Received] = field(default_factory=list)
    connections: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _sock: socket.socket | None = None
    _threads: list[threading.Thread] = field(default_factory=list)

    @property
    def url(self) -> str:
        assert self._sock is not None
        host, port = self._sock.getsockname()[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> HostileServer:
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.05)
        accept = threading.Thread(target=self._accept, daemon=True)
        accept.start()
        self._threads.append(accept)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(5)
        if self._sock is not None:
            self._sock.close()

    def _accept(self) -> None:
        assert self._sock is not None
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            number = self.connections
            self.connections += 1
            worker = threading.Thread(target=self._serve, args=(conn, number), daemon=True)
            worker.start()
            self._threads.append(worker)

    def _serve(self, conn: socket.socket, number: int) -> None:
        conn.settimeout(0.05)
        reader = _Reader(conn, self._stop)
        with contextlib.closing(conn):
            while not self._stop.is_set():
                request = reader.request(number)
                if request is None:
                    return
                self.received.append(request)
                for action in self.script(request):
                    if action is CLOSE:
                        return
                    if isinstance(action, float):
                        self._stop.wait(action)
                        continue
                    assert isinstance(action, bytes)
                    try:
                        conn.sendall(action)
                    except OSError:
                        return


class _Reader:
    """Reads requests off one connection, giving up when the server stops."""

    def __init__(self, conn: socket.socket, stop: threading.Event) -> None:
        self.conn = conn
        self.stop = stop
        self.buffer = b""

    def _fill(self) -> bool:
        while not self.stop.is_set():
            try:
                chunk = self.conn.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return False
            if not chunk:
                return False
            self.buffer += chunk
            return True
        return False

    def _take(self, size: int) -> bytes | None:
        while len(self.buffer) < size:
            if not self._fill():
                return None
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def _line(self) -> bytes | None:
        while b"\r\n" not in self.buffer:
            if not self._fill():
                return None
        line, _, self.buffer = self.buffer.partition(b"\r\n")
        return line

    def request(self, number: int) -> Received | None:
        while b"\r\n\r\n" not in self.buffer:
            if not self._fill():
                return None
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        first, *header_lines = head.decode("latin-1").split("\r\n")
        method, path, _ = first.split(" ", 2)
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        body = b""
        if headers.get("transfer-encoding", "").lower() == "chunked":
            for chunk in self._chunks():
                body += chunk
        elif headers.get("content-length"):
            body = self._take(int(headers["content-length"])) or b""
        return Received(method, path, headers, body, number)

    def _chunks(self) -> Iterator[bytes]:
        while True:
            line = self._line()
            if line is None:
                return
            size = int(line.split(b";")[0] or b"0", 16)
            data = self._take(size + 2)
            if size == 0 or data is None:
                return
            yield data[:-2]
