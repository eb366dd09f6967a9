"""ServiceClient: configuration, the transport and the ``services`` manager."""

from __future__ import annotations

import time
from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING

import requests

from ._api._answers import HTTPResponse
from ._api._routes import Routes
from ._api._version_routes import VersionRoutes
from ._client_base import ClientBase
from ._http._transport import Transport
from ._http._types import Clock, Sleep
from ._managers._endpoints import Endpoints
from ._managers._services import Services

if TYPE_CHECKING:
    from ._managers._versions import Versions
    from ._release._rollouts import Rollouts


class ServiceClient(ClientBase):
    """Typed client of the ABEJA Platform Service API.

    Arguments win over the environment (``ABEJA_ORGANIZATION_ID``,
    ``ABEJA_API_URL``, ``PLATFORM_AUTH_TOKEN`` and the other credential
    variables, ``ABEJA_SDK_CONNECTION_TIMEOUT``, ``ABEJA_SDK_MAX_RETRY_COUNT``,
    ``ABEJA_SERVICE_URL_TEMPLATE``), which is read when the client is made.
    One client holds one pooled HTTP session and is safe to share between
    threads; use it as a context manager or call `close`.

    Args:
        organization_id: the organization every call of ``services`` acts in.
        base_url: the API base, ``https://api.abeja.io`` by default.
        credential: abeja-sdk's credential dict: ``{"auth_token": ...}``,
            ``{"user_id": ..., "personal_access_token": ...}`` or
            ``{"datasource_id": ..., "datasource_secret": ...}``. Never mutated.
        timeout: seconds for connecting and for each read (default 30).
        max_retries: retries after the first attempt (default 5; 0 = one attempt).
        deadline: seconds any one call may take in all, every attempt, wait and slow
            body included (default 120); a prediction's own ``timeout`` extends it.
        max_predict_bytes: the largest prediction answer read (default 256 MiB);
            API answers are capped at 64 MiB and error bodies at 64 KiB.
        service_url_template: where predictions go, such as
            ``http://127.0.0.1:8080/o/{organization_id}``, instead of the
            organization's sub-domain of the API host.
        session: a ``requests.Session`` whose adapters, proxies, ``verify`` and ``cert``
            are used (left open by `close`); by default the client makes its own.
        sleep: what waits between retries and polls (tests pass a recorder).
        clock: monotonic seconds for deadlines and waiters (tests pass a fake).
        profile: the name of an abejacli configuration (``~/.abeja/config``, as
            ``abeja config init`` writes it) to take the credential, organization and
            API URL from where the arguments and variables leave them unset. Without
            it, abejacli's active configuration is read when no credential is given
            or set in the environment.
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
        session: requests.Session | None = None,
        sleep: Sleep | None = None,
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
        self._transport: Transport = Transport(settings, session=session, sleep=sleep, clock=clock)
        self._attach(
            Routes(self._transport, self._settings),
            clock=clock,
            sleep=sleep if sleep is not None else time.sleep,
        )

    def _attach(self, routes: Routes[HTTPResponse], *, clock: Clock, sleep: Sleep) -> None:
        self.services = Services(routes, self._organization_id, clock=clock, sleep=sleep)
        """Service operations: ``create``, ``get``, ``list``, ``update``, ``delete``, ..."""
        self.endpoints = Endpoints(routes, self.services._organization, clock=clock, sleep=sleep)
        """Endpoint operations: ``create``, ``get``, ``list``, ``update``, ``switch``, ..."""
        self._version_routes = VersionRoutes(routes._transport, self._settings)
        # Made at first use: the release modules (archives, the rollout engine, signal
        # handling on asyncio) stay out of the import of a program that never releases.
        self._versions: Versions | None = None
        self._rollouts: Rollouts | None = None

    @property
    def versions(self) -> Versions:
        """Deployment versions (a folder of model code): ``create``, ``list``, ``get``, ..."""
        if self._versions is None:
            from ._managers._versions import Versions

            self._versions = Versions(self._version_routes, self.services._organization)
        return self._versions

    @property
    def rollouts(self) -> Rollouts:
        """Guarded releases of a new version behind an endpoint: ``run``, ``deploy``,
        ``rollback``."""
        if self._rollouts is None:
            from ._release._rollouts import Rollouts

            self._rollouts = Rollouts(self.services, self.endpoints, self.versions)
        return self._rollouts

    def with_options(
        self,
        *,
        organization_id: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        deadline: float | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> ServiceClient:
        """A copy with other options for some calls, sharing this client's connections.

        Cheap (no new pool); closing the copy leaves the connections to this client.

        .. code-block:: python

            client.with_options(timeout=5, max_retries=0).services.get(deployment_id, service_id)
        """
        copy = self._copy(organization_id, timeout, max_retries, deadline, extra_headers)
        copy._attach(
            Routes(copy._transport, self._settings),
            clock=self.services._clock,
            sleep=self.services._sleep,
        )
        return copy

    def close(self) -> None:
        """Release the pooled connections; calling it again does nothing."""
        self._transport.close()

    def __enter__(self) -> ServiceClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
