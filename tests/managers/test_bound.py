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


@pytest.mark.parametrize(("bound", "manager"), sorted(FORWARDERS.items()))
def test_async_bound_signature_equals_the_async_manager_minus_the_ids(
    bound: str, manager: str
) -> None:
    from abeja.services import AsyncService, AsyncServices

    mine = inspect.signature(getattr(AsyncService, bound))
    theirs = inspect.signature(getattr(AsyncServices, manager))
    theirs_params = list(theirs.parameters.values())
    assert _shape(list(mine.parameters.values())[1:]) == _shape(theirs_params[3:])
    assert mine.return_annotation == theirs.return_annotation
    assert inspect.iscoroutinefunction(getattr(AsyncService, bound)) == (bound != "iter_logs")


def test_every_bound_call_is_checked() -> None:
    from abeja.services._managers._bound import BoundService

    public = {name for name in vars(BoundService) if callable(getattr(BoundService, name))}
    public = {name for name in public if not name.startswith("_")}
    assert public == set(FORWARDERS)
    from abeja.services import AsyncService

    overridden = {name for name in vars(AsyncService) if callable(vars(AsyncService)[name])}
    overridden = {name for name in overridden if not name.startswith("_")}
    assert overridden == set(FORWARDERS)  # none left calling the sync client


# An Endpoint's calls mirror the Endpoints manager, minus the deployment and endpoint ids.
ENDPOINT_FORWARDERS = {"refresh": "get", "switch_to": "switch", "delete": "delete"}


@pytest.mark.parametrize(("bound", "manager"), sorted(ENDPOINT_FORWARDERS.items()))
def test_bound_endpoint_signature_equals_the_manager_minus_the_ids(
    bound: str, manager: str
) -> None:
    from abeja.services import Endpoint, Endpoints

    mine = list(inspect.signature(getattr(Endpoint, bound)).parameters.values())
    theirs = list(inspect.signature(getattr(Endpoints, manager)).parameters.values())
    assert [p.name for p in theirs[:3]] == ["self", "deployment_id", "endpoint"]
    assert [p.name for p in mine[1:]] == [p.name for p in theirs[3:]]
    assert [p.annotation for p in mine[1:]] == [p.annotation for p in theirs[3:]]


def test_bound_endpoint_predict_takes_the_managers_body_arguments() -> None:
    from abeja.services import Endpoint, Endpoints

    mine = list(inspect.signature(Endpoint.predict).parameters.values())[1:]
    theirs = list(inspect.signature(Endpoints.predict).parameters.values())[2:]
    assert _shape(mine) == _shape([p for p in theirs if p.name != "endpoint"])


def test_every_bound_endpoint_call_is_checked() -> None:
    from abeja.services._managers._bound import BoundEndpoint

    public = {n for n, v in vars(BoundEndpoint).items() if callable(v) and not n.startswith("_")}
    assert public == {*ENDPOINT_FORWARDERS, "predict"}


@pytest.mark.parametrize("bound", sorted({*ENDPOINT_FORWARDERS, "predict"}))
def test_an_async_endpoint_makes_each_call_as_a_coroutine_of_the_same_shape(bound: str) -> None:
    from abeja.services import AsyncEndpoint, Endpoint

    mine = inspect.signature(getattr(AsyncEndpoint, bound))
    theirs = inspect.signature(getattr(Endpoint, bound))
    assert inspect.iscoroutinefunction(getattr(AsyncEndpoint, bound))
    assert [p.name for p in mine.parameters.values()] == [
        p.name for p in theirs.parameters.values()
    ]
    overridden = {n for n, v in vars(AsyncEndpoint).items() if callable(v) and n[0] != "_"}
    assert overridden == {*ENDPOINT_FORWARDERS, "predict"}
