"""``services.with_raw_response``: the HTTP answer of any typed call, beside its model.

The managers' ``Raw...`` classes (beside each manager, in its module) wrap each call with
``raw_call`` (or ``async_raw_call``)."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, ParamSpec, TypeVar

from .._api._response import HTTPResponse, HTTPView, PredictResponse, whole_answers

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
