"""Guarded rollouts: a new version behind an endpoint, checked, baked, or rolled back.

A run is a small saga. Each step acts and checks; a step with a side effect pushes its undo
before acting, and any failure (a breach, an error, the deadline, Ctrl-C) unwinds the undo
stack: the endpoint goes back to the old service (confirmed by reading it) and the new
service is cleaned up. The old service is touched only once the run has succeeded. Every
side effect goes through the typed managers; time and sleep are the client's.

The run is written once, as steps that yield their calls (``_rollout_io``): `Rollouts`
performs them on the sync client, `AsyncRollouts` awaits them on the async one.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Generic, TypeVar

from typing_extensions import Unpack

from .. import _constants as C
from .._api._validation import check_path_id
from .._managers._progress import Progress, progress_for
from .._managers._versions import DEFAULT_HANDLER, DEFAULT_IMAGE, check_source, version_body
from ..models import Service
from ..rollout_report import RolloutEvent, RolloutReport
from ._bake import Guard
from ._release_options import Check, Compare, ReleaseOptions, Retire, RolloutOptions, choice
from ._release_steps import DeployRun, deploy_body, rollout_body
from ._rollout_io import Managers, Steps, drive, services
from ._rollout_journal import Journal
from ._rollout_run import Breach, Conflict
from ._rollout_signals import raised_as_interrupts
from ._rollout_steps import Run

_Report = TypeVar("_Report")


class RolloutsBase(Generic[_Report]):
    """The rollouts of one client: the arguments checked and the run built here, once;
    the subclass carries its steps out (``RolloutReport``, or a coroutine of one)."""

    _interrupts: tuple[type[BaseException], ...] = (KeyboardInterrupt,)
    _awaits = False  # whether ``async def`` guards are awaited

    def __init__(self, services: Any, endpoints: Any, versions: Any) -> None:
        self._services = services
        self._versions = versions
        self._managers = Managers(services, endpoints, services._sleep)

    def _drive(self, run: Run, steps: Steps[RolloutReport]) -> _Report:
        raise NotImplementedError

    def _run(
        self,
        deployment_id: str,
        version_id: str | None,
        options: ReleaseOptions,
        *,
        deploy: bool = False,
    ) -> Run:
        journal = None if options.journal is None else Journal(options.journal)
        return self._new_run(
            DeployRun if deploy else Run, deployment_id, options.endpoint, version_id,
            options.deadline, options.on_event, journal,
            progress_for(options.progress, f"rollout in {deployment_id}"),
        )  # fmt: skip

    def _new_run(
        self,
        kind: type[Run],
        deployment_id: str,
        endpoint: str,
        version_id: str | None,
        deadline: float,
        on_event: Callable[[RolloutEvent], object] | None,
        journal: Journal | None = None,
        progress: Progress | None = None,
    ) -> Run:
        """A run on this client's clock, deadline scope and interrupts."""
        return kind(
            deployment_id, endpoint, version_id, clock=self._services._clock,
            within=self._services._routes.within, interrupts=self._interrupts,
            deadline=deadline, on_event=on_event, journal=journal, progress=progress,
        )  # fmt: skip

    def run(
        self,
        deployment_id: str,
        *,
        version_id: str,
        endpoint: str = "default",
        smoke: Sequence[Mapping[str, object]] = (),
        check: Check | None = None,
        shadow: bool = False,
        compare: Compare | None = None,
        bake: float = 60.0,
        bake_interval: float = 5.0,
        max_errors: int = 0,
        max_error_rate: float | None = None,
        max_p95_latency: float | None = None,
        max_log_errors: int = 0,
        retire: Retire = "stop",
        cleanup: Retire = "delete",
        deadline: float = 1800.0,
        instance_type: str | None = None,
        instance_number: int | None = None,
        environment: dict[str, str] | None = None,
        model_id: str | None = None,
        record_channel_id: str | None = None,
        guards: Sequence[Guard] = (),
        report_path: str | os.PathLike[str] | None = None,
        plan: bool = False,
        on_event: Callable[[RolloutEvent], object] | None = None,
        progress: bool | None = None,
    ) -> _Report:
        """Put ``version_id`` behind ``endpoint``, or leave the old service serving.

        A new service, its smoke checks, the switch, the bake, then the old service
        retired; or, on any breach, error, the deadline or Ctrl-C, the endpoint back on the
        old service and the new one cleaned up. The steps, each argument's part in them
        and what every run guarantees: [`Rollouts`][abeja.services.Rollouts].

        Returns:
            The report: ``outcome`` is ``completed``, ``rolled_back``, ``rollback_failed``,
            ``conflict`` or ``planned``.

        Raises:
            ValueError, TypeError: a bad argument (nothing is sent).
            abeja.exceptions.Error: a failure before anything was changed.
            RolloutInterrupted: Ctrl-C, SIGTERM or SIGHUP, once rolled back.
        """
        check_path_id("deployment_id", deployment_id)
        check_path_id("version_id", version_id)
        options = ReleaseOptions.checked(
            self._awaits, endpoint=endpoint, smoke=smoke, check=check, shadow=shadow,
            compare=compare, bake=bake, bake_interval=bake_interval, max_errors=max_errors,
            max_error_rate=max_error_rate, max_p95_latency=max_p95_latency,
            max_log_errors=max_log_errors, retire=retire, cleanup=cleanup, deadline=deadline,
            instance_type=instance_type, instance_number=instance_number,
            environment=environment, model_id=model_id, record_channel_id=record_channel_id,
            guards=guards, report_path=report_path, plan=plan, on_event=on_event,
            progress=progress,
        )  # fmt: skip
        run = self._run(deployment_id, version_id, options)
        return self._drive(run, run.execute(rollout_body(run, options)))

    def deploy(
        self,
        deployment_id: str,
        source: str | os.PathLike[str],
        *,
        version: str,
        handler: str = DEFAULT_HANDLER,
        image: str = DEFAULT_IMAGE,
        user_parameters: Mapping[str, str] | None = None,
        **options: Unpack[RolloutOptions],
    ) -> _Report:
        """From a folder of model code to traffic: create the version, then roll it out.

        The folder (or ``.tar.gz``) becomes a version as ``versions.create`` makes it
        (``version``, ``handler``, ``image``, ``user_parameters``); then the version is
        rolled out behind ``endpoint`` exactly as ``run`` does it, with the same options
        (smoke, bake, guards, journal, ``plan``...) and outcomes. When the deployment has
        no such endpoint yet, this is its first release: a service is created for the
        version (with ``instance_type``, ``instance_number``, ``environment``,
        ``model_id``, ``record_channel_id`` when given), waited READY, smoke-checked, and
        the endpoint is created pointing at it (the report's ``endpoint`` step says so;
        there is no old service, so no bake and nothing retired). ``plan=True`` uploads
        nothing: it archives the folder locally (size and SHA-256 in the ``version``
        step), reads, and reports what it would do. A version uploaded by a run that then
        rolls back stays (a version is inert until a service runs it): the report's
        ``version_id`` names it, for the next try or ``versions.delete``.

        Returns:
            The report, as ``run``'s; ``version_id`` is the version created.

        Raises:
            ValueError, TypeError: a bad argument (nothing is sent or archived).
            RolloutInterrupted: as ``run``.
        """
        check_path_id("deployment_id", deployment_id)
        arguments = {"version": version, "handler": handler, "image": image,
                     "user_parameters": user_parameters,
                     "progress": options.get("progress")}  # fmt: skip
        version_body(version, handler, image, user_parameters)
        checked_source = check_source(source)
        release = ReleaseOptions.checked(self._awaits, **options)
        run = self._run(deployment_id, None, release, deploy=True)
        assert isinstance(run, DeployRun)
        body = deploy_body(run, release, self._versions.create, checked_source, arguments)
        return self._drive(run, run.execute(body))

    def rollback(
        self,
        deployment_id: str,
        *,
        endpoint: str = "default",
        to_service_id: str | None = None,
        report: RolloutReport | None = None,
        cleanup: Retire = "keep",
        on_event: Callable[[RolloutEvent], object] | None = None,
    ) -> _Report:
        """Point ``endpoint`` back at the old service: ``to_service_id``, or a report's
        ``old_service_id`` (after a run that was killed, say).

        The target must be READY (it is never switched to otherwise); the switch is read
        back. The service the endpoint pointed at (with a report, the report's new service)
        is then cleaned up (``cleanup``: keep, stop or delete; kept by default, for a look
        at its logs); one already gone counts as cleaned up. With a report, the endpoint is
        moved only if it still points at the report's new service (or already at the old
        one): if someone else switched it since, the outcome is ``conflict`` and it is left
        there.

        Args:
            deployment_id: the deployment (13 digits).
            endpoint: the endpoint to point back (id or alias).
            to_service_id: the service to point it at.
            report: a run's report instead: its deployment, endpoint and old service.
            cleanup: what becomes of the report's new service (keep, stop or delete).
            on_event: called with each [`RolloutEvent`][abeja.services.RolloutEvent].
        """
        deployment_id, endpoint, target = _rollback_target(
            deployment_id, endpoint, to_service_id, report
        )
        choice("cleanup", cleanup, ("keep", "stop", "delete"))
        run = self._new_run(Run, deployment_id, endpoint, None, C.DEFAULT_WAIT_TIMEOUT, on_event)
        owned = report.new_service_id if report is not None else None
        body = _rollback_body(run, deployment_id, target, owned, cleanup)
        return self._drive(run, run.execute(body, rolling_back=True))


class Rollouts(RolloutsBase[RolloutReport]):
    """Release a new version behind an endpoint, with checks and automatic rollback.

    Reached as ``ServiceClient(...).rollouts``.

    ``run(deployment_id, version_id=...)``, step by step:

    A new service for the version (carrying over the current one's ``model_id``,
    ``record_channel_id``, environment, instance type and scaling unless given here)
    is waited READY; each ``smoke`` request (``predict()`` keyword arguments) must pass
    ``check(answer)`` (default: a 2xx), with ``shadow=True`` also ``compare(new, old)``
    against the current service (default: same status and body); the endpoint is
    switched; for ``bake`` seconds, every ``bake_interval``, the smoke requests are
    replayed and the logs read, against ``max_errors``, ``max_error_rate``,
    ``max_p95_latency`` (seconds), ``max_log_errors`` and the ``guards``; then the old
    service is retired (``retire``), or, on any breach, error, the ``deadline`` or
    Ctrl-C, the endpoint goes back and the new service is cleaned up (``cleanup``).
    ``report_path`` keeps the report on disk after every step, ``plan=True`` changes
    nothing, ``progress`` shows the steps, ``on_event`` gets each
    [`RolloutEvent`][abeja.services.RolloutEvent].

    What every run (``run``, ``deploy``, ``rollback``) guarantees:

    - It acts only on what it did itself, and only while it is as it left it: the endpoint
      is read before every switch and at every bake round; if someone else moved it, or
      the old service is no longer READY when going back to it, the run stops and leaves
      it as found (outcome ``conflict``). No service that an endpoint of the deployment
      points at is ever retired or cleaned up.
    - It never creates two services (a create that may have applied is resolved by
      listing), never points the endpoint at a service that is not READY or failed its
      checks, and never touches the old service before it has succeeded.
    - The first smoke request waits, within the deadline, while the platform's proxy
      answers 503 because the model is still loading. Error lines in the logs
      (tracebacks, ``ERROR``) count during the bake: real users' failures show there too.
      Each guard is called every ``bake_interval`` with the report so far: ``None`` or
      ``True`` is healthy; ``False``, a non-empty ``str`` (the reason) or an exception is
      a breach (an async guard is awaited by the async client).
    - On any breach, error, the ``deadline`` (seconds for the whole run) or Ctrl-C, the
      endpoint is switched back to the old service and confirmed, and the new service is
      cleaned up; the report says why. SIGTERM and SIGHUP (on the main thread, if the
      program left them at their default) roll back as Ctrl-C does, then raise
      `RolloutInterrupted` with the ``report`` and the ``signal``.
    - With ``report_path`` the report is written there after every step (a temporary file
      renamed over it), so a run that is killed leaves a whole report for
      ``rollback(report=...)``. ``plan=True`` reads, reports what it would do, and
      changes nothing. ``progress`` shows each step and the elapsed time (tqdm's display,
      ``pip install 'abeja-services[notebook]'``); None (the default) shows it in a
      Jupyter notebook only.
    """

    def _drive(self, run: Run, steps: Steps[RolloutReport]) -> RolloutReport:
        with raised_as_interrupts():
            return drive(steps, self._managers)


def _rollback_target(
    deployment_id: str, endpoint: str, to_service_id: str | None, report: RolloutReport | None
) -> tuple[str, str, str]:
    """The deployment, endpoint and service a rollback goes back to, checked: the
    arguments, or the report's."""
    if (to_service_id is None) == (report is None):
        raise ValueError("give to_service_id= or report=, one of them")
    if report is not None:
        if not isinstance(report, RolloutReport):
            raise TypeError("report must be a RolloutReport")
        if report.old_service_id is None:
            raise ValueError("the report names no old service to go back to")
        deployment_id, endpoint = report.deployment_id, report.endpoint
        to_service_id = report.old_service_id
    assert to_service_id is not None
    check_path_id("deployment_id", deployment_id)
    check_path_id("endpoint", endpoint)
    check_path_id("to_service_id", to_service_id)
    return deployment_id, endpoint, to_service_id


def _rollback_body(
    run: Run, deployment_id: str, target: str, owned: str | None, cleanup: Retire
) -> Steps[None]:
    """A rollback's steps: the target READY, the endpoint back on it, then the service it
    pointed at (or the report's new one) cleaned up; someone else's switch is a conflict."""
    current = yield from run.inspect()
    old: Service = yield services("get", deployment_id, target)
    if not old.is_ready:
        raise Breach(f"{target} is {old.status}, not READY: not switching to it")
    new_id = current.service_id if owned is None else owned
    run.report.old_service_id = target
    run.report.new_service_id = new_id
    try:
        yield from run.restore(target, owned=owned)
        if new_id != target:
            yield from run.clean_up(new_id, cleanup)
    except Conflict as conflict:
        run.report.outcome, run.report.reason = "conflict", str(conflict)
