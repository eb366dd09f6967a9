"""The emulator's API: a route table, credentials, request bodies, faults and the log.

HTTP arrives as a `Request` value and leaves as a `Response`;
the state is only called with checked arguments.
"""

from __future__ import annotations

import base64
import dataclasses
import gzip
import json
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timezone

from .._runtime._predict import serve_prediction
from .._runtime._runtime_process import RuntimeProcesses
from ._control import Control
from ._endpoint_state import EndpointState
from ._faults import Fault, Faults
from ._recorder import Recorder, ServedRequest
from ._records import ApiError, bad_request
from ._schema import (
    create_arguments,
    endpoint_create_arguments,
    endpoint_update_arguments,
    update_arguments,
)
from ._state import EmulatorState
from ._version_state import VersionState
from ._wire import Request, Response, error, json_response

_ID = r"([^/]+)"
# Every method reaches the proxy's side, which answers those the runtime is not given.
_ANY_METHOD = dict.fromkeys(("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"), "predict")
_SERVICES = rf"/organizations/{_ID}/deployments/{_ID}/services"
_ENDPOINTS = rf"/organizations/{_ID}/deployments/{_ID}/endpoints"
_VERSIONS = rf"/organizations/{_ID}/deployments/{_ID}/versions"
_PRESIGNED = frozenset({"upload_archive", "download_archive"})
_ANY_METHOD_ENDPOINT = dict.fromkeys(_ANY_METHOD, "predict_endpoint")
# (path pattern, {method: route}); the first pattern that matches the path decides.
_ROUTE_TABLE: list[tuple[re.Pattern[str], dict[str, str]]] = [
    (re.compile(rf"{_SERVICES}/?"), {"GET": "list", "POST": "create"}),
    (re.compile(rf"{_SERVICES}/{_ID}"), {"GET": "get", "PATCH": "update", "DELETE": "delete"}),
    (re.compile(rf"{_SERVICES}/{_ID}/start"), {"POST": "start"}),
    (re.compile(rf"{_SERVICES}/{_ID}/stop"), {"POST": "stop"}),
    (re.compile(rf"{_SERVICES}/{_ID}/recentlogs"), {"GET": "logs"}),
    # abejacli 2.2.8's describe-service-logs reads here, paging with next_token.
    (re.compile(rf"{_SERVICES}/{_ID}/logs"), {"GET": "logs"}),
    (re.compile(rf"{_ENDPOINTS}/?"), {"GET": "list_endpoints", "POST": "create_endpoint"}),
    (
        re.compile(rf"{_ENDPOINTS}/{_ID}"),
        {"GET": "get_endpoint", "PATCH": "update_endpoint", "DELETE": "delete_endpoint"},
    ),
    (re.compile(rf"/organizations/{_ID}/deployments/{_ID}/?"), {"GET": "get_deployment"}),
    (re.compile(rf"{_VERSIONS}/?"), {"GET": "list_versions", "POST": "create_version"}),
    (re.compile(rf"{_VERSIONS}/{_ID}"), {"GET": "get_version", "DELETE": "delete_version"}),
    (re.compile(rf"{_VERSIONS}/{_ID}/download"), {"GET": "download_link"}),
    # Storage: a version's archive behind its presigned link (no credential).
    (
        re.compile(r"/_storage/([^/]+)/([^/]+)/([^/]+)/source\.tar\.gz"),
        {"PUT": "upload_archive", "GET": "download_archive"},
    ),
    # The predict host's routes with the organization as a path prefix (service_url_template):
    # a service's own, then an endpoint's (the deployment's default, or an alias).
    (re.compile(rf"/o/{_ID}/deployments/{_ID}/services/{_ID}/?"), _ANY_METHOD),
    (re.compile(rf"/o/{_ID}/deployments/{_ID}(?:/{_ID})?/?"), _ANY_METHOD_ENDPOINT),
]
# The real predict host's routes: the organization is the first label of the Host header.
_PREDICT_HOSTED = re.compile(rf"/deployments/{_ID}/services/{_ID}/?")
_ENDPOINT_HOSTED = re.compile(rf"/deployments/{_ID}(?:/{_ID})?/?")

_HTML_502 = (
    b"<html><head><title>502 Bad Gateway</title></head><body>"
    b"<center><h1>502 Bad Gateway</h1></center></body></html>"
)

Route = Callable[[Request, tuple[str, ...]], Response]


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


def _json_body(request: Request) -> object:
    request.body.seek(0)
    raw = request.body.read()
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        raise bad_request("the request body is not valid JSON") from None


def _host(request: Request) -> str:
    """Where the client reached the emulator (for the links it hands out)."""
    return request.headers.get("Host", "127.0.0.1")


def _fault_response(fault: Fault) -> Response:
    headers = dict(fault.headers)
    if fault.retry_after:
        headers["Retry-After"] = fault.retry_after
    assert fault.status is not None
    if fault.html:
        return Response(fault.status, _HTML_502, "text/html", headers)
    if fault.body is not None:
        return Response(fault.status, fault.body, fault.content_type, headers)
    return error(fault.status, "injected_fault", f"injected {fault.status}", **headers)


def _spoil(answer: Response, fault: Fault) -> Response:
    """The answer with the fault's spoilt shape (compression, padding, how it is written)."""
    body = answer.body + b" " * fault.pad
    headers = dict(answer.headers)
    if fault.gzip:
        body = gzip.compress(body)
        headers["Content-Encoding"] = "gzip"
    return dataclasses.replace(
        answer,
        body=body,
        headers=headers,
        trickle=fault.trickle,
        truncate=fault.truncate,
        informational=fault.informational,
    )


class App:
    """Routes requests to the state, applying credentials, faults and the request log."""

    def __init__(
        self,
        state: EmulatorState,
        *,
        auth_token: str,
        users: Mapping[str, str],
        default_organization: str,
        control_secret: str,
        runtimes: RuntimeProcesses | None = None,
    ) -> None:
        self.state = state
        self.runtimes = runtimes
        self.faults = Faults()
        self.recorder = Recorder()
        self.auth_token = auth_token
        self.users = dict(users)
        self.control = Control(
            state, self.faults, self.recorder, self.reset, default_organization, control_secret
        )
        s = state
        self._routes: dict[str, Route] = {
            "create": lambda r, a: json_response(s.create(*a, **create_arguments(_json_body(r)))),
            "list": lambda r, a: json_response(s.list(*a)),
            "get": lambda r, a: json_response(s.get(*a)),
            "update": lambda r, a: self._retire(
                a, json_response(s.update(*a, **update_arguments(_json_body(r))))
            ),
            "delete": lambda r, a: self._retire(a, json_response(s.delete(*a))),
            "start": lambda r, a: json_response(s.start(*a)),
            "stop": lambda r, a: self._retire(a, json_response(s.stop(*a))),
            "logs": self._logs,
            "predict": lambda r, a: serve_prediction(s, self.runtimes, r, *a),
        }
        self._add_endpoint_routes()
        self._add_version_routes()

    def _add_endpoint_routes(self) -> None:
        """The endpoints' routes, on their own state (``EndpointState``)."""
        self.endpoints = e = EndpointState(self.state)
        s = self.state
        self._routes.update({
            "create_endpoint": lambda r, a: json_response(
                e.create(*a, **endpoint_create_arguments(_json_body(r)))
            ),
            "list_endpoints": lambda r, a: json_response(e.list(*a)),
            "get_endpoint": lambda r, a: json_response(e.get(*a)),
            "update_endpoint": lambda r, a: json_response(
                e.update(*a, **endpoint_update_arguments(_json_body(r)))
            ),
            "delete_endpoint": lambda r, a: json_response(e.delete(*a)),
            "predict_endpoint": lambda r, a: serve_prediction(
                s, self.runtimes, r, a[0], a[1], e.target(*a)
            ),
        })  # fmt: skip

    def _add_version_routes(self) -> None:
        """The deployment versions' routes, and their storage links (``VersionState``)."""
        self.versions = v = VersionState(self.state)
        self._routes.update({
            "get_deployment": lambda r, a: json_response(self._deployment(*a)),
            "create_version": lambda r, a: json_response(
                v.create(a[0], a[1], _json_body(r), _host(r))
            ),
            "list_versions": lambda r, a: json_response(v.list(*a)),
            "get_version": lambda r, a: json_response(v.get(*a)),
            "delete_version": lambda r, a: json_response(v.delete(*a)),
            "download_link": lambda r, a: json_response(
                v.download_link(a[0], a[1], a[2], _host(r))
            ),
            "upload_archive": self._upload,
            "download_archive": lambda r, a: Response(
                200, v.download(a, r.query), "application/gzip"
            ),
        })  # fmt: skip

    def _deployment(self, organization_id: str, deployment_id: str) -> dict[str, object]:
        deployment = self.state.deployment(organization_id, deployment_id)
        return {
            "deployment_id": deployment.deployment_id,
            "name": f"deployment-{deployment.deployment_id}",
            "default_environment": dict(deployment.environment),
        }

    def _upload(self, request: Request, args: tuple[str, ...]) -> Response:
        if "Authorization" in request.headers:  # as storage answers two ways of signing
            raise ApiError(
                400, "InvalidArgument",
                "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, "
                "Signature query string parameter or the Authorization header should be "
                "specified",
            )  # fmt: skip
        self.versions.upload(args, request.query, request.body)
        return Response(200, b"", "text/plain")

    def _retire(self, args: tuple[str, ...], answer: Response) -> Response:
        """A stopped, deleted or changed service's runtime processes end."""
        if self.runtimes is not None:
            self.runtimes.discard(args[2])
        return answer

    def close(self) -> None:
        """End every runtime process; remove the uploaded versions' files."""
        if self.runtimes is not None:
            self.runtimes.close()
        self.versions.close()

    def reset(self) -> None:
        """Back to a fresh emulator: faults cleared, delays cut short, state and log reset."""
        self.faults.interrupt()
        self.recorder.wait_idle()
        self.close()
        self.state.reset()
        self.recorder.reset()
        self.faults.rearm()

    def handle(self, request: Request) -> Response:
        """Answer one request; it is counted and logged on arrival, its status when answered."""
        if request.path.startswith("/_emulator/"):
            return self.control.handle(request)
        route, args = self._route(request)
        served = self.recorder.arrived(request, route)
        response: Response | None = None
        try:
            response = self._answer(request, route, args, served)
            response.headers.setdefault("X-Request-Id", served.request_id)
            return response
        finally:
            self.recorder.answered(served, response)

    def _route(self, request: Request) -> tuple[str, tuple[str, ...]]:
        path = request.path
        if path == "/health_check":
            return "health", ()
        for pattern, methods in _ROUTE_TABLE:
            match = pattern.fullmatch(path)
            if match:
                return methods.get(request.method, "method_not_allowed"), match.groups()
        for route, pattern in (
            ("predict", _PREDICT_HOSTED),
            ("predict_endpoint", _ENDPOINT_HOSTED),
        ):
            match = pattern.fullmatch(path)
            if match:
                host = request.headers.get("Host", "").split(":", 1)[0]
                return route, (host.split(".", 1)[0], *match.groups())
        return "not_found", ()

    def _answer(
        self, request: Request, route: str, args: tuple[str, ...], served: ServedRequest
    ) -> Response:
        if route == "health":
            return json_response({"status": "ok"})
        fault = self.faults.take(route)
        if fault is None:
            return self._act(request, route, args, served)
        if fault.delay:
            self.faults.delay(fault.delay)
        answer = self._act(request, route, args, served) if fault.after else None
        if fault.drop:
            return Response(0, drop=True)
        if fault.status is not None:
            answer = _fault_response(fault)
        elif answer is None:
            answer = self._act(request, route, args, served)
        return _spoil(answer, fault)

    def _act(
        self, request: Request, route: str, args: tuple[str, ...], served: ServedRequest
    ) -> Response:
        if route == "not_found":
            return error(404, "not_found", f"no route for {request.method} {request.path}")
        if route == "method_not_allowed":
            return error(405, "method_not_allowed", f"{request.method} is not allowed here")
        if route not in _PRESIGNED and not self._authorized(request.headers):
            return error(401, "unauthorized", "Authentication failed")
        try:
            response = self._routes[route](request, args)
        except ApiError as failure:
            return error(failure.status, failure.error, failure.description)
        served.acted = True
        return response

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

    def _logs(self, request: Request, args: tuple[str, ...]) -> Response:
        query = request.query
        older = request.path.endswith("/logs")  # abejacli's route: one token, backwards
        page = self.state.logs(
            *args,
            forward=query.get("next_forward_token") or None,
            backward=query.get("next_token" if older else "next_backward_token") or None,
            start=_parse_time("start_time", query.get("start_time")),
            end=_parse_time("end_time", query.get("end_time")),
        )
        if older:
            page = {"events": page["events"], "next_token": page["next_backward_token"]}
        return json_response(page)
