"""The emulator's state: organizations, deployments, services and their logs. No HTTP here."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

Clock = Callable[[], float]
Handler = Callable[[Any, Any], Any]
"""A model handler: ``handler(request, context) -> {"status_code", "content_type", "content"}``."""

IN_PROGRESS = "IN_PROGRESS"
READY = "READY"
STOPPED = "STOPPED"
FAILED = "FAILED"

# Bounds the emulator enforces on instance numbers (the platform's are per plan).
MAX_INSTANCES = 32
DEFAULT_ORGANIZATION_ID = "1111111111111"
DEFAULT_DEPLOYMENT_ID = "9999999999999"
DEFAULT_VERSION_ID = "ver-abc3333333333333"
DEFAULT_MODEL_ID = "3333333333333"

_CREATE_FIELDS: dict[str, type | tuple[type, ...]] = {
    "version_id": str,
    "instance_type": str,
    "instance_number": int,
    "min_instance_number": int,
    "max_instance_number": int,
    "enable_autoscale": bool,
    "environment": dict,
    "models": dict,
    "record_channel_id": str,
}
_UPDATE_FIELDS = (
    "instance_number",
    "min_instance_number",
    "max_instance_number",
    "enable_autoscale",
    "environment",
)


class ApiError(Exception):
    """An error answer: status, the platform's ``error`` code and a description."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(f"{status} {error}: {description}")
        self.status = status
        self.error = error
        self.description = description


def bad_request(description: str) -> ApiError:
    return ApiError(400, "bad_request", description)


def not_found(description: str) -> ApiError:
    return ApiError(404, "not_found", description)


def iso(ts: float) -> str:
    """Epoch seconds as the platform writes them: ``2018-06-05T13:07:49.602076Z``."""
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class Version:
    """A deployment version: its number and the handler that serves predictions."""

    version_id: str
    model_version: str
    handler: Handler | None


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
    status: str = IN_PROGRESS
    ready_at: float = 0.0
    logs: list[LogLine] = field(default_factory=list)


@dataclass
class Deployment:
    """A deployment: its versions, its environment and its services."""

    organization_id: str
    deployment_id: str
    versions: dict[str, Version] = field(default_factory=dict)
    environment: dict[str, str] = field(default_factory=dict)
    services: dict[str, ServiceRecord] = field(default_factory=dict)


def _check_body(body: object, allowed: Mapping[str, type | tuple[type, ...]]) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise bad_request("the request body must be a JSON object")
    for key, value in body.items():
        if key not in allowed:
            raise bad_request(f"unknown parameter: {key}")
        expected = allowed[key]
        if value is None:
            continue
        wrong_bool = expected is int and isinstance(value, bool)
        if wrong_bool or not isinstance(value, expected):
            name = expected.__name__ if isinstance(expected, type) else "value"
            raise bad_request(f"{key} must be {'an object' if expected is dict else name}")
        if isinstance(value, dict) and not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise bad_request(f"{key} must map strings to strings")
    return {k: v for k, v in body.items() if v is not None}


def _check_instances(number: int | None, low: int | None, high: int | None) -> None:
    for name, value in (
        ("instance_number", number),
        ("min_instance_number", low),
        ("max_instance_number", high),
    ):
        if value is not None and not 1 <= value <= MAX_INSTANCES:
            raise bad_request(f"{name} must be between 1 and {MAX_INSTANCES}")
    if low is not None and high is not None and low > high:
        raise bad_request("min_instance_number must not be greater than max_instance_number")


class EmulatorState:
    """Everything the emulator knows, behind one lock; time comes from ``clock``."""

    def __init__(self, *, clock: Clock, ready_delay: float = 0.0, log_page_size: int = 50) -> None:
        self.clock = clock
        self.ready_delay = ready_delay
        self.log_page_size = log_page_size
        self.lock = threading.RLock()
        self.organizations: dict[str, dict[str, Deployment]] = {}

    # -- seeding ----------------------------------------------------------------

    def add_deployment(
        self,
        deployment_id: str,
        *,
        organization_id: str,
        versions: Mapping[str, Handler | None] | None = None,
        environment: Mapping[str, str] | None = None,
    ) -> Deployment:
        """Add (or extend) a deployment with versions ``{version_id: handler}``."""
        with self.lock:
            deployments = self.organizations.setdefault(organization_id, {})
            deployment = deployments.get(deployment_id)
            if deployment is None:
                deployment = Deployment(organization_id, deployment_id)
                deployments[deployment_id] = deployment
            if environment:
                deployment.environment.update(environment)
            for version_id, handler in (versions or {}).items():
                self.add_version(deployment, version_id, handler)
            return deployment

    def add_version(
        self,
        deployment: Deployment,
        version_id: str,
        handler: Handler | None,
        model_version: str | None = None,
    ) -> Version:
        """Add a version to a deployment; its number counts up from ``0.0.1``."""
        with self.lock:
            number = model_version or f"0.0.{len(deployment.versions) + 1}"
            version = Version(version_id, number, handler)
            deployment.versions[version_id] = version
            return version

    # -- lookups ----------------------------------------------------------------

    def deployment(self, organization_id: str, deployment_id: str) -> Deployment:
        deployments = self.organizations.get(organization_id)
        if deployments is None:
            raise not_found(f"organization {organization_id} not found")
        deployment = deployments.get(deployment_id)
        if deployment is None:
            raise not_found(f"deployment {deployment_id} not found")
        return deployment

    def service(self, organization_id: str, deployment_id: str, service_id: str) -> ServiceRecord:
        deployment = self.deployment(organization_id, deployment_id)
        record = deployment.services.get(service_id)
        if record is None:
            raise not_found(f"service {service_id} not found")
        self._advance(record)
        return record

    def _advance(self, record: ServiceRecord) -> None:
        if record.status == IN_PROGRESS and self.clock() >= record.ready_at:
            record.status = READY
            record.modified_at = record.ready_at
            self.log(record, f"service {record.service_id} is READY", at=record.ready_at)

    def log(self, record: ServiceRecord, message: str, *, at: float | None = None) -> None:
        """Append a line to a service's log (kept in time order)."""
        with self.lock:
            record.logs.append(LogLine(self.clock() if at is None else at, message))

    # -- the API ----------------------------------------------------------------

    def environment(self, record: ServiceRecord) -> dict[str, str]:
        """The deployment's environment with the service's on top (what a handler sees)."""
        deployment = self.deployment(record.organization_id, record.deployment_id)
        return {**deployment.environment, **record.user_env_vars}

    def to_json(self, record: ServiceRecord) -> dict[str, Any]:
        """A service in the platform's JSON shape: every field of the reference's examples."""
        return {
            "service_id": record.service_id,
            "deployment_id": record.deployment_id,
            "models": dict(record.models),
            "model_version": record.version.model_version,
            "model_version_id": record.version.version_id,
            "status": record.status,
            "instance_number": record.instance_number,
            "min_instance_number": record.min_instance_number,
            "max_instance_number": record.max_instance_number,
            "enable_autoscale": record.enable_autoscale,
            "instance_type": record.instance_type,
            "metrics_url": f"https://metrics.invalid/services/{record.service_id}",
            "record_channel_id": record.record_channel_id,
            "user_env_vars": dict(record.user_env_vars),
            "merged_env_vars": self.environment(record),
            "service_process_type": "multi",
            "created_at": iso(record.created_at),
            "modified_at": iso(record.modified_at),
        }

    def _go_in_progress(self, record: ServiceRecord, now: float) -> None:
        record.status = IN_PROGRESS
        record.ready_at = now + self.ready_delay
        record.modified_at = now
        self.log(record, f"service {record.service_id} is IN_PROGRESS", at=now)

    def create(self, organization_id: str, deployment_id: str, body: object) -> dict[str, Any]:
        with self.lock:
            deployment = self.deployment(organization_id, deployment_id)
            fields = _check_body(body, _CREATE_FIELDS)
            version_id = fields.get("version_id")
            if not version_id:
                raise bad_request("version_id is required")
            version = deployment.versions.get(version_id)
            if version is None:
                raise bad_request(f"version {version_id} not found in deployment {deployment_id}")
            number = fields.get("instance_number", 1)
            low, high = fields.get("min_instance_number"), fields.get("max_instance_number")
            _check_instances(number, low, high)
            now = self.clock()
            record = ServiceRecord(
                service_id="ser-" + secrets.token_hex(8),
                deployment_id=deployment_id,
                organization_id=organization_id,
                version=version,
                instance_type=fields.get("instance_type", "cpu-0.25"),
                instance_number=number,
                min_instance_number=low,
                max_instance_number=high,
                enable_autoscale=fields.get("enable_autoscale", False),
                user_env_vars=dict(fields.get("environment", {})),
                models=dict(fields.get("models", {})),
                record_channel_id=fields.get("record_channel_id"),
                created_at=now,
                modified_at=now,
            )
            deployment.services[record.service_id] = record
            self.log(record, f"service {record.service_id} created (version {version_id})", at=now)
            self._go_in_progress(record, now)
            return self.to_json(record)

    def list(self, organization_id: str, deployment_id: str) -> dict[str, Any]:
        with self.lock:
            deployment = self.deployment(organization_id, deployment_id)
            entries = []
            for record in deployment.services.values():
                self._advance(record)
                entries.append(self.to_json(record))
            return {"entries": entries}

    def get(self, organization_id: str, deployment_id: str, service_id: str) -> dict[str, Any]:
        with self.lock:
            return self.to_json(self.service(organization_id, deployment_id, service_id))

    def update(
        self, organization_id: str, deployment_id: str, service_id: str, body: object
    ) -> dict[str, Any]:
        with self.lock:
            record = self.service(organization_id, deployment_id, service_id)
            allowed = {k: _CREATE_FIELDS[k] for k in _UPDATE_FIELDS}
            fields = _check_body(body, allowed)
            number = fields.get("instance_number", record.instance_number)
            low = fields.get("min_instance_number", record.min_instance_number)
            high = fields.get("max_instance_number", record.max_instance_number)
            _check_instances(number, low, high)
            record.instance_number = number
            record.min_instance_number, record.max_instance_number = low, high
            record.enable_autoscale = fields.get("enable_autoscale", record.enable_autoscale)
            if "environment" in fields:
                record.user_env_vars = dict(fields["environment"])
            self.log(record, f"service {service_id} updated: {sorted(fields)}")
            if record.status != STOPPED:
                self._go_in_progress(record, self.clock())
            return self.to_json(record)

    def delete(self, organization_id: str, deployment_id: str, service_id: str) -> dict[str, Any]:
        with self.lock:
            self.service(organization_id, deployment_id, service_id)
            del self.deployment(organization_id, deployment_id).services[service_id]
            return {"message": f"{service_id} deleted"}

    def start(self, organization_id: str, deployment_id: str, service_id: str) -> dict[str, Any]:
        with self.lock:
            record = self.service(organization_id, deployment_id, service_id)
            if record.status in (READY, IN_PROGRESS):
                raise bad_request("service is already running")
            self.log(record, f"service {service_id} starting")
            self._go_in_progress(record, self.clock())
            return {"message": f"{service_id} started"}

    def stop(self, organization_id: str, deployment_id: str, service_id: str) -> dict[str, Any]:
        with self.lock:
            record = self.service(organization_id, deployment_id, service_id)
            if record.status not in (READY, IN_PROGRESS):
                raise bad_request("service is not running")
            record.status = STOPPED
            record.modified_at = self.clock()
            self.log(record, f"service {service_id} is STOPPED")
            return {"message": f"{service_id} stopped"}

    def fail(self, organization_id: str, deployment_id: str, service_id: str, reason: str) -> None:
        with self.lock:
            record = self.service(organization_id, deployment_id, service_id)
            record.status = FAILED
            record.modified_at = self.clock()
            self.log(record, f"service {service_id} FAILED: {reason}")

    def logs(
        self,
        organization_id: str,
        deployment_id: str,
        service_id: str,
        *,
        forward: str | None,
        backward: str | None,
        start: float | None,
        end: float | None,
    ) -> dict[str, Any]:
        """A page of logs, newest first, with CloudWatch-style tokens.

        ``b-<i>`` pages to events before index ``i``; ``f-<i>`` to events from
        index ``i`` on. At the end of the stream the given token comes back
        unchanged with no events.
        """
        with self.lock:
            record = self.service(organization_id, deployment_id, service_id)
            lines = record.logs
            size = self.log_page_size
            low, high = 0, len(lines)
            if forward is not None:
                low = _token_index(forward, "f", len(lines))
            elif backward is not None:
                high = _token_index(backward, "b", len(lines))
            if start is None and end is None:
                span = (
                    range(low, min(low + size, high))
                    if forward is not None
                    else range(max(low, high - size), high)
                )
                page = list(span)
            else:
                indexes = [
                    i
                    for i in range(low, high)
                    if (start is None or lines[i].timestamp >= start)
                    and (end is None or lines[i].timestamp <= end)
                ]
                page = indexes[:size] if forward is not None else indexes[-size:]
            events = [
                {"message": lines[i].message, "timestamp": iso(lines[i].timestamp)}
                for i in reversed(page)
            ]
            if page:
                next_backward, next_forward = f"b-{page[0]}", f"f-{page[-1] + 1}"
            else:
                next_backward = backward if backward is not None else f"b-{len(lines)}"
                next_forward = forward if forward is not None else f"f-{len(lines)}"
            return {
                "events": events,
                "next_backward_token": next_backward,
                "next_forward_token": next_forward,
            }


def _token_index(token: str, direction: str, size: int) -> int:
    prefix, _, number = token.partition("-")
    if prefix != direction or not number.isdigit() or int(number) > size:
        raise bad_request(f"invalid {'forward' if direction == 'f' else 'backward'} token")
    return int(number)
