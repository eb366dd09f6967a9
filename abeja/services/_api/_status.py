"""Service states: the one definition every module (and the emulator) uses."""

from __future__ import annotations

from enum import Enum


class ServiceStatus(str, Enum):
    """Known service states. Unknown strings from the server are kept as plain ``str``.

    ``IN_PROGRESS`` and ``READY`` are the platform's documented values;
    ``STOPPED`` and ``FAILED`` are this SDK's (and its emulator's) names for
    the states the platform does not publish.
    """

    IN_PROGRESS = "IN_PROGRESS"
    READY = "READY"
    STOPPED = "STOPPED"
    FAILED = "FAILED"

    def __str__(self) -> str:
        return self.value


FAILED_STATUSES: frozenset[str] = frozenset({ServiceStatus.FAILED.value})
"""States after which waiting for READY (or STOPPED) is pointless."""

RUNNING_STATUSES: frozenset[str] = frozenset(
    {ServiceStatus.IN_PROGRESS.value, ServiceStatus.READY.value}
)
"""States in which a service counts as running (it can be stopped, not started)."""
