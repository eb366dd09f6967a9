# Generated from the async managers' signatures by .ci/bound.py: do not edit (make generate).
"""The API calls a ``Service`` or an ``Endpoint`` makes on itself: each forwards to the
manager method of the same name with the model's ids, reached through ``ServiceCalls`` or
``EndpointCalls``, protocols defined here (the managers are never imported:
``tests/typing/check_bound_protocols.py`` holds both clients' managers to them).

Every signature is the manager's minus the ids, read from it by ``.ci/bound.py``;
``tests/managers/test_bound.py`` compares them too.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from .._api._status import FAILED_STATUSES
from .._constants import DEFAULT_ALIAS
from .._http._types import StopSignal
from ..errors import ServiceNotBoundError

if TYPE_CHECKING:
    from .._api._answers import PredictResponse
    from .._api._bodies import DataBody
    from ..models import ActionResult, Endpoint, LogEvent, LogPage, Service, UpdateServicePayload


class ServiceCalls(Protocol):
    """What a bound [`Service`][abeja.services.Service] calls: the ``services`` manager of
    the client it came from (``Services``; a test checks that it is one)."""

    def get(self, deployment_id: str, service_id: str) -> Service: ...

    def start(self, deployment_id: str, service_id: str) -> ActionResult: ...

    def stop(self, deployment_id: str, service_id: str) -> ActionResult: ...

    def delete(self, deployment_id: str, service_id: str) -> ActionResult: ...

    def update(
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
    ) -> Service: ...

    def logs(
        self,
        deployment_id: str,
        service_id: str,
        *,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        next_forward_token: str | None = None,
        next_backward_token: str | None = None,
    ) -> LogPage: ...

    def wait_until_ready(
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
    ) -> Service: ...

    def wait_until_stopped(
        self,
        deployment_id: str,
        service_id: str,
        *,
        timeout: float = 600.0,
        poll_interval: float | None = None,
        on_status: Callable[[Service], object] | None = None,
        failed_statuses: Collection[str] = FAILED_STATUSES,
    ) -> Service: ...

    def wait_until_deleted(
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
    ) -> Iterator[LogEvent]: ...

    def predict(
        self,
        deployment_id: str,
        service_id: str,
        *,
        json: object = None,
        data: DataBody | Path | None = None,
        content_type: str | None = None,
        timeout: float | None = None,
    ) -> PredictResponse: ...


class BoundService:
    """Mixin of [`Service`][abeja.services.Service]: the calls a service fetched through a
    client can make."""

    __slots__ = ()

    if TYPE_CHECKING:
        service_id: str
        deployment_id: str

    def _bound(self) -> ServiceCalls:
        services: ServiceCalls | None = getattr(self, "_services", None)
        if services is None:
            raise ServiceNotBoundError(
                f"Service {self.service_id!r} was built by hand and has no client; "
                "get it from ServiceClient.services to call the API"
            )
        return services

    def refresh(self) -> Service:
        """Fetch this service again; returns a new bound ``Service``."""
        return self._bound().get(self.deployment_id, self.service_id)

    def start(self) -> ActionResult:
        """Start this (stopped) service."""
        return self._bound().start(self.deployment_id, self.service_id)

    def stop(self) -> ActionResult:
        """Stop this (running) service."""
        return self._bound().stop(self.deployment_id, self.service_id)

    def delete(self) -> ActionResult:
        """Delete this service."""
        return self._bound().delete(self.deployment_id, self.service_id)

    def update(
        self,
        *,
        instance_number: int | None = None,
        min_instance_number: int | None = None,
        max_instance_number: int | None = None,
        enable_autoscale: bool | None = None,
        environment: dict[str, str] | None = None,
        payload: UpdateServicePayload | None = None,
    ) -> Service:
        """Change scaling or environment; returns the updated ``Service``."""
        return self._bound().update(
            self.deployment_id,
            self.service_id,
            instance_number=instance_number,
            min_instance_number=min_instance_number,
            max_instance_number=max_instance_number,
            enable_autoscale=enable_autoscale,
            environment=environment,
            payload=payload,
        )

    def logs(
        self,
        *,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        next_forward_token: str | None = None,
        next_backward_token: str | None = None,
    ) -> LogPage:
        """One page of this service's recent logs, newest first."""
        return self._bound().logs(
            self.deployment_id,
            self.service_id,
            start_time=start_time,
            end_time=end_time,
            next_forward_token=next_forward_token,
            next_backward_token=next_backward_token,
        )

    def wait_until_ready(
        self,
        *,
        timeout: float = 600.0,
        poll_interval: float | None = None,
        on_status: Callable[[Service], object] | None = None,
        failed_statuses: Collection[str] = FAILED_STATUSES,
        probe: Mapping[str, Any] | None = None,
        progress: bool | None = None,
    ) -> Service:
        """Poll until this service is READY; returns it fresh."""
        return self._bound().wait_until_ready(
            self.deployment_id,
            self.service_id,
            timeout=timeout,
            poll_interval=poll_interval,
            on_status=on_status,
            failed_statuses=failed_statuses,
            probe=probe,
            progress=progress,
        )

    def wait_until_stopped(
        self,
        *,
        timeout: float = 600.0,
        poll_interval: float | None = None,
        on_status: Callable[[Service], object] | None = None,
        failed_statuses: Collection[str] = FAILED_STATUSES,
    ) -> Service:
        """Poll until this service is STOPPED; returns it fresh."""
        return self._bound().wait_until_stopped(
            self.deployment_id,
            self.service_id,
            timeout=timeout,
            poll_interval=poll_interval,
            on_status=on_status,
            failed_statuses=failed_statuses,
        )

    def wait_until_deleted(
        self,
        *,
        timeout: float = 600.0,
        poll_interval: float | None = None,
        on_status: Callable[[Service], object] | None = None,
    ) -> None:
        """Poll until this service is gone."""
        self._bound().wait_until_deleted(
            self.deployment_id,
            self.service_id,
            timeout=timeout,
            poll_interval=poll_interval,
            on_status=on_status,
        )

    def iter_logs(
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
    ) -> Iterator[LogEvent]:
        """Every log event of this service, lazily (see ``Services.iter_logs``)."""
        return self._bound().iter_logs(
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

    def predict(
        self,
        *,
        json: object = None,
        data: DataBody | Path | None = None,
        content_type: str | None = None,
        timeout: float | None = None,
    ) -> PredictResponse:
        """Send a prediction request to this service."""
        return self._bound().predict(
            self.deployment_id,
            self.service_id,
            json=json,
            data=data,
            content_type=content_type,
            timeout=timeout,
        )


class EndpointCalls(Protocol):
    """What a bound [`Endpoint`][abeja.services.Endpoint] calls: the ``endpoints`` manager
    of the client it came from (``Endpoints``; a test checks that it is one)."""

    def get(self, deployment_id: str, endpoint: str) -> Endpoint: ...

    def switch(self, deployment_id: str, endpoint: str, service: str | Service) -> Endpoint: ...

    def delete(self, deployment_id: str, endpoint: str) -> ActionResult: ...

    def predict(
        self,
        deployment_id: str,
        *,
        endpoint: str | None = None,
        json: object = None,
        data: DataBody | Path | None = None,
        content_type: str | None = None,
        timeout: float | None = None,
    ) -> PredictResponse: ...


class BoundEndpoint:
    """Mixin of [`Endpoint`][abeja.services.Endpoint]: the calls an endpoint fetched through
    a client can make.

    Each forwards to the ``Endpoints`` method of the same name with the endpoint's
    deployment and id (``tests/managers/test_bound.py`` keeps the signatures equal).
    """

    __slots__ = ()

    if TYPE_CHECKING:
        endpoint_id: str

    def _bound(self) -> tuple[EndpointCalls, str]:
        endpoints: EndpointCalls | None = getattr(self, "_endpoints", None)
        if endpoints is None:
            raise ServiceNotBoundError(
                f"Endpoint {self.endpoint_id!r} was built by hand and has no client; "
                "get it from ServiceClient.endpoints to call the API"
            )
        deployment_id: str = getattr(self, "_deployment_id")  # noqa: B009 - a slot
        return endpoints, deployment_id

    @property
    def deployment_id(self) -> str:
        """The deployment this endpoint belongs to."""
        return self._bound()[1]

    def _route(self) -> str | None:
        """The ``endpoint`` argument of ``predict`` that reaches this endpoint."""
        alias = getattr(self, "custom_alias", None) or self.endpoint_id
        return None if alias == DEFAULT_ALIAS else alias

    def refresh(self) -> Endpoint:
        """Fetch this endpoint again; returns a new bound ``Endpoint``."""
        endpoints, deployment_id = self._bound()
        return endpoints.get(deployment_id, self.endpoint_id)

    def switch_to(self, service: str | Service) -> Endpoint:
        """Point this endpoint at ``service`` (a ``Service`` or its id) and read it back."""
        endpoints, deployment_id = self._bound()
        return endpoints.switch(deployment_id, self.endpoint_id, service)

    def delete(self) -> ActionResult:
        """Delete this endpoint (the service it points at stays)."""
        endpoints, deployment_id = self._bound()
        return endpoints.delete(deployment_id, self.endpoint_id)

    def predict(
        self,
        *,
        json: object = None,
        data: DataBody | Path | None = None,
        content_type: str | None = None,
        timeout: float | None = None,
    ) -> PredictResponse:
        """Send a prediction through this endpoint's route."""
        endpoints, deployment_id = self._bound()
        return endpoints.predict(
            deployment_id,
            endpoint=self._route(),
            json=json,
            data=data,
            content_type=content_type,
            timeout=timeout,
        )
