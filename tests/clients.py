"""Both typed clients behind one face, so that a suite runs against each (parametrised,
not copied): ``ServiceClient`` as it is, ``AsyncServiceClient`` with every call awaited
on an event loop of its own (the test reads as the sync one does).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from abeja.services import AsyncServiceClient, ServiceClient

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
        if not callable(value):
            return value

        @functools.wraps(value)
        def call(*args: Any, **kwargs: Any) -> Any:
            return self._loop.run_until_complete(value(*args, **kwargs))

        return call


class AwaitedClient:
    """An ``AsyncServiceClient`` driven from a sync test."""

    def __init__(self, client: AsyncServiceClient, loop: asyncio.AbstractEventLoop) -> None:
        self.client = client
        self.loop = loop
        self.services = _Awaited(client.services, loop)

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
    client = AsyncServiceClient(organization_id, **options)
    return AwaitedClient(client, loop)


def sync_only(kind: str, what: str) -> None:
    """Skip where the async client has no such call yet (saying which)."""
    if kind == "async":
        pytest.skip(f"{what}: not in AsyncServiceClient yet")
