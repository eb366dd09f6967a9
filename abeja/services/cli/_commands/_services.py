"""Commands on services: list, get, create, update, delete, start, stop, wait."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import click

from ... import _constants as C
from ... import errors
from ..._api._status import FAILED_STATUSES, ServiceStatus
from .._failures import EXIT_INTERRUPTED, EXIT_TIMEOUT, Failure
from .._live import LiveLine
from .._main import CommandFailed, Options, cli, pass_options
from .._output import emit
from .._params import Finite
from ._setup import complete_service_id

if TYPE_CHECKING:
    from ...models import Service

deployment_argument = click.argument("deployment_id")
service_argument = click.argument("service_id", shell_complete=complete_service_id)


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


interval_option = click.option(
    "--interval", type=Finite(0, 3_600, above_low=True), default=2, show_default=True,
    metavar="SECONDS", help="Seconds between two polls of the status.",
)  # fmt: skip

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
@click.option(
    "--wait-timeout", type=Finite(0, 86_400), default=600, show_default=True, metavar="SECONDS",
    help="With --wait: how long to wait in all.",
)  # fmt: skip
@interval_option
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
    interval: float,
) -> None:
    """Create a service (and, with --wait, wait until it is READY).

    \b
    Examples:
      abeja-services create 9999999999999 --version-id ver-abc3333333333333 --wait
      abeja-services create DEP --version-id VER --instance-number 2 --env MODE=prod
    """
    service = options.client().services.create(
        deployment_id,
        version_id=version_id,
        instance_number=instance_number,
        environment=_environment(environment),
        instance_type=instance_type or C.DEFAULT_INSTANCE_TYPE,
    )
    if wait:
        service = _wait_for_created(options, service, wait_timeout, interval)
    emit(service, options.output)


def _wait_for_created(
    options: Options, service: Service, wait_timeout: float, interval: float
) -> Service:
    """``create --wait``: the service once READY. If the wait ends otherwise (timed out,
    Ctrl-C, the service failed), the created service is printed first (a script still gets
    its id) and the error says how to wait on."""

    deployment_id, service_id = service.deployment_id, service.service_id
    try:
        return _wait(options, deployment_id, service_id, "ready", wait_timeout, interval) or service
    except (errors.WaitTimeoutError, KeyboardInterrupt, click.exceptions.Abort) as error:
        emit(service, options.output)
        ended = "timed out" if isinstance(error, errors.WaitTimeoutError) else "interrupted"
        failure = Failure(
            f"created {service_id}, which is still starting; the wait {ended}: wait on with "
            f"`abeja-services wait {deployment_id} {service_id}` (or a longer "
            f"--wait-timeout than {wait_timeout:g} s)",
            EXIT_TIMEOUT if ended == "timed out" else EXIT_INTERRUPTED,
        )
        raise CommandFailed(failure) from None
    except errors.ServiceFailedError:
        emit(service, options.output)
        raise


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
    options: Options,
    deployment_id: str,
    service_id: str,
    state: str,
    timeout: float,
    interval: float,
) -> Service | None:
    """Wait for ``state``, polling every ``interval`` seconds, with a live line on a
    terminal (status and elapsed time) and a line per status when piped; the service as
    last seen (None once deleted)."""
    from ..._managers._waiters import Poll  # here: `--help` does not pay for the SDK

    services = options.client().services
    plan = services._plan(deployment_id, service_id, timeout, interval, growth=1.0)
    with LiveLine() as live:

        def show(service: Service) -> None:
            live.show(f"{service.service_id}: {service.status}")

        if state == "deleted":
            services._poll(deployment_id, service_id, Poll(plan, None, show, ()))
            live.finish(f"{service_id}: deleted ({live.elapsed():.0f} s)")
            return None
        goal = ServiceStatus.READY if state == "ready" else ServiceStatus.STOPPED
        service = services._until(deployment_id, service_id, plan, goal, show, FAILED_STATUSES)
        live.finish(f"{service_id}: {service.status} ({live.elapsed():.0f} s)")
        return service


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
@click.option(
    "--timeout", "wait_timeout", type=Finite(0, 86_400), default=600, show_default=True,
    metavar="SECONDS", help="How long to wait in all.",
)  # fmt: skip
@interval_option
@pass_options
def wait(
    options: Options,
    deployment_id: str,
    service_id: str,
    state: str,
    wait_timeout: float,
    interval: float,
) -> None:
    """Wait until a service is READY, STOPPED or deleted.

    On a terminal a live line shows the status and the time waited; piped, one line per
    status on stderr. The service is printed at the end.

    \b
    Examples:
      abeja-services wait 9999999999999 ser-0a1b2c3d4e5f6a7b
      abeja-services wait DEP SER --for stopped --interval 5 --timeout 300
    """
    service = _wait(options, deployment_id, service_id, state, wait_timeout, interval)
    emit(service or {"service_id": service_id, "status": "DELETED"}, options.output)
