"""The API calls a ``Service`` makes on itself: each forwards to the ``Services`` method
of the same name with the service's ids.

The signatures must equal the manager's minus the two ids; a test
(``tests/test_bound.py``) compares them, so they cannot drift.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from . import _constants as C
from ._status import FAILED_STATUSES
from .errors import ServiceNotBoundError

if TYPE_CHECKING:
    from ._bodies import DataBody
    from ._resources import Services
    from ._response import PredictResponse
    from .models import ActionResult, LogEvent, LogPage, Service, UpdateServicePayload


class BoundService:
    """Mixin of :class:`Service`: the calls a service fetched through a client can make."""

    __slots__ = ()

    if TYPE_CHECKING:
        service_id: str
        deployment_id: str

    def _bound(self) -> Services:
        services: Services | None = getattr(self, "_services", None)
        if services is None:
            raise ServiceNotBoundError(
                f"Service {self.service_id!r} was built by hand and has no client; "
                "get it from ServiceClient.services to call the API"
            )
        return services

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
        *,
        timeout: float = C.DEFAULT_WAIT_TIMEOUT,
        poll_interval: float | None = None,
        on_status: Callable[[Service], object] | None = None,
        failed_statuses: Collection[str] = FAILED_STATUSES,
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
        *,
        timeout: float = C.DEFAULT_WAIT_TIMEOUT,
        poll_interval: float | None = None,
        on_status: Callable[[Service], object] | None = None,
        failed_statuses: Collection[str] = FAILED_STATUSES,
    ) -> Service:
        """Poll until this service is STOPPED; returns it fresh."""
        return self._bound().wait_until_stopped(
            self.deployment_id,
            self.service_id,
            timeout=timeout,
            poll_interval=poll_interval,
            on_status=on_status,
            failed_statuses=failed_statuses,
        )

    def wait_until_deleted(
        self,
        *,
        timeout: float = C.DEFAULT_WAIT_TIMEOUT,
        poll_interval: float | None = None,
        on_status: Callable[[Service], object] | None = None,
    ) -> None:
        """Poll until this service is gone."""
        self._bound().wait_until_deleted(
            self.deployment_id,
            self.service_id,
            timeout=timeout,
            poll_interval=poll_interval,
            on_status=on_status,
        )

    def iter_logs(
        self,
        *,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        limit: int | None = None,
        max_pages: int = C.MAX_LOG_PAGES,
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
            max_pages=max_pages,
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
