"""The drop-in APIClient: abeja-sdk's methods and signatures, plain dicts equal to the wire."""

from __future__ import annotations

import inspect
import io
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import requests
from pydantic import ValidationError

from abeja.exceptions import (
    APITimeoutError,
    BadRequest,
    InvalidResponseError,
    NotFound,
    ServiceUnavailable,
)
from abeja.services import APIClient, ServiceClient
from abeja.services.testing import ServiceEmulator

from . import reference_examples as ref


@pytest.fixture
def api(emulator: ServiceEmulator, monkeypatch: pytest.MonkeyPatch) -> APIClient:
    for name, value in emulator.env().items():
        monkeypatch.setenv(name, value)
    return APIClient()


def test_signatures_match_abeja_sdk() -> None:
    def params(name: str) -> list[str]:
        return list(inspect.signature(getattr(APIClient, name)).parameters)[1:]

    ids = ["organization_id", "deployment_id"]
    assert params("create_service") == [
        *ids,
        "version_id",
        "instance_number",
        "min_instance_number",
        "max_instance_number",
        "enable_autoscale",
        "instance_type",
        "environment",
        "model_id",
        "record_channel_id",
    ]
    for name in ("get_service", "delete_service", "start_service", "stop_service"):
        assert params(name) == [*ids, "service_id"]
    assert params("get_services") == params("list_services") == ids
    assert params("update_service") == [*ids, "service_id", "payload"]
    assert params("get_service_recent_logs") == [
        *ids,
        "service_id",
        "next_forward_token",
        "next_backward_token",
        "start_time",
        "end_time",
    ]
    assert params("request_service") == [*ids, "service_id", "data", "json", "content_type"]
    added = [  # ours alone: keyword-only and optional, as a drop-in may add
        p for p in inspect.signature(APIClient).parameters.values() if p.kind is p.KEYWORD_ONLY
    ]
    assert [p.name for p in added] == ["deadline", "sleep"]
    assert all(p.default is None for p in added)
    assert [
        p for p in inspect.signature(APIClient).parameters if p not in ("deadline", "sleep")
    ] == [
        "credential",
        "timeout",
        "max_retry_count",
    ]


def test_lifecycle_returns_what_the_server_sent(api: APIClient, emulator: ServiceEmulator) -> None:
    org, dep = emulator.organization_id, emulator.deployment_id
    created = api.create_service(
        org, dep, emulator.version_id, model_id="3333333333333", environment={"EXAMPLE_ENV": "abc"}
    )
    assert type(created) is dict
    assert set(ref.CREATE) <= set(created)
    assert emulator.requests[-1].json() == {
        "version_id": emulator.version_id,
        "instance_type": "cpu-0.25",
        "instance_number": 1,
        "environment": {"EXAMPLE_ENV": "abc"},
        "models": {"alias": "3333333333333"},
    }
    assert created == emulator.requests[-1].response_json()
    sid = created["service_id"]

    def sent() -> object:
        return emulator.requests[-1].response_json()

    assert api.get_service(org, dep, sid) == sent()
    assert api.list_services(org, dep) == sent()
    assert api.get_services(org, dep) == sent()
    updated = api.update_service(org, dep, sid, payload={"instance_number": 2})
    assert updated["instance_number"] == 2 and updated == sent()
    assert api.stop_service(org, dep, sid) == {"message": f"{sid} stopped"} == sent()
    assert api.start_service(org, dep, sid) == {"message": f"{sid} started"} == sent()
    logs = api.get_service_recent_logs(org, dep, sid)
    assert set(logs) == {"events", "next_backward_token", "next_forward_token"}
    assert logs == sent()
    assert api.delete_service(org, dep, sid) == {"message": f"{sid} deleted"} == sent()
    with pytest.raises(NotFound):
        api.get_service(org, dep, sid)


def test_documented_string_forms_are_accepted(api: APIClient, emulator: ServiceEmulator) -> None:
    org, dep = emulator.organization_id, emulator.deployment_id
    sid = api.create_service(org, dep, emulator.version_id, instance_number="2")["service_id"]  # type: ignore[arg-type]
    assert emulator.requests[-1].json()["instance_number"] == 2
    payload = {
        "instance_number": 4,
        "min_instance_number": 2,
        "max_instance_number": 6,
        "enable_autoscale": "true",
    }
    api.update_service(org, dep, sid, payload=payload)
    assert emulator.requests[-1].json() == {**payload, "enable_autoscale": True}
    assert payload["enable_autoscale"] == "true"  # the caller's dict is not changed


def test_bad_input_is_refused_before_sending(api: APIClient, emulator: ServiceEmulator) -> None:
    org, dep = emulator.organization_id, emulator.deployment_id
    with pytest.raises(ValidationError):
        api.update_service(org, dep, "ser-1", payload={"instance_number": "many"})
    with pytest.raises(TypeError):
        api.update_service(org, dep, "ser-1", payload={"instance_type": object()})
    with pytest.raises(ValidationError):
        api.create_service(
            org, dep, emulator.version_id, min_instance_number=3, max_instance_number=1
        )
    with pytest.raises(ValueError):
        api.get_service("evil.example.com/x?", dep, "ser-1")
    assert emulator.count() == 0


def test_what_abeja_sdk_passes_through_is_sent_as_given(
    api: APIClient, emulator: ServiceEmulator
) -> None:
    """abeja-sdk sends payload keys and environment values unchecked; so does a drop-in."""
    org, dep = emulator.organization_id, emulator.deployment_id
    emulator.inject("update", status=200, body=json.dumps(ref.UPDATE).encode())
    emulator.inject("create", status=200, body=json.dumps(ref.CREATE).encode())
    payload = {
        "instance_type": "cpu-1",
        "record_channel_id": "5678901234567",
        "instance_number": "4",
    }
    api.update_service(org, dep, "ser-1", payload=payload)
    api.create_service(org, dep, emulator.version_id, environment={"N": 1, "S": "x"})
    update, create = emulator.requests
    assert update.json() == {
        "instance_type": "cpu-1",
        "record_channel_id": "5678901234567",
        "instance_number": 4,
    }
    assert create.json()["environment"] == {"N": 1, "S": "x"}


def test_the_abeja_sdk_import_path_gives_this_client() -> None:
    from abeja.services import APIClient as Ours
    from abeja.services.api.client import APIClient as ByPath

    assert ByPath is Ours


def test_unknown_fields_and_timestamp_strings_come_back_unchanged(
    api: APIClient, emulator: ServiceEmulator
) -> None:
    body = {**ref.UPDATE, "created_at": "2018-01-01T00:00:00.102289Z", "brand_new": {"x": [1]}}
    emulator.inject("get", status=200, body=json.dumps(body).encode())
    assert (
        api.get_service(emulator.organization_id, "1408443944117", "ser-abc1111111111111") == body
    )


def test_bare_list_answer_is_wrapped_in_entries(api: APIClient, emulator: ServiceEmulator) -> None:
    emulator.inject("list", status=200, body=json.dumps([ref.GET]).encode())
    assert api.list_services(emulator.organization_id, "1") == {"entries": [ref.GET]}


def test_recent_logs_parameters(api: APIClient, emulator: ServiceEmulator) -> None:
    org, dep = emulator.organization_id, emulator.deployment_id
    sid = api.create_service(org, dep, emulator.version_id)["service_id"]
    api.get_service_recent_logs(
        org,
        dep,
        sid,
        next_forward_token="f-0",
        start_time=datetime(2020, 1, 1, 9, tzinfo=timezone.utc),
        end_time=datetime(2030, 1, 1),
    )
    assert emulator.requests[-1].query == {
        "next_forward_token": "f-0",
        "start_time": "2020-01-01T09:00:00Z",
        "end_time": "2030-01-01T00:00:00Z",
    }


def test_request_service_json_and_data(
    api: APIClient, emulator: ServiceEmulator, tmp_path: Path
) -> None:
    org, dep = emulator.organization_id, emulator.deployment_id
    sid = api.create_service(org, dep, emulator.version_id)["service_id"]
    response = api.request_service(org, dep, sid, json={"foo": "bar", "baz": "qux"})
    assert isinstance(response, requests.Response)
    assert response.json()["echo"] == {"foo": "bar", "baz": "qux"}
    assert emulator.requests[-1].headers["Content-Type"] == "application/json"

    api.request_service(org, dep, sid, data=b"\x00\x01")
    seen = emulator.requests[-1]
    assert seen.headers["Content-Type"] == "application/octet-stream" and seen.body == b"\x00\x01"

    image = tmp_path / "foo.png"
    image.write_bytes(b"\x89PNG\r\n" + b"p" * 100)
    with image.open("rb") as f:
        response = api.request_service(org, dep, sid, data=f, content_type="image/png")
    assert response.json()["bytes"] == 106
    assert emulator.requests[-1].headers["Content-Type"] == "image/png"

    api.request_service(org, dep, sid, data=io.BytesIO(b"abc"), content_type="text/csv")
    assert emulator.requests[-1].body == b"abc"


def test_errors_are_abeja_exceptions(api: APIClient, emulator: ServiceEmulator) -> None:
    org, dep = emulator.organization_id, emulator.deployment_id
    sid = api.create_service(org, dep, emulator.version_id)["service_id"]
    with pytest.raises(BadRequest, match="already running"):
        api.start_service(org, dep, sid)


def test_constructor_arguments(emulator: ServiceEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in emulator.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("PLATFORM_AUTH_TOKEN")
    org, dep = emulator.organization_id, emulator.deployment_id
    # Retry-After: 0 makes the one retry wait no time at all.
    emulator.inject("list", status=503, retry_after=0, times=None)
    with APIClient(emulator.credential, timeout=0.1, max_retry_count=1) as api:
        with pytest.raises(ServiceUnavailable):
            api.list_services(org, dep)
        assert emulator.count("list") == 2
        assert emulator.requests[-1].headers["Authorization"] == f"Bearer {emulator.auth_token}"
        emulator.clear_faults()
        sid = api.create_service(org, dep, emulator.version_id)["service_id"]
        # A prediction is not retried after a read timeout, so nothing waits between attempts.
        emulator.inject("predict", delay=0.3)
        with pytest.raises(APITimeoutError):
            api.request_service(org, dep, sid, json={})
    assert emulator.count("predict") == 1


NO_MORE_LOGS = {"events": [], "next_backward_token": [], "next_forward_token": []}
ANSWERS = [
    ("get", "get_service", ref.GET),
    ("get", "get_service", {**ref.UPDATE, "brand_new": {"x": [1, None]}}),
    ("create", "create_service", ref.CREATE),
    ("update", "update_service", ref.UPDATE),
    ("list", "get_services", ref.LIST),
    ("logs", "get_service_recent_logs", ref.LOGS),
    ("logs", "get_service_recent_logs", NO_MORE_LOGS),  # the reference's "empty list"
    ("delete", "delete_service", {"message": "ser-abc1111111111111 deleted"}),
]  # fmt: skip


def _compat_call(api: APIClient, method: str, emulator: ServiceEmulator) -> dict[str, Any]:
    org, dep = emulator.organization_id, emulator.deployment_id
    if method == "create_service":
        return api.create_service(org, dep, emulator.version_id)
    if method == "get_services":
        return api.get_services(org, dep)
    if method == "update_service":
        return api.update_service(org, dep, "ser-1", {"instance_number": 2})
    result: dict[str, Any] = getattr(api, method)(org, dep, "ser-1")
    return result


@pytest.mark.parametrize(("route", "method", "body"), ANSWERS)
def test_compat_dicts_are_the_servers_json_key_for_key(
    api: APIClient, emulator: ServiceEmulator, route: str, method: str, body: dict[str, Any]
) -> None:
    emulator.inject(route, status=200, body=json.dumps(body).encode())
    assert _compat_call(api, method, emulator) == body


@pytest.mark.parametrize(
    ("route", "method", "typed", "body"),
    [
        ("get", "get_service", "get", {**ref.GET, "service_id": 5}),
        ("get", "get_service", "get", {"deployment_id": "d"}),
        ("list", "get_services", "list", {"entries": [{"status": "READY"}]}),
        ("logs", "get_service_recent_logs", "logs", {"events": [{"message": "m"}]}),
        ("delete", "delete_service", "delete", {"message": ["not", "a", "str"]}),
    ],
)  # fmt: skip
def test_a_malformed_answer_is_the_same_error_in_both_layers(
    api: APIClient,
    client: ServiceClient,
    emulator: ServiceEmulator,
    route: str,
    method: str,
    typed: str,
    body: dict[str, Any],
) -> None:
    errors = []
    emulator.inject(route, status=200, body=json.dumps(body).encode())
    with pytest.raises(InvalidResponseError) as compat_error:
        _compat_call(api, method, emulator)
    errors.append(str(compat_error.value))
    emulator.inject(route, status=200, body=json.dumps(body).encode())
    dep = emulator.deployment_id
    with pytest.raises(InvalidResponseError) as typed_error:
        if typed == "list":
            client.services.list(dep)
        else:
            getattr(client.services, typed)(dep, "ser-1")
    errors.append(str(typed_error.value))
    assert errors[0] == errors[1]
