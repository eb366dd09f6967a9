"""Commands on a service's data: ``logs`` (``--follow``, ``--since``) and ``predict``."""

from __future__ import annotations

import json
import re
import signal
import sys
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import click

from ..._api._status import ServiceStatus
from ...errors import Error, HttpError, InternalServerError, ServiceUnavailable
from .._failures import EXIT_ERROR, Failure
from .._failures import _request as _request_of
from .._main import CommandFailed, Options, cli, pass_options
from .._params import Finite
from ._setup import complete_service_id

if TYPE_CHECKING:
    from ..._managers._services import Services
    from ...models import LogEvent

_AGO = re.compile(r"(\d+)([smhd])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def since_time(value: str | None) -> datetime | None:
    """``10m``, ``2h``, ``1d`` ago, or an ISO 8601 time (UTC when no zone is given)."""
    if value is None:
        return None
    match = _AGO.fullmatch(value)
    if match:
        try:
            return datetime.now(timezone.utc) - timedelta(**{_UNITS[match[2]]: int(match[1])})
        except OverflowError:
            raise click.BadParameter(f"{value!r} is too long ago", param_hint="--since") from None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(
            f"expected 10m, 2h, 1d or an ISO 8601 time, got {value!r}", param_hint="--since"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


@cli.command()
@click.argument("deployment_id")
@click.argument("service_id", shell_complete=complete_service_id)
@click.option("--since", metavar="10m|2h|ISO-TIME", help="Only events after this.")
@click.option("--follow", "-f", is_flag=True, help="Keep printing new events (Ctrl-C ends).")
@click.option(
    "--limit", type=click.IntRange(0), help="At most this many events (before following)."
)
@click.option(
    "--interval",
    type=Finite(0.1, 3600),
    default=1.0,
    show_default=True,
    help="Seconds between polls (0.1 to 3600).",
)
@pass_options
def logs(
    options: Options,
    deployment_id: str,
    service_id: str,
    since: str | None,
    follow: bool,
    limit: int | None,
    interval: float,
) -> None:
    """Print a service's log, oldest first: one JSON object per line, or (on a terminal,
    or with --output table) a time and a message per line."""
    output = options.output
    if not options.output_given and sys.stdout.isatty():
        output = "table"
    services = options.client().services
    stop = threading.Event()
    interrupted: list[int] = []

    def on_interrupt(signum: int, frame: FrameType | None) -> None:
        interrupted.append(signum)
        stop.set()

    previous = signal.signal(signal.SIGINT, on_interrupt) if follow else None
    try:
        start = since_time(since)
        # Taken before the walk back, so that nothing logged meanwhile is missed.
        forward = (
            services.logs(deployment_id, service_id, start_time=start).next_forward_token
            if follow
            else None
        )
        backlog = list(services.iter_logs(deployment_id, service_id, start_time=start, limit=limit))
        for event in reversed(backlog):  # the walk goes newest first
            _print_event(event.timestamp, event.message, output)
        if follow:
            recent = {(e.timestamp, e.message) for e in backlog}
            while not stop.wait(interval):
                page = services.logs(deployment_id, service_id, next_forward_token=forward)
                recent = _print_new(page.events, recent, output)
                forward = page.next_forward_token or forward
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    if interrupted:
        raise click.exceptions.Abort()


def _print_new(
    events: list[LogEvent], recent: set[tuple[datetime, str]], output: str
) -> set[tuple[datetime, str]]:
    """Print the events not printed yet, oldest first; returns what the next poll must
    not print again (the events of the newest timestamp: pages can overlap there)."""
    for event in sorted(events, key=lambda e: e.timestamp):
        if (event.timestamp, event.message) not in recent:
            _print_event(event.timestamp, event.message, output)
    keys = recent | {(e.timestamp, e.message) for e in events}
    newest = max((stamp for stamp, _ in keys), default=None)
    return {key for key in keys if key[0] == newest}


def _print_event(timestamp: datetime, message: str, output: str) -> None:
    if output == "json":
        click.echo(json.dumps({"timestamp": timestamp.isoformat(), "message": message}))
    else:
        click.echo(f"{timestamp.isoformat()}  {message}")
    sys.stdout.flush()


def _not_serving(services: Services, deployment_id: str, service_id: str) -> Exception | None:
    """Why a service answered 503 to a prediction, when it is because it is not READY."""
    try:
        status = services.get(deployment_id, service_id).status
    except Error:
        return None
    if status == ServiceStatus.READY:
        return None
    if status == ServiceStatus.IN_PROGRESS:  # starting, or scaling: it gets there by itself
        how = f"wait for it: `abeja-services wait {deployment_id} {service_id}`"
    else:
        how = (
            f"`abeja-services start {deployment_id} {service_id}`, then "
            f"`abeja-services wait {deployment_id} {service_id}`"
        )
    return CommandFailed(
        Failure(f"service {service_id} is {status}: it predicts once READY ({how})", EXIT_ERROR)
    )


def _handler_failed(error: HttpError, deployment_id: str, service_id: str) -> Exception | None:
    """A 500 from the model itself (the proxy's headers on it): the traceback is in the log."""
    if error.status_code != 500:
        return None
    text = (
        f"the model's handler failed {_request_of(error)}: its traceback is in the service's "
        f"log: `abeja-services logs {deployment_id} {service_id} --since 10m`"
    )
    return CommandFailed(Failure(text, EXIT_ERROR))


@cli.command()
@click.argument("deployment_id")
@click.argument("service_id", shell_complete=complete_service_id)
@click.option("--json", "json_text", metavar="JSON", help="A JSON body, e.g. '{\"x\": 1}'.")
@click.option(
    "--file",
    "file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Send a file (its content type guessed from its name).",
)
@click.option("--content-type", help="The body's content type (default: guessed).")
@pass_options
def predict(
    options: Options,
    deployment_id: str,
    service_id: str,
    json_text: str | None,
    file: Path | None,
    content_type: str | None,
) -> None:
    """Send a prediction: --json, --file, or the body on stdin. Prints the answer."""
    if json_text is not None and file is not None:
        raise click.UsageError("give --json or --file, not both")
    services = options.client().services
    if json_text is not None:
        try:
            payload = json.loads(json_text)
        except ValueError as error:
            raise click.BadParameter(f"not JSON: {error}", param_hint="--json") from None
        except RecursionError:
            raise click.BadParameter("nested too deeply", param_hint="--json") from None
        body: dict[str, Any] = {"json": payload}
    elif file is not None:
        body = {"data": file, "content_type": content_type}
    else:
        if sys.stdin.isatty():
            raise click.UsageError("give --json, --file, or a body on stdin")
        body = {"data": sys.stdin.buffer.read(), "content_type": content_type or "application/json"}
    try:
        answer = services.predict(deployment_id, service_id, **body)
    except ServiceUnavailable as error:
        raise _not_serving(services, deployment_id, service_id) or error from None
    except InternalServerError as error:
        raise _handler_failed(error, deployment_id, service_id) or error from None
    if answer.content_type and "json" in answer.content_type:
        click.echo(answer.text)
    else:
        sys.stdout.buffer.write(answer.content)
        sys.stdout.flush()
