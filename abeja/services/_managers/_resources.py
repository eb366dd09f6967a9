"""The typed ``Services`` manager: endpoint calls parsed into bound models, and workflows."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar, overload

from .. import _constants as C
from .._api._bodies import DataBody
from .._api._raw import RawServices
from .._api._response import HTTPResponse, PredictResponse, decode_model, service_list_content
from .._api._routes import Routes, log_query
from .._api._status import FAILED_STATUSES, ServiceStatus
from .._api._validation import check_path_id
from .._http._types import Clock, Sleep
from ..models import (
    ActionResult,
    CreateServiceRequest,
    LogEvent,
    LogPage,
    Service,
    ServiceList,
    UpdateServicePayload,
    _Response,
)
from . import _waiters
from ._batch import BatchReport, BatchResult
from ._batch_api import SyncBatchRun, check_batch, run_sync, sync_predict
from ._bound import BoundService
from ._docs import derive_service_docs
from ._progress import shown_while_waiting

_T = TypeVar("_T")
_Parsed = TypeVar("_Parsed", bound=_Response)


def _parse(model: type[_Parsed], response: HTTPResponse, content: bytes | None = None) -> _Parsed:
    """The model read from the answer, keeping the answer (``http_response``)."""
    return decode_model(model, response, content)._from(response)


def create_request(
    *,
    version_id: str,
    model_id: str | None,
    environment: dict[str, str] | None,
    instance_type: str,
    instance_number: int,
    min_instance_number: int | None,
    max_instance_number: int | None,
    enable_autoscale: bool | None,
    record_channel_id: str | None,
) -> CreateServiceRequest:
    """The create body, checked (both clients' ``create``)."""
    return CreateServiceRequest(
        version_id=version_id,
        models=None if model_id is None else {"alias": model_id},
        environment=environment,
        instance_type=instance_type,
        instance_number=instance_number,
        min_instance_number=min_instance_number,
        max_instance_number=max_instance_number,
        enable_autoscale=enable_autoscale,
        record_channel_id=record_channel_id,
    )


def update_payload(payload: UpdateServicePayload | None, **fields: object) -> UpdateServicePayload:
    """The update body from keywords or a ready ``payload``, checked (both clients')."""
    given = {k: v for k, v in fields.items() if v is not None}
    if payload is not None:
        if given:
            raise ValueError("give payload= or keyword arguments, not both")
        if not isinstance(payload, UpdateServicePayload):
            raise TypeError("payload must be an UpdateServicePayload")
    else:
        payload = UpdateServicePayload.model_validate(given)
    if not payload.to_json():
        raise ValueError("nothing to update: give at least one field")
    return payload


_Listed = TypeVar("_Listed", bound=ServiceList)


def parse_list(
    services: object,
    response: HTTPResponse,
    model: type[_Listed] = ServiceList,  # type: ignore[assignment]
) -> _Listed:
    """The list of services from ``response`` (as ``model``), each bound to ``services``."""
    listed = _parse(model, response, service_list_content(response))
    bind = object.__setattr__  # Service._bind's work, without a call per service
    for service in listed.entries:
        bind(service, "_services", services)
    return listed


class NoOrganization(ValueError):
    """A call needs the organization, and the client was made without one."""


class Services:
    """Create, inspect, scale, start, stop, delete, read logs of and predict with services.

    Reached as ``ServiceClient(...).services``; every method sends one request
    (plus retries the policy allows) and returns a typed model.
    """

    def __init__(
        self,
        routes: Routes[HTTPResponse],
        organization_id: str | None,
        *,
        clock: Clock,
        sleep: Sleep,
    ) -> None:
        self._routes = routes
        self._organization_id = organization_id
        self._clock = clock
        self._sleep = sleep

    @property
    def with_raw_response(self) -> RawServices:
        """The same calls, returning the HTTP answer beside the model
        ([`RawResponse`][abeja.services.RawResponse])."""
        return RawServices(self)

    def _organization(self) -> str:
        if self._organization_id is None:
            raise NoOrganization(
                "no organization_id: pass it to ServiceClient(...) or set ABEJA_ORGANIZATION_ID"
            )
        return self._organization_id

    def create(
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
        response = self._routes.create_service(self._organization(), deployment_id, body)
        return _parse(Service, response)._bind(self)

    def get(self, deployment_id: str, service_id: str) -> Service:
        """Fetch one service.

        Args:
            deployment_id: the deployment (13 digits).
            service_id: the service (``ser-...``).
        """
        response = self._routes.get_service(self._organization(), deployment_id, service_id)
        return _parse(Service, response)._bind(self)

    def list(self, deployment_id: str) -> ServiceList:
        """List the services of a deployment.

        Args:
            deployment_id: the deployment (13 digits).
        """
        response = self._routes.list_services(self._organization(), deployment_id)
        return parse_list(self, response)

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
    ) -> Service:
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
        payload = update_payload(
            payload,
            instance_number=instance_number,
            min_instance_number=min_instance_number,
            max_instance_number=max_instance_number,
            enable_autoscale=enable_autoscale,
            environment=environment,
        )
        response = self._routes.update_service(
            self._organization(), deployment_id, service_id, payload
        )
        return _parse(Service, response)._bind(self)

    def delete(self, deployment_id: str, service_id: str) -> ActionResult:
        """Delete a service.

        Args:
            deployment_id: the deployment (13 digits).
            service_id: the service (``ser-...``).
        """
        response = self._routes.delete_service(self._organization(), deployment_id, service_id)
        return _parse(ActionResult, response)

    def start(self, deployment_id: str, service_id: str) -> ActionResult:
        """Start a stopped service (``BadRequest`` if it is already running).

        Args:
            deployment_id: the deployment (13 digits).
            service_id: the service (``ser-...``).
        """
        response = self._routes.start_service(self._organization(), deployment_id, service_id)
        return _parse(ActionResult, response)

    def stop(self, deployment_id: str, service_id: str) -> ActionResult:
        """Stop a running service (``BadRequest`` if it is not running).

        Args:
            deployment_id: the deployment (13 digits).
            service_id: the service (``ser-...``).
        """
        response = self._routes.stop_service(self._organization(), deployment_id, service_id)
        return _parse(ActionResult, response)

    def logs(
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
        response = self._routes.recent_logs(
            self._organization(),
            deployment_id,
            service_id,
            start_time=start_time,
            end_time=end_time,
            next_forward_token=next_forward_token,
            next_backward_token=next_backward_token,
        )
        return _parse(LogPage, response)

    def predict(
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
        response = self._routes.request_service(
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
        requests: Iterable[Mapping[str, Any]],
        *,
        concurrency: int = 8,
        output: None = None,
        progress: bool | None = None,
        on_result: Callable[[BatchResult], object] | None = None,
    ) -> SyncBatchRun: ...

    @overload
    def predict_batch(
        self,
        deployment_id: str,
        service_id: str,
        requests: Iterable[Mapping[str, Any]],
        *,
        concurrency: int = 8,
        output: str | os.PathLike[str],
        progress: bool | None = None,
        on_result: Callable[[BatchResult], object] | None = None,
    ) -> BatchReport: ...

    def predict_batch(
        self,
        deployment_id: str,
        service_id: str,
        requests: Iterable[Mapping[str, Any]],
        *,
        concurrency: int = 8,
        output: str | os.PathLike[str] | None = None,
        progress: bool | None = None,
        on_result: Callable[[BatchResult], object] | None = None,
    ) -> BatchReport | SyncBatchRun:
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
            With ``output``: the [`BatchReport`][abeja.services.BatchReport]. Without: an
            iterator of [`BatchResult`][abeja.services.BatchResult] in completion order,
            whose ``report`` is set once it is exhausted.

        Raises:
            ValueError, TypeError: a bad argument (nothing is read or sent).
            BatchInterrupted: Ctrl-C, once what was in flight is recorded (with ``output``).
        """
        path = check_batch(requests, concurrency, output, progress)
        check_path_id("service_id", service_id)
        predict = sync_predict(self._routes, self._organization(), deployment_id, service_id, False)
        return run_sync(predict, requests, concurrency=concurrency, output=path,
                        progress=progress, clock=self._clock, sleep=self._sleep,
                        on_result=on_result)  # fmt: skip

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
    ) -> Service:
        """Poll until the service is READY and return it fresh.

        Polls every ``poll_interval`` seconds (1 by default), growing by half each
        time up to 10 s, never sleeping past ``timeout``. ``on_status(service)``
        is called whenever the status changes (and on the first poll).

        Args:
            deployment_id: the deployment (13 digits).
            service_id: the service (``ser-...``).
            timeout: seconds to wait in all.
            poll_interval: seconds before the second poll (1 by default); it grows by
                half up to 10 s.
            on_status: called with the service whenever its status changes.
            failed_statuses: statuses that end the wait with ``ServiceFailedError``.
            probe: after READY, send this prediction (``predict()`` arguments, such as
                ``{"json": {...}}``) until it is answered 2xx, within ``timeout``: the
                platform's proxy answers 503 until the model has loaded, after the service
                reports READY. Any other error ends the wait (raised as it is).
            progress: show the status and the elapsed time while waiting (tqdm's display:
                ``pip install 'abeja-services[notebook]'``); None (the default) shows it
                in a Jupyter notebook only.

        Raises:
            ServiceFailedError: the status entered ``failed_statuses`` (unknown
                statuses keep polling).
            WaitTimeoutError: not READY (or, with ``probe``, not answering 2xx) by the
                deadline; carries the last ``Service`` seen.
        """
        waiter = self._waiter(deployment_id, service_id, timeout, poll_interval)
        probing = None if probe is None else _waiters.Probe(waiter.plan, probe)
        with shown_while_waiting(progress, service_id, on_status) as on_status:
            service = waiter.until_status(ServiceStatus.READY, on_status, failed_statuses)
        if probing is not None:
            probing.service = service

            def predict(seconds: float) -> object:
                with self._routes.within(seconds):
                    return self.predict(deployment_id, service_id, **probing.request)

            waiter.until_answered(probing, predict)
        return service

    def wait_until_stopped(
        self,
        deployment_id: str,
        service_id: str,
        *,
        timeout: float = 600.0,
        poll_interval: float | None = None,
        on_status: Callable[[Service], object] | None = None,
        failed_statuses: Collection[str] = FAILED_STATUSES,
    ) -> Service:
        """Poll until the service is STOPPED and return it (as `wait_until_ready`).

        Args:
            deployment_id: the deployment (13 digits).
            service_id: the service (``ser-...``).
            timeout: seconds to wait in all.
            poll_interval: seconds before the second poll (growing, as for ``wait_until_ready``).
            on_status: called with the service whenever its status changes.
            failed_statuses: statuses that end the wait with ``ServiceFailedError``.
        """
        return self._waiter(deployment_id, service_id, timeout, poll_interval).until_status(
            ServiceStatus.STOPPED, on_status, failed_statuses
        )

    def wait_until_deleted(
        self,
        deployment_id: str,
        service_id: str,
        *,
        timeout: float = 600.0,
        poll_interval: float | None = None,
        on_status: Callable[[Service], object] | None = None,
    ) -> None:
        """Poll until the service is gone (the API answers 404).

        Args:
            deployment_id: the deployment (13 digits).
            service_id: the service (``ser-...``).
            timeout: seconds to wait in all.
            poll_interval: seconds before the second poll (growing, as for ``wait_until_ready``).
            on_status: called with the service while it still exists.
        """
        self._waiter(deployment_id, service_id, timeout, poll_interval).until_deleted(on_status)

    def _waiter(
        self,
        deployment_id: str,
        service_id: str,
        timeout: float,
        poll_interval: float | None,
        growth: float = C.POLL_GROWTH,
    ) -> _waiters.StatusWaiter:
        check_path_id("deployment_id", deployment_id)
        check_path_id("service_id", service_id)

        def fetch(seconds: float) -> Service:
            with self._routes.within(seconds):
                return self.get(deployment_id, service_id)

        return _waiters.StatusWaiter(
            fetch,
            timeout=timeout,
            poll_interval=poll_interval,
            clock=self._clock,
            sleep=self._sleep,
            growth=growth,
        )

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
        stop_event: threading.Event | None = None,
    ) -> Iterator[LogEvent]:
        """Every log event, newest to oldest, one page per request (lazily).

        With ``follow=True`` (like ``tail -f``), after the existing events it keeps
        yielding new ones, oldest to newest, polling every ``poll_interval``
        seconds along ``next_forward_token`` until ``timeout`` seconds have
        passed, ``stop_event`` is set, or KeyboardInterrupt arrives while waiting.
        ``limit`` caps the number of events and ``max_pages`` the requests; ``timeout``
        bounds the whole walk, back and forward. The walk back ends where the server
        hands back the token it was sent (see the docs on log paging).
        """
        check_path_id("deployment_id", deployment_id)
        check_path_id("service_id", service_id)
        log_query(None, None, start_time, end_time)  # raise now, not at the first next()

        walk = _waiters.LogWalk(
            limit=limit,
            max_pages=max_pages,
            follow=follow,
            poll_interval=poll_interval,
            timeout=timeout,
            stop_event=stop_event,
            clock=self._clock,
        )
        fetch = self._log_pages(deployment_id, service_id, start_time, end_time)
        return _waiters.iter_logs(fetch, walk, self._sleep)

    def _log_pages(
        self,
        deployment_id: str,
        service_id: str,
        start_time: datetime | None,
        end_time: datetime | None,
    ) -> _waiters.FetchPage:
        """Fetches one page of a walk, within what is left of the walk's timeout."""

        def fetch(page: _waiters.FetchLogPage) -> LogPage:
            left = page.within
            with contextlib.nullcontext() if left is None else self._routes.within(left):
                return self.logs(
                    deployment_id,
                    service_id,
                    start_time=start_time,
                    end_time=end_time,
                    next_forward_token=page.forward,
                    next_backward_token=page.backward,
                )

        return fetch


# service.predict(...) and the others: Services' parameter docs, written once (_docs).
derive_service_docs(BoundService, Services)
