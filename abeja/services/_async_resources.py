"""``AsyncServiceClient(...).services``: the Service API's calls as coroutines.

The same routes (``Routes`` checks ids and builds URLs and bodies for both clients), the
same request bodies (``create_request``, ``update_payload``), the same parsing and the
same waiting rules (``_waiters.Poll``) as ``Services``; only the awaiting is its own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from datetime import datetime
from pathlib import Path
from typing import NoReturn

from . import _waiters
from ._bodies import DataBody
from ._raw import AsyncRawServices
from ._resources import NoOrganization, _parse, create_request, parse_list, update_payload
from ._response import HTTPResponse, PredictResponse
from ._routes import Routes
from ._status import FAILED_STATUSES, ServiceStatus
from ._types import AsyncSleep, Clock
from ._validation import check_path_id
from .errors import Error, ServiceNotBoundError
from .models import ActionResult, LogPage, Service, ServiceList, UpdateServicePayload


class _AsyncOnly:
    """What a ``Service`` from the async client is bound to: its own calls are not there
    yet, and saying so beats a coroutine typed as a ``Service``."""

    def __getattr__(self, name: str) -> NoReturn:
        raise ServiceNotBoundError(
            f"a Service from AsyncServiceClient has no bound {name}() yet: "
            f"await client.services.{name}(deployment_id, service_id, ...) instead"
        )


_ASYNC_ONLY = _AsyncOnly()


class AsyncServices:
    """Create, inspect, scale, start, stop, delete, read logs of and predict with
    services, each call a coroutine. Reached as ``AsyncServiceClient(...).services``.
    """

    def __init__(
        self,
        routes: Routes[Awaitable[HTTPResponse]],
        organization_id: str | None,
        *,
        clock: Clock,
        sleep: AsyncSleep,
    ) -> None:
        self._routes = routes
        self._organization_id = organization_id
        self._clock = clock
        self._sleep = sleep

    @property
    def with_raw_response(self) -> AsyncRawServices:
        """The same calls, returning the HTTP answer beside the model
        ([`RawResponse`][abeja.services.RawResponse])."""
        return AsyncRawServices(self)

    def _organization(self) -> str:
        if self._organization_id is None:
            raise NoOrganization(
                "no organization_id: pass it to AsyncServiceClient(...) or set "
                "ABEJA_ORGANIZATION_ID"
            )
        return self._organization_id

    def _service(self, response: HTTPResponse) -> Service:
        return _parse(Service, response)._bind(_ASYNC_ONLY)  # type: ignore[arg-type]

    async def create(
        self,
        deployment_id: str,
        *,
        version_id: str,
        model_id: str | None = None,
        environment: dict[str, str] | None = None,
        instance_type: str = "cpu-0.25",
        instance_number: int = 1,
        min_instance_number: int | None = None,
        max_instance_number: int | None = None,
        enable_autoscale: bool | None = None,
        record_channel_id: str | None = None,
    ) -> Service:
        """Create a service running ``version_id`` (as ``ServiceClient.services.create``)."""
        body = create_request(
            version_id=version_id,
            model_id=model_id,
            environment=environment,
            instance_type=instance_type,
            instance_number=instance_number,
            min_instance_number=min_instance_number,
            max_instance_number=max_instance_number,
            enable_autoscale=enable_autoscale,
            record_channel_id=record_channel_id,
        )
        routes = self._routes
        return self._service(await routes.create_service(self._organization(), deployment_id, body))

    async def get(self, deployment_id: str, service_id: str) -> Service:
        """Fetch one service."""
        organization = self._organization()
        return self._service(
            await self._routes.get_service(organization, deployment_id, service_id)
        )

    async def list(self, deployment_id: str) -> ServiceList:
        """List the services of a deployment."""
        response = await self._routes.list_services(self._organization(), deployment_id)
        return parse_list(_ASYNC_ONLY, response)

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
    ) -> Service:
        """Change scaling or environment: keyword arguments, or a ready ``payload``."""
        body = update_payload(
            payload,
            instance_number=instance_number,
            min_instance_number=min_instance_number,
            max_instance_number=max_instance_number,
            enable_autoscale=enable_autoscale,
            environment=environment,
        )
        organization = self._organization()
        routes = self._routes
        return self._service(
            await routes.update_service(organization, deployment_id, service_id, body)
        )

    async def delete(self, deployment_id: str, service_id: str) -> ActionResult:
        """Delete a service."""
        organization = self._organization()
        response = await self._routes.delete_service(organization, deployment_id, service_id)
        return _parse(ActionResult, response)

    async def start(self, deployment_id: str, service_id: str) -> ActionResult:
        """Start a stopped service."""
        organization = self._organization()
        response = await self._routes.start_service(organization, deployment_id, service_id)
        return _parse(ActionResult, response)

    async def stop(self, deployment_id: str, service_id: str) -> ActionResult:
        """Stop a running service."""
        organization = self._organization()
        response = await self._routes.stop_service(organization, deployment_id, service_id)
        return _parse(ActionResult, response)

    async def logs(
        self,
        deployment_id: str,
        service_id: str,
        *,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        next_forward_token: str | None = None,
        next_backward_token: str | None = None,
    ) -> LogPage:
        """One page of recent logs, newest first; times are sent in UTC."""
        response = await self._routes.recent_logs(
            self._organization(),
            deployment_id,
            service_id,
            start_time=start_time,
            end_time=end_time,
            next_forward_token=next_forward_token,
            next_backward_token=next_backward_token,
        )
        return _parse(LogPage, response)

    async def predict(
        self,
        deployment_id: str,
        service_id: str,
        *,
        json: object = None,
        data: DataBody | Path | None = None,
        content_type: str | None = None,
        timeout: float | None = None,
    ) -> PredictResponse:
        """Send a prediction request (as ``ServiceClient.services.predict``); a POST is
        retried only when it cannot have reached the model, and never once cancelled."""
        response = await self._routes.request_service(
            self._organization(),
            deployment_id,
            service_id,
            json=json,
            data=data,
            content_type=content_type,
            timeout=timeout,
        )
        return PredictResponse(response)

    async def wait_until_ready(
        self,
        deployment_id: str,
        service_id: str,
        *,
        timeout: float = 600.0,
        poll_interval: float | None = None,
        on_status: Callable[[Service], object] | None = None,
        failed_statuses: Collection[str] = FAILED_STATUSES,
    ) -> Service:
        """Poll until the service is READY and return it (as the sync waiter)."""
        goal = ServiceStatus.READY
        waiter = self._waiter(deployment_id, service_id, timeout, poll_interval)
        return await self._until(waiter, goal, on_status, failed_statuses)

    async def wait_until_stopped(
        self,
        deployment_id: str,
        service_id: str,
        *,
        timeout: float = 600.0,
        poll_interval: float | None = None,
        on_status: Callable[[Service], object] | None = None,
        failed_statuses: Collection[str] = FAILED_STATUSES,
    ) -> Service:
        """Poll until the service is STOPPED and return it."""
        goal = ServiceStatus.STOPPED
        waiter = self._waiter(deployment_id, service_id, timeout, poll_interval)
        return await self._until(waiter, goal, on_status, failed_statuses)

    async def wait_until_deleted(
        self,
        deployment_id: str,
        service_id: str,
        *,
        timeout: float = 600.0,
        poll_interval: float | None = None,
        on_status: Callable[[Service], object] | None = None,
    ) -> None:
        """Poll until the API answers 404 for the service."""
        waiter = self._waiter(deployment_id, service_id, timeout, poll_interval)
        await self._poll(waiter, None, on_status, ())

    def _waiter(
        self, deployment_id: str, service_id: str, timeout: float, poll_interval: float | None
    ) -> tuple[_waiters.StatusWaiter, str, str]:
        check_path_id("deployment_id", deployment_id)
        check_path_id("service_id", service_id)

        def not_called(seconds: float) -> Service:  # the async loop fetches itself
            raise AssertionError

        waiter = _waiters.StatusWaiter(
            not_called, timeout=timeout, poll_interval=poll_interval, clock=self._clock,
            sleep=lambda seconds: None,
        )  # fmt: skip
        return waiter, deployment_id, service_id

    async def _until(
        self,
        waiter: tuple[_waiters.StatusWaiter, str, str],
        goal: str,
        on_status: Callable[[Service], object] | None,
        failed_statuses: Collection[str],
    ) -> Service:
        service = await self._poll(waiter, goal, on_status, failed_statuses)
        assert service is not None  # only a wait for deletion ends without one
        return service

    async def _poll(
        self,
        waiter: tuple[_waiters.StatusWaiter, str, str],
        goal: str | None,
        on_status: Callable[[Service], object] | None,
        failed_statuses: Collection[str],
    ) -> Service | None:
        status_waiter, deployment_id, service_id = waiter
        poll = status_waiter.poll(goal, on_status, failed_statuses)
        try:
            while True:
                try:
                    with self._routes.within(poll.budget()):
                        current = await self.get(deployment_id, service_id)
                except Error as error:
                    poll.failed(error)
                else:
                    if poll.seen(current):
                        return current
                await self._sleep(poll.pause())
        except _waiters.Poll.Gone:
            return None
