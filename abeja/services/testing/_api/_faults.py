"""Scripted misbehaviour: which requests fail how, and delays a reset can cut short."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field

ROUTES = (
    "create",
    "list",
    "get",
    "update",
    "delete",
    "start",
    "stop",
    "logs",
    "predict",
    "create_endpoint",
    "list_endpoints",
    "get_endpoint",
    "update_endpoint",
    "delete_endpoint",
    "predict_endpoint",
    "get_deployment",
    "create_version",
    "list_versions",
    "get_version",
    "delete_version",
    "download_link",
    "upload_archive",
    "download_archive",
)
"""Route names faults and counters use (services', then endpoints'); ``"*"`` matches them all."""


@dataclass
class Fault:
    """A scripted misbehaviour for requests matching ``route``.

    ``status`` answers that status (a JSON error body, an HTML page with
    ``html``, or ``body``), ``delay`` waits before answering, ``drop`` closes
    the connection without answering. ``times`` is how many requests it
    affects (None: all, until cleared).

    With ``after``, the route acts first (the service is created, started, ...)
    and then the fault answers: a gateway failing after the backend did the work.
    The shape of whatever is answered can be spoiled too: ``trickle`` sends the
    body a byte at a time that many seconds apart, ``truncate`` announces the
    whole body and closes halfway, ``gzip`` compresses it, ``pad`` adds that many
    bytes of JSON whitespace, ``informational`` sends that 1xx status line first.
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
    after: bool = False
    trickle: float = 0.0
    truncate: bool = False
    gzip: bool = False
    pad: int = 0
    informational: int | None = None

    def __post_init__(self) -> None:
        # Checked when made (by inject() or the control plane): a bad fault is refused with
        # a reason, never left to break the requests it would match.
        if self.route not in (*ROUTES, "*"):
            raise ValueError(f"unknown route {self.route!r}; one of {ROUTES} or '*'")
        body: object = self.body
        if isinstance(body, str):
            self.body = body.encode()  # as JSON gives it to the control plane
        retry_after: object = self.retry_after
        if isinstance(retry_after, (int, float)) and not isinstance(retry_after, bool):
            self.retry_after = str(retry_after)
        _kind("times", self.times, int, low=1, none=True)
        _kind("status", self.status, int, low=100, high=599, none=True)
        _kind("informational", self.informational, int, low=100, high=199, none=True)
        _kind("pad", self.pad, int, low=0, high=64 * 1024 * 1024)
        for name in ("delay", "trickle"):
            _kind(name, getattr(self, name), (int, float), low=0, high=3600)
        for name in ("drop", "html", "after", "truncate", "gzip"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be true or false")
        _kind("retry_after", self.retry_after, str, none=True)
        _kind("content_type", self.content_type, str)
        if self.body is not None and not isinstance(self.body, bytes):
            raise ValueError("body must be bytes (or a string over the control plane)")
        if not isinstance(self.headers, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in self.headers.items()
        ):
            raise ValueError("headers must map strings to strings")

    def matches(self, route: str) -> bool:
        """Whether this fault still applies to a request of ``route``."""
        return self.times != 0 and self.route in ("*", route)


def _kind(
    name: str,
    value: object,
    kind: type | tuple[type, ...],
    *,
    low: float | None = None,
    high: float | None = None,
    none: bool = False,
) -> None:
    if value is None and none:
        return
    if isinstance(value, bool) or not isinstance(value, kind):
        raise ValueError(f"{name} must be {'a string' if kind is str else 'a number'}")
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            raise ValueError(f"{name} must be finite")
        if (low is not None and value < low) or (high is not None and value > high):
            raise ValueError(
                f"{name} must be from {low:g} to {high if high is not None else 'any'}"
            )


class Faults:
    """The faults in force, taken in the order they were added."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._interrupt = threading.Event()

    def add(self, fault: Fault) -> None:
        """Apply ``fault`` (checked when it was made) to the requests that match it."""
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        """Remove every fault."""
        with self._lock:
            self._faults.clear()

    def take(self, route: str) -> Fault | None:
        """The first fault matching ``route``, counting one use of it."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(route):
                    if fault.times is not None:
                        fault.times -= 1
                    return fault
        return None

    def delay(self, seconds: float) -> None:
        """Wait ``seconds``, or less if `interrupt` is called meanwhile."""
        self._interrupt.wait(seconds)

    def interrupt(self) -> None:
        """Clear the faults and cut every delay short (until `rearm`)."""
        self.clear()
        self._interrupt.set()

    def rearm(self) -> None:
        """Let delays wait again after an `interrupt`."""
        self._interrupt.clear()
