"""What a rollout and a deploy do, in order, on either client: the bodies of
``rollouts.run`` and ``rollouts.deploy``, as steps (``_rollout_io``).

A deploy is the version upload, then either the rollout (the endpoint exists) or the
first release (it does not): a service for the version, READY, smoke-checked, then the
endpoint created pointing at it. The first release has no old service to go back to; if
it fails, the new service is cleaned up and no endpoint is made.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

from .._managers._archive import archive_of
from ..errors import APIConnectionError, HttpError
from ..models import DeploymentVersion, Endpoint, Service
from ._bake import Bake
from ._release_options import ReleaseOptions
from ._rollout_io import Invoke, Steps, endpoints
from ._rollout_services import copied_settings
from ._rollout_steps import Run


def rollout_body(run: Run, options: ReleaseOptions, current: Service | None = None) -> Steps[None]:
    """The rollout of ``run.report.version_id`` behind the endpoint (read first unless
    ``current`` is the service it points at, already read)."""
    o = options
    if current is None:
        current = yield from run.inspect()
    if o.plan:
        run.plan(current, o.overrides, o.requests, o.shadow, o.limits, o.retire)
        return
    new = yield from run.create(copied_settings(current, o.overrides), o.cleanup)
    yield from run.wait_ready(new)
    yield from run.smoke(new, o.requests, o.check)
    if o.shadow:
        yield from run.shadow(new, current, o.requests, o.compare)
    yield from run.switch(new, current)
    yield from Bake(run, new, o.requests, o.check, o.limits, o.guards).execute()
    yield from run.retire(current, o.retire)


class DeployRun(Run):
    """A run that starts from a folder: its extra steps."""

    def upload(
        self, create: Callable[..., Any], source: Any, arguments: Mapping[str, Any]
    ) -> Steps[DeploymentVersion]:
        """The version: the folder archived and uploaded (``versions.create``)."""
        number = arguments["version"]
        with self.step("version", f"uploading {source} as version {number}") as step:
            created: DeploymentVersion = yield Invoke(
                functools.partial(create, self.deployment_id, source, **arguments)
            )
            self.report.version_id = created.version_id
            step.figures.update(
                version_id=created.version_id,
                version=number,
                archive_bytes=created.archive_bytes,
                archive_sha256=created.archive_sha256,
            )
            step.detail = f"version {number} is {created.version_id}"
            self.save()
        return created

    def plan_version(self, source: Any, number: str) -> None:
        """What the upload would be: the archive is made (locally) and measured."""
        archive = archive_of(source)
        try:
            self.note(
                "version",
                "planned",
                f"upload {source} as version {number}: {archive.files} file(s), "
                f"{archive.size} bytes, sha256 {archive.sha256[:12]}",
            )
            self.report.steps[-1].figures.update(
                archive_bytes=archive.size, archive_sha256=archive.sha256, files=archive.files
            )
        finally:
            archive.close()

    def plan_first(self, options: ReleaseOptions) -> None:
        """A first release's plan: nothing is changed."""
        self.report.outcome = "planned"
        self.note("create", "planned", "create the deployment's first service for the version")
        self.note("wait", "planned", "wait until it is READY")
        self.note("smoke", "planned", f"send {len(options.requests)} smoke request(s) to it")
        self.note("endpoint", "planned", f"create endpoint {self.endpoint} pointing at it")

    def publish(self, new: Service) -> Steps[None]:
        """The first endpoint, pointing at the new service (created once: an ambiguous
        create is resolved by reading it)."""
        with self.step("endpoint", f"creating endpoint {self.endpoint}") as step:
            with self.within():
                try:
                    made: Endpoint = yield endpoints(
                        "create", self.deployment_id, service_id=new.service_id,
                        custom_alias=self.endpoint,
                    )  # fmt: skip
                except (HttpError, APIConnectionError) as error:
                    if not error.may_have_applied:
                        raise
                    made = yield endpoints("get", self.deployment_id, self.endpoint)
                    if made.service_id != new.service_id:
                        raise
            step.figures.update(endpoint_id=made.endpoint_id, service_id=new.service_id)
            step.detail = (
                f"endpoint {self.endpoint} ({made.endpoint_id}) points at {new.service_id}"
            )


def first_release_body(run: DeployRun, options: ReleaseOptions) -> Steps[None]:
    """The deployment's first service for the version, checked, then its endpoint."""
    arguments = {k: v for k, v in options.overrides.items() if v is not None}
    new = yield from run.create(arguments, options.cleanup)
    yield from run.wait_ready(new)
    yield from run.smoke(new, options.requests, options.check)
    yield from run.publish(new)
    run.emit("endpoint", "progress", "first release: no old service to bake against or retire")


def deploy_body(
    run: DeployRun,
    options: ReleaseOptions,
    create: Callable[..., Any],
    source: Any,
    arguments: Mapping[str, Any],
) -> Steps[None]:
    """Upload the version, then roll it out (or, with no endpoint yet, release it first)."""
    current = yield from run.inspect_if_any()
    if options.plan:
        run.plan_version(source, arguments["version"])
        run.report.version_id = f"(version {arguments['version']}, not created)"
        if current is None:
            run.plan_first(options)
        else:
            yield from rollout_body(run, options, current)
        return
    yield from run.upload(create, source, arguments)
    if current is None:
        yield from first_release_body(run, options)
    else:
        yield from rollout_body(run, options, current)
