"""Typed models of the Service API: strict going out, tolerant coming in.

Request models ([`CreateServiceRequest`][abeja.services.CreateServiceRequest],
[`UpdateServicePayload`][abeja.services.UpdateServicePayload]) refuse unknown
fields and wrong types before anything is sent. Response models keep fields they do not
know (readable as attributes and in ``model_extra``) and accept status strings they do
not know, so a new server field never breaks a caller.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Annotated, Any

import pydantic
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator
from pydantic import model_validator as _model_validator
from typing_extensions import Self

from ._api._answers import HTTPResponse, PredictResponse, kept_by_model
from ._api._status import ServiceStatus
from ._managers._bound import BoundEndpoint, BoundService

if TYPE_CHECKING:
    from ._managers._bound import EndpointCalls, ServiceCalls

__all__ = [
    "ActionResult",
    "AwareDatetime",
    "HTTPResponse",
    "CreateServiceRequest",
    "Endpoint",
    "EndpointList",
    "LogEvent",
    "LogPage",
    "PredictResponse",
    "Service",
    "ServiceList",
    "ServiceStatus",
    "UpdateServicePayload",
]


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


_NaiveAsUtc = Annotated[datetime, AfterValidator(_aware)]
# Aware timestamps (what the platform sends) validate without Python code; only a naive
# one falls through to the second member and is taken as UTC.
AwareDatetime = Annotated[pydantic.AwareDatetime | _NaiveAsUtc, Field(union_mode="left_to_right")]
"""A datetime that always carries a time zone (a naive one from the server is taken as UTC)."""

# The values written out (they are C.MIN_INSTANCE_NUMBER and C.MAX_INSTANCE_NUMBER, a test
# says so), so that the reference and a hover show 1 and 64, not the constants' names.
InstanceNumber = Annotated[int, Field(ge=1, le=64)]
"""The platform's bounds on instance numbers: 1 to 64."""


# A known status becomes the enum, any other string stays a str (checked in that order).
Status = Annotated[ServiceStatus | str, Field(union_mode="left_to_right")]


class _Response(BaseModel):
    model_config = ConfigDict(extra="allow", protected_namespaces=(), use_attribute_docstrings=True)

    # The HTTP answer the model was read from; a slot, like Service's client: it costs
    # nothing per validated instance and stays out of equality, copies and pickles.
    __slots__ = ("_http",)

    def _from(self, http: HTTPResponse) -> Self:
        object.__setattr__(self, "_http", kept_by_model(http))
        return self

    @property
    def http_response(self) -> HTTPResponse | None:
        """The HTTP answer this was read from (status, headers, ``request_id``, ``elapsed``);
        None for one built by hand or nested in another answer. Its ``content`` is empty
        for a body of 64 KiB or more (the model holds what it said; a long list would
        otherwise keep its JSON alive too): ``with_raw_response`` gives the body."""
        http: HTTPResponse | None = getattr(self, "_http", None)
        return http


class Service(_Response, BoundService):
    """A service: one running version of a deployment, as the API describes it."""

    service_id: str
    """The service's id, such as ``ser-abc1111111111111``."""
    deployment_id: str
    """The deployment the service belongs to."""
    status: Status = ServiceStatus.IN_PROGRESS
    """Lifecycle state; a [`ServiceStatus`][abeja.services.ServiceStatus] when known, else
    the server's string."""
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

    def _bind(self, services: ServiceCalls) -> Service:
        object.__setattr__(self, "_services", services)
        return self

    @property
    def is_ready(self) -> bool:
        """True when the service answers predictions."""
        return self.status == ServiceStatus.READY


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


class Endpoint(_Response, BoundEndpoint):
    """A deployment's endpoint: a named alias (``custom_alias``) pointing at one service.

    Predictions sent to the endpoint reach that service; switching it is all at once.
    """

    endpoint_id: str
    """The endpoint's id, such as ``pnt-abc1111111111111``."""
    custom_alias: str | None = None
    """Its name in the deployment, ``default`` for the deployment's own route."""
    service_id: str | None = None
    """The service it points at."""

    # The manager and the deployment an Endpoint came from (the API's answer does not say
    # which deployment); slots, as for Service.
    __slots__ = ("_endpoints", "_deployment_id")

    def _bind(self, endpoints: EndpointCalls, deployment_id: str) -> Endpoint:
        object.__setattr__(self, "_endpoints", endpoints)
        object.__setattr__(self, "_deployment_id", deployment_id)
        return self


class EndpointList(_Response):
    """The endpoints of a deployment; iterable and sized."""

    entries: list[Endpoint] = Field(default_factory=list)
    """The endpoints."""

    def __iter__(self) -> Iterator[Endpoint]:  # type: ignore[override]
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def __getitem__(self, index: int) -> Endpoint:
        return self.entries[index]


class DeploymentVersion(_Response):
    """A deployment version: a deployment's model code, as uploaded, with the handler and
    the image that run it."""

    version_id: str
    """The version's id, such as ``ver-abc1111111111111``."""
    version: str | None = None
    """Its number, such as ``1.0.0`` (unique in the deployment)."""
    deployment_id: str | None = None
    """The deployment it belongs to."""
    handler: str | None = None
    """The function that answers requests, ``module:function``."""
    image: str | None = None
    """The runtime image, such as ``abeja-inc/all-cpu:19.10``."""
    user_parameters: dict[str, str] = Field(default_factory=dict)
    """Variables the handler's process sees in its environment."""
    created_at: _NaiveAsUtc | None = None
    """When the version was created (UTC)."""
    modified_at: _NaiveAsUtc | None = None
    """When it last changed (UTC)."""
    archive_sha256: str | None = None
    """The SHA-256 of the archive this client uploaded (``versions.create`` only; the API
    does not answer it): the same folder gives the same archive, so the same digest."""
    archive_bytes: int | None = None
    """The size of that archive in bytes (``versions.create`` only)."""


class DeploymentVersionList(_Response):
    """The versions of a deployment; iterable and sized."""

    entries: list[DeploymentVersion] = Field(default_factory=list)
    """The versions."""

    def __iter__(self) -> Iterator[DeploymentVersion]:  # type: ignore[override]
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def __getitem__(self, index: int) -> DeploymentVersion:
        return self.entries[index]


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
        # The platform's rule, for whichever of the three are given:
        # min_instance_number <= instance_number <= max_instance_number.
        low = getattr(self, "min_instance_number", None)
        number = getattr(self, "instance_number", None)
        high = getattr(self, "max_instance_number", None)
        given = [(name, value) for name, value in (
            ("min_instance_number", low), ("instance_number", number), ("max_instance_number", high)
        ) if value is not None]  # fmt: skip
        for (lower, a), (upper, b) in zip(given, given[1:], strict=False):
            if a > b:
                raise ValueError(f"{lower} ({a}) must not be greater than {upper} ({b})")
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
    instance_number: InstanceNumber = 1
    """Instances to run (1 to 64)."""
    min_instance_number: InstanceNumber | None = None
    """Autoscaling floor (1 to 64, not above the ceiling)."""
    max_instance_number: InstanceNumber | None = None
    """Autoscaling ceiling (1 to 64)."""
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

    instance_number: InstanceNumber | None = None
    """Instances to run (1 to 64)."""
    min_instance_number: InstanceNumber | None = None
    """Autoscaling floor (1 to 64, not above the ceiling)."""
    max_instance_number: InstanceNumber | None = None
    """Autoscaling ceiling (1 to 64)."""
    enable_autoscale: bool | None = None
    """Let the platform scale between floor and ceiling."""
    environment: dict[str, str] | None = None
    """Environment variables for the service."""
