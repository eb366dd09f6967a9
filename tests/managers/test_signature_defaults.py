"""The public signatures show their defaults as values (``timeout=600.0``, not a private
constant's name: the API reference, editors and ``help()`` show them as written); each is
the value the package's constants say."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import pytest

from abeja.services import APIClient, Service
from abeja.services import _constants as C
from abeja.services._managers._endpoints import Endpoints
from abeja.services._managers._services import Services
from abeja.services._release._rollouts import Rollouts
from abeja.services.models import CreateServiceRequest

CASES: list[tuple[Callable[..., Any], str, object]] = [
    (Services.create, "instance_type", C.DEFAULT_INSTANCE_TYPE),
    (APIClient.create_service, "instance_type", C.DEFAULT_INSTANCE_TYPE),
    (Endpoints.create, "custom_alias", C.DEFAULT_ALIAS),
    (Rollouts.run, "endpoint", C.DEFAULT_ALIAS),
    (Rollouts.run, "bake", C.ROLLOUT_BAKE),
    (Rollouts.run, "bake_interval", C.ROLLOUT_BAKE_INTERVAL),
    (Rollouts.run, "deadline", C.ROLLOUT_DEADLINE),
    (Rollouts.rollback, "endpoint", C.DEFAULT_ALIAS),
    *[
        (method, "timeout", C.DEFAULT_WAIT_TIMEOUT)
        for owner in (Services, Service)
        for method in (owner.wait_until_ready, owner.wait_until_stopped, owner.wait_until_deleted)
    ],
    *[(owner.iter_logs, "max_pages", C.MAX_LOG_PAGES) for owner in (Services, Service)],
    *[(owner.iter_logs, "poll_interval", C.LOG_POLL_INTERVAL) for owner in (Services, Service)],
]


@pytest.mark.parametrize(("function", "name", "expected"), CASES)
def test_a_default_is_the_constants_value(
    function: Callable[..., Any], name: str, expected: object
) -> None:
    assert inspect.signature(function).parameters[name].default == expected


def test_the_request_models_default_is_the_constants_value() -> None:
    assert CreateServiceRequest.model_fields["instance_type"].default == C.DEFAULT_INSTANCE_TYPE


def test_no_public_signature_shows_a_constants_name() -> None:
    for owner in (Services, Service, Endpoints, Rollouts, APIClient):
        for name, member in inspect.getmembers(owner, inspect.isfunction):
            if not name.startswith("_"):
                source = inspect.getsource(member).split('"""', 1)[0]
                assert "= C." not in source, f"{owner.__name__}.{name}"
