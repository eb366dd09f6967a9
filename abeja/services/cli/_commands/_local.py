"""Commands that need no platform: ``emulator``, ``demo``; and ``self-check``."""

from __future__ import annotations

import os
import time

import click

from ... import _constants as C
from ...errors import APIConnectionError, Error, NotFound, Unauthorized
from .._main import Options, cli, pass_options
from .._output import emit


@cli.command(
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    add_help_option=False,  # --help is the emulator's own: it lists every option
)
@click.argument("arguments", nargs=-1, type=click.UNPROCESSED)
def emulator(arguments: tuple[str, ...]) -> None:
    """Serve the Service API emulator locally (the options of abeja-service-emulator;
    `abeja-services emulator --help` lists them)."""
    from ...testing.__main__ import main as serve

    status = serve(list(arguments), prog="abeja-services emulator")
    if status:
        raise click.exceptions.Exit(status)


@cli.command()
@pass_options
def demo(options: Options) -> None:
    """Create, wait for, predict with and delete a service on a local emulator."""
    from ...testing import ServiceEmulator

    with ServiceEmulator(ready_delay=0.5) as local, local.client() as client:
        click.echo(f"emulator on {local.url}", err=True)
        service = client.services.create(local.deployment_id, version_id=local.version_id)
        click.echo(f"created {service.service_id}; waiting until READY", err=True)
        service = service.wait_until_ready(timeout=30, poll_interval=0.1)
        answer = service.predict(json={"image": "cat.png"})
        click.echo(f"predicted: {answer.text}", err=True)
        lines = [event.message for event in service.iter_logs(limit=5)]
        service.delete()
        emit(
            {"service_id": service.service_id, "answer": answer.json(), "logs": lines},
            options.output,
        )


@cli.command("self-check")
@click.option("--deployment-id", help="Check access to this deployment too.")
@pass_options
def self_check(options: Options, deployment_id: str | None) -> None:
    """Show the configuration and credential that would be used (redacted), and whether
    the API answers with them."""
    from ..._config import load_settings  # here: `--help` does not pay for the SDK

    try:
        settings = load_settings(
            base_url=options.api_url,
            credential=None,
            timeout=options.timeout,
            max_retries=None,
            service_url_template=None,
            profile=options.profile,
            abejacli=True,
        )
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    profile = settings.profile
    organization = (
        options.organization_id
        or os.environ.get(C.ENV_ORGANIZATION_ID)
        or (profile.organization if profile else None)
    )
    report: dict[str, object] = {
        "api_url": settings.api_url,
        "organization_id": organization,
        "credential": settings.auth.scheme if settings.auth else None,
        "profile": profile.describe() if profile else None,
        "service_url_template": settings.service_url_template,
        "timeout": settings.timeout,
        "max_retries": settings.max_retries,
    }
    report["api"] = (
        _probe(options, deployment_id)
        if organization and settings.auth
        else ("not called: " + ("no credential" if not settings.auth else "no organization id"))
    )
    emit(report, options.output)
    if not str(report["api"]).startswith("answers"):
        raise click.exceptions.Exit(1)


def _probe(options: Options, deployment_id: str | None) -> str:
    started = time.monotonic()
    client = options.client().with_options(max_retries=0, deadline=10)
    try:
        client.services.list(deployment_id or "0")
    except NotFound:
        if deployment_id:
            return f"answers, but deployment {deployment_id} was not found"
    except Unauthorized as error:
        return f"refused the credential: {error}"
    except APIConnectionError as error:
        return f"unreachable: {error}"
    except Error as error:
        return f"error: {error}"
    return f"answers ({(time.monotonic() - started) * 1000:.0f} ms)"
