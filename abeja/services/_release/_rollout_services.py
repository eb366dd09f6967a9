"""What a rollout does to services: the new one's settings, carried over from the current
one, which endpoints serve a service, and retiring a service (stopping or deleting it)."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

from .. import _constants as C
from ..errors import BadRequest, NotFound
from ..models import Endpoint, Service
from ._rollout_io import Steps, endpoints, services

CARRIED = (
    "model_id",
    "record_channel_id",
    "environment",
    "instance_type",
    "instance_number",
    "min_instance_number",
    "max_instance_number",
    "enable_autoscale",
)
"""Every setting of the running service that the platform accepts on create, in order."""


def _current(current: Service) -> dict[str, Any]:
    """What the running service carries, as ``services.create`` arguments."""
    return {
        "model_id": current.models.get("alias"),
        "record_channel_id": current.record_channel_id,
        "environment": dict(current.user_env_vars) or None,
        "instance_type": current.instance_type or C.DEFAULT_INSTANCE_TYPE,
        "instance_number": current.instance_number or 1,
        "min_instance_number": current.min_instance_number,
        "max_instance_number": current.max_instance_number,
        "enable_autoscale": current.enable_autoscale,
    }


def copied_settings(current: Service, overrides: Mapping[str, Any]) -> dict[str, Any]:
    """The new service's settings: everything the current one carries (its trained model,
    request recording, environment, instance type, scaling and autoscale) unless given."""
    arguments = _current(current)
    for name in ("model_id", "record_channel_id", "environment", "instance_type"):
        if overrides.get(name) is not None:
            arguments[name] = overrides[name]
    number = overrides.get("instance_number")
    if number is not None:  # the scaling bounds go with the number they were set for
        arguments.update(
            instance_number=number,
            min_instance_number=None,
            max_instance_number=None,
            enable_autoscale=None,
        )
    return arguments


def changes(current: Service, arguments: Mapping[str, Any]) -> dict[str, str]:
    """Each setting as a plan shows it: ``carried X`` or ``changed X -> Y``."""
    was = _current(current)
    shown = {}
    for name in CARRIED:
        old, new = was[name], arguments.get(name)
        shown[name] = f"carried {old!r}" if old == new else f"changed {old!r} -> {new!r}"
    return shown


def figures_of(arguments: Mapping[str, Any]) -> dict[str, bool | int | float | str | None]:
    """The settings that are plain values, as a step's figures."""
    return {k: v for k, v in arguments.items() if isinstance(v, (int, float, str))}


def pointing_at(deployment_id: str, service_id: str) -> Steps[list[str]]:
    """The aliases (or ids) of the deployment's endpoints that point at ``service_id``."""
    listed: list[Endpoint] = yield endpoints("list", deployment_id)
    return [e.custom_alias or e.endpoint_id for e in listed if e.service_id == service_id]


def retire_service(deployment_id: str, service_id: str, how: str) -> Steps[None]:
    """Delete the service, or stop it; a service already gone (or already not running) is
    left so: nothing serving is the aim."""
    if how == "delete":
        with contextlib.suppress(NotFound):
            yield services("delete", deployment_id, service_id)
        return
    try:
        yield services("stop", deployment_id, service_id)
    except NotFound:
        return
    except BadRequest:
        # Not running (stopped or failed already): nothing is serving, which is the aim.
        left: Service = yield services("get", deployment_id, service_id)
        if left.status in ("READY", "IN_PROGRESS"):
            raise
