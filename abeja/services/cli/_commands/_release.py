"""Commands for releasing: ``endpoints ...``, ``rollout`` and ``rollback``.

``rollout`` exits 0 when the new version serves, 3 when it was rolled back, 4 when the
rollback failed too (the endpoint may still point at the new service: run ``rollback``),
10 when it stopped on someone else's change (outcome ``conflict``), 128 + N on signal N
(130 Ctrl-C, 143 SIGTERM, 129 SIGHUP; after rolling back), and otherwise as every command
does on an error that changed nothing (``_failures``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ... import _constants as C
from .._failures import (
    EXIT_RELEASE_CONFLICT,
    EXIT_ROLLBACK_FAILED,
    EXIT_ROLLED_BACK,
)
from .._live import LiveSteps
from .._main import Options, cli, pass_options
from .._output import emit
from .._params import Finite
from ._guards import CommandGuard
from ._setup import complete_endpoint

if TYPE_CHECKING:
    from ..._release._release_options import Retire
    from ...rollout_report import RolloutReport

deployment_argument = click.argument("deployment_id")
endpoint_argument = click.argument("endpoint", shell_complete=complete_endpoint)


@cli.group()
def endpoints() -> None:
    """A deployment's endpoints: named aliases that each point at one service.

    \b
    Examples:
      abeja-services endpoints list 9999999999999
      abeja-services endpoints create 9999999999999 --service-id ser-abc1111111111111
      abeja-services endpoints update 9999999999999 default --service-id ser-abc2222222222222
    """


@endpoints.command("list")
@deployment_argument
@pass_options
def list_endpoints(options: Options, deployment_id: str) -> None:
    """List a deployment's endpoints."""
    emit(options.client().endpoints.list(deployment_id), options.output)


@endpoints.command("get")
@deployment_argument
@endpoint_argument
@pass_options
def get_endpoint(options: Options, deployment_id: str, endpoint: str) -> None:
    """Show an endpoint (by id or alias)."""
    emit(options.client().endpoints.get(deployment_id, endpoint), options.output)


@endpoints.command("create")
@deployment_argument
@click.option("--service-id", required=True, help="The service it points at.")
@click.option("--alias", default=C.DEFAULT_ALIAS, show_default=True, help="Its name.")
@pass_options
def create_endpoint(options: Options, deployment_id: str, service_id: str, alias: str) -> None:
    """Create an endpoint pointing at a service."""
    endpoint = options.client().endpoints.create(
        deployment_id, service_id=service_id, custom_alias=alias
    )
    emit(endpoint, options.output)


@endpoints.command("update")
@deployment_argument
@endpoint_argument
@click.option("--service-id", required=True, help="The service to point at.")
@pass_options
def update_endpoint(options: Options, deployment_id: str, endpoint: str, service_id: str) -> None:
    """Point an endpoint at another service (all at once), and read it back.

    For a guarded switch, with checks and automatic rollback, use `rollout`.
    """
    emit(options.client().endpoints.switch(deployment_id, endpoint, service_id), options.output)


@endpoints.command("delete")
@deployment_argument
@endpoint_argument
@pass_options
def delete_endpoint(options: Options, deployment_id: str, endpoint: str) -> None:
    """Delete an endpoint (its service stays)."""
    emit(options.client().endpoints.delete(deployment_id, endpoint), options.output)


def _smoke(jsons: tuple[str, ...], files: tuple[Path, ...]) -> list[dict[str, Any]]:
    requests: list[dict[str, Any]] = []
    for text in jsons:
        try:
            requests.append({"json": json.loads(text)})
        except (ValueError, RecursionError):
            raise click.BadParameter(
                f"not JSON: {text[:60]!r}", param_hint="--smoke-json"
            ) from None
    requests.extend({"data": path} for path in files)
    return requests


def _finish(
    context: click.Context, report: RolloutReport, output: str, *, rollback: bool = False
) -> None:
    _print_report(report, output)
    if report.outcome == "rolled_back" and not rollback:
        context.exit(EXIT_ROLLED_BACK)
    if report.outcome == "conflict":
        click.echo(
            f"error: stopped on someone else's change: {report.reason}; nothing of theirs was "
            f"touched: see `abeja-services endpoints get {report.deployment_id} "
            f"{report.endpoint}`",
            err=True,
        )
        context.exit(EXIT_RELEASE_CONFLICT)
    if report.outcome == "rollback_failed":
        click.echo(
            "error: the rollback failed too; the endpoint may still point at "
            f"{report.new_service_id}: run `abeja-services rollback {report.deployment_id} "
            f"--to {report.old_service_id} --endpoint {report.endpoint}`",
            err=True,
        )
        context.exit(EXIT_ROLLBACK_FAILED)


def _print_report(report: RolloutReport, output: str) -> None:
    if output == "json":
        click.echo(report.model_dump_json(indent=2))
        return
    rows = [
        {"step": s.name, "status": s.status, "seconds": f"{s.seconds:.1f}", "detail": s.detail}
        for s in report.steps
    ]
    emit(rows, "table", columns=("step", "status", "seconds", "detail"))
    click.echo(f"outcome: {report.outcome}" + (f" ({report.reason})" if report.reason else ""))


def rollout_options(command: Any) -> Any:
    """The options of a rollout (``rollout`` and ``deploy`` take them alike)."""
    decorators = [
        click.option("--endpoint", default=C.DEFAULT_ALIAS, show_default=True,
                     help="Alias or id."),
        click.option("--smoke-json", multiple=True, metavar="JSON",
                     help="A JSON request; repeatable."),
        click.option("--smoke-file", multiple=True, metavar="FILE",
                     help="A file to send; repeatable.",
                     type=click.Path(exists=True, dir_okay=False, path_type=Path)),
        click.option("--shadow", is_flag=True, help="Also send the smoke requests to the "
                     "current service and require the same answers."),
        click.option("--bake", type=Finite(0, 86_400), default=C.ROLLOUT_BAKE,
                     show_default=True, metavar="SECONDS",
                     help="Watch the new service this long."),
        click.option("--bake-interval", type=Finite(0, 3600, above_low=True),
                     default=C.ROLLOUT_BAKE_INTERVAL, show_default=True, metavar="SECONDS"),
        click.option("--max-errors", type=click.IntRange(0), default=0, show_default=True),
        click.option("--max-error-rate", type=Finite(0, 1), metavar="RATE"),
        click.option("--max-p95-latency", type=Finite(0, 86_400), metavar="SECONDS"),
        click.option("--max-log-errors", type=click.IntRange(0), default=0,
                     show_default=True),
        click.option("--retire", type=click.Choice(["keep", "stop", "delete"]),
                     default="stop", show_default=True,
                     help="What becomes of the old service on success."),
        click.option("--cleanup", type=click.Choice(["keep", "stop", "delete"]),
                     default="delete", show_default=True,
                     help="What becomes of the new service on rollback."),
        click.option("--deadline", type=Finite(0, 86_400, above_low=True),
                     default=C.ROLLOUT_DEADLINE, show_default=True, metavar="SECONDS",
                     help="For the whole run."),
        click.option("--model-id", metavar="MODEL_ID",
                     help="The trained model to serve (default: the current service's)."),
        click.option("--record-channel-id", metavar="CHANNEL_ID",
                     help="The channel recording requests (default: the current "
                     "service's)."),
        click.option("--guard-cmd", multiple=True, metavar="CMD",
                     help="A command run every bake interval; a non-zero exit is a "
                     "breach, its last line the reason. Repeatable."),
        click.option("--report", "report_file", metavar="FILE",
                     type=click.Path(dir_okay=False, writable=True, path_type=Path),
                     help="Write the report here after every step (for `rollback "
                     "--report`)."),
        click.option("--plan", is_flag=True, help="Say what would be done; change nothing."),
    ]  # fmt: skip
    for decorator in reversed(decorators):
        command = decorator(command)
    return command


def release_arguments(given: dict[str, Any]) -> dict[str, Any]:
    """``rollouts.run``'s (and ``deploy``'s) keyword arguments from the options above."""
    arguments = {
        name: given.pop(name)
        for name in ("endpoint", "shadow", "bake", "bake_interval", "max_errors",
                     "max_error_rate", "max_p95_latency", "max_log_errors", "retire",
                     "cleanup", "deadline", "model_id", "record_channel_id", "plan")
    }  # fmt: skip
    arguments["smoke"] = _smoke(given.pop("smoke_json"), given.pop("smoke_file"))
    arguments["guards"] = [CommandGuard(command) for command in given.pop("guard_cmd")]
    arguments["report_path"] = given.pop("report_file")
    return arguments


def run_release(options: Options, release: Callable[..., RolloutReport], **arguments: Any) -> None:
    """Run a rollout (or a deploy) with its steps shown live; exit as ``rollout`` does."""
    from ...rollout_report import RolloutInterrupted  # here: `--help` does not pay for the SDK

    context = click.get_current_context()
    try:
        with LiveSteps() as live:  # the live line ends before anything else is printed
            report = release(**arguments, on_event=live.show_event)
    except RolloutInterrupted as interrupted:
        _print_report(interrupted.report, options.output)
        click.echo(f"interrupted: {interrupted.report.reason or 'rolled back'}", err=True)
        context.exit(128 + interrupted.signal)
    _finish(context, report, options.output)


@cli.command()
@deployment_argument
@click.option("--version", "version_id", required=True, metavar="VERSION_ID",
              help="The deployment version to release.")  # fmt: skip
@rollout_options
@pass_options
def rollout(options: Options, /, deployment_id: str, version_id: str, **given: Any) -> None:
    """Release a version behind an endpoint: new service, checks, switch, bake, retire.

    The new service carries over the current one's trained model, request recording,
    environment, instance type and scaling unless given. On any failed check or guard,
    error, the deadline, Ctrl-C, SIGTERM or SIGHUP the endpoint is switched back to the
    old service; if someone else switched it, or stopped the old service, the run leaves
    it as found. Exit status: 0 completed, 3 rolled back, 4 the rollback failed too,
    10 stopped on someone else's change, 130/143/129 interrupted by Ctrl-C/SIGTERM/SIGHUP
    (rolled back first); an error that changed nothing exits as in any command (2 usage,
    5 credential, 6 not found, ...: see `abeja-services --help`).

    \b
    Examples:
      abeja-services rollout 1234567890123 --version ver-abc --smoke-json '{"text": "hi"}'
      abeja-services rollout 1234567890123 --version ver-abc --model-id 3333333333333 \\
          --report rollout.json --guard-cmd './check-alarms.sh'
    """
    arguments = release_arguments(given)
    client = options.client()
    run_release(options, client.rollouts.run, deployment_id=deployment_id,
                version_id=version_id, **arguments)  # fmt: skip


@cli.command()
@deployment_argument
@click.option("--to", "to_service_id", metavar="SERVICE_ID",
              help="The service to point the endpoint at (as before the rollout).")  # fmt: skip
@click.option("--report", "report_file", metavar="FILE",
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A rollout's JSON report: go back to its old service.")  # fmt: skip
@click.option("--endpoint", default=C.DEFAULT_ALIAS, show_default=True, help="Alias or id.")
@click.option("--cleanup", type=click.Choice(["keep", "stop", "delete"]), default="keep",
              show_default=True,
              help="What becomes of the service switched away from (with --report: its "
              "new service); one already gone is fine.")  # fmt: skip
@pass_options
def rollback(
    options: Options,
    deployment_id: str,
    to_service_id: str | None,
    report_file: Path | None,
    endpoint: str,
    cleanup: Retire,
) -> None:
    """Point an endpoint back at the service it served before a rollout (which must be READY).

    With --report (a rollout's report or journal, even of a run that was killed), the
    endpoint is moved only if it still points at that run's new service; exit 10 if
    someone else has switched it since.

    \b
    Examples:
      abeja-services rollback 1234567890123 --to ser-abc1111111111111
      abeja-services rollback 1234567890123 --report rollout.json --cleanup delete
    """
    if (to_service_id is None) == (report_file is None):
        raise click.UsageError("give --to SERVICE_ID or --report FILE")
    from ...rollout_report import RolloutReport  # here: `--help` does not pay for the SDK

    report = None
    if report_file is not None:
        try:
            report = RolloutReport.model_validate_json(report_file.read_bytes())
        except ValueError:
            raise click.BadParameter("not a rollout report", param_hint="--report") from None
    with LiveSteps() as live:
        done = options.client().rollouts.rollback(
            deployment_id,
            endpoint=endpoint,
            to_service_id=to_service_id,
            report=report,
            cleanup=cleanup,
            on_event=live.show_event,
        )
    _finish(click.get_current_context(), done, options.output, rollback=True)
