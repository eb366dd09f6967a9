"""``services.with_raw_response``: the HTTP answer of any typed call, beside its model."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ._response import HTTPResponse, HTTPView, PredictResponse

if TYPE_CHECKING:
    from ._endpoint_resources import Endpoints
    from ._resources import Services

_T = TypeVar("_T")

# The calls whose HTTP answer with_raw_response can show (one request each).
_RAW_SERVICE_CALLS = frozenset(
    {"create", "get", "list", "update", "delete", "start", "stop", "logs", "predict"}
)
_RAW_ENDPOINT_CALLS = frozenset({"create", "get", "list", "update", "delete", "predict"})


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


class _RawCalls:
    """A manager's calls, each returning a :class:`RawResponse`."""

    _calls: frozenset[str] = frozenset()

    def __init__(self, manager: object) -> None:
        self._manager = manager

    def __getattr__(self, name: str) -> Callable[..., RawResponse[Any]]:
        if name not in self._calls:
            raise AttributeError(f"with_raw_response has no {name!r}: one of {sorted(self._calls)}")
        call = getattr(self._manager, name)

        def raw(*args: Any, **kwargs: Any) -> RawResponse[Any]:
            result = call(*args, **kwargs)
            http = result.http if isinstance(result, PredictResponse) else result.http_response
            return RawResponse(http=http, parsed=result)

        raw.__doc__ = call.__doc__
        return raw


class RawServices(_RawCalls):
    """``services.with_raw_response``: each call returns a :class:`RawResponse`.

    .. code-block:: python

        raw = client.services.with_raw_response.get(deployment_id, service_id)
        raw.status_code, raw.request_id, raw.elapsed, raw.parsed.status
    """

    _calls = _RAW_SERVICE_CALLS

    def __init__(self, services: Services) -> None:
        super().__init__(services)


class RawEndpoints(_RawCalls):
    """``endpoints.with_raw_response``: each call returns a :class:`RawResponse`."""

    _calls = _RAW_ENDPOINT_CALLS

    def __init__(self, endpoints: Endpoints) -> None:
        super().__init__(endpoints)
