"""Models: strict requests, tolerant responses, every reference field typed."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from pydantic import ValidationError

from abeja.exceptions import NotFound
from abeja.services import (
    CreateServiceRequest,
    LogPage,
    Service,
    ServiceClient,
    ServiceList,
    ServiceStatus,
    UpdateServicePayload,
)
from abeja.services.testing import ServiceEmulator

from . import reference_examples as ref


@pytest.mark.parametrize("example", [ref.CREATE, ref.GET, ref.UPDATE])
def test_reference_examples_parse_with_every_field_typed(example: dict[str, object]) -> None:
    service = Service.model_validate(example)
    assert service.model_extra == {}  # no field of the reference is left untyped
    dumped = service.model_dump(mode="json", exclude_unset=True)
    for key, value in example.items():
        if key in ("created_at", "modified_at"):
            parsed = getattr(service, key)
            assert parsed.tzinfo is not None
            assert parsed == datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        elif key == "status":
            assert service.status == value
        else:
            assert dumped[key] == value, key


def test_list_and_logs_examples() -> None:
    services = ServiceList.model_validate(ref.LIST)
    assert len(services) == 1 and services[0].status is ServiceStatus.READY
    page = LogPage.model_validate(ref.LOGS)
    assert page.events[0].timestamp == datetime(2018, 1, 1, tzinfo=timezone.utc)
    assert page.next_forward_token == "..."


def test_bare_list_is_accepted(client: ServiceClient, emulator: ServiceEmulator) -> None:
    emulator.inject("list", status=200, body=json.dumps([ref.GET, ref.GET]).encode())
    services = client.services.list(emulator.deployment_id)
    assert [s.service_id for s in services] == [ref.GET["service_id"]] * 2
    emulator.forget_requests()
    with pytest.raises(NotFound):  # bound like any listed service: refresh asks the server
        services[0].refresh()
    assert [r.route for r in emulator.requests] == ["get"]


def test_unknown_fields_and_statuses_are_kept() -> None:
    service = Service.model_validate({**ref.GET, "status": "DRAINING", "new_field": [1, 2]})
    assert service.status == "DRAINING" and not isinstance(service.status, ServiceStatus)
    assert service.new_field == [1, 2]  # type: ignore[attr-defined]
    assert service.model_extra == {"new_field": [1, 2]}


def test_naive_timestamps_are_taken_as_utc() -> None:
    service = Service.model_validate({**ref.GET, "created_at": "2018-06-05T12:34:33"})
    assert service.created_at == datetime(2018, 6, 5, 12, 34, 33, tzinfo=timezone.utc)


def test_empty_list_tokens_mean_no_token() -> None:
    page = LogPage.model_validate(
        {"events": [], "next_backward_token": [], "next_forward_token": ""}
    )
    assert page.next_backward_token is None and page.next_forward_token is None
    assert list(page) == []


@pytest.mark.parametrize(
    "fields",
    [
        {"version_id": "v", "instance_number": 0},
        {"version_id": "v", "instance_number": "2"},
        {"version_id": "v", "instance_number": True},
        {"version_id": "v", "min_instance_number": 0},
        {"version_id": "v", "min_instance_number": 3, "max_instance_number": 2},
        {"version_id": "v", "enable_autoscale": "true"},
        {"version_id": "v", "environment": {"A": 1}},
        {"version_id": "v", "unknown": 1},
        {"version_id": ""},
        {"version_id": 5},
        {},
    ],
)
def test_create_request_is_strict(fields: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        CreateServiceRequest.model_validate(fields)


@pytest.mark.parametrize(
    "fields",
    [
        {"instance_number": 0},
        {"max_instance_number": "6"},
        {"min_instance_number": 4, "max_instance_number": 2},
        {"enable_autoscale": 1},
        {"status": "READY"},
    ],
)
def test_update_payload_is_strict(fields: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        UpdateServicePayload.model_validate(fields)


def test_update_payload_dumps_only_what_was_given() -> None:
    payload = UpdateServicePayload(instance_number=4, enable_autoscale=False)
    assert payload.to_json() == {"instance_number": 4, "enable_autoscale": False}


def test_invalid_create_arguments_send_nothing(
    client: ServiceClient, emulator: ServiceEmulator
) -> None:
    with pytest.raises(ValidationError, match="max_instance_number"):
        client.services.create(
            emulator.deployment_id,
            version_id=emulator.version_id,
            instance_number=3,
            min_instance_number=3,
            max_instance_number=2,
        )
    with pytest.raises(ValidationError, match=r"min_instance_number \(5\) must not be greater"):
        client.services.create(  # the platform's rule: min <= instance_number <= max
            emulator.deployment_id, version_id=emulator.version_id, min_instance_number=5
        )
    with pytest.raises(ValidationError):
        client.services.create(
            emulator.deployment_id, version_id=emulator.version_id, instance_number=0
        )
    with pytest.raises(ValidationError):
        client.services.update(emulator.deployment_id, "ser-1", instance_number="3")  # type: ignore[arg-type]
    assert emulator.count() == 0


def test_validation_errors_are_value_errors() -> None:
    with pytest.raises(ValueError):
        CreateServiceRequest.model_validate({"version_id": "v", "instance_number": -1})


def test_status_enum_reads_as_its_value() -> None:
    assert str(ServiceStatus.READY) == "READY"
    assert ServiceStatus.READY == "READY"
