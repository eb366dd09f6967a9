"""The Service API's request bodies as the platform checks them: JSON types, known fields.

Turns a decoded JSON body into keyword arguments for the state, or raises a 400.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._records import bad_request

_Kind = type | tuple[type, ...]

CREATE_FIELDS: dict[str, _Kind] = {
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
UPDATE_FIELDS: dict[str, _Kind] = {
    name: CREATE_FIELDS[name]
    for name in (
        "instance_number",
        "min_instance_number",
        "max_instance_number",
        "enable_autoscale",
        "environment",
    )
}


def _check(body: object, allowed: Mapping[str, _Kind]) -> dict[str, Any]:
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


def create_arguments(body: object) -> dict[str, Any]:
    """The body of ``POST .../services`` as ``EmulatorState.create`` arguments."""
    fields = _check(body, CREATE_FIELDS)
    if not fields.get("version_id"):
        raise bad_request("version_id is required")
    return fields


def update_arguments(body: object) -> dict[str, Any]:
    """The body of ``PATCH .../services/<s>`` as ``EmulatorState.update`` arguments."""
    return _check(body, UPDATE_FIELDS)


ENDPOINT_CREATE_FIELDS: dict[str, _Kind] = {"service_id": str, "custom_alias": str}


def endpoint_create_arguments(body: object) -> dict[str, Any]:
    """The body of ``POST .../endpoints``: ``service_id`` and an optional ``custom_alias``."""
    fields = _check(body, ENDPOINT_CREATE_FIELDS)
    if "service_id" not in fields:
        raise bad_request("service_id is required")
    return fields


def endpoint_update_arguments(body: object) -> dict[str, Any]:
    """The body of ``PATCH .../endpoints/<e>``: ``service_id``."""
    fields = _check(body, {"service_id": str})
    if "service_id" not in fields:
        raise bad_request("service_id is required")
    return fields
