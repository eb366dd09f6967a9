"""Checked by mypy --strict and pyright (never run): what users' type checkers see."""

from __future__ import annotations

from collections.abc import AsyncIterator, Coroutine
from datetime import datetime
from pathlib import Path
from typing import Any

import requests
from typing_extensions import assert_type

from abeja.exceptions import HttpError
from abeja.services import (
    ActionResult,
    APIClient,
    AsyncEndpoint,
    AsyncService,
    AsyncServiceClient,
    AsyncServiceList,
    Endpoint,
    LogEvent,
    LogPage,
    PredictResponse,
    RawResponse,
    RolloutReport,
    Service,
    ServiceClient,
    ServiceList,
    ServiceStatus,
    UpdateServicePayload,
)
from abeja.services.testing import ServiceEmulator


def typed_layer(client: ServiceClient) -> None:
    services = client.services
    service = services.create("1", version_id="ver-1", model_id="2", instance_number=2)
    assert_type(service, Service)
    assert_type(service.service_id, str)
    assert_type(client.rollouts.run("1", version_id="ver-2", bake=0), RolloutReport)
    assert_type(service.status, ServiceStatus | str)
    assert_type(service.instance_number, int | None)
    assert_type(service.enable_autoscale, bool | None)
    assert_type(service.created_at, datetime | None)
    assert_type(service.models, dict[str, str])
    assert_type(service.user_env_vars, dict[str, str])
    assert_type(service.is_ready, bool)
    assert_type(services.get("1", "ser-1"), Service)
    raw = services.with_raw_response.get("1", "ser-1")
    assert_type(raw, RawResponse[Service])
    assert_type(raw.parsed, Service)
    assert_type(raw.request_id, str | None)
    assert_type(services.with_raw_response.list("1"), RawResponse[ServiceList])
    assert_type(
        services.with_raw_response.predict("1", "ser-1", json={}), RawResponse[PredictResponse]
    )
    assert_type(client.endpoints.with_raw_response.get("1", "default").parsed, Endpoint)
    services.with_raw_response.gte("1", "ser-1")  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue]
    services.with_raw_response.get("1")  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    listed = services.list("1")
    assert_type(listed, ServiceList)
    for entry in listed:
        assert_type(entry, Service)
    assert_type(listed[0], Service)
    assert_type(len(listed), int)
    assert_type(services.update("1", "ser-1", instance_number=3), Service)
    payload = UpdateServicePayload(instance_number=3)
    assert_type(services.update("1", "ser-1", payload=payload), Service)
    assert_type(services.delete("1", "ser-1"), ActionResult)
    assert_type(services.start("1", "ser-1"), ActionResult)
    assert_type(services.stop("1", "ser-1").message, str)
    page = services.logs("1", "ser-1", start_time=datetime.now())
    assert_type(page, LogPage)
    assert_type(page.next_backward_token, str | None)
    for event in page:
        assert_type(event, LogEvent)
        assert_type(event.message, str)
        assert_type(event.timestamp, datetime)
    answer = services.predict("1", "ser-1", json={"a": 1})
    assert_type(answer, PredictResponse)
    assert_type(answer.status_code, int)
    assert_type(answer.content, bytes)
    assert_type(answer.text, str)
    assert_type(answer.json(), Any)
    assert_type(answer.content_type, str | None)
    assert_type(answer.model_version, str | None)
    assert_type(answer.response, requests.Response)
    assert_type(services.predict("1", "ser-1", data=Path("x.png")), PredictResponse)
    assert_type(service.refresh(), Service)
    assert_type(service.start(), ActionResult)
    assert_type(service.stop(), ActionResult)
    assert_type(service.delete(), ActionResult)
    assert_type(service.update(enable_autoscale=True), Service)
    assert_type(service.logs(), LogPage)
    assert_type(service.predict(data=b"x", content_type="image/png"), PredictResponse)
    with ServiceClient("1") as scoped:
        assert_type(scoped, ServiceClient)
        assert_type(scoped.organization_id, str | None)


def compat_layer(api: APIClient) -> None:
    assert_type(api.create_service("1", "2", "ver-1"), dict[str, Any])
    assert_type(api.get_service("1", "2", "ser-1"), dict[str, Any])
    assert_type(api.list_services("1", "2"), dict[str, Any])
    assert_type(api.get_services("1", "2"), dict[str, Any])
    assert_type(
        api.update_service("1", "2", "ser-1", payload={"instance_number": 2}), dict[str, Any]
    )
    assert_type(api.delete_service("1", "2", "ser-1"), dict[str, Any])
    assert_type(api.start_service("1", "2", "ser-1"), dict[str, Any])
    assert_type(api.stop_service("1", "2", "ser-1"), dict[str, Any])
    assert_type(api.get_service_recent_logs("1", "2", "ser-1"), dict[str, Any])
    assert_type(api.request_service("1", "2", "ser-1", json={}), requests.Response)


def errors(error: HttpError) -> None:
    assert_type(error.status_code, int | None)
    assert_type(error._asdict(), dict[str, object])  # pyright: ignore[reportPrivateUsage] - abeja-sdk's public name
    assert_type(error.error, str)
    assert_type(error.request_id, str | None)


def emulator(emu: ServiceEmulator) -> None:
    assert_type(emu.client(), ServiceClient)
    assert_type(emu.url, str)
    assert_type(emu.env(), dict[str, str])
    assert_type(emu.credential, dict[str, str])


async def async_layer(client: AsyncServiceClient) -> None:
    services = client.services
    service = await services.create("1", version_id="ver-1")
    assert_type(service, AsyncService)
    assert_type(await services.get("1", "ser-1"), AsyncService)
    assert_type(await services.list("1"), AsyncServiceList)
    assert_type((await services.list("1"))[0], AsyncService)
    assert_type(await services.predict("1", "ser-1", json={}), PredictResponse)
    assert_type(await services.wait_until_ready("1", "ser-1"), AsyncService)
    pending: Coroutine[Any, Any, AsyncService] = services.get("1", "ser-1")  # until awaited
    assert_type(await pending, AsyncService)
    raw = await services.with_raw_response.get("1", "ser-1")
    assert_type(raw, RawResponse[AsyncService])
    # A bound service's own calls are coroutines too; iter_logs an async iterator.
    waiting: Coroutine[Any, Any, AsyncService] = service.wait_until_ready()
    assert_type(await waiting, AsyncService)
    assert_type(await service.refresh(), AsyncService)
    assert_type(await service.predict(json={}), PredictResponse)
    assert_type(service.iter_logs(follow=True), AsyncIterator[LogEvent])
    async for event in service.iter_logs(limit=1):
        assert_type(event, LogEvent)
    assert_type(services.iter_logs("1", "ser-1"), AsyncIterator[LogEvent])
    endpoint = await client.endpoints.create("1", service_id=service)
    assert_type(endpoint, AsyncEndpoint)
    assert_type(await endpoint.switch_to(service), AsyncEndpoint)
    assert_type(await client.endpoints.predict("1", json={}), PredictResponse)
    assert_type((await client.endpoints.list("1"))[0], AsyncEndpoint)
    releasing: Coroutine[Any, Any, RolloutReport] = client.rollouts.run("1", version_id="v")
    assert_type(await releasing, RolloutReport)
    assert_type(await client.rollouts.rollback("1", to_service_id="ser-1"), RolloutReport)
    as_service: Service = service  # an AsyncService is a Service: its fields read the same
    assert_type(as_service.status, ServiceStatus | str)
    assert_type(client.with_options(timeout=1), AsyncServiceClient)
    await services.gte("1", "ser-1")  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue]
