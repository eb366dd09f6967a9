"""The control plane (``/_emulator/...``): faults, counters, reset and seeding over HTTP.

For tests in another process (or another language) that cannot hold the
``ServiceEmulator`` object. Control requests are neither counted nor logged.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from ._faults import Fault, Faults
from ._handlers import HandlerSpec
from ._recorder import Recorder
from ._records import ApiError
from ._state import EmulatorState
from ._wire import Request, Response, error, json_response

_FAIL = re.compile(r"/_emulator/services/([^/]+)/fail")


@dataclass
class Control:
    """Answers control requests by acting on the emulator's parts."""

    state: EmulatorState
    faults: Faults
    recorder: Recorder
    reset: Callable[[], None]
    default_organization: str

    def handle(self, request: Request) -> Response:
        """Answer one control request."""
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
        if not isinstance(spec, dict) or not isinstance(spec.get("deployment_id"), str):
            return error(400, "bad_request", "give deployment_id, versions, environment")
        self.state.add_deployment(
            spec["deployment_id"],
            organization_id=str(spec.get("organization_id") or self.default_organization),
            versions={v: HandlerSpec.of(None) for v in spec.get("versions") or []},
            environment=spec.get("environment") or {},
        )
        return json_response({"message": "deployment added"})
