"""What a rollout does to services: the new one's settings, copied from the current one,
and retiring a service (stopping or deleting it)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import _constants as C
from ._rollout_io import Steps, services
from .errors import BadRequest
from .models import Service


def copied_settings(current: Service, overrides: Mapping[str, Any]) -> dict[str, Any]:
    """The new service's scaling and environment: the current one's unless given."""
    number = overrides.get("instance_number")
    arguments: dict[str, Any] = {
        "instance_type": overrides.get("instance_type")
        or current.instance_type
        or C.DEFAULT_INSTANCE_TYPE,
        "instance_number": number or current.instance_number or 1,
        "environment": overrides.get("environment") or dict(current.user_env_vars) or None,
    }
    if number is None:  # the scaling bounds go with the number they were set for
        arguments["min_instance_number"] = current.min_instance_number
        arguments["max_instance_number"] = current.max_instance_number
        arguments["enable_autoscale"] = current.enable_autoscale
    return arguments


def figures_of(arguments: Mapping[str, Any]) -> dict[str, bool | int | float | str | None]:
    """The settings that are plain values, as a step's figures."""
    return {k: v for k, v in arguments.items() if isinstance(v, (int, float, str))}


def retire_service(deployment_id: str, service_id: str, how: str) -> Steps[None]:
    """Delete the service, or stop it (a service that is not running already is left so)."""
    if how == "delete":
        yield services("delete", deployment_id, service_id)
        return
    try:
        yield services("stop", deployment_id, service_id)
    except BadRequest:
        # Not running (stopped or failed already): nothing is serving, which is the aim.
        left: Service = yield services("get", deployment_id, service_id)
        if left.status in ("READY", "IN_PROGRESS"):
            raise
