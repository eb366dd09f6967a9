"""The typed layer, every method over real HTTP against the emulator."""

from __future__ import annotations

import threading
from datetime import datetime, timezone

import pytest

from abeja.exceptions import BadRequest, Error, NotFound, ServiceNotBoundError
from abeja.services import (
    ActionResult,
    LogPage,
    Service,
    ServiceClient,
    ServiceList,
    ServiceStatus,
    UpdateServicePayload,
)
from abeja.services.testing import ServiceEmulator


def _create(client: ServiceClient, emulator: ServiceEmulator, **kwargs: object) -> Service:
    return client.services.create(
        emulator.deployment_id,
        version_id=emulator.version_id,
        **kwargs,  # type: ignore[arg-type]
    )


def test_create_sends_the_documented_body(client: ServiceClient, emulator: ServiceEmulator) -> None:
    service = _create(
        client,
        emulator,
        model_id="3333333333333",
        environment={"EXAMPLE_ENV": "abc"},
        instance_number=2,
        min_instance_number=1,
        max_instance_number=3,
        enable_autoscale=True,
        record_channel_id="5678901234567",
    )
    seen = emulator.requests[-1]
    assert (seen.method, seen.path) == (
        "POST",
        f"/organizations/{emulator.organization_id}/deployments/{emulator.deployment_id}/services",
    )
    assert seen.json() == {
        "version_id": emulator.version_id,
        "instance_type": "cpu-0.25",
        "instance_number": 2,
        "min_instance_number": 1,
        "max_instance_number": 3,
        "enable_autoscale": True,
        "environment": {"EXAMPLE_ENV": "abc"},
        "models": {"alias": "3333333333333"},
        "record_channel_id": "5678901234567",
    }
    assert seen.headers["Content-Type"] == "application/json"
    assert service.status is ServiceStatus.IN_PROGRESS
    assert service.models == {"alias": "3333333333333"}
    assert service.user_env_vars == {"EXAMPLE_ENV": "abc"}
    assert service.created_at is not None and service.created_at.tzinfo is not None


def test_create_leaves_out_unset_fields(client: ServiceClient, emulator: ServiceEmulator) -> None:
    _create(client, emulator)
    assert emulator.requests[-1].json() == {
        "version_id": emulator.version_id,
        "instance_type": "cpu-0.25",
        "instance_number": 1,
    }


def test_get_list_update_delete(client: ServiceClient, emulator: ServiceEmulator) -> None:
    created = _create(client, emulator)
    fetched = client.services.get(emulator.deployment_id, created.service_id)
    assert fetched.service_id == created.service_id
    assert fetched.status == ServiceStatus.READY and fetched.is_ready

    listed = client.services.list(emulator.deployment_id)
    assert isinstance(listed, ServiceList)
    assert len(listed) == 1 and [s.service_id for s in listed] == [created.service_id]
    assert listed[0].service_id == created.service_id

    updated = client.services.update(
        emulator.deployment_id,
        created.service_id,
        instance_number=3,
        max_instance_number=4,
        enable_autoscale=False,
    )
    assert updated.instance_number == 3
    seen = emulator.requests[-1]
    assert seen.method == "PATCH" and seen.json() == {
        "instance_number": 3,
        "max_instance_number": 4,
        "enable_autoscale": False,
    }

    result = client.services.delete(emulator.deployment_id, created.service_id)
    assert isinstance(result, ActionResult)
    assert result.message == f"{created.service_id} deleted"
    assert emulator.requests[-1].method == "DELETE"
    with pytest.raises(NotFound):
        client.services.get(emulator.deployment_id, created.service_id)


def test_update_with_a_payload_object(client: ServiceClient, emulator: ServiceEmulator) -> None:
    created = _create(client, emulator)
    payload = UpdateServicePayload(instance_number=2, min_instance_number=2, max_instance_number=6)
    client.services.update(emulator.deployment_id, created.service_id, payload=payload)
    assert emulator.requests[-1].json() == {
        "instance_number": 2,
        "min_instance_number": 2,
        "max_instance_number": 6,
    }


def test_update_refuses_payload_with_keywords_or_nothing(
    client: ServiceClient, emulator: ServiceEmulator
) -> None:
    before = emulator.count()
    with pytest.raises(ValueError, match="not both"):
        client.services.update(
            "d", "s", instance_number=1, payload=UpdateServicePayload(instance_number=2)
        )
    with pytest.raises(ValueError, match="nothing to update"):
        client.services.update("d", "s")
    assert emulator.count() == before


def test_start_and_stop_and_their_wrong_states(
    client: ServiceClient, emulator: ServiceEmulator
) -> None:
    service = _create(client, emulator)
    with pytest.raises(BadRequest, match="already running"):
        service.start()
    assert service.stop().message == f"{service.service_id} stopped"
    assert service.refresh().status == ServiceStatus.STOPPED
    with pytest.raises(BadRequest, match="not running"):
        service.stop()
    assert service.start().message == f"{service.service_id} started"
    paths = [r.path for r in emulator.requests if r.method == "POST"]
    assert paths[-2:] == [
        paths[-2].rsplit("/", 1)[0] + "/stop",
        paths[-2].rsplit("/", 1)[0] + "/start",
    ]


def test_logs_send_utc_times_and_tokens(client: ServiceClient, emulator: ServiceEmulator) -> None:
    service = _create(client, emulator)
    start = datetime(2026, 1, 2, 12, 0, 0, tzinfo=timezone.utc).astimezone()
    page = client.services.logs(
        emulator.deployment_id,
        service.service_id,
        start_time=start,
        end_time=datetime(2099, 1, 1, 9, 30, 15),
        next_backward_token="b-1",
    )
    assert isinstance(page, LogPage)
    seen = emulator.requests[-1]
    assert seen.path.endswith(f"/services/{service.service_id}/recentlogs")
    assert seen.query == {
        "start_time": "2026-01-02T12:00:00Z",
        "end_time": "2099-01-01T09:30:15Z",
        "next_backward_token": "b-1",
    }


def test_logs_page_parses_events(client: ServiceClient, emulator: ServiceEmulator) -> None:
    service = _create(client, emulator)
    page = service.logs()
    assert len(page) >= 2
    messages = [event.message for event in page]
    assert any("created" in m for m in messages)
    assert all(event.timestamp.tzinfo is not None for event in page)
    assert page.events[0].timestamp >= page.events[-1].timestamp
    assert page.next_backward_token and page.next_forward_token


def test_bound_service_methods_call_the_api(
    client: ServiceClient, emulator: ServiceEmulator
) -> None:
    service = _create(client, emulator)
    refreshed = service.refresh()
    assert refreshed is not service and refreshed.status == ServiceStatus.READY
    assert refreshed.update(instance_number=2).instance_number == 2
    assert refreshed.predict(json={"a": 1}).json()["echo"] == {"a": 1}
    assert refreshed.delete().message.endswith("deleted")
    assert client.services.list(emulator.deployment_id).entries == []


def test_listed_services_are_bound(client: ServiceClient, emulator: ServiceEmulator) -> None:
    _create(client, emulator)
    (listed,) = client.services.list(emulator.deployment_id)
    assert listed.refresh().service_id == listed.service_id


def test_service_built_by_hand_says_it_has_no_client() -> None:
    service = Service(service_id="ser-1", deployment_id="1")
    with pytest.raises(ServiceNotBoundError, match="built by hand"):
        service.refresh()
    with pytest.raises(ServiceNotBoundError):
        service.predict(json={})


def test_client_without_organization_refuses_before_sending(emulator: ServiceEmulator) -> None:
    client = ServiceClient(base_url=emulator.url, credential=emulator.credential)
    with client, pytest.raises(ValueError, match="organization_id"):
        client.services.get("1", "ser-1")
    assert emulator.count() == 0


def test_organization_comes_from_the_environment(
    emulator: ServiceEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in emulator.env().items():
        monkeypatch.setenv(name, value)
    with ServiceClient() as client:
        assert client.organization_id == emulator.organization_id
        assert client.services.list(emulator.deployment_id).entries == []
    assert emulator.requests[-1].path.startswith(f"/organizations/{emulator.organization_id}/")


def test_close_twice_and_use_after_close(emulator: ServiceEmulator) -> None:
    client = emulator.client()
    with client:
        client.services.list(emulator.deployment_id)
    client.close()
    with pytest.raises(Error, match="closed"):
        client.services.list(emulator.deployment_id)


def test_one_client_shared_by_threads(client: ServiceClient, emulator: ServiceEmulator) -> None:
    service = _create(client, emulator)
    errors: list[BaseException] = []
    results: list[int] = []

    def work(n: int) -> None:
        try:
            for i in range(10):
                answer = client.services.predict(
                    emulator.deployment_id, service.service_id, json={"n": n, "i": i}
                )
                assert answer.json()["echo"] == {"n": n, "i": i}
                results.append(1)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(results) == 160
    assert emulator.count("predict") == 160


def test_connections_are_reused(client: ServiceClient, emulator: ServiceEmulator) -> None:
    _create(client, emulator)
    for _ in range(5):
        client.services.list(emulator.deployment_id)
    assert len(emulator.requests) == 6
    assert len({r.peer for r in emulator.requests}) == 1
