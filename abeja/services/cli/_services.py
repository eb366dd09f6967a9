"""Commands on services: list, get, create, update, delete, start, stop, wait."""

from __future__ import annotations

import time
from collections.abc import Sequence

import click

from .. import _constants as C
from ..models import Service
from ._main import Options, cli, pass_options
from ._output import emit, end_progress, progress
from ._params import Finite

deployment_argument = click.argument("deployment_id")
service_argument = click.argument("service_id")


def _environment(pairs: Sequence[str]) -> dict[str, str] | None:
    if not pairs:
        return None
    environment = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"expected NAME=VALUE, got {pair!r}", param_hint="--env")
        environment[name] = value
    return environment


env_option = click.option(
    "--env", "environment", multiple=True, metavar="NAME=VALUE", help="Repeatable."
)


@cli.command("list")
@deployment_argument
@pass_options
def list_services(options: Options, deployment_id: str) -> None:
    """List a deployment's services."""
    emit(options.client().services.list(deployment_id), options.output)


@cli.command()
@deployment_argument
@service_argument
@pass_options
def get(options: Options, deployment_id: str, service_id: str) -> None:
    """Show a service."""
    emit(options.client().services.get(deployment_id, service_id), options.output)


@cli.command()
@deployment_argument
@click.option("--version-id", required=True, help="The deployment version to serve.")
@click.option("--instance-type", help=f"default: {C.DEFAULT_INSTANCE_TYPE}")
@click.option(
    "--instance-number", type=click.IntRange(1, C.MAX_INSTANCE_NUMBER), default=1, show_default=True
)
@env_option
@click.option("--wait/--no-wait", default=False, help="Wait until READY.")
@click.option("--timeout", "wait_timeout", type=Finite(0, 86_400), default=600, show_default=True)
@pass_options
def create(
    options: Options,
    deployment_id: str,
    version_id: str,
    instance_type: str | None,
    instance_number: int,
    environment: tuple[str, ...],
    wait: bool,
    wait_timeout: float,
) -> None:
    """Create a service (and, with --wait, wait until it is READY)."""
    service = options.client().services.create(
        deployment_id,
        version_id=version_id,
        instance_number=instance_number,
        environment=_environment(environment),
        instance_type=instance_type or C.DEFAULT_INSTANCE_TYPE,
    )
    if wait:
        service = (
            _wait(options, deployment_id, service.service_id, "ready", wait_timeout) or service
        )
    emit(service, options.output)


@cli.command()
@deployment_argument
@service_argument
@click.option("--instance-number", type=click.IntRange(1, C.MAX_INSTANCE_NUMBER))
@click.option("--min-instance-number", type=click.IntRange(1, C.MAX_INSTANCE_NUMBER))
@click.option("--max-instance-number", type=click.IntRange(1, C.MAX_INSTANCE_NUMBER))
@click.option("--autoscale/--no-autoscale", default=None)
@env_option
@pass_options
def update(
    options: Options,
    deployment_id: str,
    service_id: str,
    instance_number: int | None,
    min_instance_number: int | None,
    max_instance_number: int | None,
    autoscale: bool | None,
    environment: tuple[str, ...],
) -> None:
    """Scale or reconfigure a service."""
    changes = (instance_number, min_instance_number, max_instance_number, autoscale)
    if all(change is None for change in changes) and not environment:
        raise click.UsageError("give at least one change (see --help)")
    service = options.client().services.update(
        deployment_id,
        service_id,
        instance_number=instance_number,
        min_instance_number=min_instance_number,
        max_instance_number=max_instance_number,
        enable_autoscale=autoscale,
        environment=_environment(environment),
    )
    emit(service, options.output)


def _action(name: str, summary: str) -> None:
    @cli.command(name, help=summary)
    @deployment_argument
    @service_argument
    @pass_options
    def command(options: Options, deployment_id: str, service_id: str) -> None:
        method = getattr(options.client().services, name)
        emit(method(deployment_id, service_id), options.output)


_action("delete", "Delete a service.")
_action("start", "Start a stopped service.")
_action("stop", "Stop a service.")


def _wait(
    options: Options, deployment_id: str, service_id: str, state: str, timeout: float
) -> Service | None:
    """Wait for ``state``; the service as last seen (None once deleted)."""
    services = options.client().services
    started = time.monotonic()

    def show(service: Service) -> None:
        progress(f"{service.service_id}: {service.status} ({time.monotonic() - started:.0f} s)")

    try:
        if state == "deleted":
            services.wait_until_deleted(deployment_id, service_id, timeout=timeout)
            return None
        until = services.wait_until_ready if state == "ready" else services.wait_until_stopped
        return until(deployment_id, service_id, timeout=timeout, on_status=show)
    finally:
        end_progress()


@cli.command()
@deployment_argument
@service_argument
@click.option(
    "--for",
    "state",
    type=click.Choice(["ready", "stopped", "deleted"]),
    default="ready",
    show_default=True,
)
@click.option("--timeout", "wait_timeout", type=Finite(0, 86_400), default=600, show_default=True)
@pass_options
def wait(
    options: Options, deployment_id: str, service_id: str, state: str, wait_timeout: float
) -> None:
    """Wait until a service is READY, STOPPED or deleted (a progress line on a terminal)."""
    service = _wait(options, deployment_id, service_id, state, wait_timeout)
    emit(service or {"service_id": service_id, "status": "DELETED"}, options.output)
