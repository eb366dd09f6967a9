"""AsyncServiceClient: the typed client on ``httpx.AsyncClient`` (``pip install
'abeja-services[async]'``), with the sync client's arguments, settings and policy."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Mapping
from types import TracebackType

import httpx

from ._api._answers import HTTPResponse
from ._api._routes import Routes
from ._api._version_routes import VersionRoutes
from ._client_base import ClientBase
from ._http._async._async_transport import AsyncTransport
from ._http._types import AsyncSleep, Clock
from ._managers._async_endpoints import AsyncEndpoints
from ._managers._async_services import AsyncServices
from ._managers._versions import AsyncVersions
from ._release._async_rollouts import AsyncRollouts


class AsyncServiceClient(ClientBase):
    """Async typed client of the ABEJA Platform Service API.

    The same arguments, environment variables, abejacli configurations and defaults as
    [`ServiceClient`][abeja.services.ServiceClient], and the same promises: a write sent
    at most once unless it provably did not reach the backend, every call within its
    deadline, answers capped, no httpx exception escaping, no credential shown. Use it
    with ``async with`` or ``await client.aclose()``.

    .. code-block:: python

        async with AsyncServiceClient() as client:
            service = await client.services.create(deployment_id, version_id=version_id)
            service = await client.services.wait_until_ready(deployment_id, service.service_id)
            answer = await client.services.predict(deployment_id, service.service_id, json={})

    Args:
        organization_id: the organization every call of ``services`` acts in.
        base_url: the API base, ``https://api.abeja.io`` by default.
        credential: abeja-sdk's credential dict, as for ``ServiceClient``.
        timeout: seconds for connecting and for each read (default 30).
        max_retries: retries after the first attempt (default 5; 0 = one attempt).
        service_url_template: where predictions go instead of the organization's
            sub-domain of the API host.
        deadline: seconds any one call may take in all (default 120).
        max_predict_bytes: the largest prediction answer read (default 256 MiB).
        http_client: an ``httpx.AsyncClient`` of yours (proxies, mTLS, limits, event
            hooks), used as it is and left open by `aclose`; by default the client
            makes its own.
        sleep: what is awaited between retries and polls (tests pass a recorder).
        clock: monotonic seconds for deadlines and waiters (tests pass a fake).
        profile: the name of an abejacli configuration, as for ``ServiceClient``.
    """

    def __init__(
        self,
        organization_id: str | None = None,
        *,
        base_url: str | None = None,
        credential: Mapping[str, str] | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        service_url_template: str | None = None,
        deadline: float | None = None,
        max_predict_bytes: int | None = None,
        http_client: httpx.AsyncClient | None = None,
        sleep: AsyncSleep | None = None,
        clock: Clock | None = None,
        profile: str | None = None,
    ) -> None:
        settings = self._configure(
            organization_id,
            base_url=base_url,
            credential=credential,
            timeout=timeout,
            max_retries=max_retries,
            service_url_template=service_url_template,
            deadline=deadline,
            max_predict_bytes=max_predict_bytes,
            profile=profile,
        )
        clock = clock if clock is not None else time.monotonic
        self._transport: AsyncTransport = AsyncTransport(
            settings, http_client=http_client, sleep=sleep, clock=clock
        )
        self._attach(clock=clock, sleep=sleep if sleep is not None else asyncio.sleep)

    def _attach(self, *, clock: Clock, sleep: AsyncSleep) -> None:
        routes: Routes[Awaitable[HTTPResponse]] = Routes(self._transport, self._settings)
        self.services = AsyncServices(routes, self._organization_id, clock=clock, sleep=sleep)
        """Service operations, each a coroutine: ``create``, ``get``, ``list``, ..."""
        self.endpoints = AsyncEndpoints(
            routes, self.services._organization, clock=clock, sleep=sleep
        )
        """Endpoint operations, each a coroutine: ``create``, ``get``, ``switch``, ..."""
        self.versions = AsyncVersions(
            VersionRoutes(self._transport, self._settings), self.services._organization
        )
        """Deployment versions, each call a coroutine: ``create``, ``list``, ``get``, ..."""
        self.rollouts = AsyncRollouts(self.services, self.endpoints, self.versions)
        """Guarded releases behind an endpoint: ``await rollouts.run(...)``, ``rollback``."""

    def with_options(
        self,
        *,
        organization_id: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        deadline: float | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> AsyncServiceClient:
        """A copy with other options for some calls, sharing this client's connections
        (closing the copy leaves them to this client)."""
        copy = self._copy(organization_id, timeout, max_retries, deadline, extra_headers)
        copy._attach(clock=self.services._clock, sleep=self.services._sleep)
        return copy

    async def aclose(self) -> None:
        """Close the pooled connections (not an ``http_client`` passed in); safe to repeat."""
        await self._transport.aclose()

    async def __aenter__(self) -> AsyncServiceClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
