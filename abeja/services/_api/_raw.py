"""``services.with_raw_response``: the HTTP answer of any typed call, beside its model."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, ParamSpec, TypeVar

from ._response import HTTPResponse, HTTPView, PredictResponse, whole_answers

if TYPE_CHECKING:
    from .._managers._async_endpoints import AsyncEndpoints
    from .._managers._async_services import AsyncServices
    from .._managers._endpoints import Endpoints
    from .._managers._services import Services

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


def _raw(call: Callable[_P, _T]) -> Callable[_P, RawResponse[_T]]:
    """``call``, returning its HTTP answer beside its model (the signature kept for checkers
    and editors: arguments, defaults and the ``RawResponse[Model]`` it returns)."""

    @functools.wraps(call)
    def raw(*args: _P.args, **kwargs: _P.kwargs) -> RawResponse[_T]:
        with whole_answers() as answers:
            result = call(*args, **kwargs)
        return RawResponse(http=_whole(result, answers), parsed=result)

    return raw


def _araw(call: Callable[_P, Awaitable[_T]]) -> Callable[_P, Awaitable[RawResponse[_T]]]:
    """``_raw`` for a coroutine function (the async client's calls)."""

    @functools.wraps(call)
    async def raw(*args: _P.args, **kwargs: _P.kwargs) -> RawResponse[_T]:
        with whole_answers() as answers:
            result = await call(*args, **kwargs)
        return RawResponse(http=_whole(result, answers), parsed=result)

    return raw


class RawServices:
    """``services.with_raw_response``: each call returns a
    [`RawResponse`][abeja.services.RawResponse].

    .. code-block:: python

        raw = client.services.with_raw_response.get(deployment_id, service_id)
        raw.status_code, raw.request_id, raw.elapsed, raw.parsed.status

    The calls that send one request are here (not the waiters, nor ``iter_logs``).
    """

    def __init__(self, services: Services) -> None:
        self.create = _raw(services.create)
        self.get = _raw(services.get)
        self.list = _raw(services.list)
        self.update = _raw(services.update)
        self.delete = _raw(services.delete)
        self.start = _raw(services.start)
        self.stop = _raw(services.stop)
        self.logs = _raw(services.logs)
        self.predict = _raw(services.predict)


class RawEndpoints:
    """``endpoints.with_raw_response``: each call returns a
    [`RawResponse`][abeja.services.RawResponse].

    The calls that send one request are here (not ``switch``: it sends two).
    """

    def __init__(self, endpoints: Endpoints) -> None:
        self.create = _raw(endpoints.create)
        self.get = _raw(endpoints.get)
        self.list = _raw(endpoints.list)
        self.update = _raw(endpoints.update)
        self.delete = _raw(endpoints.delete)
        self.predict = _raw(endpoints.predict)


class AsyncRawServices:
    """``AsyncServiceClient.services.with_raw_response``: each call a coroutine returning a
    [`RawResponse`][abeja.services.RawResponse]."""

    def __init__(self, services: AsyncServices) -> None:
        self.create = _araw(services.create)
        self.get = _araw(services.get)
        self.list = _araw(services.list)
        self.update = _araw(services.update)
        self.delete = _araw(services.delete)
        self.start = _araw(services.start)
        self.stop = _araw(services.stop)
        self.logs = _araw(services.logs)
        self.predict = _araw(services.predict)


class AsyncRawEndpoints:
    """``AsyncServiceClient.endpoints.with_raw_response``: each call a coroutine returning a
    [`RawResponse`][abeja.services.RawResponse] (not ``switch``: it sends two)."""

    def __init__(self, endpoints: AsyncEndpoints) -> None:
        self.create = _araw(endpoints.create)
        self.get = _araw(endpoints.get)
        self.list = _araw(endpoints.list)
        self.update = _araw(endpoints.update)
        self.delete = _araw(endpoints.delete)
        self.predict = _araw(endpoints.predict)
