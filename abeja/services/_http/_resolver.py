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
    the system resolver's own timeouts (seconds) on every attempt. The address found is
    what the connection is made to: the name is not resolved a second time.
    """

    def __init__(self) -> None:
        self._known: dict[tuple[str, int], tuple[float, str | None, str | None]] = {}
        self._lock = threading.Lock()

    def resolve(self, host: str, port: int, limits: Limits) -> str:
        """An address of ``host``, found in time; AttemptFailed (not sent) otherwise."""
        key = (host, port)
        now = time.monotonic()
        known = self._known.get(key)
        if known is None or known[0] <= now:
            known = self._resolve(host, port, min(limits.timeout, max(limits.remaining(), 0.0)))
            with self._lock:
                self._known[key] = known
        if known[1] is None:
            raise AttemptFailed("connect", known[2] or f"host name {host!r} did not resolve",
                                sent=False)  # fmt: skip
        return known[1]

    def _resolve(
        self, host: str, port: int, seconds: float
    ) -> tuple[float, str | None, str | None]:
        outcome: list[tuple[str | None, str | None]] = []

        def resolve() -> None:
            try:
                found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
                # IPv4 first: a host without an IPv6 route would fail on a v6 address.
                found.sort(key=lambda entry: entry[0] != socket.AF_INET)
                outcome.append((str(found[0][4][0]), None))
            except (OSError, UnicodeError, IndexError) as error:
                outcome.append((None, f"host name {host!r} does not resolve ({error})"))

        worker = threading.Thread(target=resolve, name="abeja-services-resolve", daemon=True)
        worker.start()
        worker.join(seconds)
        now = time.monotonic()
        if not outcome:
            return (
                now + _UNRESOLVED_FOR,
                None,
                f"host name {host!r} did not resolve in {seconds:.1f} s",
            )
        address, error = outcome[0]
        return now + (_RESOLVED_FOR if error is None else _UNRESOLVED_FOR), address, error
