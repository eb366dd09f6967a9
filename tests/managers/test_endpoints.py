"""The typed Endpoints API over HTTP against the emulator: what the server saw, and got."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from abeja.exceptions import (
    BadRequest,
    InternalServerError,
    NotFound,
    ServiceNotBoundError,
    ServiceUnavailable,
)
from abeja.services import Endpoint, EndpointList, Service, ServiceClient
from abeja.services.testing import ServiceEmulator

from ..clients import KINDS, emulated_client

HOSTILE = ["../x", "a/b", "", "a?b=1", "a#b", "..", "a b", "%2e%2e"]


def _ready(client: ServiceClient, emulator: ServiceEmulator) -> Service:
    service = client.services.create(emulator.deployment_id, version_id=emulator.version_id)
    return service.wait_until_ready()


@pytest.fixture(params=KINDS)
def client(
    request: pytest.FixtureRequest, emulator: ServiceEmulator, sleeps: list[float]
) -> Iterator[ServiceClient]:
    """Each test runs against both clients (the async one awaited, ``tests/clients.py``)."""
    with emulated_client(request.param, emulator, sleep=sleeps.append) as client:
        yield client


@pytest.fixture
def target(client: ServiceClient, emulator: ServiceEmulator) -> Service:
    """A READY service; the request log then starts empty."""
    ready = _ready(client, emulator)
    emulator.forget_requests()
    return ready


def _sent(emulator: ServiceEmulator) -> list[tuple[str, str, object]]:
    return [(r.method, r.path, json.loads(r.body) if r.body else None) for r in emulator.requests]


def test_create_sends_the_service_and_alias_and_returns_a_bound_endpoint(
    client: ServiceClient, emulator: ServiceEmulator, target: Service
) -> None:
    endpoint = client.endpoints.create(emulator.deployment_id, service_id=target.service_id)
    path = f"/organizations/{emulator.organization_id}/deployments/{emulator.deployment_id}"
    assert _sent(emulator) == [
        ("POST", f"{path}/endpoints", {"service_id": target.service_id, "custom_alias": "default"})
    ]
    assert isinstance(endpoint, Endpoint)
    assert endpoint.endpoint_id.startswith("pnt-")
    assert (endpoint.custom_alias, endpoint.service_id) == ("default", target.service_id)
    assert endpoint.deployment_id == emulator.deployment_id
    assert endpoint.http_response is not None and endpoint.http_response.status_code == 200


def test_get_by_id_or_alias_list_update_and_delete(
    client: ServiceClient, emulator: ServiceEmulator, target: Service
) -> None:
    deployment = emulator.deployment_id
    other = _ready(client, emulator)
    created = client.endpoints.create(deployment, service_id=target, custom_alias="canary")
    emulator.forget_requests()

    assert client.endpoints.get(deployment, created.endpoint_id) == created
    assert client.endpoints.get(deployment, "canary") == created
    listed = client.endpoints.list(deployment)
    assert isinstance(listed, EndpointList) and [e.endpoint_id for e in listed] == [
        created.endpoint_id
    ]
    result = client.endpoints.update(deployment, "canary", service_id=other.service_id)
    assert result.message == f"{created.endpoint_id} updated"
    assert client.endpoints.get(deployment, "canary").service_id == other.service_id
    assert client.endpoints.delete(deployment, "canary").message == (
        f"{created.endpoint_id} deleted"
    )
    with pytest.raises(NotFound):
        client.endpoints.get(deployment, "canary")

    base = f"/organizations/{emulator.organization_id}/deployments/{deployment}/endpoints"
    assert [(m, p) for m, p, _ in _sent(emulator)] == [
        ("GET", f"{base}/{created.endpoint_id}"),
        ("GET", f"{base}/canary"),
        ("GET", base),
        ("PATCH", f"{base}/canary"),
        ("GET", f"{base}/canary"),
        ("DELETE", f"{base}/canary"),
        ("GET", f"{base}/canary"),
    ]
    assert _sent(emulator)[3][2] == {"service_id": other.service_id}


def test_switch_updates_then_reads_the_endpoint_back(
    client: ServiceClient, emulator: ServiceEmulator, target: Service
) -> None:
    other = _ready(client, emulator)
    endpoint = client.endpoints.create(emulator.deployment_id, service_id=target)
    emulator.forget_requests()
    switched = endpoint.switch_to(other)
    assert switched.service_id == other.service_id
    assert [(r.method, r.route) for r in emulator.requests] == [
        ("PATCH", "update_endpoint"),
        ("GET", "get_endpoint"),
    ]
    assert switched.refresh().service_id == other.service_id


@pytest.mark.parametrize("bad", HOSTILE)
def test_hostile_endpoint_ids_never_reach_the_server(
    client: ServiceClient, emulator: ServiceEmulator, bad: str
) -> None:
    deployment = emulator.deployment_id
    calls = [
        lambda: client.endpoints.get(deployment, bad),
        lambda: client.endpoints.update(deployment, bad, service_id="ser-1"),
        lambda: client.endpoints.update(deployment, "default", service_id=bad),
        lambda: client.endpoints.delete(deployment, bad),
        lambda: client.endpoints.create(deployment, service_id="ser-1", custom_alias=bad),
        lambda: client.endpoints.create(deployment, service_id=bad),
        lambda: client.endpoints.predict(deployment, endpoint=bad, json={}),
        lambda: client.endpoints.list(bad),
    ]
    for call in calls:
        with pytest.raises(ValueError):
            call()
    assert emulator.count() == 0


def test_create_is_a_post_sent_once_on_500(
    client: ServiceClient, emulator: ServiceEmulator, target: Service
) -> None:
    emulator.inject("create_endpoint", status=500, after=True)
    with pytest.raises(InternalServerError) as raised:
        client.endpoints.create(emulator.deployment_id, service_id=target)
    assert raised.value.may_have_applied is True
    assert emulator.count("create_endpoint") == 1
    assert len(client.endpoints.list(emulator.deployment_id)) == 1  # it did apply


def test_update_is_idempotent_and_retried_on_503(
    client: ServiceClient, emulator: ServiceEmulator, target: Service, sleeps: list[float]
) -> None:
    endpoint = client.endpoints.create(emulator.deployment_id, service_id=target)
    other = _ready(client, emulator)
    emulator.inject("update_endpoint", status=503, times=2)
    client.endpoints.update(emulator.deployment_id, endpoint.endpoint_id, service_id=other)
    assert emulator.count("update_endpoint") == 3
    assert len(sleeps) >= 2
    assert client.endpoints.get(emulator.deployment_id, "default").service_id == other.service_id


def test_predict_goes_to_the_deployment_route_or_the_alias_route(
    client: ServiceClient, emulator: ServiceEmulator, target: Service
) -> None:
    deployment = emulator.deployment_id
    other = _ready(client, emulator)
    client.endpoints.create(deployment, service_id=target)
    canary = client.endpoints.create(deployment, service_id=other, custom_alias="canary")
    emulator.forget_requests()

    default_answer = client.endpoints.predict(deployment, json={"n": 1})
    alias_answer = canary.predict(json={"n": 2})
    assert default_answer.service_id == target.service_id
    assert alias_answer.service_id == other.service_id
    prefix = f"/o/{emulator.organization_id}/deployments/{deployment}"
    assert [(r.method, r.path, r.route) for r in emulator.requests] == [
        ("POST", prefix, "predict_endpoint"),
        ("POST", f"{prefix}/canary", "predict_endpoint"),
    ]
    assert [json.loads(r.body or b"") for r in emulator.requests] == [{"n": 1}, {"n": 2}]


def test_predict_through_an_endpoint_whose_service_is_stopped_is_503_and_not_retried(
    client: ServiceClient, emulator: ServiceEmulator, target: Service
) -> None:
    client.endpoints.create(emulator.deployment_id, service_id=target)
    target.stop()
    emulator.forget_requests()
    with pytest.raises(ServiceUnavailable):
        client.endpoints.predict(emulator.deployment_id, json={})
    assert emulator.count("predict_endpoint") == 1


def test_predict_to_an_unknown_alias_is_404(
    client: ServiceClient, emulator: ServiceEmulator
) -> None:
    with pytest.raises(NotFound):
        client.endpoints.predict(emulator.deployment_id, endpoint="nope", json={})


def test_with_raw_response_shows_the_http_answer(
    client: ServiceClient, emulator: ServiceEmulator, target: Service
) -> None:
    raw = client.endpoints.with_raw_response.create(emulator.deployment_id, service_id=target)
    assert raw.status_code == 200 and raw.request_id
    assert isinstance(raw.parsed, Endpoint)
    with pytest.raises(AttributeError, match="switch"):
        client.endpoints.with_raw_response.switch  # type: ignore[attr-defined]  # noqa: B018 - two requests


def test_a_hand_built_endpoint_has_no_client() -> None:
    endpoint = Endpoint(endpoint_id="pnt-1", custom_alias="default", service_id="ser-1")
    with pytest.raises(ServiceNotBoundError, match="built by hand"):
        endpoint.refresh()


def test_the_endpoint_model_keeps_fields_it_does_not_know() -> None:
    endpoint = Endpoint.model_validate_json(
        b'{"endpoint_id": "pnt-1", "service_id": "ser-1", "weight": 100}'
    )
    assert endpoint.custom_alias is None
    assert endpoint.model_extra == {"weight": 100}


class TestEmulatorRules:
    """The emulator's endpoint rules (docs/emulator.md): what the platform would refuse.
    They test the emulator, so the sync client is enough."""

    @pytest.fixture
    def client(self, emulator: ServiceEmulator, sleeps: list[float]) -> Iterator[ServiceClient]:
        with emulator.client(sleep=sleeps.append) as client:
            yield client

    def test_an_alias_is_unique_in_a_deployment(
        self, client: ServiceClient, emulator: ServiceEmulator, target: Service
    ) -> None:
        client.endpoints.create(emulator.deployment_id, service_id=target)
        with pytest.raises(BadRequest, match="already exists"):
            client.endpoints.create(emulator.deployment_id, service_id=target)

    def test_the_service_must_be_in_the_deployment(
        self, client: ServiceClient, emulator: ServiceEmulator
    ) -> None:
        with pytest.raises(BadRequest, match="not found in deployment"):
            client.endpoints.create(emulator.deployment_id, service_id="ser-0000000000000000")

    def test_a_service_an_endpoint_points_at_cannot_be_deleted(
        self, client: ServiceClient, emulator: ServiceEmulator, target: Service
    ) -> None:
        client.endpoints.create(emulator.deployment_id, service_id=target)
        with pytest.raises(BadRequest, match="target of endpoint default"):
            target.delete()
        assert target.refresh().is_ready

    def test_a_body_without_service_id_is_400(
        self, client: ServiceClient, emulator: ServiceEmulator, target: Service
    ) -> None:
        endpoint = client.endpoints.create(emulator.deployment_id, service_id=target)
        answer = client._transport.request  # the typed layer cannot send this body
        with pytest.raises(BadRequest, match="service_id is required"):
            answer(
                "PATCH",
                f"{emulator.url}/organizations/{emulator.organization_id}/deployments/"
                f"{emulator.deployment_id}/endpoints/{endpoint.endpoint_id}",
                json_body={},
            )

    def test_the_hosted_route_reads_the_organization_from_the_host(
        self, client: ServiceClient, emulator: ServiceEmulator, target: Service
    ) -> None:
        import requests

        client.endpoints.create(emulator.deployment_id, service_id=target)
        answer = requests.post(
            f"{emulator.url}/deployments/{emulator.deployment_id}",
            json={"a": 1},
            headers={
                "Host": f"{emulator.organization_id}.api.abeja.io",
                "Authorization": f"Bearer {emulator.auth_token}",
            },
            timeout=5,
        )
        assert answer.status_code == 200
        assert answer.headers["X-Abeja-Service-Id"] == target.service_id
