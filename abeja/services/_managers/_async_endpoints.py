"""``AsyncServiceClient(...).endpoints``: a deployment's aliases, each call a coroutine.

The same routes, the same read-back check after a switch (``check_switched``) and the
same parsing as ``Endpoints``; only the awaiting is its own.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterable, Awaitable, Callable, Coroutine, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

from .._api._bodies import DataBody
from .._api._raw import AsyncRawEndpoints
from .._api._response import HTTPResponse, PredictResponse, decode_model
from .._api._routes import Routes
from .._api._validation import check_path_id
from ..models import ActionResult
from ._async_bound import AsyncEndpoint, AsyncEndpointList
from ._batch import BatchReport, BatchResult
from ._batch_api import AsyncBatchRun, async_predict, check_batch, start_async
from ._docs import ENDPOINT_METHODS, derive_each, derive_endpoint_docs
from ._endpoint_resources import Endpoints, check_switched, service_id_of

if TYPE_CHECKING:
    from ..models import Service


class AsyncEndpoints:
    """Create, inspect, switch, delete and predict through a deployment's endpoints, each
    call a coroutine (as [`Endpoints`][abeja.services.Endpoints]). Reached as
    ``AsyncServiceClient(...).endpoints``."""

    def __init__(
        self,
        routes: Routes[Awaitable[HTTPResponse]],
        organization: Callable[[], str],
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self._routes = routes
        self._organization = organization
        self._clock = clock
        self._sleep = sleep

    @property
    def with_raw_response(self) -> AsyncRawEndpoints:
        """The same calls, returning the HTTP answer beside the model."""
        return AsyncRawEndpoints(self)

    def _one(self, response: HTTPResponse, deployment_id: str) -> AsyncEndpoint:
        endpoint = decode_model(AsyncEndpoint, response)._from(response)
        endpoint._bind(self, deployment_id)  # type: ignore[arg-type]
        return endpoint

    async def create(
        self,
        deployment_id: str,
        *,
        service_id: str | Service,
        custom_alias: str = "default",
    ) -> AsyncEndpoint:
        """Create an endpoint named ``custom_alias`` pointing at ``service_id``."""
        response = await self._routes.create_endpoint(
            self._organization(), deployment_id, service_id_of(service_id), custom_alias
        )
        return self._one(response, deployment_id)

    async def get(self, deployment_id: str, endpoint: str) -> AsyncEndpoint:
        """Fetch one endpoint by its id (``pnt-...``) or its alias."""
        response = await self._routes.get_endpoint(self._organization(), deployment_id, endpoint)
        return self._one(response, deployment_id)

    async def list(self, deployment_id: str) -> AsyncEndpointList:
        """List the endpoints of a deployment."""
        response = await self._routes.list_endpoints(self._organization(), deployment_id)
        endpoints = decode_model(AsyncEndpointList, response)._from(response)
        for endpoint in endpoints.entries:
            endpoint._bind(self, deployment_id)  # type: ignore[arg-type]
        return endpoints

    async def update(
        self, deployment_id: str, endpoint: str, *, service_id: str | Service
    ) -> ActionResult:
        """Point ``endpoint`` (id or alias) at ``service_id``; the switch is all at once."""
        response = await self._routes.update_endpoint(
            self._organization(), deployment_id, endpoint, service_id_of(service_id)
        )
        return decode_model(ActionResult, response)._from(response)

    async def switch(
        self, deployment_id: str, endpoint: str, service: str | Service
    ) -> AsyncEndpoint:
        """Point ``endpoint`` at ``service``, then read it back (``InvalidResponseError``
        when the read-back points elsewhere); returns the endpoint as read."""
        target = service_id_of(service)
        await self.update(deployment_id, endpoint, service_id=target)
        response = await self._routes.get_endpoint(self._organization(), deployment_id, endpoint)
        current = self._one(response, deployment_id)
        check_switched(current, endpoint, target, response)
        return current

    async def delete(self, deployment_id: str, endpoint: str) -> ActionResult:
        """Delete an endpoint (the service it points at stays)."""
        organization = self._organization()
        response = await self._routes.delete_endpoint(organization, deployment_id, endpoint)
        return decode_model(ActionResult, response)._from(response)

    async def predict(
        self,
        deployment_id: str,
        *,
        endpoint: str | None = None,
        json: object = None,
        data: DataBody | Path | None = None,
        content_type: str | None = None,
        timeout: float | None = None,
    ) -> PredictResponse:
        """Send a prediction through an endpoint (None: the deployment's default route)."""
        response = await self._routes.request_endpoint(
            self._organization(),
            deployment_id,
            endpoint,
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
        requests: Iterable[Mapping[str, Any]] | AsyncIterable[Mapping[str, Any]],
        *,
        endpoint: str | None = None,
        concurrency: int = 8,
        output: None = None,
        progress: bool | None = None,
        on_result: Callable[[BatchResult], object] | None = None,
    ) -> AsyncBatchRun: ...

    @overload
    def predict_batch(
        self,
        deployment_id: str,
        requests: Iterable[Mapping[str, Any]] | AsyncIterable[Mapping[str, Any]],
        *,
        endpoint: str | None = None,
        concurrency: int = 8,
        output: str | os.PathLike[str],
        progress: bool | None = None,
        on_result: Callable[[BatchResult], object] | None = None,
    ) -> Coroutine[Any, Any, BatchReport]: ...

    def predict_batch(
        self,
        deployment_id: str,
        requests: Iterable[Mapping[str, Any]] | AsyncIterable[Mapping[str, Any]],
        *,
        endpoint: str | None = None,
        concurrency: int = 8,
        output: str | os.PathLike[str] | None = None,
        progress: bool | None = None,
        on_result: Callable[[BatchResult], object] | None = None,
    ) -> Coroutine[Any, Any, BatchReport] | AsyncBatchRun:
        """As ``Endpoints.predict_batch``, as tasks on this loop (see
        ``AsyncServices.predict_batch`` for what it returns)."""
        path = check_batch(requests, concurrency, output, progress)
        if endpoint is not None:
            check_path_id("endpoint", endpoint)
        predict = async_predict(self._routes, self._organization(), deployment_id, endpoint, True)
        return start_async(predict, requests, concurrency=concurrency, output=path,
                           progress=progress, clock=self._clock, sleep=self._sleep,
                        on_result=on_result)  # fmt: skip


# AsyncEndpoints and AsyncEndpoint: the sync Endpoints' docs (_docs).
derive_each(AsyncEndpoints, Endpoints, ENDPOINT_METHODS, ())
derive_endpoint_docs(AsyncEndpoint, Endpoints)
