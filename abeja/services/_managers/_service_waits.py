# Generated from _async_service_waits.py by .ci/unasync.py: do not edit (make generate).
"""The services manager's waits and log walk (``wait_until_ready``, ``wait_until_stopped``,
``wait_until_deleted``, ``iter_logs``): ``_waiters``' state machines (``Poll``, ``Probe``,
``LogWalk``) driven over the manager's own calls, a mixin of the services manager."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Collection, Iterator, Mapping
from datetime import datetime
from typing import Any, cast

from .. import _constants as C
from .._api._answers import HTTPResponse
from .._api._routes import Routes, log_query
from .._api._status import FAILED_STATUSES, ServiceStatus
from .._api._validation import check_path_id
from .._http._types import Clock, Sleep, StopSignal
from ..errors import APITimeoutError, Error
from ..models import LogEvent, Service
from . import _waiters
from ._bound import ServiceCalls
from ._progress import shown_while_waiting


class ServiceWaits:
    """Mixin of the services manager: its waits and its log walk, over its own ``get``,
    ``predict`` and ``logs``."""

    _routes: Routes[HTTPResponse]
    _clock: Clock
    _sleep: Sleep

    def _calls(self) -> ServiceCalls:
        """This manager, as the calls the waits make (the manager defines them)."""
        return cast("ServiceCalls", self)

    def wait_until_ready(
        self,
        deployment_id: str,
        service_id: str,
        *,
        timeout: float = 600.0,
        poll_interval: float | None = None,
        on_status: Callable[[Service], object] | None = None,
        failed_statuses: Collection[str] = FAILED_STATUSES,
        probe: Mapping[str, Any] | None = None,
        progress: bool | None = None,
    ) -> Service:
        """Poll until the service is READY and return it fresh.

        Polls every ``poll_interval`` seconds (1 by default), growing by half each
        time up to 10 s, never sleeping past ``timeout``. ``on_status(service)``
        is called whenever the status changes (and on the first poll).

        Args:
            deployment_id: the deployment (13 digits).
            service_id: the service (``ser-...``).
            timeout: seconds to wait in all.
            poll_interval: seconds before the second poll (1 by default); it grows by
                half up to 10 s.
            on_status: called with the service whenever its status changes.
            failed_statuses: statuses that end the wait with ``ServiceFailedError``.
            probe: after READY, send this prediction (``predict()`` arguments, such as
                ``{"json": {...}}``) until it is answered 2xx, within ``timeout``: the
                platform's proxy answers 503 until the model has loaded, after the service
                reports READY. Any other error ends the wait (raised as it is).
            progress: show the status and the elapsed time while waiting (tqdm's display:
                ``pip install 'abeja-services[notebook]'``); None (the default) shows it
                in a Jupyter notebook only.

        Raises:
            ServiceFailedError: the status entered ``failed_statuses`` (unknown
                statuses keep polling).
            WaitTimeoutError: not READY (or, with ``probe``, not answering 2xx) by the
                deadline; carries the last ``Service`` seen.
        """
        plan = self._plan(deployment_id, service_id, timeout, poll_interval)
        probing = None if probe is None else _waiters.Probe(plan, probe)
        goal = ServiceStatus.READY
        with shown_while_waiting(progress, service_id, on_status) as on_status:
            service = self._until(deployment_id, service_id, plan, goal, on_status, failed_statuses)
        if probing is not None:
            probing.service = service
            self._answered(deployment_id, service_id, probing)
        return service

    def _answered(self, deployment_id: str, service_id: str, probe: _waiters.Probe) -> None:
        while True:
            try:
                with self._routes.within(probe.budget()):
                    self._calls().predict(deployment_id, service_id, **probe.request)
                return
            except Error as error:
                probe.failed(error)
            self._sleep(probe.pause())

    def wait_until_stopped(
        self,
        deployment_id: str,
        service_id: str,
        *,
        timeout: float = 600.0,
        poll_interval: float | None = None,
        on_status: Callable[[Service], object] | None = None,
        failed_statuses: Collection[str] = FAILED_STATUSES,
    ) -> Service:
        """Poll until the service is STOPPED and return it (as `wait_until_ready`).

        Args:
            deployment_id: the deployment (13 digits).
            service_id: the service (``ser-...``).
            timeout: seconds to wait in all.
            poll_interval: seconds before the second poll (growing, as for ``wait_until_ready``).
            on_status: called with the service whenever its status changes.
            failed_statuses: statuses that end the wait with ``ServiceFailedError``.
        """
        plan = self._plan(deployment_id, service_id, timeout, poll_interval)
        goal = ServiceStatus.STOPPED
        return self._until(deployment_id, service_id, plan, goal, on_status, failed_statuses)

    def wait_until_deleted(
        self,
        deployment_id: str,
        service_id: str,
        *,
        timeout: float = 600.0,
        poll_interval: float | None = None,
        on_status: Callable[[Service], object] | None = None,
    ) -> None:
        """Poll until the service is gone (the API answers 404).

        Args:
            deployment_id: the deployment (13 digits).
            service_id: the service (``ser-...``).
            timeout: seconds to wait in all.
            poll_interval: seconds before the second poll (growing, as for ``wait_until_ready``).
            on_status: called with the service while it still exists.
        """
        plan = self._plan(deployment_id, service_id, timeout, poll_interval)
        self._poll(deployment_id, service_id, _waiters.Poll(plan, None, on_status, ()))

    def _plan(
        self,
        deployment_id: str,
        service_id: str,
        timeout: float,
        poll_interval: float | None,
        growth: float = C.POLL_GROWTH,
    ) -> _waiters.WaitPlan:
        """The checked ids and the wait's clock (``growth=1``: every ``poll_interval``, as
        the command line's ``wait --interval`` polls)."""
        check_path_id("deployment_id", deployment_id)
        check_path_id("service_id", service_id)
        return _waiters.WaitPlan.checked(timeout, poll_interval, self._clock, growth)

    def _until(
        self,
        deployment_id: str,
        service_id: str,
        plan: _waiters.WaitPlan,
        goal: str,
        on_status: Callable[[Service], object] | None,
        failed_statuses: Collection[str],
    ) -> Service:
        poll = _waiters.Poll(plan, goal, on_status, failed_statuses)
        service = self._poll(deployment_id, service_id, poll)
        assert service is not None  # only a wait for deletion ends without one
        return service

    def _poll(self, deployment_id: str, service_id: str, poll: _waiters.Poll) -> Service | None:
        try:
            while True:
                try:
                    with self._routes.within(poll.budget()):
                        current = self._calls().get(deployment_id, service_id)
                except Error as error:
                    poll.failed(error)
                else:
                    if poll.seen(current):
                        return current
                self._sleep(poll.pause())
        except _waiters.Poll.Gone:
            return None

    def iter_logs(
        self,
        deployment_id: str,
        service_id: str,
        *,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        limit: int | None = None,
        max_pages: int = 10000,
        follow: bool = False,
        poll_interval: float = 2.0,
        timeout: float | None = None,
        stop_event: StopSignal | None = None,
    ) -> Iterator[LogEvent]:
        """Every log event, newest to oldest, one page per request (lazily).

        With ``follow=True`` (like ``tail -f``), after the existing events it keeps
        yielding new ones, oldest to newest, polling every ``poll_interval``
        seconds along ``next_forward_token`` until ``timeout`` seconds have
        passed, ``stop_event`` (a ``threading.Event``, or an ``asyncio.Event`` on the async
        client) is set, or Ctrl-C arrives while waiting (on the async client: the task is
        cancelled). ``limit`` caps the number of events and ``max_pages`` the requests;
        ``timeout`` bounds the whole walk, back and forward. The walk back ends where the
        server hands back the token it was sent (see the docs on log paging). The
        arguments are checked at the call, before any request.
        """
        check_path_id("deployment_id", deployment_id)
        check_path_id("service_id", service_id)
        log_query(None, None, start_time, end_time)  # raise now, not at the first page
        walk = _waiters.LogWalk(
            limit=limit,
            max_pages=max_pages,
            follow=follow,
            poll_interval=poll_interval,
            timeout=timeout,
            stop_event=stop_event,
            clock=self._clock,
        )
        return self._walk(deployment_id, service_id, start_time, end_time, walk)

    def _walk(
        self,
        deployment_id: str,
        service_id: str,
        start_time: datetime | None,
        end_time: datetime | None,
        walk: _waiters.LogWalk,
    ) -> Iterator[LogEvent]:
        while (step := walk.step()) is not None:
            if not isinstance(step, _waiters.FetchLogPage):
                try:
                    self._sleep(step)
                except KeyboardInterrupt:  # Ctrl-C while following ends the walk
                    return
                continue
            left = step.within
            try:
                with contextlib.nullcontext() if left is None else self._routes.within(left):
                    page = self._calls().logs(
                        deployment_id,
                        service_id,
                        start_time=start_time,
                        end_time=end_time,
                        next_forward_token=step.forward,
                        next_backward_token=step.backward,
                    )
            except APITimeoutError:
                if walk.cut_short():
                    return  # the walk's own timeout, not a failure
                raise
            for event in walk.received(page):
                yield event
