"""A rollout's steps: each acts, checks, and pushes its undo; each acts only on what the
run itself did, and only while it is as the run left it (a `Conflict` otherwise).

The steps are generators of ops (``_rollout_io``): the same run goes on either client.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from typing import Any

from .. import _constants as C
from .._api._answers import PredictResponse
from ..errors import APIConnectionError, Error, HttpError, NotFound
from ..models import Endpoint, Service
from ._rollout_io import Pause, Steps, endpoints, services
from ._rollout_run import Breach, Conflict, RunState, describe
from ._rollout_services import changes, copied_settings, figures_of, pointing_at, retire_service


def _no_endpoint_yet(error: NotFound, deployment_id: str, endpoint: str) -> NotFound:
    """The 404 for a missing endpoint, saying how to make the first one."""
    alias = "" if endpoint == "default" else f" --alias {endpoint}"
    hint = (
        "a rollout switches an existing endpoint; create the first one, pointing at the "
        f"service that serves today: `abeja-services endpoints create {deployment_id} "
        f"--service-id SERVICE_ID{alias}` (client.endpoints.create(...))"
    )
    return NotFound(
        error.error,
        f"{error.error_description}: {hint}" if error.error_description else hint,
        error.error_detail,
        error.status_code,
        error.url,
        method=error.method,
        request_id=error.request_id,
    )


class Run(RunState):
    """One run, with its steps."""

    def inspect(self) -> Steps[Service]:
        """Read the endpoint and the service it points at."""
        current = yield from self.inspect_if_any(missing_ok=False)
        assert current is not None
        return current

    def inspect_if_any(self, *, missing_ok: bool = True) -> Steps[Service | None]:
        """`inspect`; with ``missing_ok``, None when there is no endpoint yet (a first
        release), read once."""
        with self.step("inspect", f"reading endpoint {self.endpoint}") as step:
            with self.within():
                try:
                    endpoint: Endpoint = yield endpoints("get", self.deployment_id, self.endpoint)
                except NotFound as error:
                    if not missing_ok:
                        raise _no_endpoint_yet(error, self.deployment_id, self.endpoint) from None
                    step.detail = f"no endpoint {self.endpoint} yet: this is the first release"
                    step.figures["first_release"] = True
                    self.alias = self.endpoint
                    return None
                if endpoint.service_id is None:
                    raise Breach(f"endpoint {self.endpoint} points at no service")
                current: Service = yield services("get", self.deployment_id, endpoint.service_id)
            self.alias = endpoint.custom_alias or endpoint.endpoint_id
            self.report.old_service_id = current.service_id
            step.figures.update(
                endpoint_id=endpoint.endpoint_id,
                service_id=current.service_id,
                status=str(current.status),
                model_version=current.model_version,
            )
            step.detail = f"endpoint {self.alias} points at {current.service_id}"
        return current

    def create(self, arguments: Mapping[str, Any], cleanup: str) -> Steps[Service]:
        """Create the new service with ``arguments`` (once: an ambiguous create is resolved
        by listing)."""
        version = self.report.version_id
        assert version is not None
        with self.step("create", f"creating a service for {version}") as step:
            with self.within():
                listed: list[Service] = yield services("list", self.deployment_id)
                before = {s.service_id for s in listed}
                try:
                    new: Service = yield services(
                        "create", self.deployment_id, version_id=version, **arguments
                    )
                except (HttpError, APIConnectionError) as error:
                    if not error.may_have_applied:
                        raise
                    new = yield from self._created_since(before, version, error)
            self.report.new_service_id = new.service_id
            self._undo.append(lambda: self.clean_up(new.service_id, cleanup))
            self.save()  # the new service's id is in the journal before anything else
            step.figures.update(service_id=new.service_id, **figures_of(arguments))
            step.detail = f"created {new.service_id}"
        return new

    def _created_since(self, before: set[str], version: str, error: Error) -> Steps[Service]:
        listed: list[Service] = yield services("list", self.deployment_id)
        found = [s for s in listed if s.service_id not in before and s.model_version_id == version]
        if not found:
            raise error  # it was not created: nothing changed
        if len(found) > 1:
            ids = ", ".join(s.service_id for s in found)
            raise Breach(
                f"the create may have applied and {len(found)} new services appeared: {ids}"
            )
        return found[0]

    def wait_ready(self, new: Service) -> Steps[None]:
        """Wait until the new service is READY, within the run's deadline."""
        with self.step("wait", f"waiting for {new.service_id} to be READY") as step:
            ready: Service = yield services(
                "wait_until_ready",
                self.deployment_id,
                new.service_id,
                timeout=self.remaining(),
                on_status=lambda s: self.emit("wait", "progress", f"{s.service_id} is {s.status}"),
            )
            step.detail = f"{ready.service_id} is READY"

    def _loaded(self, service_id: str, request: Mapping[str, Any]) -> Steps[PredictResponse]:
        """The first request to a new service: the platform's proxy answers 503 (the
        handler did not run) until the model has loaded, after the service is READY; that
        is waited out, within the run's deadline."""
        pause = C.FIRST_POLL_INTERVAL
        while True:
            try:
                with self.within():
                    answer: PredictResponse = yield services(
                        "predict", self.deployment_id, service_id, **request
                    )
                return answer
            except HttpError as error:
                # 503 (Service Unavailable: not processed) is what the proxy answers until
                # the model has loaded; the deadline bounds a model that answers it for good.
                if error.status_code != 503:
                    raise
            self.emit("smoke", "progress", f"{service_id} is READY; its model is loading")
            yield Pause(min(pause, self.remaining()))
            pause = min(pause * C.POLL_GROWTH, C.MAX_POLL_INTERVAL)

    def predict_checked(
        self,
        service_id: str,
        request: Mapping[str, Any],
        check: Callable[[PredictResponse], bool],
        *,
        first: bool = False,
    ) -> Steps[PredictResponse]:
        """One smoke request to a service; a Breach if it fails or ``check`` refuses it
        (the ``first`` waits for the model to load)."""
        if first:
            answer = yield from self._loaded(service_id, request)
        else:
            with self.within():
                answer = yield services("predict", self.deployment_id, service_id, **request)
        if not check(answer):
            raise Breach(f"the check refused the answer of {service_id} ({answer.status_code})")
        return answer

    def smoke(
        self,
        new: Service,
        requests: list[dict[str, Any]],
        check: Callable[[PredictResponse], bool],
    ) -> Steps[None]:
        """Every smoke request to the new service directly."""
        if not requests:
            self.note("smoke", "skipped", "no smoke requests given")
            self.warn(
                "smoke",
                "no smoke request: the new service is never sent a request by the run; the "
                "bake watches only its status, its log and the guards",
            )
            return
        with self.step("smoke", f"{len(requests)} smoke request(s) to {new.service_id}") as step:
            for number, request in enumerate(requests, 1):
                step.figures["requests"] = number
                try:
                    yield from self.predict_checked(
                        new.service_id, request, check, first=number == 1
                    )
                except Error as error:
                    step.detail = f"smoke request {number} failed: {describe(error)}"
                    raise
            step.detail = f"{len(requests)} smoke request(s) passed"

    def shadow(
        self,
        new: Service,
        current: Service,
        requests: list[dict[str, Any]],
        compare: Callable[[PredictResponse, PredictResponse], bool],
    ) -> Steps[None]:
        """The smoke requests to both services, answers compared."""
        with self.step("shadow", f"comparing {new.service_id} with {current.service_id}") as step:
            for number, request in enumerate(requests, 1):
                step.figures["requests"] = number
                with self.within():
                    mine: PredictResponse = yield services(
                        "predict", self.deployment_id, new.service_id, **request
                    )
                    theirs: PredictResponse = yield services(
                        "predict", self.deployment_id, current.service_id, **request
                    )
                if not compare(mine, theirs):
                    step.detail = f"request {number}: the answers differ"
                    raise Breach(step.detail)
            step.detail = f"{len(requests)} answer(s) compared"

    def switch(self, new: Service, current: Service) -> Steps[None]:
        """Point the endpoint at the new service and read it back."""
        with self.step("switch", f"switching {self.alias} to {new.service_id}") as step:
            with self.within():
                now: Endpoint = yield endpoints("get", self.deployment_id, self.endpoint)
            if now.service_id != current.service_id:
                raise Conflict(
                    f"{self.alias} points at {now.service_id}, not at {current.service_id} as "
                    "when the run started (switched by someone else): not switching it"
                )
            # Pushed before acting: a PATCH that fails may still have applied.
            self._undo.append(lambda: self.restore(current.service_id, owned=new.service_id))
            with self.within():
                yield endpoints("switch", self.deployment_id, self.endpoint, new.service_id)
            step.detail = f"{self.alias} points at {new.service_id} (read back)"

    def restore(self, service_id: str, *, owned: str | None = None) -> Steps[None]:
        """Point the endpoint back at ``service_id`` (unless it still does) and confirm it.

        Only while the endpoint points at ``owned`` (the run's own service; None: wherever
        it points, as ``rollback --to`` asks) and ``service_id`` is READY; otherwise a
        `Conflict`, and the endpoint is left as found.
        """
        with self.step("restore", f"switching {self.endpoint} back to {service_id}") as step:
            now: Endpoint = yield endpoints("get", self.deployment_id, self.endpoint)
            if now.service_id == service_id:
                step.detail = f"{self.endpoint} still points at {service_id}"
                return
            if owned is not None and now.service_id != owned:
                raise Conflict(
                    f"{self.endpoint} points at {now.service_id}, not at {owned} (switched by "
                    "someone else): left there"
                )
            target: Service = yield services("get", self.deployment_id, service_id)
            if not target.is_ready:
                raise Conflict(
                    f"{service_id} is {target.status}, not READY: {self.endpoint} left on "
                    f"{now.service_id}"
                )
            try:
                yield endpoints("switch", self.deployment_id, self.endpoint, service_id)
            except Error:
                # A PATCH answered with an error may still have applied: what counts is
                # where the endpoint points now.
                now = yield endpoints("get", self.deployment_id, self.endpoint)
                if now.service_id != service_id:
                    raise
            step.detail = f"{self.endpoint} points at {service_id} again (read back)"

    def clean_up(self, service_id: str, how: str) -> Steps[None]:
        """The new service after a rollback: deleted, stopped or kept."""
        if how == "keep":
            self.note("cleanup", "skipped", f"{service_id} kept (cleanup=keep)")
            return
        with self.step("cleanup", f"{how} {service_id}") as step:
            serving = yield from pointing_at(self.deployment_id, service_id)
            if serving:
                raise Conflict(f"{service_id} kept: endpoint {', '.join(serving)} points at it")
            yield from retire_service(self.deployment_id, service_id, how)
            step.detail = f"{service_id} {'deleted' if how == 'delete' else 'stopped'}"

    def retire(self, current: Service, how: str) -> Steps[None]:
        """The old service, once the run has succeeded (a failure here is only reported)."""
        # The new version serves and passed the bake: nothing is rolled back from here on.
        self._undo.clear()
        self._committed = True
        if how == "keep":
            self.note("retire", "skipped", f"{current.service_id} kept (retire=keep)")
            return
        with contextlib.suppress(Error), self.step("retire", f"{how} {current.service_id}") as step:
            try:
                serving = yield from pointing_at(self.deployment_id, current.service_id)
                if serving:
                    raise Conflict(f"endpoint {', '.join(serving)} points at it")
                yield from retire_service(self.deployment_id, current.service_id, how)
            except Error as error:
                self.report.reason = f"the old service was not retired: {describe(error)}"
                raise
            step.detail = f"{current.service_id} {'deleted' if how == 'delete' else 'stopped'}"

    def plan(self, current: Service, overrides: Mapping[str, Any],
             requests: list[dict[str, Any]], shadow: bool, bake: Any,
             retire: str) -> None:  # fmt: skip
        """What a run would do, as planned steps; nothing is changed."""
        self.report.outcome = "planned"
        version = self.report.version_id
        was = current.model_version_id
        same = was == version
        shown = {"version_id": f"carried {was!r}" if same else f"changed {was!r} -> {version!r}"}
        shown.update(changes(current, copied_settings(current, overrides)))
        settings = "; ".join(f"{name} {how}" for name, how in shown.items())
        self.note("create", "planned", f"create a service for {version}: {settings}")
        self.report.steps[-1].figures.update(shown)
        self.note("wait", "planned", "wait until it is READY")
        self.note("smoke", "planned", f"send {len(requests)} smoke request(s) to it")
        if shadow:
            self.note("shadow", "planned", f"compare its answers with {current.service_id}")
        self.note("switch", "planned", f"switch {self.alias} from {current.service_id} to it")
        self.note("bake", "planned", bake.describe())
        self.note("retire", "planned", f"{retire} {current.service_id}")
