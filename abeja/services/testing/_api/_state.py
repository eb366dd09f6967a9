"""The emulator's state: organizations, deployments, services and their logs.

Plain Python: no HTTP and no request-body schema here (the app checks bodies
first). The state keeps the platform's rules (instance bounds, the lifecycle,
log paging) and owns seeding and reset.
"""

from __future__ import annotations

import bisect
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..._api._status import RUNNING_STATUSES, ServiceStatus
from ..._constants import DEFAULT_INSTANCE_TYPE, MAX_INSTANCE_NUMBER
from .._runtime._handlers import HandlerSpec
from ._log_paging import log_page
from ._records import (
    Deployment,
    Instances,
    LogLine,
    ServiceRecord,
    Version,
    bad_request,
    iso,
    not_found,
)

EpochClock = Callable[[], float]
"""Epoch seconds: drives the emulator's timestamps and ready delays."""

IN_PROGRESS = ServiceStatus.IN_PROGRESS.value
READY = ServiceStatus.READY.value
STOPPED = ServiceStatus.STOPPED.value
FAILED = ServiceStatus.FAILED.value

# The platform's bounds on instance numbers.
MAX_INSTANCES = MAX_INSTANCE_NUMBER
DEFAULT_ORGANIZATION_ID = "1111111111111"
DEFAULT_DEPLOYMENT_ID = "9999999999999"
DEFAULT_VERSION_ID = "ver-abc3333333333333"
DEFAULT_MODEL_ID = "3333333333333"


@dataclass(frozen=True)
class Seed:
    """The deployment that exists after every reset (unless the state is unseeded)."""

    organization_id: str = DEFAULT_ORGANIZATION_ID
    deployment_id: str = DEFAULT_DEPLOYMENT_ID
    version_id: str = DEFAULT_VERSION_ID
    environment: tuple[tuple[str, str], ...] = (("EXAMPLE_ENV", "deployment_example"),)


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
    if number is not None and low is not None and number < low:
        raise bad_request("instance_number must not be below min_instance_number")
    if number is not None and high is not None and number > high:
        raise bad_request("instance_number must not be above max_instance_number")


class EmulatorState:
    """Everything the emulator knows, behind one lock; time comes from ``clock``.

    ``ready_delay`` and ``log_page_size`` go back to their initial values on `reset`.
    """

    def __init__(
        self,
        *,
        clock: EpochClock,
        ready_delay: float = 0.0,
        log_page_size: int = 50,
        seed: Seed | None = None,
    ) -> None:
        self.clock = clock
        self._initial = (ready_delay, log_page_size, clock)
        self.ready_delay = ready_delay
        self.log_page_size = log_page_size
        self.seed = seed
        self.lock = threading.RLock()
        self.organizations: dict[str, dict[str, Deployment]] = {}
        self.reset()

    def reset(self) -> None:
        """Forget everything, restore the settings (the clock too), seed the default deployment."""
        with self.lock:
            self.organizations.clear()
            self.ready_delay, self.log_page_size, self.clock = self._initial
            if self.seed is not None:
                self.add_deployment(
                    self.seed.deployment_id,
                    organization_id=self.seed.organization_id,
                    versions={self.seed.version_id: HandlerSpec.of(None)},
                    environment=dict(self.seed.environment),
                )

    def add_deployment(
        self,
        deployment_id: str,
        *,
        organization_id: str,
        versions: Mapping[str, HandlerSpec] | None = None,
        environment: Mapping[str, str] | None = None,
        load_delay: float = 0.0,
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
                known = deployment.versions.get(version_id)
                # A version given again keeps its number: only its handler changes.
                number = known.model_version if known else f"0.0.{len(deployment.versions) + 1}"
                deployment.versions[version_id] = Version(version_id, number, handler, load_delay)
            return deployment

    def deployment(self, organization_id: str, deployment_id: str) -> Deployment:
        """A deployment, or a 404."""
        deployments = self.organizations.get(organization_id)
        if deployments is None:
            raise not_found(f"organization {organization_id} not found")
        deployment = deployments.get(deployment_id)
        if deployment is None:
            raise not_found(f"deployment {deployment_id} not found")
        return deployment

    def service(self, organization_id: str, deployment_id: str, service_id: str) -> ServiceRecord:
        """A service (its status brought up to now), or a 404."""
        with self.lock:
            record = self.deployment(organization_id, deployment_id).services.get(service_id)
            if record is None:
                raise not_found(f"service {service_id} not found")
            self._advance(record)
            return record

    def find_service(self, service_id: str) -> ServiceRecord:
        """A service in any organization and deployment, or a 404."""
        with self.lock:
            for deployments in self.organizations.values():
                for deployment in deployments.values():
                    record = deployment.services.get(service_id)
                    if record is not None:
                        self._advance(record)
                        return record
        raise not_found(f"service {service_id} not found")

    def loaded(self, record: ServiceRecord) -> bool:
        """Whether a READY service's model has loaded (its version's ``load_delay`` after
        it became READY): until then its proxy answers 503."""
        return (
            record.status == READY and self.clock() >= record.ready_at + record.version.load_delay
        )

    def _advance(self, record: ServiceRecord) -> None:
        if record.status == IN_PROGRESS and self.clock() >= record.ready_at:
            record.status = READY
            record.modified_at = record.ready_at
            self.log(record, f"service {record.service_id} is READY", at=record.ready_at)

    def log(self, record: ServiceRecord, message: str, *, at: float | None = None) -> None:
        """Append a line to a service's log."""
        line = LogLine(self.clock() if at is None else at, message)
        with self.lock:  # in time order, as the platform's log is, whenever it was added
            bisect.insort_right(record.logs, line, key=lambda logged: logged.timestamp)

    def environment(self, record: ServiceRecord) -> dict[str, str]:
        """The deployment's environment with the service's on top (what a handler sees)."""
        deployment = self.deployment(record.organization_id, record.deployment_id)
        return {**deployment.environment, **record.version.user_parameters, **record.user_env_vars}

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

    def create(
        self,
        organization_id: str,
        deployment_id: str,
        *,
        version_id: str,
        instance_type: str = DEFAULT_INSTANCE_TYPE,
        instance_number: int = 1,
        min_instance_number: int | None = None,
        max_instance_number: int | None = None,
        enable_autoscale: bool = True,
        environment: Mapping[str, str] | None = None,
        models: Mapping[str, str] | None = None,
        record_channel_id: str | None = None,
    ) -> dict[str, Any]:
        """Create a service running ``version_id``; it starts IN_PROGRESS.

        As on the platform, autoscaling is on by default, between ``instance_number`` and
        twice it (at most 64).
        """
        if min_instance_number is None:
            min_instance_number = instance_number
        if max_instance_number is None:
            max_instance_number = min(2 * instance_number, MAX_INSTANCES)
        with self.lock:
            deployment = self.deployment(organization_id, deployment_id)
            version = deployment.versions.get(version_id)
            if version is None:
                raise bad_request(f"version {version_id} not found in deployment {deployment_id}")
            if not version.uploaded:
                raise bad_request(f"version {version_id} has no code uploaded yet")
            _check_instances(instance_number, min_instance_number, max_instance_number)
            now = self.clock()
            record = ServiceRecord(
                service_id="ser-" + secrets.token_hex(8),
                deployment_id=deployment_id,
                organization_id=organization_id,
                version=version,
                instance_type=instance_type,
                instance_number=instance_number,
                min_instance_number=min_instance_number,
                max_instance_number=max_instance_number,
                enable_autoscale=enable_autoscale,
                user_env_vars=dict(environment or {}),
                models=dict(models or {}),
                record_channel_id=record_channel_id,
                created_at=now,
                modified_at=now,
                instances=Instances(instance_number),
            )
            deployment.services[record.service_id] = record
            self.log(record, f"service {record.service_id} created (version {version_id})", at=now)
            self._go_in_progress(record, now)
            return self.to_json(record)

    def list(self, organization_id: str, deployment_id: str) -> dict[str, Any]:
        """Every service of a deployment."""
        with self.lock:
            deployment = self.deployment(organization_id, deployment_id)
            entries = []
            for record in deployment.services.values():
                self._advance(record)
                entries.append(self.to_json(record))
            return {"entries": entries}

    def get(self, organization_id: str, deployment_id: str, service_id: str) -> dict[str, Any]:
        """One service."""
        with self.lock:
            return self.to_json(self.service(organization_id, deployment_id, service_id))

    def update(
        self,
        organization_id: str,
        deployment_id: str,
        service_id: str,
        *,
        instance_number: int | None = None,
        min_instance_number: int | None = None,
        max_instance_number: int | None = None,
        enable_autoscale: bool | None = None,
        environment: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """Change the fields given; a running service goes IN_PROGRESS again."""
        with self.lock:
            record = self.service(organization_id, deployment_id, service_id)
            number = record.instance_number if instance_number is None else instance_number
            low = record.min_instance_number if min_instance_number is None else min_instance_number
            high = (
                record.max_instance_number if max_instance_number is None else max_instance_number
            )
            _check_instances(number, low, high)
            record.instance_number = number
            record.instances.resize(number)
            record.min_instance_number, record.max_instance_number = low, high
            if enable_autoscale is not None:
                record.enable_autoscale = enable_autoscale
            if environment is not None:
                record.user_env_vars = dict(environment)
            self.log(record, f"service {service_id} updated")
            if record.status != STOPPED:
                self._go_in_progress(record, self.clock())
            return self.to_json(record)

    def delete(self, organization_id: str, deployment_id: str, service_id: str) -> dict[str, Any]:
        """Remove a service."""
        with self.lock:
            self.service(organization_id, deployment_id, service_id)
            deployment = self.deployment(organization_id, deployment_id)
            for endpoint in deployment.endpoints.values():
                if endpoint.service_id == service_id:
                    raise bad_request(
                        f"service {service_id} is the target of endpoint {endpoint.custom_alias} "
                        f"({endpoint.endpoint_id}): switch or delete the endpoint first"
                    )
            del deployment.services[service_id]
            return {"message": f"{service_id} deleted"}

    def start(self, organization_id: str, deployment_id: str, service_id: str) -> dict[str, Any]:
        """Start a stopped (or failed) service."""
        with self.lock:
            record = self.service(organization_id, deployment_id, service_id)
            if record.status in RUNNING_STATUSES:
                raise bad_request("service is already running")
            self.log(record, f"service {service_id} starting")
            self._go_in_progress(record, self.clock())
            return {"message": f"{service_id} started"}

    def stop(self, organization_id: str, deployment_id: str, service_id: str) -> dict[str, Any]:
        """Stop a running service."""
        with self.lock:
            record = self.service(organization_id, deployment_id, service_id)
            if record.status not in RUNNING_STATUSES:
                raise bad_request("service is not running")
            record.status = STOPPED
            record.modified_at = self.clock()
            self.log(record, f"service {service_id} is STOPPED")
            return {"message": f"{service_id} stopped"}

    def fail(self, service_id: str, reason: str) -> None:
        """Put a service (in any deployment) into FAILED, as a crash would."""
        with self.lock:
            record = self.find_service(service_id)
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
        """A page of logs, newest first, with CloudWatch-style tokens."""
        with self.lock:
            record = self.service(organization_id, deployment_id, service_id)
            return log_page(
                record.logs,
                size=self.log_page_size,
                forward=forward,
                backward=backward,
                start=start,
                end=end,
            )
