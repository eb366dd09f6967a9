# Generated from the async managers' signatures by .ci/bound.py: do not edit (make generate).
"""``AsyncService`` and ``AsyncEndpoint``: a ``Service`` and an ``Endpoint`` of the async
client (same fields, validation and ``isinstance``) whose own calls are coroutines, each
the ``AsyncServiceCalls`` (``AsyncEndpointCalls``) method of the same name with its ids:
a function typed for a sync ``Service`` must not call them on an ``AsyncService``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Collection, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import Field

from .._api._status import FAILED_STATUSES
from .._http._types import StopSignal
from ..errors import ServiceNotBoundError
from ..models import Endpoint, EndpointList, Service, ServiceList

if TYPE_CHECKING:
    from .._api._answers import PredictResponse
    from .._api._bodies import DataBody
    from ..models import ActionResult, LogEvent, LogPage, UpdateServicePayload


class AsyncServiceCalls(Protocol):
    """What an ``AsyncService`` calls: the async client's ``services`` manager."""

    async def get(self, deployment_id: str, service_id: str) -> AsyncService: ...

    async def start(self, deployment_id: str, service_id: str) -> ActionResult: ...

    async def stop(self, deployment_id: str, service_id: str) -> ActionResult: ...

    async def delete(self, deployment_id: str, service_id: str) -> ActionResult: ...

    async def update(
        self,
        deployment_id: str,
        service_id: str,
        *,
        instance_number: int | None = None,
        min_instance_number: int | None = None,
        max_instance_number: int | None = None,
        enable_autoscale: bool | None = None,
        environment: dict[str, str] | None = None,
        payload: UpdateServicePayload | None = None,
    ) -> AsyncService: ...

    async def logs(
        self,
        deployment_id: str,
        service_id: str,
        *,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        next_forward_token: str | None = None,
        next_backward_token: str | None = None,
    ) -> LogPage: ...

    async def wait_until_ready(
        self,
        deployment_id: str,
        service_id: str,
        *,
        timeout: float = 600.0,
        poll_interval: float | None = None,
        on_status: Callable[[Service], object] | None = None,
        failed_statuses: Collection[str] = FAILED_STATUSES,
        probe: Mapping[str, Any] | None = None,
        progress: bool | None = None,
    ) -> AsyncService: ...

    async def wait_until_stopped(
        self,
        deployment_id: str,
        service_id: str,
        *,
        timeout: float = 600.0,
        poll_interval: float | None = None,
        on_status: Callable[[Service], object] | None = None,
        failed_statuses: Collection[str] = FAILED_STATUSES,
    ) -> AsyncService: ...

    async def wait_until_deleted(
        self,
        deployment_id: str,
        service_id: str,
        *,
        timeout: float = 600.0,
        poll_interval: float | None = None,
        on_status: Callable[[Service], object] | None = None,
    ) -> None: ...

    def iter_logs(
        self,
        deployment_id: str,
        service_id: str,
        *,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        limit: int | None = None,
        max_pages: int = 10000,
        follow: bool = False,
        poll_interval: float = 2.0,
        timeout: float | None = None,
        stop_event: StopSignal | None = None,
    ) -> AsyncIterator[LogEvent]: ...

    async def predict(
        self,
        deployment_id: str,
        service_id: str,
        *,
        json: object = None,
        data: DataBody | Path | None = None,
        content_type: str | None = None,
        timeout: float | None = None,
    ) -> PredictResponse: ...


class AsyncEndpointCalls(Protocol):
    """What an ``AsyncEndpoint`` calls: the async client's ``endpoints`` manager."""

    async def get(self, deployment_id: str, endpoint: str) -> AsyncEndpoint: ...

    async def switch(
        self, deployment_id: str, endpoint: str, service: str | Service
    ) -> AsyncEndpoint: ...

    async def delete(self, deployment_id: str, endpoint: str) -> ActionResult: ...

    async def predict(
        self,
        deployment_id: str,
        *,
        endpoint: str | None = None,
        json: object = None,
        data: DataBody | Path | None = None,
        content_type: str | None = None,
        timeout: float | None = None,
    ) -> PredictResponse: ...


class AsyncService(Service):
    """A [`Service`][abeja.services.Service] fetched through
    [`AsyncServiceClient`][abeja.services.AsyncServiceClient]: the same fields, and its
    calls (``refresh``, ``start``, ``wait_until_ready``, ``predict``, ``iter_logs``, ...)
    are coroutines or, for ``iter_logs``, an async iterator."""

    __slots__ = ()

    def _services_async(self) -> AsyncServiceCalls:
        services: AsyncServiceCalls | None = getattr(self, "_services", None)
        if services is None:
            raise ServiceNotBoundError(
                f"Service {self.service_id!r} was built by hand and has no client; "
                "get it from AsyncServiceClient.services to call the API"
            )
        return services

    async def refresh(self) -> AsyncService:  # type: ignore[override]
        """Fetch this service again; returns a new bound ``AsyncService``."""
        return await self._services_async().get(self.deployment_id, self.service_id)

    async def start(self) -> ActionResult:  # type: ignore[override]
        """Start this (stopped) service."""
        return await self._services_async().start(self.deployment_id, self.service_id)

    async def stop(self) -> ActionResult:  # type: ignore[override]
        """Stop this (running) service."""
        return await self._services_async().stop(self.deployment_id, self.service_id)

    async def delete(self) -> ActionResult:  # type: ignore[override]
        """Delete this service."""
        return await self._services_async().delete(self.deployment_id, self.service_id)

    async def update(  # type: ignore[override]
        self,
        *,
        instance_number: int | None = None,
        min_instance_number: int | None = None,
        max_instance_number: int | None = None,
        enable_autoscale: bool | None = None,
        environment: dict[str, str] | None = None,
        payload: UpdateServicePayload | None = None,
    ) -> AsyncService:
        """Change scaling or environment; returns the updated ``AsyncService``."""
        return await self._services_async().update(
            self.deployment_id,
            self.service_id,
            instance_number=instance_number,
            min_instance_number=min_instance_number,
            max_instance_number=max_instance_number,
            enable_autoscale=enable_autoscale,
            environment=environment,
            payload=payload,
        )

    async def logs(  # type: ignore[override]
        self,
        *,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        next_forward_token: str | None = None,
        next_backward_token: str | None = None,
    ) -> LogPage:
        """One page of this service's recent logs, newest first."""
        return await self._services_async().logs(
            self.deployment_id,
            self.service_id,
            start_time=start_time,
            end_time=end_time,
            next_forward_token=next_forward_token,
            next_backward_token=next_backward_token,
        )

    async def wait_until_ready(  # type: ignore[override]
        self,
        *,
        timeout: float = 600.0,
        poll_interval: float | None = None,
        on_status: Callable[[Service], object] | None = None,
        failed_statuses: Collection[str] = FAILED_STATUSES,
        probe: Mapping[str, Any] | None = None,
        progress: bool | None = None,
    ) -> AsyncService:
        """Poll until this service is READY; returns it fresh."""
        return await self._services_async().wait_until_ready(
            self.deployment_id,
            self.service_id,
            timeout=timeout,
            poll_interval=poll_interval,
            on_status=on_status,
            failed_statuses=failed_statuses,
            probe=probe,
            progress=progress,
        )

    async def wait_until_stopped(  # type: ignore[override]
        self,
        *,
        timeout: float = 600.0,
        poll_interval: float | None = None,
        on_status: Callable[[Service], object] | None = None,
        failed_statuses: Collection[str] = FAILED_STATUSES,
    ) -> AsyncService:
        """Poll until this service is STOPPED; returns it fresh."""
        return await self._services_async().wait_until_stopped(
            self.deployment_id,
            self.service_id,
            timeout=timeout,
            poll_interval=poll_interval,
            on_status=on_status,
            failed_statuses=failed_statuses,
        )

    async def wait_until_deleted(  # type: ignore[override]
        self,
        *,
        timeout: float = 600.0,
        poll_interval: float | None = None,
        on_status: Callable[[Service], object] | None = None,
    ) -> None:
        """Poll until this service is gone."""
        await self._services_async().wait_until_deleted(
            self.deployment_id,
            self.service_id,
            timeout=timeout,
            poll_interval=poll_interval,
            on_status=on_status,
        )

    def iter_logs(  # type: ignore[override]
        self,
        *,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        limit: int | None = None,
        max_pages: int = 10000,
        follow: bool = False,
        poll_interval: float = 2.0,
        timeout: float | None = None,
        stop_event: StopSignal | None = None,
    ) -> AsyncIterator[LogEvent]:
        """Every log event of this service, lazily (see ``AsyncServices.iter_logs``)."""
        return self._services_async().iter_logs(
            self.deployment_id,
            self.service_id,
            start_time=start_time,
            end_time=end_time,
            limit=limit,
            max_pages=max_pages,
            follow=follow,
            poll_interval=poll_interval,
            timeout=timeout,
            stop_event=stop_event,
        )

    async def predict(  # type: ignore[override]
        self,
        *,
        json: object = None,
        data: DataBody | Path | None = None,
        content_type: str | None = None,
        timeout: float | None = None,
    ) -> PredictResponse:
        """Send a prediction request to this service."""
        return await self._services_async().predict(
            self.deployment_id,
            self.service_id,
            json=json,
            data=data,
            content_type=content_type,
            timeout=timeout,
        )


class AsyncServiceList(ServiceList):
    """A [`ServiceList`][abeja.services.ServiceList] from the async client: its entries are
    [`AsyncService`][abeja.services.AsyncService]s."""

    entries: list[AsyncService] = Field(default_factory=list)  # type: ignore[assignment]
    """The services."""

    def __iter__(self) -> Iterator[AsyncService]:  # type: ignore[override]
        return iter(self.entries)

    def __getitem__(self, index: int) -> AsyncService:
        return self.entries[index]


class AsyncEndpoint(Endpoint):
    """An [`Endpoint`][abeja.services.Endpoint] fetched through
    [`AsyncServiceClient`][abeja.services.AsyncServiceClient]: the same fields, and its
    calls (``refresh``, ``switch_to``, ``delete``, ``predict``) are coroutines."""

    __slots__ = ()

    def _endpoints_async(self) -> tuple[AsyncEndpointCalls, str]:
        endpoints: AsyncEndpointCalls | None = getattr(self, "_endpoints", None)
        if endpoints is None:
            raise ServiceNotBoundError(
                f"Endpoint {self.endpoint_id!r} was built by hand and has no client; "
                "get it from AsyncServiceClient.endpoints to call the API"
            )
        deployment_id: str = getattr(self, "_deployment_id")  # noqa: B009 - a slot
        return endpoints, deployment_id

    async def refresh(self) -> AsyncEndpoint:  # type: ignore[override]
        """Fetch this endpoint again; returns a new bound ``AsyncEndpoint``."""
        endpoints, deployment_id = self._endpoints_async()
        return await endpoints.get(deployment_id, self.endpoint_id)

    async def switch_to(  # type: ignore[override]
        self, service: str | Service
    ) -> AsyncEndpoint:
        """Point this endpoint at ``service`` (a ``Service`` or its id) and read it back."""
        endpoints, deployment_id = self._endpoints_async()
        return await endpoints.switch(deployment_id, self.endpoint_id, service)

    async def delete(self) -> ActionResult:  # type: ignore[override]
        """Delete this endpoint (the service it points at stays)."""
        endpoints, deployment_id = self._endpoints_async()
        return await endpoints.delete(deployment_id, self.endpoint_id)

    async def predict(  # type: ignore[override]
        self,
        *,
        json: object = None,
        data: DataBody | Path | None = None,
        content_type: str | None = None,
        timeout: float | None = None,
    ) -> PredictResponse:
        """Send a prediction through this endpoint's route."""
        endpoints, deployment_id = self._endpoints_async()
        return await endpoints.predict(
            deployment_id,
            endpoint=self._route(),
            json=json,
            data=data,
            content_type=content_type,
            timeout=timeout,
        )


class AsyncEndpointList(EndpointList):
    """An [`EndpointList`][abeja.services.EndpointList] from the async client."""

    entries: list[AsyncEndpoint] = Field(default_factory=list)  # type: ignore[assignment]
    """The endpoints."""

    def __iter__(self) -> Iterator[AsyncEndpoint]:  # type: ignore[override]
        return iter(self.entries)

    def __getitem__(self, index: int) -> AsyncEndpoint:
        return self.entries[index]
