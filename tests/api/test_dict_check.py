"""The compat client's dicts are checked by a ``TypedDict`` mirror of each model (no model
built): it must accept exactly what the model accepts, field by field, nested lists too,
and a rejected answer must raise the model's own error."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from abeja.services._api._dict_check import dict_checker
from abeja.services.models import (
    ActionResult,
    DeploymentVersion,
    DeploymentVersionList,
    Endpoint,
    EndpointList,
    LogPage,
    Service,
    ServiceList,
)

SERVICE: dict[str, Any] = {
    "service_id": "ser-abc1111111111111",
    "deployment_id": "1111111111111",
    "status": "READY",
    "models": {"alias": "3333333333333"},
    "instance_number": 1,
    "enable_autoscale": False,
    "user_env_vars": {"A": "b"},
    "created_at": "2026-01-01T00:00:00Z",
    "modified_at": "2026-01-01T00:00:00",
}
VALUES: list[object] = [
    None, 0, 1, -1, 1.5, True, "", "x", "READY", "BOGUS", "1", "2026-01-01T00:00:00",
    "2026-01-01T00:00:00+09:00", "not a time", [], ["x"], [{}], {}, {"a": "b"}, {"a": 1},
]  # fmt: skip


def _accepts(check: Any, data: object) -> bool:
    try:
        check(data)
    except ValidationError:
        return False
    return True


def _same(model: type[BaseModel], data: object) -> None:
    checker = dict_checker(model)
    assert checker is not None
    by_model = _accepts(model.model_validate, data)
    by_mirror = _accepts(checker.validate_python, data)
    assert by_mirror == by_model, (model.__name__, data)


def _variants(sample: dict[str, Any]) -> list[dict[str, Any]]:
    """The sample with each field dropped, and each field given each of ``VALUES``."""
    out = [sample, {**sample, "unknown_field": {"kept": True}}]
    for name in sample:
        out.append({k: v for k, v in sample.items() if k != name})
        out.extend({**sample, name: value} for value in VALUES)
    return out


@pytest.mark.parametrize(
    ("model", "sample"),
    [
        (Service, SERVICE),
        (ActionResult, {"message": "ser-1 started"}),
        (Endpoint, {"endpoint_id": "pnt-1", "custom_alias": "default", "service_id": "ser-1"}),
        (DeploymentVersion, {"version_id": "ver-1", "version": "1.0.0",
                             "created_at": "2026-01-01T00:00:00Z", "user_parameters": {}}),
    ],
    ids=lambda value: getattr(value, "__name__", ""),
)  # fmt: skip
def test_the_mirror_accepts_exactly_what_the_model_accepts(
    model: type[BaseModel], sample: dict[str, Any]
) -> None:
    _same(model, sample)
    every_field = {name: None for name in model.model_fields}
    for data in [*_variants(sample), every_field, {}, [], "x", None]:
        _same(model, data)


@pytest.mark.parametrize(
    ("model", "entry"),
    [(ServiceList, SERVICE), (EndpointList, {"endpoint_id": "pnt-1"}),
     (DeploymentVersionList, {"version_id": "ver-1"})],
    ids=lambda value: getattr(value, "__name__", ""),
)  # fmt: skip
def test_lists_are_checked_entry_by_entry(model: type[BaseModel], entry: dict[str, Any]) -> None:
    for bad, value in itertools.product(entry, VALUES):
        _same(model, {"entries": [entry, {**entry, bad: value}]})
    for entries in ([], [entry] * 3, None, "x", [None], [[]], {"a": entry}):
        _same(model, {"entries": entries})
    _same(model, {})


def test_a_model_with_validators_of_its_own_is_checked_by_the_model() -> None:
    assert dict_checker(LogPage) is None  # its token rule (an empty list means no token)
    assert dict_checker(Service) is dict_checker(Service)  # built once
