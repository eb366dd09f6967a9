"""The emulator's endpoints: per deployment, named aliases each pointing at one service.

Plain Python over the `EmulatorState` (its lock, its deployments). The rules, as
abeja-sdk documents them or as chosen here where the platform is not public (see
docs/emulator.md): aliases are unique in a deployment (a second one is a 400, "the
resource already exists"); an endpoint points at a service of its own deployment; a
service an endpoint points at cannot be deleted (400) until the endpoint is switched away
or deleted; a stopped target is not refused, and predictions through it answer 503 as the
service itself would.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from ..._constants import DEFAULT_ALIAS
from ._records import Deployment, EndpointRecord, bad_request
from ._state import EmulatorState

# An alias becomes a path segment of the prediction route.
_ALIAS = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,62}")


class EndpointState:
    """Create, read, switch and delete endpoints; resolve a prediction route to a service."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state

    def _deployment(self, organization_id: str, deployment_id: str) -> Deployment:
        return self.state.deployment(organization_id, deployment_id)

    def _check_service(self, deployment: Deployment, service_id: str) -> None:
        if service_id not in deployment.services:
            raise bad_request(
                f"service {service_id} not found in deployment {deployment.deployment_id}"
            )

    def create(
        self,
        organization_id: str,
        deployment_id: str,
        *,
        service_id: str,
        custom_alias: str = DEFAULT_ALIAS,
    ) -> dict[str, Any]:
        """A new endpoint named ``custom_alias`` pointing at ``service_id``."""
        with self.state.lock:
            deployment = self._deployment(organization_id, deployment_id)
            if not _ALIAS.fullmatch(custom_alias) or custom_alias == "services":
                raise bad_request(
                    "custom_alias must be 1 to 63 letters, digits, '_' or '-' (not 'services')"
                )
            if any(e.custom_alias == custom_alias for e in deployment.endpoints.values()):
                raise bad_request(f"endpoint {custom_alias} already exists")
            self._check_service(deployment, service_id)
            record = EndpointRecord("pnt-" + secrets.token_hex(8), custom_alias, service_id)
            deployment.endpoints[record.endpoint_id] = record
            return record.to_json()

    def list(self, organization_id: str, deployment_id: str) -> dict[str, Any]:
        """Every endpoint of a deployment, oldest first."""
        with self.state.lock:
            deployment = self._deployment(organization_id, deployment_id)
            return {"entries": [e.to_json() for e in deployment.endpoints.values()]}

    def get(self, organization_id: str, deployment_id: str, endpoint: str) -> dict[str, Any]:
        """One endpoint, by id or alias."""
        with self.state.lock:
            return self._deployment(organization_id, deployment_id).endpoint(endpoint).to_json()

    def update(
        self, organization_id: str, deployment_id: str, endpoint: str, *, service_id: str
    ) -> dict[str, Any]:
        """Point an endpoint at another service of the deployment (all at once)."""
        with self.state.lock:
            deployment = self._deployment(organization_id, deployment_id)
            record = deployment.endpoint(endpoint)
            self._check_service(deployment, service_id)
            record.service_id = service_id
            return {"message": f"{record.endpoint_id} updated"}

    def delete(self, organization_id: str, deployment_id: str, endpoint: str) -> dict[str, Any]:
        """Remove an endpoint (its service stays)."""
        with self.state.lock:
            deployment = self._deployment(organization_id, deployment_id)
            record = deployment.endpoint(endpoint)
            del deployment.endpoints[record.endpoint_id]
            return {"message": f"{record.endpoint_id} deleted"}

    def target(self, organization_id: str, deployment_id: str, alias: str | None) -> str:
        """The service a prediction route reaches (``alias=None``: the default endpoint)."""
        with self.state.lock:
            deployment = self._deployment(organization_id, deployment_id)
            return deployment.endpoint(alias or DEFAULT_ALIAS).service_id
