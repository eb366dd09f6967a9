"""Both typed clients behind one face, so that a suite runs against each (parametrised,
not copied): ``ServiceClient`` as it is, ``AsyncServiceClient`` with every call awaited
on an event loop of its own (the test reads as the sync one does).
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

from abeja.services import (
    AsyncEndpoint,
    AsyncEndpointList,
    AsyncService,
    AsyncServiceClient,
    AsyncServiceList,
    ServiceClient,
)

KINDS = ("sync", "async")


class _Awaited:
    """``target``'s coroutine functions as plain calls, run to completion on ``loop``."""

    def __init__(self, target: object, loop: asyncio.AbstractEventLoop) -> None:
        self._target = target
        self._loop = loop

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if name == "with_raw_response":
            return _Awaited(value, self._loop)
        if name == "with_streaming_response":
            return _AwaitedStreaming(value, self._loop)
        if not callable(value):
            return value

        @functools.wraps(value)
        def call(*args: Any, **kwargs: Any) -> Any:
            return _settled(value(*args, **kwargs), self._loop)

        return call


def _settled(result: Any, loop: asyncio.AbstractEventLoop) -> Any:
    """What a sync call would have returned: awaited, driven, or wrapped to be so."""
    if isinstance(result, AsyncIterator):  # iter_logs: driven lazily, as the sync one
        return _driven(result, loop)
    if inspect.isawaitable(result):
        result = loop.run_until_complete(result)
    if isinstance(result, (AsyncService, AsyncEndpoint, AsyncServiceList, AsyncEndpointList)):
        return AwaitedModel(result, loop)
    return result


class _AwaitedStreaming:
    """``with_streaming_response`` of the async client: each call a sync context manager
    whose answer's iterators and ``read``/``close`` run on ``loop``."""

    def __init__(self, target: object, loop: asyncio.AbstractEventLoop) -> None:
        self._target = target
        self._loop = loop

    def predict(self, *args: Any, **kwargs: Any) -> _AwaitedCall:
        return _AwaitedCall(self._target.predict(*args, **kwargs), self._loop)  # type: ignore[attr-defined]


class _AwaitedCall:
    def __init__(self, call: Any, loop: asyncio.AbstractEventLoop) -> None:
        self.call = call
        self._loop = loop

    def __enter__(self) -> _AwaitedStreamed:
        return _AwaitedStreamed(self._loop.run_until_complete(self.call.__aenter__()), self._loop)

    def __exit__(self, *exc_info: Any) -> None:
        self._loop.run_until_complete(self.call.__aexit__(*exc_info))


class _AwaitedStreamed:
    """An ``AsyncStreamedResponse`` read from sync code (its iterators driven lazily)."""

    def __init__(self, response: Any, loop: asyncio.AbstractEventLoop) -> None:
        self.response = response
        self._loop = loop

    def iter_bytes(self, chunk_size: int | None = None) -> Iterator[bytes]:
        return _driven(self.response.iter_bytes(chunk_size), self._loop)

    def iter_lines(self, encoding: str = "utf-8") -> Iterator[str]:
        return _driven(self.response.iter_lines(encoding), self._loop)

    def read(self) -> bytes:
        return bytes(self._loop.run_until_complete(self.response.read()))

    def close(self) -> None:
        self._loop.run_until_complete(self.response.close())

    def __getattr__(self, name: str) -> Any:
        return getattr(self.response, name)


class AwaitedModel:
    """A model from the async client whose own calls (``service.refresh()``, iterating a
    list of them) run to completion on ``loop``; it passes for the model itself
    (``isinstance``, ``==``, its fields)."""

    def __init__(self, model: Any, loop: asyncio.AbstractEventLoop) -> None:
        object.__setattr__(self, "_model", model)
        object.__setattr__(self, "_loop", loop)

    @property  # type: ignore[misc]
    def __class__(self) -> type:  # noqa: D105 - isinstance() asks this
        return type(object.__getattribute__(self, "_model"))

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._model, name)
        if not callable(value) or isinstance(value, type):
            return value

        @functools.wraps(value)
        def call(*args: Any, **kwargs: Any) -> Any:
            return _settled(value(*args, **kwargs), self._loop)

        return call

    def __eq__(self, other: object) -> bool:
        return bool(self._model == getattr(other, "_model", other))

    __hash__ = None  # type: ignore[assignment]

    def __iter__(self) -> Iterator[Any]:
        return (_settled(item, self._loop) for item in self._model)

    def __len__(self) -> int:
        return len(self._model)

    def __getitem__(self, index: int) -> Any:
        return _settled(self._model[index], self._loop)

    def __repr__(self) -> str:
        return repr(self._model)


def _driven(events: AsyncIterator[Any], loop: asyncio.AbstractEventLoop) -> Iterator[Any]:
    """An async iterator's items, each awaited on ``loop`` only when asked for."""
    try:
        while True:
            try:
                yield loop.run_until_complete(anext(events))
            except StopAsyncIteration:
                return
    finally:
        aclose = getattr(events, "aclose", None)
        if aclose is not None:
            loop.run_until_complete(aclose())


class AwaitedClient:
    """An ``AsyncServiceClient`` driven from a sync test."""

    def __init__(self, client: AsyncServiceClient, loop: asyncio.AbstractEventLoop) -> None:
        self.client = client
        self.loop = loop
        self.services = _Awaited(client.services, loop)
        self.endpoints = _Awaited(client.endpoints, loop)
        self.rollouts = _Awaited(client.rollouts, loop)
        self.versions = _Awaited(client.versions, loop)

    def with_options(self, **options: Any) -> AwaitedClient:
        return AwaitedClient(self.client.with_options(**options), self.loop)

    def close(self) -> None:
        """As ``asyncio.run`` ends: the client closed, then the async generators still
        open (httpx's, left when a read stopped at the cap), then the loop."""
        self.loop.run_until_complete(self.client.aclose())
        self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        self.loop.close()

    def __enter__(self) -> AwaitedClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)


def _async_sleep(sleep: Callable[[float], object]) -> Callable[[float], Awaitable[None]]:
    async def awaited(seconds: float) -> None:
        sleep(seconds)

    return awaited


def make_client(kind: str, organization_id: str | None = None, **options: Any) -> Any:
    """A ``ServiceClient`` (``kind="sync"``) or an awaited ``AsyncServiceClient``."""
    if kind == "sync":
        return ServiceClient(organization_id, **options)
    if "sleep" in options and options["sleep"] is not None:
        options["sleep"] = _async_sleep(options["sleep"])
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        client = AsyncServiceClient(organization_id, **options)
    except BaseException:  # refused at construction: the loop made for it goes too
        loop.close()
        raise
    return AwaitedClient(client, loop)


def emulated_client(kind: str, emulator: Any, **options: Any) -> Any:
    """``make_client`` pointed at ``emulator`` (a ``ServiceEmulator``), as ``emulator.client``."""
    return make_client(
        kind,
        emulator.organization_id,
        base_url=emulator.url,
        credential=emulator.credential,
        service_url_template=emulator.service_url_template,
        **options,
    )
