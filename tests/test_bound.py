"""A ``Service``'s own calls mirror the ``Services`` manager exactly, minus the two ids."""

from __future__ import annotations

import inspect

import pytest

from abeja.services import Service, Services

# Bound name -> manager name; every public callable of the mixin must be listed.
FORWARDERS = {
    "refresh": "get",
    "start": "start",
    "stop": "stop",
    "delete": "delete",
    "update": "update",
    "logs": "logs",
    "wait_until_ready": "wait_until_ready",
    "wait_until_stopped": "wait_until_stopped",
    "wait_until_deleted": "wait_until_deleted",
    "iter_logs": "iter_logs",
    "predict": "predict",
}


def _shape(parameters: list[inspect.Parameter]) -> list[tuple[object, ...]]:
    return [(p.name, p.kind, p.default, p.annotation) for p in parameters]


@pytest.mark.parametrize(("bound", "manager"), sorted(FORWARDERS.items()))
def test_bound_signature_equals_the_manager_minus_the_ids(bound: str, manager: str) -> None:
    mine = inspect.signature(getattr(Service, bound))
    theirs = inspect.signature(getattr(Services, manager))
    mine_params = list(mine.parameters.values())
    theirs_params = list(theirs.parameters.values())
    assert [p.name for p in theirs_params[:3]] == ["self", "deployment_id", "service_id"]
    assert _shape(mine_params[1:]) == _shape(theirs_params[3:])
    assert mine.return_annotation == theirs.return_annotation


def test_every_bound_call_is_checked() -> None:
    from abeja.services._bound import BoundService

    public = {name for name in vars(BoundService) if callable(getattr(BoundService, name))}
    public = {name for name in public if not name.startswith("_")}
    assert public == set(FORWARDERS)
