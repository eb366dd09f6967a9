"""``AsyncServiceClient(...).services``: the Service API's calls as coroutines.

The same routes (``Routes`` checks ids and builds URLs and bodies for both clients), the
same request bodies (``create_request``, ``update_payload``), the same parsing and the
same waiting rules (``_waiters.Poll``) as ``Services``; only the awaiting is its own.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Collection,
    Coroutine,
    Iterable,
    Mapping,
)
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

from .._api._bodies import DataBody
from .._api._raw import AsyncRawServices
from .._api._response import HTTPResponse, PredictResponse
from .._api._routes import Routes, log_query
from .._api._status import FAILED_STATUSES, ServiceStatus
from .._api._validation import check_path_id
from .._http._types import AsyncSleep, Clock
from ..errors import APITimeoutError, Error
from ..models import ActionResult, LogEvent, LogPage, Service, UpdateServicePayload
from . import _waiters
from ._async_bound import AsyncService, AsyncServiceList
from ._batch import BatchReport, BatchResult
from ._batch_api import AsyncBatchRun, async_predict, check_batch, start_async
from ._docs import MANAGER_METHODS, derive_each, derive_service_docs
from ._progress import shown_while_waiting
from ._resources import (
    NoOrganization,
    Services,
    _parse,
    create_request,
    parse_list,
    update_payload,
)

if TYPE_CHECKING:
    from ._waiters import StopSignal


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

    def _service(self, response: HTTPResponse) -> AsyncService:
        service = _parse(AsyncService, response)
        object.__setattr__(service, "_services", self)
        return service

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
    ) -> AsyncService:
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

    async def get(self, deployment_id: str, service_id: str) -> AsyncService:
        """Fetch one service."""
        organization = self._organization()
        return self._service(
            await self._routes.get_service(organization, deployment_id, service_id)
        )

    async def list(self, deployment_id: str) -> AsyncServiceList:
        """List the services of a deployment."""
        response = await self._routes.list_services(self._organization(), deployment_id)
        return parse_list(self, response, AsyncServiceList)

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
    ) -> AsyncService:
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

    @overload
    def predict_batch(
        self,
        deployment_id: str,
        service_id: str,
        requests: Iterable[Mapping[str, Any]] | AsyncIterable[Mapping[str, Any]],
        *,
        concurrency: int = 8,
        output: None = None,
        progress: bool | None = None,
        on_result: Callable[[BatchResult], object] | None = None,
    ) -> AsyncBatchRun: ...

    @overload
    def predict_batch(
        self,
        deployment_id: str,
        service_id: str,
        requests: Iterable[Mapping[str, Any]] | AsyncIterable[Mapping[str, Any]],
        *,
        concurrency: int = 8,
        output: str | os.PathLike[str],
        progress: bool | None = None,
        on_result: Callable[[BatchResult], object] | None = None,
    ) -> Coroutine[Any, Any, BatchReport]: ...

    def predict_batch(
        self,
        deployment_id: str,
        service_id: str,
        requests: Iterable[Mapping[str, Any]] | AsyncIterable[Mapping[str, Any]],
        *,
        concurrency: int = 8,
        output: str | os.PathLike[str] | None = None,
        progress: bool | None = None,
        on_result: Callable[[BatchResult], object] | None = None,
    ) -> Coroutine[Any, Any, BatchReport] | AsyncBatchRun:
        """As ``Services.predict_batch``, as tasks on this loop: with ``output``, a
        coroutine of the report; without, an async iterator of results (``async for``),
        whose ``report`` is set once it is exhausted. The arguments are checked when it is
        called."""
        path = check_batch(requests, concurrency, output, progress)
        check_path_id("service_id", service_id)
        predict = async_predict(
            self._routes, self._organization(), deployment_id, service_id, False
        )
        return start_async(predict, requests, concurrency=concurrency, output=path,
                           progress=progress, clock=self._clock, sleep=self._sleep,
                        on_result=on_result)  # fmt: skip

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
    ) -> AsyncService:
        """Poll until the service is READY and return it (as the sync waiter; with
        ``probe``, until that prediction is answered 2xx too)."""
        plan = self._plan(deployment_id, service_id, timeout, poll_interval)
        probing = None if probe is None else _waiters.Probe(plan, probe)
        goal = ServiceStatus.READY
        with shown_while_waiting(progress, service_id, on_status) as on_status:
            service = await self._until(
                deployment_id, service_id, plan, goal, on_status, failed_statuses
            )
        if probing is not None:
            probing.service = service
            await self._answered(deployment_id, service_id, probing)
        return service

    async def _answered(self, deployment_id: str, service_id: str, probe: _waiters.Probe) -> None:
        while True:
            try:
                with self._routes.within(probe.budget()):
                    await self.predict(deployment_id, service_id, **probe.request)
                return
            except Error as error:
                probe.failed(error)
            await self._sleep(probe.pause())

    async def wait_until_stopped(
        self,
        deployment_id: str,
        service_id: str,
        *,
        timeout: float = 600.0,
        poll_interval: float | None = None,
        on_status: Callable[[Service], object] | None = None,
        failed_statuses: Collection[str] = FAILED_STATUSES,
    ) -> AsyncService:
        """Poll until the service is STOPPED and return it."""
        plan = self._plan(deployment_id, service_id, timeout, poll_interval)
        goal = ServiceStatus.STOPPED
        return await self._until(deployment_id, service_id, plan, goal, on_status, failed_statuses)

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
        plan = self._plan(deployment_id, service_id, timeout, poll_interval)
        await self._poll(deployment_id, service_id, _waiters.Poll(plan, None, on_status, ()))

    def _plan(
        self, deployment_id: str, service_id: str, timeout: float, poll_interval: float | None
    ) -> _waiters.WaitPlan:
        check_path_id("deployment_id", deployment_id)
        check_path_id("service_id", service_id)
        return _waiters.WaitPlan.checked(timeout, poll_interval, self._clock)

    async def _until(
        self,
        deployment_id: str,
        service_id: str,
        plan: _waiters.WaitPlan,
        goal: str,
        on_status: Callable[[Service], object] | None,
        failed_statuses: Collection[str],
    ) -> AsyncService:
        poll = _waiters.Poll(plan, goal, on_status, failed_statuses)
        service = await self._poll(deployment_id, service_id, poll)
        assert service is not None  # only a wait for deletion ends without one
        return service

    async def _poll(
        self, deployment_id: str, service_id: str, poll: _waiters.Poll
    ) -> AsyncService | None:
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
    ) -> AsyncIterator[LogEvent]:
        """Every log event, newest to oldest, one page per request (lazily), as
        ``ServiceClient.services.iter_logs``: ``async for event in ...``.

        With ``follow=True`` it then awaits new events, oldest to newest, until
        ``timeout``, ``stop_event`` (an ``asyncio.Event``) is set, or the task is
        cancelled. The arguments are checked at the call, before any request.
        """
        check_path_id("deployment_id", deployment_id)
        check_path_id("service_id", service_id)
        log_query(None, None, start_time, end_time)  # raise now, not at the first page
        walk = _waiters.LogWalk(
            limit=limit,
            max_pages=max_pages,
            follow=follow,
            poll_interval=poll_interval,
            timeout=timeout,
            stop_event=stop_event,
            clock=self._clock,
        )
        return self._walk(deployment_id, service_id, start_time, end_time, walk)

    async def _walk(
        self,
        deployment_id: str,
        service_id: str,
        start_time: datetime | None,
        end_time: datetime | None,
        walk: _waiters.LogWalk,
    ) -> AsyncIterator[LogEvent]:
        while (step := walk.step()) is not None:
            if not isinstance(step, _waiters.FetchLogPage):
                await self._sleep(step)
                continue
            left = step.within
            try:
                with contextlib.nullcontext() if left is None else self._routes.within(left):
                    page = await self.logs(
                        deployment_id,
                        service_id,
                        start_time=start_time,
                        end_time=end_time,
                        next_forward_token=step.forward,
                        next_backward_token=step.backward,
                    )
            except APITimeoutError:
                if walk.cut_short():
                    return  # the walk's own timeout, not a failure
                raise
            for event in walk.received(page):
                yield event


# Every coroutine of AsyncServices and of AsyncService: the sync Services' docs (_docs).
derive_each(AsyncServices, Services, MANAGER_METHODS, ())
derive_service_docs(AsyncService, Services)
