"""The control plane (``/_emulator/...``): faults, counters, reset and seeding over HTTP.

For tests in another process (or another language) that cannot hold the
``ServiceEmulator`` object. Control requests are neither counted nor logged.

Only the developer's own programs may use it: every control request must carry the
emulator's secret in ``X-Abeja-Emulator-Secret`` and a loopback ``Host``, and a request
with a body must be ``application/json``. A web page the developer opens can send none of
these across origins without a CORS preflight, which the emulator never grants, so it
cannot reset the emulator or inject faults into a test run.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from ..._api._validation import check_organization_id, check_path_id
from .._runtime._handlers import HandlerSpec
from ._faults import Fault, Faults
from ._recorder import Recorder
from ._records import ApiError
from ._state import EmulatorState
from ._wire import Request, Response, error, json_response

_FAIL = re.compile(r"/_emulator/services/([^/]+)/fail")
SECRET_HEADER = "X-Abeja-Emulator-Secret"
"""The header that carries the emulator's control secret."""


def _loopback(host_header: str) -> bool:
    host = host_header.strip()
    host = host[1 : host.index("]")] if host.startswith("[") and "]" in host else host.split(":")[0]
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class Control:
    """Answers control requests by acting on the emulator's parts."""

    state: EmulatorState
    faults: Faults
    recorder: Recorder
    reset: Callable[[], None]
    default_organization: str
    secret: str

    def refusal(self, request: Request) -> Response | None:
        """Why a control request is refused (None when it may go on)."""
        if not _loopback(request.headers.get("Host", "")):
            return error(403, "forbidden", "the control plane answers loopback hosts only")
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            return error(403, "forbidden", f"missing or wrong {SECRET_HEADER} header")
        media = (request.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if request.method != "GET" and media != "application/json":
            return error(415, "unsupported_media_type", "control requests are application/json")
        return None

    def handle(self, request: Request) -> Response:
        """Answer one control request (never by dropping the connection)."""
        refused = self.refusal(request)
        if refused is not None:
            return refused
        key = (request.method, request.path)
        try:
            if key == ("POST", "/_emulator/faults"):
                return self._add_fault(request)
            if key == ("DELETE", "/_emulator/faults"):
                self.faults.clear()
                return json_response({"message": "faults cleared"})
            if key == ("GET", "/_emulator/counters"):
                return json_response(dict(self.recorder.snapshot()[1]))
            if key == ("GET", "/_emulator/requests"):
                served = [
                    {"method": s.method, "path": s.path, "route": s.route, "status": s.status}
                    for s in self.recorder.snapshot()[0]
                ]
                return json_response({"requests": served})
            if key == ("POST", "/_emulator/reset"):
                self.reset()
                return json_response({"message": "reset"})
            if key == ("POST", "/_emulator/deployments"):
                return self._add_deployment(request)
            match = _FAIL.fullmatch(request.path)
            if match and request.method == "POST":
                self.state.fail(match.group(1), "failure injected through the control endpoint")
                return json_response({"message": "failed"})
        except ApiError as failure:
            return error(failure.status, failure.error, failure.description)
        except (TypeError, ValueError, KeyError) as problem:
            return error(400, "bad_request", f"invalid control request: {problem}")
        return error(404, "not_found", f"no control route {request.method} {request.path}")

    def _body(self, request: Request) -> object:
        request.body.seek(0)
        try:
            return json.loads(request.body.read() or b"null")
        except ValueError:
            return None

    def _add_fault(self, request: Request) -> Response:
        spec = self._body(request)
        if not isinstance(spec, dict):
            return error(400, "bad_request", "a fault is a JSON object")
        try:
            self.faults.add(Fault(**spec))
        except (TypeError, ValueError) as problem:
            return error(400, "bad_request", str(problem))
        return json_response({"message": "fault added"})

    def _add_deployment(self, request: Request) -> Response:
        spec = self._body(request)
        usage = "give {deployment_id, versions: [...], environment: {...}, organization_id}"
        if not isinstance(spec, dict) or set(spec) - {
            "deployment_id",
            "versions",
            "environment",
            "organization_id",
        }:
            return error(400, "bad_request", usage)
        try:
            deployment_id = check_path_id("deployment_id", spec.get("deployment_id"))
            organization = spec.get("organization_id") or self.default_organization
            versions = spec.get("versions") or []
            environment = spec.get("environment") or {}
            if not isinstance(versions, list):
                raise ValueError("versions must be a list of version ids")
            ids = [check_path_id("version_id", v) for v in versions]
            if not isinstance(environment, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in environment.items()
            ):
                raise ValueError("environment must map strings to strings")
            check_organization_id(organization)
        except (TypeError, ValueError) as problem:
            return error(400, "bad_request", f"{problem}; {usage}")
        self.state.add_deployment(
            deployment_id,
            organization_id=organization,
            versions={v: HandlerSpec.of(None) for v in ids},
            environment=environment,
        )
        return json_response({"message": "deployment added"})
