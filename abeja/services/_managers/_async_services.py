"""The typed services manager: ``client.services`` (on the async client, each call a
coroutine).

Every method sends one request (plus the retries the policy allows) through ``Routes``
(ids checked, URLs and bodies built), parses the answer into a model bound to this
manager (``_common``); its waits and log walk are a mixin (``_async_service_waits``).
"""

# The async manager; _services.py (the sync one) is generated from it.  # async only

from __future__ import annotations

import os
from collections.abc import AsyncIterable, Awaitable, Callable, Coroutine, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

from .._api._answers import HTTPResponse, PredictResponse
from .._api._async_streamed import async_streaming_call
from .._api._bodies import DataBody
from .._api._routes import Routes
from .._api._validation import check_path_id
from .._http._types import AsyncSleep, Clock
from ..models import ActionResult, LogPage, UpdateServicePayload
from ._async_bound import AsyncService, AsyncServiceList
from ._async_service_waits import AsyncServiceWaits

# sync: from ._bound import BoundService
from ._common import (
    NoOrganization,
    async_raw_call,
    create_request,
    parse,
    parse_list,
    update_payload,
)
from ._docs import derive_service_docs

if TYPE_CHECKING:
    from .._batch._api import AsyncBatchRun
    from .._batch._results import BatchReport, BatchResult


class AsyncServices(AsyncServiceWaits):
    """Create, inspect, scale, start, stop, delete, read logs of and predict with services.

    Reached as ``AsyncServiceClient(...).services``; every method sends one request
    (plus retries the policy allows) and returns a typed model.
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

    @property
    def with_streaming_response(self) -> AsyncStreamingServices:
        """``predict``, its answer's body read as it arrives (a context manager)."""
        return AsyncStreamingServices(self)

    def _organization(self) -> str:
        if self._organization_id is None:
            raise NoOrganization(
                "no organization_id: pass it to AsyncServiceClient(...) or set "
                "ABEJA_ORGANIZATION_ID"
            )
        return self._organization_id

    def _service(self, response: HTTPResponse) -> AsyncService:
        service = parse(AsyncService, response)
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
        """Create a service running ``version_id``; it starts ``IN_PROGRESS``.

        Args:
            deployment_id: the deployment (13 digits).
            version_id: the deployment version to serve (``ver-...``).
            model_id: the model, sent as ``models={"alias": model_id}`` (None: the version's).
            environment: variables for the service's processes (names and values are strings).
            instance_type: the instance size, such as ``cpu-0.25`` or ``gpu-1``.
            instance_number: instances to start with (1 to 64).
            min_instance_number: the fewest instances autoscaling keeps.
            max_instance_number: the most instances autoscaling (or ``update``) may reach.
            enable_autoscale: scale between the two by load (None: the platform's default).
            record_channel_id: a DataLake channel that records the requests.

        Raises:
            pydantic.ValidationError: a wrong type, an instance number below 1, or
                ``min_instance_number`` above ``max_instance_number`` (nothing is sent).
        """
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
        """Fetch one service.

        Args:
            deployment_id: the deployment (13 digits).
            service_id: the service (``ser-...``).
        """
        response = await self._routes.get_service(self._organization(), deployment_id, service_id)
        return self._service(response)

    async def list(self, deployment_id: str) -> AsyncServiceList:
        """List the services of a deployment.

        Args:
            deployment_id: the deployment (13 digits).
        """
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
        """Change scaling or environment: keyword arguments, or a ready ``payload``.

        Args:
            deployment_id: the deployment (13 digits).
            service_id: the service (``ser-...``).
            instance_number: instances to run (at most ``max_instance_number``).
            min_instance_number: the fewest instances autoscaling keeps.
            max_instance_number: the most instances.
            enable_autoscale: scale by load.
            environment: the service's variables (replaces them).
            payload: all of it as an
                [`UpdateServicePayload`][abeja.services.UpdateServicePayload] instead of
                keywords.
        """
        body = update_payload(
            payload,
            instance_number=instance_number,
            min_instance_number=min_instance_number,
            max_instance_number=max_instance_number,
            enable_autoscale=enable_autoscale,
            environment=environment,
        )
        routes, organization = self._routes, self._organization()
        response = await routes.update_service(organization, deployment_id, service_id, body)
        return self._service(response)

    async def delete(self, deployment_id: str, service_id: str) -> ActionResult:
        """Delete a service.

        Args:
            deployment_id: the deployment (13 digits).
            service_id: the service (``ser-...``).
        """
        routes, organization = self._routes, self._organization()
        response = await routes.delete_service(organization, deployment_id, service_id)
        return parse(ActionResult, response)

    async def start(self, deployment_id: str, service_id: str) -> ActionResult:
        """Start a stopped service (``BadRequest`` if it is already running).

        Args:
            deployment_id: the deployment (13 digits).
            service_id: the service (``ser-...``).
        """
        routes, organization = self._routes, self._organization()
        response = await routes.start_service(organization, deployment_id, service_id)
        return parse(ActionResult, response)

    async def stop(self, deployment_id: str, service_id: str) -> ActionResult:
        """Stop a running service (``BadRequest`` if it is not running).

        Args:
            deployment_id: the deployment (13 digits).
            service_id: the service (``ser-...``).
        """
        routes, organization = self._routes, self._organization()
        response = await routes.stop_service(organization, deployment_id, service_id)
        return parse(ActionResult, response)

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
        """One page of recent logs, newest first; times are sent in UTC.

        Args:
            deployment_id: the deployment (13 digits).
            service_id: the service (``ser-...``).
            start_time: only events at or after this time (naive: UTC).
            end_time: only events before this time (naive: UTC).
            next_forward_token: a page's token for the events after it.
            next_backward_token: a page's token for the events before it.
        """
        response = await self._routes.recent_logs(
            self._organization(),
            deployment_id,
            service_id,
            start_time=start_time,
            end_time=end_time,
            next_forward_token=next_forward_token,
            next_backward_token=next_backward_token,
        )
        return parse(LogPage, response)

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
        """Send a prediction request: ``json=`` a JSON value, or ``data=`` bytes, str, file or Path.

        Files and paths are streamed; a path's content type is guessed from its name.
        Retried only when the request cannot have reached the model (see the retry policy).

        Args:
            deployment_id: the deployment (13 digits).
            service_id: the service (``ser-...``).
            json: a JSON value to send as ``application/json``.
            data: bytes, str, a binary file or a ``Path`` (streamed).
            content_type: the body's content type (default: JSON, or guessed from the path).
            timeout: seconds this prediction may take, beyond the client's deadline.
        """
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
        """Send every request of ``requests`` to the service, ``concurrency`` at a time.

        ``requests`` is any iterable of ``predict()`` keyword dicts (``{"json": ...}``,
        ``{"data": Path(...)}``, ``{"data": b"...", "content_type": ...}``), read lazily: at
        most ``concurrency`` ahead, so a generator of millions of rows is never held. Each
        request is sent once, by ``predict``'s rule: the gateway's 429 goes again after its
        Retry-After and halves the concurrency, which grows back by one after as many
        successes in a row (AIMD); a 503, a 5xx, a timeout or a bad request is recorded as
        failed, never sent twice, and never stops the batch (a 503 halves it too).

        Args:
            deployment_id: the deployment (13 digits).
            service_id: the service (``ser-...``).
            requests: the requests, an iterable (or, on the async client, an async
                iterable) of ``predict()`` keyword dicts.
            concurrency: requests in flight at most (1 to 1024).
            output: a ``.jsonl`` file: one line per request as it completes (``index``,
                ``ok``, ``status_code``, ``answer`` or ``answer_base64``, ``error``,
                ``message``, ``seconds``); run again with the same file and only requests
                with no line yet are sent (a torn last line is ignored).
            progress: a bar of requests done (tqdm's, the ``notebook`` extra); None: in a
                notebook only.
            on_result: called with each [`BatchResult`][abeja.services.BatchResult] as it
                completes (in the calling thread).

        Returns:
            With ``output``: the [`BatchReport`][abeja.services.BatchReport] (async: a
            coroutine of it). Without: an iterator (async: an async iterator, tasks on the
            loop) of [`BatchResult`][abeja.services.BatchResult] in completion order, whose
            ``report`` is set once it is exhausted.

        Raises:
            ValueError, TypeError: a bad argument (nothing is read or sent).
            BatchInterrupted: Ctrl-C, once what was in flight is recorded (with ``output``).
        """
        # The batch engine is imported by its first use: most programs never start one.
        from .._batch._api import async_predict, check_batch, start_async

        path = check_batch(requests, concurrency, output, progress)
        check_path_id("service_id", service_id)
        send = async_predict(self._routes, self._organization(), deployment_id, service_id, False)
        return start_async(
            send, requests, concurrency=concurrency, output=path, progress=progress,
            clock=self._clock, sleep=self._sleep, on_result=on_result,
        )  # fmt: skip


class AsyncRawServices:
    """``services.with_raw_response``: each call returns a
    [`RawResponse`][abeja.services.RawResponse] (on the async client, a coroutine of it),
    such as ``with_raw_response.get(deployment_id, service_id).parsed.status``. The calls
    that send one request are here (not the waiters, nor ``iter_logs``)."""

    def __init__(self, services: AsyncServices) -> None:
        self.create = async_raw_call(services.create)
        self.get = async_raw_call(services.get)
        self.list = async_raw_call(services.list)
        self.update = async_raw_call(services.update)
        self.delete = async_raw_call(services.delete)
        self.start = async_raw_call(services.start)
        self.stop = async_raw_call(services.stop)
        self.logs = async_raw_call(services.logs)
        self.predict = async_raw_call(services.predict)


class AsyncStreamingServices:
    """``services.with_streaming_response``: ``predict``, its answer read as it arrives."""

    def __init__(self, services: AsyncServices) -> None:
        self.predict = async_streaming_call(services.predict)


# service.predict(...) and the others: the manager's parameter docs, written once (_docs).
derive_service_docs(AsyncService, AsyncServices)
