"""The Services manager: one method per Service API endpoint."""

from __future__ import annotations

import io
import json
import mimetypes
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import IO, Any, TypeVar

import requests
from pydantic import BaseModel, ValidationError

from ..exceptions import InvalidResponseError
from . import _config, _waiters
from . import _constants as C
from ._config import Settings, check_organization_id, check_path_id
from ._transport import Transport
from ._waiters import Clock, Sleep
from .models import (
    ActionResult,
    CreateServiceRequest,
    LogEvent,
    LogPage,
    PredictResponse,
    Service,
    ServiceList,
    UpdateServicePayload,
)

DataBody = bytes | str | IO[bytes] | Iterable[bytes]
"""What ``predict(data=...)`` takes besides a ``pathlib.Path``."""

_M = TypeVar("_M", bound=BaseModel)
_OCTET_STREAM = "application/octet-stream"


def parse(model: type[_M], response: requests.Response, content: bytes | None = None) -> _M:
    """A typed model straight from the response bytes (pydantic parses the JSON itself)."""
    try:
        return model.model_validate_json(response.content if content is None else content)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in error.errors()
        )
        message = f"{response.url}: the answer is not a valid {model.__name__}: {problems}"
    raise InvalidResponseError(message, status_code=response.status_code, url=response.url)


def json_object(response: requests.Response) -> dict[str, Any]:
    """The JSON object the server sent, as plain Python (for the compat client)."""
    data = json_body(response)
    assert isinstance(data, dict)
    return data


def json_body(
    response: requests.Response, *, allow_list: bool = False
) -> dict[str, Any] | list[Any]:
    """The JSON the server sent: an object (or, with ``allow_list``, a list)."""
    try:
        data = json.loads(response.content)
    except ValueError:
        kind = response.headers.get("Content-Type") or "no content type"
        message = f"{response.url}: expected a JSON body, got {kind}"
    else:
        if isinstance(data, dict) or (allow_list and isinstance(data, list)):
            return data
        message = f"{response.url}: expected a JSON object, got {type(data).__name__}"
    raise InvalidResponseError(message, status_code=response.status_code, url=response.url)


class Services:
    """Create, inspect, scale, start, stop, delete, read logs of and predict with services.

    Reached as ``ServiceClient(...).services``; every method sends one request
    (plus retries the policy allows) and returns a typed model.
    """

    def __init__(
        self, transport: Transport, settings: Settings, *, clock: Clock, sleep: Sleep
    ) -> None:
        self._transport = transport
        self._settings = settings
        self._clock = clock
        self._sleep = sleep

    # -- URLs -----------------------------------------------------------------

    def _organization(self) -> str:
        organization_id = self._settings.organization_id
        if organization_id is None:
            raise ValueError(
                "no organization_id: pass it to ServiceClient(...) or set ABEJA_ORGANIZATION_ID"
            )
        return organization_id

    def _url(self, organization_id: str, deployment_id: str, service_id: str | None = None) -> str:
        url = (
            f"{self._settings.api_url}/organizations/{check_organization_id(organization_id)}"
            f"/deployments/{check_path_id('deployment_id', deployment_id)}/services"
        )
        if service_id is not None:
            url += "/" + check_path_id("service_id", service_id)
        return url

    def _bind(self, service: Service) -> Service:
        return service._bind(self)

    # -- one request per endpoint, shared with the compat APIClient --------------------

    def _create_raw(
        self, organization_id: str, deployment_id: str, body: CreateServiceRequest
    ) -> requests.Response:
        url = self._url(organization_id, deployment_id)
        return self._transport.request("POST", url, json_body=body.to_json())

    def _list_raw(self, organization_id: str, deployment_id: str) -> requests.Response:
        return self._transport.request("GET", self._url(organization_id, deployment_id))

    def _get_raw(
        self, organization_id: str, deployment_id: str, service_id: str
    ) -> requests.Response:
        return self._transport.request("GET", self._url(organization_id, deployment_id, service_id))

    def _update_raw(
        self,
        organization_id: str,
        deployment_id: str,
        service_id: str,
        payload: UpdateServicePayload,
    ) -> requests.Response:
        url = self._url(organization_id, deployment_id, service_id)
        return self._transport.request("PATCH", url, json_body=payload.to_json())

    def _action_raw(
        self, method: str, organization_id: str, deployment_id: str, service_id: str, action: str
    ) -> requests.Response:
        url = self._url(organization_id, deployment_id, service_id) + action
        return self._transport.request(method, url)

    def _logs_raw(
        self,
        organization_id: str,
        deployment_id: str,
        service_id: str,
        *,
        start_time: datetime | None,
        end_time: datetime | None,
        next_forward_token: str | None,
        next_backward_token: str | None,
    ) -> requests.Response:
        url = self._url(organization_id, deployment_id, service_id) + "/recentlogs"
        params: dict[str, str] = {}
        for name, token in (
            ("next_forward_token", next_forward_token),
            ("next_backward_token", next_backward_token),
        ):
            if token is not None:
                if not isinstance(token, str):
                    raise TypeError(f"{name} must be a string, not {type(token).__name__}")
                params[name] = token
        for name, when in (("start_time", start_time), ("end_time", end_time)):
            if when is not None:
                params[name] = _config.format_log_time(name, when)
        return self._transport.request("GET", url, params=params)

    def _predict_raw(
        self,
        organization_id: str,
        deployment_id: str,
        service_id: str,
        *,
        json: object,
        data: DataBody | Path | None,
        content_type: str | None,
        timeout: float | None,
    ) -> requests.Response:
        deployment_id = check_path_id("deployment_id", deployment_id)
        service_id = check_path_id("service_id", service_id)
        base = _config.predict_base_url(self._settings, check_organization_id(organization_id))
        url = f"{base}/deployments/{deployment_id}/services/{service_id}"
        if timeout is not None:
            timeout = _config.resolve_timeout(timeout, {})
        headers = {"Accept": "*/*"}
        if json is not None:
            if data is not None:
                raise ValueError("give json= or data=, not both")
            if content_type is not None:
                headers["Content-Type"] = content_type
            return self._transport.request(
                "POST", url, json_body=json, headers=headers, timeout=timeout
            )
        if isinstance(data, Path):
            headers["Content-Type"] = content_type or _guess(data.name)
            with data.open("rb") as stream:
                return self._transport.request(
                    "POST", url, data=stream, headers=headers, timeout=timeout
                )
        if data is None:
            data = b""
        _check_data(data)
        name = getattr(data, "name", None)
        guessed = _guess(name) if isinstance(name, str) else _OCTET_STREAM
        headers["Content-Type"] = content_type or guessed
        if isinstance(data, str):
            data = data.encode()
        return self._transport.request("POST", url, data=data, headers=headers, timeout=timeout)

    # -- typed API ---------------------------------------------------------------

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

        Raises:
            pydantic.ValidationError: a wrong type, an instance number below 1, or
                ``min_instance_number`` above ``max_instance_number`` (nothing is sent).
        """
        body = CreateServiceRequest(
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
        response = self._create_raw(self._organization(), deployment_id, body)
        return self._bind(parse(Service, response))

    def get(self, deployment_id: str, service_id: str) -> Service:
        """Fetch one service."""
        response = self._get_raw(self._organization(), deployment_id, service_id)
        return self._bind(parse(Service, response))

    def list(self, deployment_id: str) -> ServiceList:
        """List the services of a deployment."""
        response = self._list_raw(self._organization(), deployment_id)
        content = response.content
        if content.lstrip()[:1] == b"[":  # a bare list of services
            content = b'{"entries":' + content + b"}"
        services = parse(ServiceList, response, content)
        for service in services.entries:
            self._bind(service)
        return services

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
        """Change scaling or environment: keyword arguments, or a ready ``payload``."""
        fields = {
            "instance_number": instance_number,
            "min_instance_number": min_instance_number,
            "max_instance_number": max_instance_number,
            "enable_autoscale": enable_autoscale,
            "environment": environment,
        }
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
        response = self._update_raw(self._organization(), deployment_id, service_id, payload)
        return self._bind(parse(Service, response))

    def delete(self, deployment_id: str, service_id: str) -> ActionResult:
        """Delete a service."""
        return self._action(deployment_id, service_id, "DELETE", "")

    def start(self, deployment_id: str, service_id: str) -> ActionResult:
        """Start a stopped service (``BadRequest`` if it is already running)."""
        return self._action(deployment_id, service_id, "POST", "/start")

    def stop(self, deployment_id: str, service_id: str) -> ActionResult:
        """Stop a running service (``BadRequest`` if it is not running)."""
        return self._action(deployment_id, service_id, "POST", "/stop")

    def _action(
        self, deployment_id: str, service_id: str, method: str, action: str
    ) -> ActionResult:
        org = self._organization()
        return parse(ActionResult, self._action_raw(method, org, deployment_id, service_id, action))

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
        """One page of recent logs, newest first; times are sent in UTC."""
        response = self._logs_raw(
            self._organization(),
            deployment_id,
            service_id,
            start_time=start_time,
            end_time=end_time,
            next_forward_token=next_forward_token,
            next_backward_token=next_backward_token,
        )
        return parse(LogPage, response)

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
        """
        response = self._predict_raw(
            self._organization(),
            deployment_id,
            service_id,
            json=json,
            data=data,
            content_type=content_type,
            timeout=timeout,
        )
        return PredictResponse(response)

    # -- workflows -------------------------------------------------------------------

    def wait_until_ready(
        self,
        deployment_id: str,
        service_id: str,
        *,
        timeout: float = C.DEFAULT_WAIT_TIMEOUT,
        poll_interval: float | None = None,
        on_status: Callable[[Service], object] | None = None,
        failed_statuses: Collection[str] = C.FAILED_STATUSES,
    ) -> Service:
        """Poll until the service is READY and return it fresh.

        Polls every ``poll_interval`` seconds (1 by default), growing by half each
        time up to 10 s, never sleeping past ``timeout``. ``on_status(service)``
        is called whenever the status changes (and on the first poll).

        Raises:
            ServiceFailedError: the status entered ``failed_statuses`` (unknown
                statuses keep polling).
            WaitTimeoutError: not READY by the deadline; carries the last ``Service`` seen.
        """
        return self._wait_for_status(
            deployment_id, service_id, "READY", timeout, poll_interval, on_status, failed_statuses
        )

    def wait_until_stopped(
        self,
        deployment_id: str,
        service_id: str,
        *,
        timeout: float = C.DEFAULT_WAIT_TIMEOUT,
        poll_interval: float | None = None,
        on_status: Callable[[Service], object] | None = None,
        failed_statuses: Collection[str] = C.FAILED_STATUSES,
    ) -> Service:
        """Poll until the service is STOPPED and return it (as :meth:`wait_until_ready`)."""
        return self._wait_for_status(
            deployment_id, service_id, "STOPPED", timeout, poll_interval, on_status, failed_statuses
        )

    def wait_until_deleted(
        self,
        deployment_id: str,
        service_id: str,
        *,
        timeout: float = C.DEFAULT_WAIT_TIMEOUT,
        poll_interval: float | None = None,
        on_status: Callable[[Service], object] | None = None,
    ) -> None:
        """Poll until the service is gone (the API answers 404)."""
        self._wait(deployment_id, service_id, None, timeout, poll_interval, on_status, ())

    def _wait_for_status(
        self,
        deployment_id: str,
        service_id: str,
        status: str,
        timeout: float,
        poll_interval: float | None,
        on_status: Callable[[Service], object] | None,
        failed_statuses: Collection[str],
    ) -> Service:
        service = self._wait(
            deployment_id, service_id, status, timeout, poll_interval, on_status, failed_statuses
        )
        assert service is not None  # a wait for a status returns the Service or raises
        return service

    def _wait(
        self,
        deployment_id: str,
        service_id: str,
        goal: str | None,
        timeout: float,
        poll_interval: float | None,
        on_status: Callable[[Service], object] | None,
        failed_statuses: Collection[str],
    ) -> Service | None:
        check_path_id("deployment_id", deployment_id)
        check_path_id("service_id", service_id)
        return _waiters.wait_for(
            lambda: self.get(deployment_id, service_id),
            goal=goal,
            timeout=timeout,
            poll_interval=poll_interval,
            on_status=on_status,
            failed_statuses=failed_statuses,
            clock=self._clock,
            sleep=self._sleep,
        )

    def iter_logs(
        self,
        deployment_id: str,
        service_id: str,
        *,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        limit: int | None = None,
        follow: bool = False,
        poll_interval: float = C.LOG_POLL_INTERVAL,
        timeout: float | None = None,
        stop_event: threading.Event | None = None,
    ) -> Iterator[LogEvent]:
        """Every log event, newest to oldest, one page per request (lazily).

        With ``follow=True`` (like ``tail -f``), after the existing events it keeps
        yielding new ones, oldest to newest, polling every ``poll_interval``
        seconds along ``next_forward_token`` until ``timeout`` seconds have
        passed, ``stop_event`` is set, or KeyboardInterrupt arrives while waiting.
        ``limit`` caps the number of events. The walk back ends where the server
        hands back the token it was sent (see the docs on log paging).
        """
        check_path_id("deployment_id", deployment_id)
        check_path_id("service_id", service_id)
        for name, when in (("start_time", start_time), ("end_time", end_time)):
            if when is not None:
                _config.format_log_time(name, when)

        def fetch(forward: str | None, backward: str | None) -> LogPage:
            return self.logs(
                deployment_id,
                service_id,
                start_time=start_time,
                end_time=end_time,
                next_forward_token=forward,
                next_backward_token=backward,
            )

        return _waiters.iter_logs(
            fetch,
            limit=limit,
            follow=follow,
            poll_interval=poll_interval,
            timeout=timeout,
            stop_event=stop_event,
            clock=self._clock,
            sleep=self._sleep,
        )


def _check_data(data: object) -> None:
    """Refuse what requests would silently form-encode or send in the wrong encoding."""
    if isinstance(data, (bytes, bytearray, str)):
        return
    if isinstance(data, io.TextIOBase):
        raise TypeError("data= got a file opened in text mode: open it with 'rb'")
    if hasattr(data, "read"):
        return
    if hasattr(data, "__iter__") and not isinstance(data, (list, tuple, set, dict, Mapping)):
        return
    raise TypeError(
        "data= takes bytes, str, a binary file, a pathlib.Path or an iterator of bytes, "
        f"not {type(data).__name__} (use json= for JSON values)"
    )


def _guess(name: str | None) -> str:
    if not name:
        return _OCTET_STREAM
    return mimetypes.guess_type(name)[0] or _OCTET_STREAM
