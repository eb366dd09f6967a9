"""What the emulator was sent: the request log, per-route counters and requests in flight."""

from __future__ import annotations

import collections
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
    trimmed: bool = field(default=False, repr=False)
    """Whether its bodies were dropped to keep the log within its byte budget."""

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


def _held(served: ServedRequest) -> int:
    return len(served.body or b"") + len(served.response or b"")


class Recorder:
    """Logs every API request on arrival and its status when answered.

    ``keep_requests`` and ``keep_bytes`` (None: no limit, as tests want the whole log)
    bound what a long-running emulator holds: the log keeps the last ``keep_requests``
    requests, and their bodies as long as they add up to at most ``keep_bytes`` (the
    oldest bodies are dropped first; their requests stay logged). Counters stay exact.
    """

    def __init__(self, *, keep_requests: int | None = None, keep_bytes: int | None = None) -> None:
        self.record_bodies = True
        """Keep request and response bodies in the log (off for long soaks)."""
        self.keep_requests = keep_requests
        self.keep_bytes = keep_bytes
        self._held_bytes = 0
        self._oldest_body = 0  # entries before it hold no body any more
        self._served: collections.deque[ServedRequest] = collections.deque()
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
            self._held_bytes += _held(served)
            self._in_flight += 1
            self._trim()
        return served

    def _trim(self) -> None:
        """Keep within ``keep_requests`` and ``keep_bytes`` (the lock is held)."""
        served = self._served
        while self.keep_requests is not None and len(served) > self.keep_requests:
            self._held_bytes -= _held(served.popleft())
            self._oldest_body = max(0, self._oldest_body - 1)
        while (
            self.keep_bytes is not None
            and self._held_bytes > self.keep_bytes
            and self._oldest_body < len(served)
        ):
            entry = served[self._oldest_body]
            self._held_bytes -= _held(entry)
            entry.body = entry.response = None
            entry.trimmed = True
            self._oldest_body += 1

    def answered(self, served: ServedRequest, response: Response | None) -> None:
        """Record the answer (None: the handler failed) and take the request out of flight."""
        if response is not None and not response.drop:
            served.status = response.status
            if self.record_bodies and len(response.body) <= _LOGGED_BODY_LIMIT:
                with self._lock:
                    if not served.trimmed:  # its body was not dropped meanwhile
                        served.response = response.body
                        self._held_bytes += len(response.body)
                        self._trim()
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
            self._held_bytes = self._oldest_body = 0
            self.record_bodies = True

    def snapshot(self) -> tuple[list[ServedRequest], Counter[str]]:
        """A copy of the request log and the counters."""
        with self._lock:
            return list(self._served), Counter(self._counters)
