"""Scripted misbehaviour: which requests fail how, and delays a reset can cut short."""

from __future__ import annotations

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

    def matches(self, route: str) -> bool:
        """Whether this fault still applies to a request of ``route``."""
        return self.times != 0 and self.route in ("*", route)


class Faults:
    """The faults in force, taken in the order they were added."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._interrupt = threading.Event()

    def add(self, fault: Fault) -> None:
        """Apply ``fault`` to the requests that match it."""
        if fault.route not in (*ROUTES, "*"):
            raise ValueError(f"unknown route {fault.route!r}; one of {ROUTES} or '*'")
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
        """Wait ``seconds``, or less if :meth:`interrupt` is called meanwhile."""
        self._interrupt.wait(seconds)

    def interrupt(self) -> None:
        """Clear the faults and cut every delay short (until :meth:`rearm`)."""
        self.clear()
        self._interrupt.set()

    def rearm(self) -> None:
        """Let delays wait again after an :meth:`interrupt`."""
        self._interrupt.clear()
