"""Typed models of the Service API: strict going out, tolerant coming in.

Request models (:class:`CreateServiceRequest`, :class:`UpdateServicePayload`)
refuse unknown fields and wrong types before anything is sent. Response models
keep fields they do not know (readable as attributes and in ``model_extra``)
and accept status strings they do not know, so a new server field never breaks
a caller.
"""

from __future__ import annotations

import json as jsonlib
from collections.abc import Callable, Collection, Iterator
from datetime import datetime, timezone
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import pydantic
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator
from pydantic import model_validator as _model_validator

from ..exceptions import InvalidResponseError, ServiceNotBoundError
from . import _constants as C

if TYPE_CHECKING:
    import threading
    from pathlib import Path

    import requests

    from ._resources import DataBody, Services


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


_NaiveAsUtc = Annotated[datetime, AfterValidator(_aware)]
# Aware timestamps (what the platform sends) validate without Python code; only a naive
# one falls through to the second member and is taken as UTC.
AwareDatetime = Annotated[pydantic.AwareDatetime | _NaiveAsUtc, Field(union_mode="left_to_right")]
"""A datetime that always carries a time zone (a naive one from the server is taken as UTC)."""

PositiveInt = Annotated[int, Field(ge=1)]


class ServiceStatus(str, Enum):
    """Known service states. Unknown strings from the server are kept as plain ``str``.

    ``IN_PROGRESS`` and ``READY`` are the platform's documented values;
    ``STOPPED`` and ``FAILED`` are this SDK's (and its emulator's) names for
    the states the platform does not publish.
    """

    IN_PROGRESS = "IN_PROGRESS"
    READY = "READY"
    STOPPED = "STOPPED"
    FAILED = "FAILED"

    def __str__(self) -> str:
        return self.value


# A known status becomes the enum, any other string stays a str (checked in that order).
Status = Annotated[ServiceStatus | str, Field(union_mode="left_to_right")]


class _Response(BaseModel):
    model_config = ConfigDict(extra="allow", protected_namespaces=(), use_attribute_docstrings=True)


class Service(_Response):
    """A service: one running version of a deployment, as the API describes it."""

    service_id: str
    """The service's id, such as ``ser-abc1111111111111``."""
    deployment_id: str
    """The deployment the service belongs to."""
    status: Status = ServiceStatus.IN_PROGRESS
    """Lifecycle state; a :class:`ServiceStatus` when known, else the server's string."""
    models: dict[str, str] = Field(default_factory=dict)
    """Training models by alias, such as ``{"alias": "3333333333333"}``."""
    model_version: str | None = None
    """The version number of the deployment's model, such as ``0.0.1``."""
    model_version_id: str | None = None
    """The version id, such as ``ver-abc1111111111111``."""
    instance_number: int | None = None
    """Instances running (or asked for)."""
    min_instance_number: int | None = None
    """Autoscaling floor."""
    max_instance_number: int | None = None
    """Autoscaling ceiling."""
    enable_autoscale: bool | None = None
    """Whether the platform scales between the floor and the ceiling."""
    instance_type: str | None = None
    """Machine type, such as ``cpu-0.25``."""
    metrics_url: str | None = None
    """Dashboard of the service's metrics."""
    user_env_vars: dict[str, str] = Field(default_factory=dict)
    """Environment variables set on the service."""
    merged_env_vars: dict[str, str] | None = None
    """Deployment and service environment variables merged, when the server sends them."""
    record_channel_id: str | None = None
    """Channel that records requests, when set."""
    service_process_type: str | None = None
    """How the runtime runs handlers, such as ``multi``."""
    created_at: AwareDatetime | None = None
    """When the service was created (time-zone aware)."""
    modified_at: AwareDatetime | None = None
    """When the service last changed (time-zone aware)."""

    # The client a Service came from. A slot, not a pydantic private attribute: it costs
    # nothing per validated instance, and stays out of equality, copies and pickles.
    __slots__ = ("_services",)

    def _bind(self, services: Services) -> Service:
        object.__setattr__(self, "_services", services)
        return self

    def _bound(self) -> Services:
        services: Services | None = getattr(self, "_services", None)
        if services is None:
            raise ServiceNotBoundError(
                f"Service {self.service_id!r} was built by hand and has no client; "
                "get it from ServiceClient.services to call the API"
            )
        return services

    @property
    def is_ready(self) -> bool:
        """True when the service answers predictions."""
        return self.status == ServiceStatus.READY

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
        timeout: float = C.DEFAULT_WAIT_TIMEOUT,
        poll_interval: float | None = None,
        on_status: Callable[[Service], object] | None = None,
        *,
        failed_statuses: Collection[str] = C.FAILED_STATUSES,
    ) -> Service:
        """Poll until this service is READY; returns it fresh (``Services.wait_until_ready``)."""
        return self._bound().wait_until_ready(
            self.deployment_id,
            self.service_id,
            timeout=timeout,
            poll_interval=poll_interval,
            on_status=on_status,
            failed_statuses=failed_statuses,
        )

    def wait_until_stopped(
        self,
        timeout: float = C.DEFAULT_WAIT_TIMEOUT,
        poll_interval: float | None = None,
        on_status: Callable[[Service], object] | None = None,
    ) -> Service:
        """Poll until this service is STOPPED; returns it fresh."""
        return self._bound().wait_until_stopped(
            self.deployment_id,
            self.service_id,
            timeout=timeout,
            poll_interval=poll_interval,
            on_status=on_status,
        )

    def wait_until_deleted(
        self, timeout: float = C.DEFAULT_WAIT_TIMEOUT, poll_interval: float | None = None
    ) -> None:
        """Poll until this service is gone."""
        self._bound().wait_until_deleted(
            self.deployment_id, self.service_id, timeout=timeout, poll_interval=poll_interval
        )

    def iter_logs(
        self,
        *,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        limit: int | None = None,
        follow: bool = False,
        poll_interval: float = C.LOG_POLL_INTERVAL,
        timeout: float | None = None,
        stop_event: threading.Event | None = None,
    ) -> Iterator[LogEvent]:
        """Every log event of this service, lazily (see ``Services.iter_logs``)."""
        return self._bound().iter_logs(
            self.deployment_id,
            self.service_id,
            start_time=start_time,
            end_time=end_time,
            limit=limit,
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


class ServiceList(_Response):
    """The services of a deployment; iterable, sized and indexable.

    ``ServiceClient.services.list`` also accepts a bare JSON list from the server.
    """

    entries: list[Service] = Field(default_factory=list)
    """The services."""

    def __iter__(self) -> Iterator[Service]:  # type: ignore[override]
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def __getitem__(self, index: int) -> Service:
        return self.entries[index]


class LogEvent(_Response):
    """One line a service logged."""

    message: str
    """The text of the line."""
    timestamp: AwareDatetime
    """When it was logged (time-zone aware)."""


def _token(value: object) -> object:
    # The API documents an empty list for "no more logs"; treat any empty value as no token.
    if value is None or value == [] or value == "":
        return None
    return value


class LogPage(_Response):
    """A page of log events, newest first, with a token for each direction."""

    # Log messages are nearly all distinct: caching them would only hold memory.
    model_config = ConfigDict(cache_strings="keys")

    events: list[LogEvent] = Field(default_factory=list)
    """The events, newest first."""
    next_backward_token: str | None = None
    """Token for older events; None when the server gave none."""
    next_forward_token: str | None = None
    """Token for newer events; None when the server gave none."""

    _check_tokens = field_validator("next_backward_token", "next_forward_token", mode="before")(
        staticmethod(_token)
    )

    def __iter__(self) -> Iterator[LogEvent]:  # type: ignore[override]
        return iter(self.events)

    def __len__(self) -> int:
        return len(self.events)


class ActionResult(_Response):
    """The answer to start, stop and delete: ``{"message": "ser-... started"}``."""

    message: str = ""
    """What the server did."""


class _Request(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        frozen=True,
        protected_namespaces=(),
        use_attribute_docstrings=True,
    )

    @_model_validator(mode="after")
    def _min_not_above_max(self) -> Any:
        low = getattr(self, "min_instance_number", None)
        high = getattr(self, "max_instance_number", None)
        if low is not None and high is not None and low > high:
            raise ValueError(
                f"min_instance_number ({low}) must not be greater than max_instance_number ({high})"
            )
        return self

    def to_json(self) -> dict[str, Any]:
        """The request body as sent: JSON types, unset fields left out."""
        return self.model_dump(mode="json", exclude_none=True)


class CreateServiceRequest(_Request):
    """The body of ``POST .../services``."""

    version_id: Annotated[str, Field(min_length=1)]
    """The deployment version to run."""
    instance_type: Annotated[str, Field(min_length=1)] = "cpu-0.25"
    """Machine type, such as ``cpu-0.25`` or ``gpu-1``."""
    instance_number: PositiveInt = 1
    """Instances to run (at least 1)."""
    min_instance_number: PositiveInt | None = None
    """Autoscaling floor (at least 1, not above the ceiling)."""
    max_instance_number: PositiveInt | None = None
    """Autoscaling ceiling (at least 1)."""
    enable_autoscale: bool | None = None
    """Let the platform scale between floor and ceiling."""
    environment: dict[str, str] | None = None
    """Environment variables for the service."""
    models: dict[str, str] | None = None
    """Training models by alias; ``model_id`` becomes ``{"alias": model_id}``."""
    record_channel_id: str | None = None
    """Channel that records the service's requests."""


class UpdateServicePayload(_Request):
    """The body of ``PATCH .../services/<id>``: only the fields given are sent."""

    instance_number: PositiveInt | None = None
    """Instances to run (at least 1)."""
    min_instance_number: PositiveInt | None = None
    """Autoscaling floor (at least 1, not above the ceiling)."""
    max_instance_number: PositiveInt | None = None
    """Autoscaling ceiling (at least 1)."""
    enable_autoscale: bool | None = None
    """Let the platform scale between floor and ceiling."""
    environment: dict[str, str] | None = None
    """Environment variables for the service."""


class PredictResponse:
    """What a service answered to a prediction request."""

    __slots__ = ("response",)

    def __init__(self, response: requests.Response) -> None:
        self.response = response
        """The underlying ``requests.Response``."""

    @property
    def status_code(self) -> int:
        """HTTP status (always 2xx: other statuses raise)."""
        return self.response.status_code

    @property
    def headers(self) -> Any:
        """Response headers, a case-insensitive mapping."""
        return self.response.headers

    @property
    def content(self) -> bytes:
        """The body as bytes."""
        return self.response.content

    @property
    def text(self) -> str:
        """The body as text."""
        return self.response.text

    @property
    def content_type(self) -> str | None:
        """The ``Content-Type`` header, when sent."""
        value: str | None = self.response.headers.get("Content-Type")
        return value

    def json(self) -> Any:
        """The body parsed as JSON; :class:`InvalidResponseError` when it is not JSON."""
        try:
            return jsonlib.loads(self.response.content)
        except ValueError:
            pass
        raise InvalidResponseError(
            f"the service answered {self.content_type or 'no content type'}, not JSON",
            status_code=self.status_code,
            url=self.response.url,
        )

    def _header(self, name: str) -> str | None:
        value: str | None = self.response.headers.get(name)
        return value

    @property
    def model_id(self) -> str | None:
        """``X-Abeja-Model-Id``."""
        return self._header("X-Abeja-Model-Id")

    @property
    def model_version(self) -> str | None:
        """``X-Abeja-Model-Version``."""
        return self._header("X-Abeja-Model-Version")

    @property
    def deployment_id(self) -> str | None:
        """``X-Abeja-Deployment-Id``."""
        return self._header("X-Abeja-Deployment-Id")

    @property
    def service_id(self) -> str | None:
        """``X-Abeja-Service-Id``."""
        return self._header("X-Abeja-Service-Id")

    def __repr__(self) -> str:
        return (
            f"PredictResponse(status_code={self.status_code}, content_type={self.content_type!r})"
        )
