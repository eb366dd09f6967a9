"""ServiceEmulator: the Service API on 127.0.0.1, served from a background thread."""

from __future__ import annotations

import contextlib
import logging
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import IO, Any
from urllib.parse import parse_qsl, urlsplit

from .._client import ServiceClient
from . import _state
from ._app import App, Fault, Request, ServedRequest
from ._state import Clock, EmulatorState, Handler

logger = logging.getLogger("abeja.emulator")

# Bodies above this size are spooled to a temporary file, so large uploads stay off the heap.
_SPOOL_IN_MEMORY = 1 << 20
_CHUNK = 1 << 16
DEFAULT_AUTH_TOKEN = "emulator-token"
DEFAULT_USER_ID = "1234567890123"
DEFAULT_PERSONAL_ACCESS_TOKEN = "emulator-personal-access-token"


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
        size = 0
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            while True:
                line = self.rfile.readline(1024)
                length = int(line.split(b";", 1)[0].strip() or b"0", 16)
                if length == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                size += self._copy(length, spool)
                self.rfile.readline(8)
        else:
            size = self._copy(int(self.headers.get("Content-Length") or 0), spool)
        spool.seek(0)
        return spool, size

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
            )
            response = self.server.app.handle(request)
        finally:
            body.close()
        if response.drop:
            self.close_connection = True
            return
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

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


class ServiceEmulator:
    """A local, faithful ABEJA Platform Service API for demos and tests.

    .. code-block:: python

        with ServiceEmulator() as emulator:
            client = emulator.client()
            service = client.services.create(emulator.deployment_id, version_id=emulator.version_id)

    It serves every Service API route and the predict route, runs version
    handlers (``handler(request, context)``) for predictions, keeps logs, and
    can be told to misbehave (:meth:`inject`). A default organization,
    deployment and version (served by a demo handler) exist unless
    ``seed=False``.

    Args:
        port: 0 picks a free port.
        ready_delay: seconds a service stays ``IN_PROGRESS`` after create, update or start.
        log_page_size: events per page of ``recentlogs``.
        clock: epoch seconds; drives timestamps and ``ready_delay``.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        ready_delay: float = 0.0,
        log_page_size: int = 50,
        auth_token: str = DEFAULT_AUTH_TOKEN,
        users: Mapping[str, str] | None = None,
        clock: Clock = time.time,
        seed: bool = True,
    ) -> None:
        self.organization_id = _state.DEFAULT_ORGANIZATION_ID
        self.deployment_id = _state.DEFAULT_DEPLOYMENT_ID
        self.version_id = _state.DEFAULT_VERSION_ID
        self.auth_token = auth_token
        self._seed = seed
        self._host, self._port = host, port
        self.state = EmulatorState(
            clock=clock, ready_delay=ready_delay, log_page_size=log_page_size
        )
        credentials = (
            users if users is not None else {DEFAULT_USER_ID: DEFAULT_PERSONAL_ACCESS_TOKEN}
        )
        self.app = App(
            self.state,
            auth_token=auth_token,
            users={
                (k if k.startswith(("user-", "datasource-")) else f"user-{k}"): v
                for k, v in credentials.items()
            },
            default_organization=self.organization_id,
        )
        self.app.reset_everything = self.reset
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._seed_defaults()

    def _seed_defaults(self) -> None:
        if self._seed:
            self.add_deployment(
                self.deployment_id,
                versions={self.version_id: None},
                environment={"EXAMPLE_ENV": "deployment_example"},
            )

    # -- lifecycle ----------------------------------------------------------------

    def start(self) -> ServiceEmulator:
        """Start serving in a background thread (idempotent); returns self."""
        if self._server is None:
            self._server = _Server((self._host, self._port), self.app)
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name="abeja-service-emulator",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close open connections (idempotent)."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.close_connections()
            server.server_close()
            if self._thread is not None:
                self._thread.join(5)

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted (the command line's mode)."""
        self.start()
        try:
            while self._thread is not None and self._thread.is_alive():
                self._thread.join(0.5)
        finally:
            self.stop()

    def __enter__(self) -> ServiceEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def reset(self) -> None:
        """Forget services, deployments, faults and the request log; re-seed the defaults.

        Requests still being answered (say, delayed by a fault) are waited for first.
        """
        self.app.clear_faults()
        self.app.wait_idle()
        with self.state.lock:
            self.state.organizations.clear()
        self.app.reset()
        self._seed_defaults()

    # -- where it is ----------------------------------------------------------------

    @property
    def url(self) -> str:
        """The API base URL, such as ``http://127.0.0.1:54321``."""
        if self._server is None:
            raise RuntimeError("the emulator is not running: call start() or use it in a with")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def service_url_template(self) -> str:
        """The value for ``ABEJA_SERVICE_URL_TEMPLATE``: predictions go to this host."""
        return self.url + "/o/{organization_id}"

    @property
    def credential(self) -> dict[str, str]:
        """A credential in abeja-sdk's form: ``{"auth_token": ...}``."""
        return {"auth_token": self.auth_token}

    def env(self) -> dict[str, str]:
        """Environment variables that point any client (this SDK or abeja-sdk) here."""
        return {
            "ABEJA_API_URL": self.url,
            "ABEJA_ORGANIZATION_ID": self.organization_id,
            "PLATFORM_AUTH_TOKEN": self.auth_token,
            "ABEJA_SERVICE_URL_TEMPLATE": self.service_url_template,
        }

    def client(self, **kwargs: Any) -> ServiceClient:
        """A ``ServiceClient`` pointed here; keyword arguments override the defaults."""
        options: dict[str, Any] = {
            "organization_id": self.organization_id,
            "base_url": self.url,
            "credential": self.credential,
            "service_url_template": self.service_url_template,
        }
        options.update(kwargs)
        return ServiceClient(**options)

    # -- seeding and faults ------------------------------------------------------------

    def add_deployment(
        self,
        deployment_id: str,
        versions: Mapping[str, Handler | None] | None = None,
        *,
        organization_id: str | None = None,
        environment: Mapping[str, str] | None = None,
    ) -> None:
        """Add a deployment with ``{version_id: handler}`` (None: the demo handler)."""
        self.state.add_deployment(
            deployment_id,
            organization_id=organization_id or self.organization_id,
            versions=versions,
            environment=environment,
        )

    def fail_service(
        self, service_id: str, reason: str = "injected failure", *, deployment_id: str | None = None
    ) -> None:
        """Put a service into the ``FAILED`` state, as a crashed deployment would be."""
        self.state.fail(
            self.organization_id, deployment_id or self.deployment_id, service_id, reason
        )

    def inject(
        self,
        route: str = "*",
        *,
        status: int | None = None,
        times: int | None = 1,
        retry_after: str | float | None = None,
        delay: float = 0.0,
        drop: bool = False,
        html: bool = False,
        body: bytes | None = None,
        content_type: str = "application/json",
        headers: Mapping[str, str] | None = None,
    ) -> Fault:
        """Make the next ``times`` requests to ``route`` misbehave (see :class:`Fault`).

        Routes: ``create``, ``list``, ``get``, ``update``, ``delete``, ``start``,
        ``stop``, ``logs``, ``predict`` or ``*``.
        """
        fault = Fault(
            route=route,
            status=status,
            times=times,
            retry_after=None if retry_after is None else str(retry_after),
            delay=delay,
            drop=drop,
            html=html,
            body=body,
            content_type=content_type,
            headers=dict(headers or {}),
        )
        self.app.add_fault(fault)
        return fault

    def clear_faults(self) -> None:
        """Remove every injected fault."""
        self.app.clear_faults()

    @property
    def requests(self) -> list[ServedRequest]:
        """Every request served since start or reset, oldest first."""
        return self.app.snapshot()[0]

    def count(self, route: str | None = None) -> int:
        """Requests served to ``route`` (all routes when None)."""
        counters = self.app.snapshot()[1]
        return counters[route] if route else sum(counters.values())

    def logs_of(self, service_id: str, *, deployment_id: str | None = None) -> list[str]:
        """A service's log messages, oldest first (for assertions)."""
        with self.state.lock:
            record = self.state.service(
                self.organization_id, deployment_id or self.deployment_id, service_id
            )
            return [line.message for line in record.logs]
