"""The emulator's state on its own: plain Python calls, no sockets."""

from __future__ import annotations

import pytest

from abeja.services.testing._api._records import ApiError
from abeja.services.testing._api._state import DEFAULT_VERSION_ID, EmulatorState, Seed


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def state(clock: Clock) -> EmulatorState:
    return EmulatorState(clock=clock, ready_delay=5, log_page_size=3, seed=Seed())


def _create(state: EmulatorState, **fields: object) -> str:
    seed = Seed()
    created = state.create(
        seed.organization_id,
        seed.deployment_id,
        version_id=seed.version_id,
        **fields,  # type: ignore[arg-type]
    )
    return str(created["service_id"])


def test_lifecycle_follows_the_clock(state: EmulatorState, clock: Clock) -> None:
    seed = Seed()
    sid = _create(state)
    ids = (seed.organization_id, seed.deployment_id, sid)
    assert state.get(*ids)["status"] == "IN_PROGRESS"
    clock.now += 5
    assert state.get(*ids)["status"] == "READY"
    assert state.stop(*ids) == {"message": f"{sid} stopped"}
    with pytest.raises(ApiError, match="not running"):
        state.stop(*ids)
    state.start(*ids)
    with pytest.raises(ApiError, match="already running"):
        state.start(*ids)
    state.fail(sid, "boom")
    assert state.get(*ids)["status"] == "FAILED"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"instance_number": 0}, "between 1 and"),
        ({"instance_number": 65}, "between 1 and"),
        ({"instance_number": 3, "min_instance_number": 1, "max_instance_number": 2}, "above max"),
        ({"min_instance_number": 3, "max_instance_number": 2}, "greater"),
        ({"version_id": "ver-unknown"}, "not found in deployment"),
    ],
)
def test_platform_rules_are_the_states(
    state: EmulatorState, fields: dict[str, object], message: str
) -> None:
    seed = Seed()
    arguments: dict[str, object] = {"version_id": seed.version_id, **fields}
    with pytest.raises(ApiError, match=message) as caught:
        state.create(seed.organization_id, seed.deployment_id, **arguments)  # type: ignore[arg-type]
    assert caught.value.status == 400
    assert state.list(seed.organization_id, seed.deployment_id) == {"entries": []}


def test_autoscale_defaults_are_the_platforms(state: EmulatorState) -> None:
    seed = Seed()
    created = state.create(
        seed.organization_id, seed.deployment_id, version_id=seed.version_id, instance_number=3
    )
    assert created["enable_autoscale"] is True
    assert (created["min_instance_number"], created["max_instance_number"]) == (3, 6)
    big = state.create(
        seed.organization_id, seed.deployment_id, version_id=seed.version_id, instance_number=40
    )
    assert big["max_instance_number"] == 64


def test_update_keeps_what_it_is_not_given(state: EmulatorState) -> None:
    seed = Seed()
    sid = _create(state, instance_number=2, environment={"A": "1"})
    updated = state.update(seed.organization_id, seed.deployment_id, sid, max_instance_number=4)
    assert (updated["instance_number"], updated["max_instance_number"]) == (2, 4)
    assert updated["user_env_vars"] == {"A": "1"}
    assert updated["merged_env_vars"] == {"EXAMPLE_ENV": "deployment_example", "A": "1"}


def test_find_service_looks_in_every_deployment(state: EmulatorState) -> None:
    state.add_deployment("777", organization_id="2222", versions={"ver-z": None})
    created = state.create("2222", "777", version_id="ver-z")
    assert state.find_service(created["service_id"]).deployment_id == "777"
    with pytest.raises(ApiError, match="not found"):
        state.find_service("ser-none")


def test_reset_restores_settings_and_seeds_again(state: EmulatorState) -> None:
    _create(state)
    state.add_deployment("777", organization_id="2222")
    state.ready_delay, state.log_page_size = 99, 1
    state.reset()
    seed = Seed()
    assert state.list(seed.organization_id, seed.deployment_id) == {"entries": []}
    assert set(state.organizations) == {seed.organization_id}
    assert (state.ready_delay, state.log_page_size) == (5, 3)
    unseeded = EmulatorState(clock=Clock(), seed=None)
    assert unseeded.organizations == {}


def test_log_pages_end_on_the_token_they_were_given(state: EmulatorState) -> None:
    seed = Seed()
    sid = _create(state)
    record = state.find_service(sid)
    record.logs.clear()
    for i in range(5):
        state.log(record, f"line {i}", at=1_600_000_000 + i)
    ids = (seed.organization_id, seed.deployment_id, sid)
    first = state.logs(*ids, forward=None, backward=None, start=None, end=None)
    assert [e["message"] for e in first["events"]] == ["line 4", "line 3", "line 2"]
    second = state.logs(
        *ids, forward=None, backward=first["next_backward_token"], start=None, end=None
    )
    assert [e["message"] for e in second["events"]] == ["line 1", "line 0"]
    end = state.logs(
        *ids, forward=None, backward=second["next_backward_token"], start=None, end=None
    )
    assert end["events"] == [] and end["next_backward_token"] == second["next_backward_token"]
    with pytest.raises(ApiError, match="invalid forward token"):
        state.logs(*ids, forward="f-\u0663", backward=None, start=None, end=None)


def test_a_version_given_again_keeps_its_number_and_takes_the_new_handler() -> None:
    """The emulator command's --handler re-adds the seeded version: it stays 0.0.1."""
    from abeja.services.testing._api._state import DEFAULT_DEPLOYMENT_ID, DEFAULT_ORGANIZATION_ID
    from abeja.services.testing._runtime._handlers import HandlerSpec

    def mine(request: object, context: object) -> dict[str, object]:
        return {}

    state = EmulatorState(clock=lambda: 0.0, seed=Seed())
    deployment = state.add_deployment(
        DEFAULT_DEPLOYMENT_ID,
        organization_id=DEFAULT_ORGANIZATION_ID,
        versions={DEFAULT_VERSION_ID: HandlerSpec.of(mine), "ver-new": HandlerSpec.of(None)},
    )
    assert deployment.versions[DEFAULT_VERSION_ID].model_version == "0.0.1"
    assert deployment.versions[DEFAULT_VERSION_ID].handler.function is mine
    assert deployment.versions["ver-new"].model_version == "0.0.2"
