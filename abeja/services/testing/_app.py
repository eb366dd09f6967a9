"""The emulator's routes: HTTP requests in, state calls and fault injection, responses out."""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import IO, Any

from ._runtime import PredictContext, PredictRequest, demo_handler, run_handler
from ._state import ApiError, EmulatorState, bad_request

ROUTES = ("create", "list", "get", "update", "delete", "start", "stop", "logs", "predict")
"""Route names faults and counters use; ``"*"`` matches them all."""

_ID = r"([^/]+)"
_SERVICES = rf"/organizations/{_ID}/deployments/{_ID}/services"
_PATTERNS: list[tuple[re.Pattern[str], dict[str, str]]] = [
    (re.compile(rf"{_SERVICES}/?"), {"GET": "list", "POST": "create"}),
    (re.compile(rf"{_SERVICES}/{_ID}"), {"GET": "get", "PATCH": "update", "DELETE": "delete"}),
    (re.compile(rf"{_SERVICES}/{_ID}/start"), {"POST": "start"}),
    (re.compile(rf"{_SERVICES}/{_ID}/stop"), {"POST": "stop"}),
    (re.compile(rf"{_SERVICES}/{_ID}/recentlogs"), {"GET": "logs"}),
]
# The predict host's route, with the organization as a path prefix (see service_url_template).
_PREDICT_PREFIXED = re.compile(rf"/o/{_ID}/deployments/{_ID}/services/{_ID}/?")
# The real host's route: the organization is the first label of the Host header.
_PREDICT_HOSTED = re.compile(rf"/deployments/{_ID}/services/{_ID}/?")

_HTML_502 = (
    b"<html><head><title>502 Bad Gateway</title></head><body>"
    b"<center><h1>502 Bad Gateway</h1></center></body></html>"
)


@dataclass
class Request:
    """An HTTP request as the server read it."""

    method: str
    path: str
    query: dict[str, str]
    headers: Mapping[str, str]
    body: IO[bytes]
    length: int
    peer: str = ""


@dataclass
class Response:
    """An HTTP answer; ``drop`` closes the connection without one."""

    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False


@dataclass
class Fault:
    """A scripted misbehaviour for requests matching ``route``.

    ``status`` answers that status (a JSON error body, an HTML page with
    ``html``, or ``body``), ``delay`` waits before answering, ``drop`` closes
    the connection without answering. ``times`` is how many requests it
    affects (None: all, until cleared).
    """

    route: str = "*"
    status: int | None = None
    times: int | None = 1
    retry_after: str | None = None
    delay: float = 0.0
    drop: bool = False
    html: bool = False
    body: bytes | None = None
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)

    def matches(self, route: str) -> bool:
        return self.times != 0 and self.route in ("*", route)


@dataclass
class ServedRequest:
    """One request the emulator served, as it saw it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes | None
    route: str
    status: int | None
    peer: str
    """The client's address and port: one value per TCP connection."""
    response: bytes | None = None
    """The body it answered (when it answered)."""

    def __repr__(self) -> str:
        headers = {
            k: ("***" if k.lower() == "authorization" else v) for k, v in self.headers.items()
        }
        return (
            f"ServedRequest({self.method} {self.path} query={self.query} route={self.route} "
            f"status={self.status} headers={headers})"
        )

    def json(self) -> Any:
        """The request body parsed as JSON."""
        return json.loads(self.body or b"null")

    def response_json(self) -> Any:
        """The answer's body parsed as JSON."""
        return json.loads(self.response or b"null")


def error(status: int, code: str, description: str, **headers: str) -> Response:
    """An error answer in the platform's shape."""
    body = json.dumps({"error": code, "error_description": description}).encode()
    return Response(status, body, headers=dict(headers))


def _json(data: object, status: int = 200) -> Response:
    return Response(status, json.dumps(data).encode())


def _parse_time(name: str, value: str | None) -> float | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise bad_request(f"{name} must be an ISO 8601 time") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.timestamp()


# Request bodies up to this size are kept in the request log.
_LOGGED_BODY_LIMIT = 1 << 20


class App:
    """Routes requests to the state, applying credentials, faults and the request log."""

    def __init__(
        self,
        state: EmulatorState,
        *,
        auth_token: str,
        users: Mapping[str, str],
        default_organization: str,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.state = state
        self.default_organization = default_organization
        # Keep request and response bodies in the request log (off for long soaks).
        self.record_bodies = True
        self.auth_token = auth_token
        self.users = dict(users)
        self.sleep = sleep
        self.faults: list[Fault] = []
        self.served: list[ServedRequest] = []
        self.counters: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._in_flight = 0
        # What POST /_emulator/reset does; the ServiceEmulator sets it to its own reset().
        self.reset_everything: Callable[[], None] = self.reset

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until no request is being answered (a delayed one would land after a reset)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._in_flight == 0, timeout)

    def reset(self) -> None:
        with self._lock:
            self.faults.clear()
            self.served.clear()
            self.counters.clear()

    def add_fault(self, fault: Fault) -> None:
        """Apply ``fault`` to the requests that match it, in the order faults were added."""
        with self._lock:
            self.faults.append(fault)

    def clear_faults(self) -> None:
        with self._lock:
            self.faults.clear()

    def snapshot(self) -> tuple[list[ServedRequest], Counter[str]]:
        """A copy of the request log and the counters."""
        with self._lock:
            return list(self.served), Counter(self.counters)

    def _authorized(self, headers: Mapping[str, str]) -> bool:
        value = headers.get("Authorization", "")
        scheme, _, credentials = value.partition(" ")
        if scheme == "Bearer":
            return credentials == self.auth_token
        if scheme == "Basic":
            try:
                user, _, secret = base64.b64decode(credentials).decode().partition(":")
            except ValueError:
                return False
            return self.users.get(user) == secret
        return False

    def _take_fault(self, route: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.matches(route):
                    if fault.times is not None:
                        fault.times -= 1
                    return fault
        return None

    def handle(self, request: Request) -> Response:
        """Answer one request; it is counted and logged on arrival, its status when answered.

        Control requests (``/_emulator/...``) are neither counted nor logged.
        """
        route, match = self._route(request)
        if route == "control":
            return self._control(request, match[0])
        body: bytes | None = None
        if self.record_bodies and request.length <= _LOGGED_BODY_LIMIT:
            request.body.seek(0)
            body = request.body.read()
        served = ServedRequest(
            request.method,
            request.path,
            dict(request.query),
            dict(request.headers),
            body,
            route,
            None,
            request.peer,
        )
        with self._lock:
            self.counters[route] += 1
            self.served.append(served)
            self._in_flight += 1
        try:
            response = self._answer(request, route, match)
        finally:
            with self._idle:
                self._in_flight -= 1
                self._idle.notify_all()
        if not response.drop:
            served.status = response.status
            if self.record_bodies and len(response.body) <= _LOGGED_BODY_LIMIT:
                served.response = response.body
        return response

    def _route(self, request: Request) -> tuple[str, tuple[str, ...]]:
        path = request.path
        if path.startswith("/_emulator/"):
            return "control", (path,)
        if path == "/health_check":
            return "health", ()
        for pattern, methods in _PATTERNS:
            match = pattern.fullmatch(path)
            if match:
                name = methods.get(request.method)
                return (name or "method_not_allowed"), match.groups()
        match = _PREDICT_PREFIXED.fullmatch(path)
        if match:
            return "predict", match.groups()
        match = _PREDICT_HOSTED.fullmatch(path)
        if match:
            host = request.headers.get("Host", "").split(":", 1)[0]
            return "predict", (host.split(".", 1)[0], *match.groups())
        return "not_found", ()

    def _answer(self, request: Request, route: str, args: tuple[str, ...]) -> Response:
        if route == "health":
            return _json({"status": "ok"})
        fault = self._take_fault(route)
        if fault is not None:
            if fault.delay:
                self.sleep(fault.delay)
            if fault.drop:
                return Response(0, drop=True)
            if fault.status is not None:
                headers = dict(fault.headers)
                if fault.retry_after:
                    headers["Retry-After"] = fault.retry_after
                if fault.html:
                    return Response(fault.status, _HTML_502, "text/html", headers)
                if fault.body is not None:
                    return Response(fault.status, fault.body, fault.content_type, headers)
                return error(fault.status, "injected_fault", f"injected {fault.status}", **headers)
        if route == "not_found":
            return error(404, "not_found", f"no route for {request.method} {request.path}")
        if route == "method_not_allowed":
            return error(405, "method_not_allowed", f"{request.method} is not allowed here")
        if not self._authorized(request.headers):
            return error(401, "unauthorized", "Authentication failed")
        try:
            return self._call(request, route, args)
        except ApiError as failure:
            return error(failure.status, failure.error, failure.description)

    def _body(self, request: Request) -> object:
        request.body.seek(0)
        raw = request.body.read()
        try:
            return json.loads(raw) if raw else None
        except ValueError:
            raise bad_request("the request body is not valid JSON") from None

    def _call(self, request: Request, route: str, args: tuple[str, ...]) -> Response:
        state = self.state
        if route == "create":
            return _json(state.create(args[0], args[1], self._body(request)))
        if route == "list":
            return _json(state.list(args[0], args[1]))
        if route == "get":
            return _json(state.get(*args))
        if route == "update":
            return _json(state.update(args[0], args[1], args[2], self._body(request)))
        if route == "delete":
            return _json(state.delete(*args))
        if route == "start":
            return _json(state.start(*args))
        if route == "stop":
            return _json(state.stop(*args))
        if route == "logs":
            query = request.query
            return _json(
                state.logs(
                    *args,
                    forward=query.get("next_forward_token") or None,
                    backward=query.get("next_backward_token") or None,
                    start=_parse_time("start_time", query.get("start_time")),
                    end=_parse_time("end_time", query.get("end_time")),
                )
            )
        return self._predict(request, *args)

    def _predict(
        self, request: Request, organization_id: str, deployment_id: str, service_id: str
    ) -> Response:
        started = time.perf_counter()
        with self.state.lock:
            record = self.state.service(organization_id, deployment_id, service_id)
            status = record.status
            version = record.version
            environment = self.state.environment(record)
        if status != "READY":
            return error(503, "service_unavailable", f"service {service_id} is {status}")
        handler = version.handler or demo_handler
        context = PredictContext(
            organization_id=organization_id,
            deployment_id=deployment_id,
            service_id=service_id,
            version_id=version.version_id,
            model_version=version.model_version,
            environment=environment,
            logger=logging.getLogger(f"abeja.emulator.{service_id}"),
        )
        predict_request = PredictRequest(
            method=request.method,
            headers=request.headers,
            content_type=request.headers.get("Content-Type", "application/octet-stream"),
            stream=request.body,
        )
        request.body.seek(0)
        result = run_handler(
            handler, predict_request, context, lambda line: self.state.log(record, line)
        )
        elapsed = (time.perf_counter() - started) * 1000
        self.state.log(
            record,
            f"{request.method} /deployments/{deployment_id}/services/{service_id} "
            f"{result.status} {request.length}B in {elapsed:.1f} ms",
        )
        headers = {
            "X-Abeja-Model-Id": record.models.get("alias", ""),
            "X-Abeja-Model-Version": version.model_version,
            "X-Abeja-Deployment-Id": deployment_id,
            "X-Abeja-Service-Id": service_id,
        }
        return Response(result.status, result.body, result.content_type, headers)

    def _control(self, request: Request, path: str) -> Response:
        if path == "/_emulator/faults" and request.method == "POST":
            spec = self._body(request)
            if not isinstance(spec, dict):
                return error(400, "bad_request", "a fault is a JSON object")
            try:
                fault = Fault(**spec)
            except TypeError as problem:
                return error(400, "bad_request", str(problem))
            if fault.route not in (*ROUTES, "*"):
                return error(400, "bad_request", f"unknown route {fault.route!r}")
            self.add_fault(fault)
            return _json({"message": "fault added"})
        if path == "/_emulator/faults" and request.method == "DELETE":
            self.clear_faults()
            return _json({"message": "faults cleared"})
        if path == "/_emulator/counters" and request.method == "GET":
            return _json(dict(self.snapshot()[1]))
        if path == "/_emulator/requests" and request.method == "GET":
            served = [
                {"method": s.method, "path": s.path, "route": s.route, "status": s.status}
                for s in self.snapshot()[0]
            ]
            return _json({"requests": served})
        if path == "/_emulator/reset" and request.method == "POST":
            self.reset_everything()
            return _json({"message": "reset"})
        if path == "/_emulator/deployments" and request.method == "POST":
            spec = self._body(request)
            if not isinstance(spec, dict) or not isinstance(spec.get("deployment_id"), str):
                return error(400, "bad_request", "give deployment_id, versions, environment")
            self.state.add_deployment(
                spec["deployment_id"],
                organization_id=str(spec.get("organization_id") or self.default_organization),
                versions=dict.fromkeys(spec.get("versions") or []),
                environment=spec.get("environment") or {},
            )
            return _json({"message": "deployment added"})
        match = re.fullmatch(r"/_emulator/services/([^/]+)/fail", path)
        if match and request.method == "POST":
            with self.state.lock:
                for deployments in self.state.organizations.values():
                    for deployment in deployments.values():
                        if match.group(1) in deployment.services:
                            self.state.fail(
                                deployment.organization_id,
                                deployment.deployment_id,
                                match.group(1),
                                "failure injected through the control endpoint",
                            )
                            return _json({"message": "failed"})
            return error(404, "not_found", f"service {match.group(1)} not found")
        return error(404, "not_found", f"no control route {request.method} {path}")
