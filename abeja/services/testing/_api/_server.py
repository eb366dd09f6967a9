"""The emulator's HTTP server: a thread, a port, keep-alive connections, start and stop.

It reads each request into a `Request` value, hands it to the app and
writes the `Response` back; nothing here knows the Service API.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import IO, Any
from urllib.parse import parse_qsl, urlsplit

from ._app import App
from ._wire import Request, Response

logger = logging.getLogger("abeja.emulator")

# Bodies above this size are spooled to a temporary file, so large uploads stay off the heap.
_SPOOL_IN_MEMORY = 1 << 20
_CHUNK = 1 << 16


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    # Idle keep-alive connections are closed after this many seconds.
    timeout = 30

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes: without this, Nagle's algorithm and
        # the client's delayed ACK add ~40 ms to every answer.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, add=False)

    def _read_body(self) -> tuple[IO[bytes], int]:
        spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY)  # noqa: SIM115
        try:
            size = self._read_into(spool)
        except BaseException:  # a client gone mid-body: its spool goes too
            spool.close()
            raise
        spool.seek(0)
        return spool, size

    def _read_into(self, spool: IO[bytes]) -> int:
        size = 0
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            while True:
                line = self.rfile.readline(1024)
                if not line:  # the client went away mid-body: no request to answer
                    raise ConnectionError("client closed the connection mid-body")
                length = int(line.split(b";", 1)[0].strip() or b"0", 16)
                if length == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                size += self._copy(length, spool)
                self.rfile.readline(8)
        else:
            size = self._copy(int(self.headers.get("Content-Length") or 0), spool)
        return size

    def _copy(self, length: int, spool: IO[bytes]) -> int:
        left = length
        while left:
            chunk = self.rfile.read(min(left, _CHUNK))
            if not chunk:
                raise ConnectionError("client closed the connection mid-body")
            spool.write(chunk)
            left -= len(chunk)
        return length

    def _dispatch(self) -> None:
        parts = urlsplit(self.path)
        body, size = self._read_body()
        try:
            request = Request(
                method=self.command,
                path=parts.path,
                query=dict(parse_qsl(parts.query)),
                headers=self.headers,  # type: ignore[arg-type]
                body=body,
                length=size,
                peer=f"{self.client_address[0]}:{self.client_address[1]}",
                raw_query=parts.query,
            )
            response = self.server.app.handle(request)
        finally:
            body.close()
        self._write(response)

    def _write(self, response: Response) -> None:
        """Write the answer, as spoilt as the response says (see Fault)."""
        if response.drop:
            self.close_connection = True
            return
        if response.informational is not None:
            self.wfile.write(f"HTTP/1.1 {response.informational} Informational\r\n\r\n".encode())
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command == "HEAD":
            return
        content = response.body
        if response.truncate:
            content = content[: len(content) // 2]
            self.close_connection = True
        if response.trickle:
            self.wfile.flush()
            for index in range(len(content)):
                self.server.app.faults.delay(response.trickle)
                self.wfile.write(content[index : index + 1])
                self.wfile.flush()
        else:
            self.wfile.write(content)

    do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = do_HEAD = _dispatch


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: App) -> None:
        self.app = app
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (timeout, dropped connection) is normal here, not an error.
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, TimeoutError)):
            return
        logger.exception("emulator failed to serve %s", client_address)

    def track(self, connection: socket.socket, *, add: bool) -> None:
        with self._connections_lock:
            if add:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class ServerThread:
    """Serves an app on ``host:port`` (0: any free port) from a daemon thread."""

    def __init__(self, app: App, host: str, port: int) -> None:
        self._app = app
        self._address = (host, port)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        """Whether it is serving."""
        return self._server is not None

    @property
    def address(self) -> tuple[str, int]:
        """The host and port it listens on."""
        if self._server is None:
            raise RuntimeError("the emulator is not running: call start() or use it in a with")
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def start(self) -> None:
        """Bind and serve (idempotent); OSError when the port is taken."""
        if self._server is None:
            self._server = _Server(self._address, self._app)
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name="abeja-service-emulator",
                daemon=True,
            )
            self._thread.start()

    def stop(self) -> None:
        """Stop serving and close open connections (idempotent)."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.close_connections()
            server.server_close()
            if self._thread is not None:
                self._thread.join(5)

    def join(self) -> None:
        """Block until the server stops (or KeyboardInterrupt)."""
        while self._thread is not None and self._thread.is_alive():
            self._thread.join(0.5)
