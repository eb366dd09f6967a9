# Generated from _async_endpoints.py by .ci/unasync.py: do not edit (make generate).
"""The typed endpoints manager: ``client.endpoints``, a deployment's aliases, each
pointing at one service (on the async client, each call a coroutine)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

from .._api._answers import HTTPResponse, PredictResponse
from .._api._bodies import DataBody
from .._api._response import decode_model
from .._api._routes import Routes
from .._api._streamed import streaming_call
from .._api._validation import check_path_id
from ..models import ActionResult, Endpoint, EndpointList
from ._bound import BoundEndpoint
from ._common import check_switched, raw_call, service_id_of
from ._docs import derive_endpoint_docs

if TYPE_CHECKING:
    from .._batch._api import SyncBatchRun
    from .._batch._results import BatchReport, BatchResult

if TYPE_CHECKING:
    from ..models import Service


class Endpoints:
    """Create, inspect, switch, delete and predict through a deployment's endpoints.

    Reached as ``ServiceClient(...).endpoints``. An endpoint is a named alias
    (``custom_alias``, ``"default"`` unless given) that points at one service of the
    deployment; predictions sent to it reach that service. Every method sends one request
    (plus the retries the policy allows: ``update`` is a PATCH and idempotent, ``create``
    and ``predict`` are POSTs, sent again only when they provably did not arrive).
    """

    def __init__(
        self,
        routes: Routes[HTTPResponse],
        organization: Callable[[], str],
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] = time.sleep,
    ) -> None:
        self._routes = routes
        self._organization = organization
        self._clock = clock
        self._sleep = sleep

    @property
    def with_raw_response(self) -> RawEndpoints:
        """The same calls, returning the HTTP answer beside the model."""
        return RawEndpoints(self)

    @property
    def with_streaming_response(self) -> StreamingEndpoints:
        """``predict``, its answer's body read as it arrives (a context manager)."""
        return StreamingEndpoints(self)

    def _one(self, response: HTTPResponse, deployment_id: str) -> Endpoint:
        endpoint = decode_model(Endpoint, response)._from(response)
        endpoint._bind(self, deployment_id)
        return endpoint

    def create(
        self,
        deployment_id: str,
        *,
        service_id: str | Service,
        custom_alias: str = "default",
    ) -> Endpoint:
        """Create an endpoint named ``custom_alias`` pointing at ``service_id``.

        Args:
            deployment_id: the deployment (13 digits).
            service_id: the service it points at (an id, or a ``Service``).
            custom_alias: its name, unique in the deployment (``default``: the
                deployment's own route).

        Raises:
            BadRequest: the alias exists already, or the service is not in the deployment.
        """
        response = self._routes.create_endpoint(
            self._organization(), deployment_id, service_id_of(service_id), custom_alias
        )
        return self._one(response, deployment_id)

    def get(self, deployment_id: str, endpoint: str) -> Endpoint:
        """Fetch one endpoint by its id (``pnt-...``) or its alias.

        Args:
            deployment_id: the deployment (13 digits).
            endpoint: its id (``pnt-...``) or its alias.
        """
        response = self._routes.get_endpoint(self._organization(), deployment_id, endpoint)
        return self._one(response, deployment_id)

    def list(self, deployment_id: str) -> EndpointList:
        """List the endpoints of a deployment.

        Args:
            deployment_id: the deployment (13 digits).
        """
        response = self._routes.list_endpoints(self._organization(), deployment_id)
        endpoints = decode_model(EndpointList, response)._from(response)
        for endpoint in endpoints.entries:
            endpoint._bind(self, deployment_id)
        return endpoints

    def update(
        self, deployment_id: str, endpoint: str, *, service_id: str | Service
    ) -> ActionResult:
        """Point ``endpoint`` (id or alias) at ``service_id``; the switch is all at once.

        Args:
            deployment_id: the deployment (13 digits).
            endpoint: its id or its alias.
            service_id: the service to point it at.
        """
        response = self._routes.update_endpoint(
            self._organization(), deployment_id, endpoint, service_id_of(service_id)
        )
        return decode_model(ActionResult, response)._from(response)

    def switch(self, deployment_id: str, endpoint: str, service: str | Service) -> Endpoint:
        """Point ``endpoint`` at ``service``, then read it back; returns the endpoint as read.

        Args:
            deployment_id: the deployment (13 digits).
            endpoint: its id or its alias.
            service: the service to point it at (an id, or a ``Service``).

        Raises:
            InvalidResponseError: the read-back does not point at ``service`` (the switch
                did not take).
        """
        target = service_id_of(service)
        self.update(deployment_id, endpoint, service_id=target)
        response = self._routes.get_endpoint(self._organization(), deployment_id, endpoint)
        current = self._one(response, deployment_id)
        check_switched(current, endpoint, target, response)
        return current

    def delete(self, deployment_id: str, endpoint: str) -> ActionResult:
        """Delete an endpoint (the service it points at stays).

        Args:
            deployment_id: the deployment (13 digits).
            endpoint: its id or its alias.
        """
        organization = self._organization()
        response = self._routes.delete_endpoint(organization, deployment_id, endpoint)
        return decode_model(ActionResult, response)._from(response)

    def predict(
        self,
        deployment_id: str,
        *,
        endpoint: str | None = None,
        json: object = None,
        data: DataBody | Path | None = None,
        content_type: str | None = None,
        timeout: float | None = None,
    ) -> PredictResponse:
        """Send a prediction through an endpoint, as the deployment's users do.

        ``endpoint=None`` uses the deployment's own route
        (``POST https://<o>.api.abeja.io/deployments/<d>``, the ``default`` endpoint); an
        alias goes to ``.../deployments/<d>/<alias>`` (a route inferred from a public
        sample, see the docs). Bodies as in ``services.predict``.

        Args:
            deployment_id: the deployment (13 digits).
            endpoint: None for the deployment's default route, or an alias.
            json: a JSON value to send as ``application/json``.
            data: bytes, str, a binary file or a ``Path`` (streamed).
            content_type: the body's content type (default: JSON, or guessed from the path).
            timeout: seconds this prediction may take, beyond the client's deadline.
        """
        response = self._routes.request_endpoint(
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
        requests: Iterable[Mapping[str, Any]],
        *,
        endpoint: str | None = None,
        concurrency: int = 8,
        output: None = None,
        progress: bool | None = None,
        on_result: Callable[[BatchResult], object] | None = None,
    ) -> SyncBatchRun: ...

    @overload
    def predict_batch(
        self,
        deployment_id: str,
        requests: Iterable[Mapping[str, Any]],
        *,
        endpoint: str | None = None,
        concurrency: int = 8,
        output: str | os.PathLike[str],
        progress: bool | None = None,
        on_result: Callable[[BatchResult], object] | None = None,
    ) -> BatchReport: ...

    def predict_batch(
        self,
        deployment_id: str,
        requests: Iterable[Mapping[str, Any]],
        *,
        endpoint: str | None = None,
        concurrency: int = 8,
        output: str | os.PathLike[str] | None = None,
        progress: bool | None = None,
        on_result: Callable[[BatchResult], object] | None = None,
    ) -> BatchReport | SyncBatchRun:
        """As ``services.predict_batch``, through an endpoint (None: the deployment's
        default route, or an alias), as the deployment's users reach it.

        Args:
            deployment_id: the deployment (13 digits).
            requests: an iterable of ``predict()`` keyword dicts, read lazily.
            endpoint: None for the deployment's default route, or an alias.
            concurrency: requests in flight at most (1 to 1024).
            output: a ``.jsonl`` results file (resumable).
            progress: a bar of requests done; None: in a notebook only.
            on_result: called with each result as it completes.
        """
        # The batch engine is imported by its first use: most programs never start one.
        from .._batch._api import check_batch, run_sync, sync_predict

        path = check_batch(requests, concurrency, output, progress)
        if endpoint is not None:
            check_path_id("endpoint", endpoint)
        predict = sync_predict(self._routes, self._organization(), deployment_id, endpoint, True)
        return run_sync(
            predict, requests, concurrency=concurrency, output=path, progress=progress,
            clock=self._clock, sleep=self._sleep, on_result=on_result,
        )  # fmt: skip


class RawEndpoints:
    """``endpoints.with_raw_response``: each call returns a
    [`RawResponse`][abeja.services.RawResponse] (on the async client, a coroutine of it).

    The calls that send one request are here (not ``switch``: it sends two).
    """

    def __init__(self, endpoints: Endpoints) -> None:
        self.create = raw_call(endpoints.create)
        self.get = raw_call(endpoints.get)
        self.list = raw_call(endpoints.list)
        self.update = raw_call(endpoints.update)
        self.delete = raw_call(endpoints.delete)
        self.predict = raw_call(endpoints.predict)


class StreamingEndpoints:
    """``endpoints.with_streaming_response``: ``predict``, its answer read as it arrives."""

    def __init__(self, endpoints: Endpoints) -> None:
        self.predict = streaming_call(endpoints.predict)


# endpoint.predict(...), endpoint.switch_to(...): the manager's parameter docs (_docs).
derive_endpoint_docs(BoundEndpoint, Endpoints)
