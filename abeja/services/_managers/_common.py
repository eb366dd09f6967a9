"""What the sync and async managers share: the checked request bodies of a service's
``create`` and ``update``, answers parsed into models bound to their manager, an
endpoint's read-back check after a switch, and ``RawResponse`` (``with_raw_response``)."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, ParamSpec, TypeVar

from .._api._answers import HTTPResponse, HTTPView, PredictResponse, whole_answers
from .._api._response import decode_model, service_list_content
from ..errors import InvalidResponseError
from ..models import (
    CreateServiceRequest,
    Endpoint,
    ServiceList,
    UpdateServicePayload,
    _Response,
)

if TYPE_CHECKING:
    from ..models import Service

_Parsed = TypeVar("_Parsed", bound=_Response)


def parse(model: type[_Parsed], response: HTTPResponse, content: bytes | None = None) -> _Parsed:
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
    listed = parse(model, response, service_list_content(response))
    bind = object.__setattr__  # Service._bind's work, without a call per service
    for service in listed.entries:
        bind(service, "_services", services)
    return listed


class NoOrganization(ValueError):
    """A call needs the organization, and the client was made without one."""


def service_id_of(service: str | Service) -> str:
    """The id of ``service``: an id as it is, or a ``Service``'s."""
    return service if isinstance(service, str) else service.service_id


def check_switched(current: Endpoint, endpoint: str, target: str, response: HTTPResponse) -> None:
    """Raise unless the endpoint read back after a switch points at ``target``."""
    if current.service_id != target:
        raise InvalidResponseError(
            f"endpoint {endpoint} points at {current.service_id} after being switched to {target}",
            status_code=response.status_code,
            url=response.url,
        )


# ``services.with_raw_response``: the HTTP answer of any typed call, beside its model; the
# managers' ``Raw...`` classes (beside each manager) wrap each call with ``raw_call``.
_T = TypeVar("_T")
_P = ParamSpec("_P")


@dataclass(frozen=True)
class RawResponse(HTTPView, Generic[_T]):
    """A call's HTTP answer beside what the typed call returns (``parsed``)."""

    http: HTTPResponse
    """Status, headers, body, ``request_id`` and ``elapsed`` of the final attempt."""
    parsed: _T
    """The model the typed call returns."""

    @property
    def elapsed(self) -> float:
        """Seconds the final attempt took."""
        return self.http.elapsed


def _whole(result: object, answers: list[HTTPResponse]) -> HTTPResponse:
    """The whole HTTP answer ``result`` was read from (its model keeps a large one bodiless)."""
    if isinstance(result, PredictResponse):
        return result.http
    if answers:
        return answers[-1]
    http: HTTPResponse = result.http_response  # type: ignore[attr-defined]
    return http


def raw_call(call: Callable[_P, _T]) -> Callable[_P, RawResponse[_T]]:
    """``call``, returning its HTTP answer beside its model (the signature kept for checkers
    and editors: arguments, defaults and the ``RawResponse[Model]`` it returns)."""

    @functools.wraps(call)
    def raw(*args: _P.args, **kwargs: _P.kwargs) -> RawResponse[_T]:
        with whole_answers() as answers:
            result = call(*args, **kwargs)
        return RawResponse(http=_whole(result, answers), parsed=result)

    return raw


def async_raw_call(call: Callable[_P, Awaitable[_T]]) -> Callable[_P, Awaitable[RawResponse[_T]]]:
    """``raw_call`` for a coroutine function (the async client's calls)."""

    @functools.wraps(call)
    async def raw(*args: _P.args, **kwargs: _P.kwargs) -> RawResponse[_T]:
        with whole_answers() as answers:
            result = await call(*args, **kwargs)
        return RawResponse(http=_whole(result, answers), parsed=result)

    return raw
