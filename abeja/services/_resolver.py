"""Host name resolution bounded by the call's deadline (``getaddrinfo`` takes no timeout)."""

from __future__ import annotations

import socket
import threading
import time

from ._failures import AttemptFailed, Limits

# How long a host name's resolution is remembered: a failure briefly (retries then fail
# at once, naming the host), a success longer (the resolver is not asked twice a call).
_RESOLVED_FOR = 60.0
_UNRESOLVED_FOR = 5.0


class Resolver:
    """Resolves host names in a worker thread, so a slow resolver cannot outlast a deadline.

    ``getaddrinfo`` takes no timeout; a name that does not resolve would otherwise cost
    the system resolver's own timeouts (seconds) on every attempt.
    """

    def __init__(self) -> None:
        self._known: dict[tuple[str, int], tuple[float, str | None]] = {}
        self._lock = threading.Lock()

    def check(self, host: str, port: int, limits: Limits) -> None:
        """Return if ``host`` resolves in time; AttemptFailed (not sent) otherwise."""
        if not host or host.replace(".", "").isdigit() or ":" in host or host == "localhost":
            return  # an address literal: nothing to resolve
        key = (host, port)
        now = time.monotonic()
        known = self._known.get(key)
        if known is None or known[0] <= now:
            known = self._resolve(host, port, min(limits.timeout, max(limits.remaining(), 0.0)))
            with self._lock:
                self._known[key] = known
        if known[1] is not None:
            raise AttemptFailed("connect", known[1], sent=False)

    def _resolve(self, host: str, port: int, seconds: float) -> tuple[float, str | None]:
        outcome: list[str | None] = []

        def resolve() -> None:
            try:
                socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
                outcome.append(None)
            except OSError as error:
                outcome.append(f"host name {host!r} does not resolve ({error})")

        worker = threading.Thread(target=resolve, name="abeja-services-resolve", daemon=True)
        worker.start()
        worker.join(seconds)
        now = time.monotonic()
        if not outcome:
            return now + _UNRESOLVED_FOR, f"host name {host!r} did not resolve in {seconds:.1f} s"
        error = outcome[0]
        return now + (_RESOLVED_FOR if error is None else _UNRESOLVED_FOR), error
