"""ServiceEmulator: the facade tests and users hold; the parts behind it stay private."""

from __future__ import annotations

import math
import secrets
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

from .._client import ServiceClient
from ._api._app import App
from ._api._control import SECRET_HEADER
from ._api._faults import Fault
from ._api._recorder import ServedRequest
from ._api._records import ApiError, ServiceRecord
from ._api._server import ServerThread
from ._api._state import EmulatorState, EpochClock, Seed
from ._environments import ClientEnvironments
from ._runtime._handlers import Handler, HandlerSpec
from ._runtime._runtime_process import runtime_processes

if TYPE_CHECKING:
    from .._async_client import AsyncServiceClient

DEFAULT_AUTH_TOKEN = "emulator-token"
DEFAULT_USER_ID = "1234567890123"
DEFAULT_PERSONAL_ACCESS_TOKEN = "emulator-personal-access-token"


def _check_ready_delay(seconds: object, name: str = "ready_delay") -> float:
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise TypeError(f"{name} must be a number of seconds")
    if not math.isfinite(seconds) or not 0 <= seconds <= 86_400:
        raise ValueError(f"{name} must be a finite number of seconds from 0 to 86400")
    return float(seconds)


def _check_log_page_size(size: object) -> int:
    if isinstance(size, bool) or not isinstance(size, int):
        raise TypeError("log_page_size must be a whole number")
    if not 1 <= size <= 10_000:
        raise ValueError("log_page_size must be from 1 to 10000")
    return size


class ServiceEmulator(ClientEnvironments):
    """A local, faithful ABEJA Platform Service API for demos and tests.

    .. code-block:: python

        with ServiceEmulator() as emulator:
            client = emulator.client()
            service = client.services.create(emulator.deployment_id, version_id=emulator.version_id)

    It serves every Service API route and the predict route, runs version
    handlers (``handler(request, context)``) for predictions, keeps logs, and
    can be told to misbehave (`inject`). A default organization,
    deployment and version (served by a demo handler) exist unless
    ``seed=False``.

    Args:
        port: 0 picks a free port.
        ready_delay: seconds a service stays ``IN_PROGRESS`` after create, update or start.
        log_page_size: events per page of ``recentlogs``.
        clock: epoch seconds; drives timestamps and ``ready_delay``.
        runtime: ``"in-process"`` calls handlers in this process, as the platform's
            runtime would; ``"abejaruntime"`` runs each service instance as the real
            runtime process (``pip install 'abeja-services[runtime]'``, Python 3.10-3.12).
        runtime_python: the interpreter that has abejaruntime (default: this one).
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
        clock: EpochClock = time.time,
        seed: bool = True,
        runtime: Literal["in-process", "abejaruntime"] = "in-process",
        runtime_python: str | None = None,
        control_secret: str | None = None,
    ) -> None:
        ready_delay = _check_ready_delay(ready_delay)
        log_page_size = _check_log_page_size(log_page_size)
        self.control_secret = control_secret or secrets.token_urlsafe(18)
        """The secret the control plane (``/_emulator/...``) asks for, in the
        ``X-Abeja-Emulator-Secret`` header (see `control_headers`)."""
        defaults = Seed()
        self.runtime = runtime
        runtimes = runtime_processes(runtime, runtime_python)
        self.organization_id = defaults.organization_id
        self.deployment_id = defaults.deployment_id
        self.version_id = defaults.version_id
        self.auth_token = auth_token
        self._state = EmulatorState(
            clock=clock,
            ready_delay=ready_delay,
            log_page_size=log_page_size,
            seed=defaults if seed else None,
        )
        credentials = (
            users if users is not None else {DEFAULT_USER_ID: DEFAULT_PERSONAL_ACCESS_TOKEN}
        )
        self._app = App(
            self._state,
            auth_token=auth_token,
            users={
                (k if k.startswith(("user-", "datasource-")) else f"user-{k}"): v
                for k, v in credentials.items()
            },
            default_organization=self.organization_id,
            control_secret=self.control_secret,
            runtimes=runtimes,
        )
        self._server = ServerThread(self._app, host, port)

    def start(self) -> ServiceEmulator:
        """Start serving in a background thread (idempotent); returns self."""
        self._server.start()
        return self

    def stop(self) -> None:
        """Stop serving, close open connections and end runtime processes (idempotent)."""
        self._server.stop()
        self._app.close()

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted (the command line's mode)."""
        self.start()
        try:
            self._server.join()
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
        """Back to new: services, added deployments, faults, the request log and the settings
        (``ready_delay``, ``log_page_size``, ``record_bodies``, the clock) are reset; the
        defaults seeded.

        Requests still being answered are waited for first; delayed ones are cut short.
        """
        self._app.reset()

    @property
    def url(self) -> str:
        """The API base URL, such as ``http://127.0.0.1:54321``."""
        host, port = self._server.address
        return f"http://{host}:{port}"

    @property
    def service_url_template(self) -> str:
        """The value for ``ABEJA_SERVICE_URL_TEMPLATE``: predictions go to this host."""
        return self.url + "/o/{organization_id}"

    @property
    def credential(self) -> dict[str, str]:
        """A credential in abeja-sdk's form: ``{"auth_token": ...}``."""
        return {"auth_token": self.auth_token}

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

    def async_client(self, **kwargs: Any) -> AsyncServiceClient:
        """An ``AsyncServiceClient`` pointed here (needs ``abeja-services[async]``).

        Its connections close once each answer is read, so it holds nothing open between
        calls and works on any event loop, including one per test (pytest-asyncio, anyio);
        keyword arguments override the defaults.
        """
        from .._async_client import AsyncServiceClient
        from .._http._async._async_transport import unpooled_http_client

        options: dict[str, Any] = {
            "organization_id": self.organization_id,
            "base_url": self.url,
            "credential": self.credential,
            "service_url_template": self.service_url_template,
            "http_client": unpooled_http_client(),
        }
        options.update(kwargs)
        return AsyncServiceClient(**options)

    @property
    def ready_delay(self) -> float:
        """Seconds a service stays ``IN_PROGRESS`` after create, update or start."""
        return self._state.ready_delay

    @ready_delay.setter
    def ready_delay(self, seconds: float) -> None:
        self._state.ready_delay = _check_ready_delay(seconds)

    def use_clock(self, clock: EpochClock) -> None:
        """Take time from ``clock`` (epoch seconds) until `reset`, e.g. a FakeClock's."""
        self._state.clock = clock

    @property
    def log_page_size(self) -> int:
        """Events per page of ``recentlogs``."""
        return self._state.log_page_size

    @log_page_size.setter
    def log_page_size(self, size: int) -> None:
        self._state.log_page_size = _check_log_page_size(size)

    def control_headers(self) -> dict[str, str]:
        """The headers a control request (``/_emulator/...``) needs: the secret and JSON."""
        return {SECRET_HEADER: self.control_secret, "Content-Type": "application/json"}

    @property
    def record_bodies(self) -> bool:
        """Whether `requests` keeps request and response bodies (off for long soaks)."""
        return self._app.recorder.record_bodies

    @record_bodies.setter
    def record_bodies(self, value: bool) -> None:
        self._app.recorder.record_bodies = value

    def add_deployment(
        self,
        deployment_id: str,
        versions: Mapping[str, Handler | str | None] | None = None,
        *,
        organization_id: str | None = None,
        environment: Mapping[str, str] | None = None,
        source: str | Path | None = None,
        load_delay: float = 0.0,
    ) -> None:
        """Add a deployment with ``{version_id: handler}``.

        A handler is a callable, ``"module:function"`` imported from ``source`` (by
        default the current directory), or None for the demo handler. In the
        ``abejaruntime`` mode a callable must be importable by name (a module-level
        function), since the runtime process imports it. ``load_delay``: seconds (on the
        emulator's clock) these versions take to load their model once a service is READY;
        until then predictions get the platform proxy's 503, as a handler still loading
        does.
        """
        specs = {v: HandlerSpec.of(h, source) for v, h in (versions or {}).items()}
        if self.runtime == "abejaruntime":
            for spec in specs.values():
                if spec.target is None:
                    raise ValueError(
                        f"the abejaruntime runtime imports handlers by name; {spec.function!r} "
                        "has none: give a module-level function or 'module:function'"
                    )
        self._state.add_deployment(
            deployment_id,
            organization_id=organization_id or self.organization_id,
            versions=specs,
            environment=environment,
            load_delay=_check_ready_delay(load_delay, "load_delay"),
        )

    def deployment_versions(
        self, deployment_id: str, *, organization_id: str | None = None
    ) -> list[str]:
        """The version ids of a deployment, in the order they were added."""
        with self._state.lock:
            deployment = self._state.deployment(
                organization_id or self.organization_id, deployment_id
            )
            return list(deployment.versions)

    def _record(self, service_id: str, deployment_id: str | None) -> ServiceRecord:
        try:
            record = self._state.find_service(service_id)
        except ApiError:
            raise LookupError(f"no service {service_id!r} in the emulator") from None
        if deployment_id is not None and record.deployment_id != deployment_id:
            raise LookupError(f"service {service_id} is not in deployment {deployment_id}")
        return record

    def fail_service(
        self, service_id: str, reason: str = "injected failure", *, deployment_id: str | None = None
    ) -> None:
        """Put a service (of any deployment) into ``FAILED``, as a crashed one would be."""
        with self._state.lock:
            self._state.fail(self._record(service_id, deployment_id).service_id, reason)

    def add_log_line(self, service_id: str, message: str, *, at: float | None = None) -> None:
        """Append a line to a service's log (``at``: epoch seconds; now by default)."""
        with self._state.lock:
            self._state.log(self._record(service_id, None), message, at=at)

    def clear_logs(self, service_id: str) -> None:
        """Empty a service's log."""
        with self._state.lock:
            self._record(service_id, None).logs.clear()

    def logs_of(self, service_id: str, *, deployment_id: str | None = None) -> list[str]:
        """A service's log messages (of any deployment), oldest first."""
        with self._state.lock:
            return [line.message for line in self._record(service_id, deployment_id).logs]

    def service_json(self, service_id: str) -> dict[str, Any]:
        """A service as the API would answer it now (of any deployment)."""
        with self._state.lock:
            return self._state.to_json(self._record(service_id, None))

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
        after: bool = False,
        trickle: float = 0.0,
        truncate: bool = False,
        gzip: bool = False,
        pad: int = 0,
        informational: int | None = None,
    ) -> Fault:
        """Make the next ``times`` requests to ``route`` misbehave (see
        [`Fault`][abeja.services.testing.Fault]).

        Routes: ``create``, ``list``, ``get``, ``update``, ``delete``, ``start``,
        ``stop``, ``logs``, ``predict``; ``create_endpoint``, ``list_endpoints``,
        ``get_endpoint``, ``update_endpoint``, ``delete_endpoint``, ``predict_endpoint``
        (through an endpoint's route); ``get_deployment``, ``create_version``,
        ``list_versions``, ``get_version``, ``delete_version``, ``download_link``,
        ``upload_archive`` and ``download_archive`` (a version's storage links); or
        ``*``. A ``delay`` (and a ``trickle``) is cut short by `reset`. ``after=True``
        lets the route act before the fault answers; ``trickle``, ``truncate``, ``gzip``,
        ``pad`` and ``informational`` spoil the answer's shape.
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
            after=after,
            trickle=trickle,
            truncate=truncate,
            gzip=gzip,
            pad=pad,
            informational=informational,
        )
        self._app.faults.add(fault)
        return fault

    def clear_faults(self) -> None:
        """Remove every injected fault."""
        self._app.faults.clear()

    @property
    def requests(self) -> list[ServedRequest]:
        """Every request served since start or reset, oldest first."""
        return self._app.recorder.snapshot()[0]

    def count(self, route: str | None = None) -> int:
        """Requests served to ``route`` (all routes when None)."""
        counters = self._app.recorder.snapshot()[1]
        return counters[route] if route else sum(counters.values())

    def forget_requests(self) -> None:
        """Empty the request log and the counters (services and faults stay)."""
        self._app.recorder.wait_idle()
        self._app.recorder.reset()
