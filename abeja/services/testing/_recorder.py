"""What the emulator was sent: the request log, per-route counters and requests in flight."""

from __future__ import annotations

import json
import threading
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ._wire import Request, Response

# Request and response bodies up to this size are kept in the request log.
_LOGGED_BODY_LIMIT = 1 << 20


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
    acted: bool = False
    """Whether the route did its work (even if a fault then spoiled the answer)."""
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    """The id sent back in ``X-Request-Id``."""

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


class Recorder:
    """Logs every API request on arrival and its status when answered."""

    def __init__(self) -> None:
        self.record_bodies = True
        """Keep request and response bodies in the log (off for long soaks)."""
        self._served: list[ServedRequest] = []
        self._counters: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._in_flight = 0

    def arrived(self, request: Request, route: str) -> ServedRequest:
        """Count and log a request; it is in flight until `answered`."""
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
            self._counters[route] += 1
            self._served.append(served)
            self._in_flight += 1
        return served

    def answered(self, served: ServedRequest, response: Response | None) -> None:
        """Record the answer (None: the handler failed) and take the request out of flight."""
        if response is not None and not response.drop:
            served.status = response.status
            if self.record_bodies and len(response.body) <= _LOGGED_BODY_LIMIT:
                served.response = response.body
        with self._idle:
            self._in_flight -= 1
            self._idle.notify_all()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until no request is being answered (a delayed one would land after a reset)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._in_flight == 0, timeout)

    def reset(self) -> None:
        """Forget the log and the counters; body recording goes back on."""
        with self._lock:
            self._served.clear()
            self._counters.clear()
            self.record_bodies = True

    def snapshot(self) -> tuple[list[ServedRequest], Counter[str]]:
        """A copy of the request log and the counters."""
        with self._lock:
            return list(self._served), Counter(self._counters)
