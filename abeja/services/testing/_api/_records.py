"""What the emulator holds: deployments, versions, services, log lines; and its API errors."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone

from ..._api._status import ServiceStatus
from .._runtime._handlers import HandlerSpec


class ApiError(Exception):
    """An error answer: status, the platform's ``error`` code and a description."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(status, error, description)
        self.status = status
        self.error = error
        self.description = description

    def __str__(self) -> str:
        return f"{self.status} {self.error}: {self.description}"


def bad_request(description: str) -> ApiError:
    """A 400 in the platform's shape."""
    return ApiError(400, "bad_request", description)


def not_found(description: str) -> ApiError:
    """A 404 in the platform's shape."""
    return ApiError(404, "not_found", description)


def iso(ts: float) -> str:
    """Epoch seconds as the platform writes them: ``2018-06-05T13:07:49.602076Z``."""
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class Version:
    """A deployment version: its number and the handler that serves predictions."""

    version_id: str
    model_version: str
    handler: HandlerSpec
    load_delay: float = 0.0
    """Seconds its model takes to load once a service is READY (503 until then)."""
    image: str = "abeja-inc/all-cpu:19.10"
    user_parameters: dict[str, str] = field(default_factory=dict)
    """Variables its handler's process sees (under the service's own)."""
    created_at: float = 0.0
    uploaded: bool = True
    """Whether its code is there (a version created through the API: once uploaded)."""
    upload_token: str = ""
    """The signature its presigned upload and download links carry."""


@dataclass
class LogLine:
    """One log event of a service."""

    timestamp: float
    message: str


@dataclass
class ServiceRecord:
    """A service as the emulator holds it."""

    service_id: str
    deployment_id: str
    organization_id: str
    version: Version
    instance_type: str
    instance_number: int
    min_instance_number: int | None
    max_instance_number: int | None
    enable_autoscale: bool
    user_env_vars: dict[str, str]
    models: dict[str, str]
    record_channel_id: str | None
    created_at: float
    modified_at: float
    status: str = ServiceStatus.IN_PROGRESS.value
    ready_at: float = 0.0
    logs: list[LogLine] = field(default_factory=list)
    instances: Instances = field(default_factory=lambda: Instances(1))
    """One request at a time per instance, as the platform's serving proxy does."""


class Instances:
    """``count`` instances, each serving one request at a time; resizable.

    ``with instances.slot() as number:`` waits for a free instance and gives its number
    (0 to count - 1), so a request always runs on one instance of its own.
    """

    def __init__(self, count: int) -> None:
        self._condition = threading.Condition()
        self._count = count
        self._busy: set[int] = set()

    def resize(self, count: int) -> None:
        """Run ``count`` instances from now on (requests being served finish)."""
        with self._condition:
            self._count = count
            self._condition.notify_all()

    def _free(self) -> int | None:
        return next((n for n in range(self._count) if n not in self._busy), None)

    @contextlib.contextmanager
    def slot(self) -> Iterator[int]:
        """Wait for a free instance and hold it; gives its number."""
        with self._condition:
            self._condition.wait_for(lambda: self._free() is not None)
            number = self._free()
            assert number is not None
            self._busy.add(number)
        try:
            yield number
        finally:
            with self._condition:
                self._busy.discard(number)
                self._condition.notify_all()


@dataclass
class EndpointRecord:
    """An endpoint: a named alias of a deployment, pointing at one of its services."""

    endpoint_id: str
    custom_alias: str
    service_id: str

    def to_json(self) -> dict[str, str]:
        """As the Endpoints API answers it."""
        return {
            "endpoint_id": self.endpoint_id,
            "custom_alias": self.custom_alias,
            "service_id": self.service_id,
        }


@dataclass
class Deployment:
    """A deployment: its versions, its environment, its services and its endpoints."""

    organization_id: str
    deployment_id: str
    versions: dict[str, Version] = field(default_factory=dict)
    environment: dict[str, str] = field(default_factory=dict)
    services: dict[str, ServiceRecord] = field(default_factory=dict)
    endpoints: dict[str, EndpointRecord] = field(default_factory=dict)
    """By endpoint id, in the order they were created."""

    def endpoint(self, name: str) -> EndpointRecord:
        """An endpoint by id or alias, or a 404."""
        found = self.endpoints.get(name) or next(
            (e for e in self.endpoints.values() if e.custom_alias == name), None
        )
        if found is None:
            raise not_found(f"endpoint {name} not found")
        return found
