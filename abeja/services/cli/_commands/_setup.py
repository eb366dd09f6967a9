"""Commands that set the command line up: ``configure`` (abejacli's configuration file, as
``abeja config init`` writes it) and ``completion`` (the shell's completion script, as gh
prints it), with service ids and endpoint aliases completed from the API."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from click.shell_completion import CompletionItem, get_completion_class

from .._main import cli

_SHELLS = ("bash", "zsh", "fish")


@cli.command()
@click.argument("shell", type=click.Choice(_SHELLS))
def completion(shell: str) -> None:
    """Print the shell's completion script (service ids and endpoint aliases are completed
    from the API when a credential is set).

    \b
    Examples:
      eval "$(abeja-services completion bash)"       # in ~/.bashrc
      abeja-services completion zsh > "${fpath[1]}/_abeja-services"
      abeja-services completion fish > ~/.config/fish/completions/abeja-services.fish
    """
    maker = get_completion_class(shell)
    assert maker is not None  # click knows the three shells offered
    click.echo(maker(cli, {}, "abeja-services", "_ABEJA_SERVICES_COMPLETE").source())


def _completions(
    context: click.Context, incomplete: str, names: Callable[[Any, str], list[tuple[str, str]]]
) -> list[CompletionItem]:
    """``names(client, deployment_id)`` that start with ``incomplete``; none without a
    credential, a deployment, or an answer from the API within 3 s."""
    deployment = context.params.get("deployment_id")
    if not deployment:
        return []
    with _quietly():
        client = _client()
        if client is not None:
            with client:
                found = names(client.with_options(timeout=3, max_retries=0), deployment)
            return [CompletionItem(n, help=h) for n, h in found if n.startswith(incomplete)]
    return []


def complete_service_id(
    context: click.Context, parameter: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """The deployment's service ids (with their status) starting with ``incomplete``."""
    return _completions(
        context,
        incomplete,
        lambda client, d: [(s.service_id, str(s.status)) for s in client.services.list(d)],
    )


def complete_endpoint(
    context: click.Context, parameter: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """The deployment's endpoint aliases starting with ``incomplete``."""
    return _completions(
        context,
        incomplete,
        lambda client, d: [(e.custom_alias or e.endpoint_id, "") for e in client.endpoints.list(d)],
    )


@contextlib.contextmanager
def _quietly() -> Any:
    """A completion never fails the shell: any error means no suggestions."""
    with contextlib.suppress(Exception):
        yield


def _client() -> Any:
    from ..._client import ServiceClient

    client = ServiceClient(timeout=3, max_retries=0)
    if client._settings.auth is None:  # no credential: nothing is asked of the API
        client.close()
        return None
    return client


@cli.command()
@click.argument("name", required=False)
@click.option("--user-id", prompt="ABEJA Platform user id", help="Your user id.")
@click.option("--personal-access-token", prompt="Personal access token", hide_input=True,
              help="Your personal access token (asked without echo when not given).")  # fmt: skip
@click.option("--organization", prompt="Organization id", metavar="ORGANIZATION_ID",
              help="The organization to work in.")  # fmt: skip
@click.option("--platform-url", default="", metavar="URL",
              help="The API's URL, when not https://api.abeja.io.")  # fmt: skip
@click.option("--activate/--no-activate", default=True, show_default=True,
              help="With NAME: make it the active configuration.")  # fmt: skip
def configure(
    name: str | None,
    user_id: str,
    personal_access_token: str,
    organization: str,
    platform_url: str,
    activate: bool,
) -> None:
    """Write a configuration to ~/.abeja/config, as abejacli's `abeja config init [NAME]`
    does: NAME a named one (used with --profile NAME), none the unnamed one. The file is
    readable by you alone (mode 0600); the token is asked without echo and never shown.

    \b
    Examples:
      abeja-services configure                      # asks for each value
      abeja-services configure dev --user-id 1234567890123 --organization 1111111111111
    """
    from ..._profiles import config_path

    path = config_path(os.environ) or Path.home() / ".abeja" / "config"
    data = _read(path)
    entry = {
        "abeja-platform-user": user_id,
        "personal-access-token": personal_access_token,
        "organization-name": organization,
    }
    if platform_url:
        entry["abeja-api-url"] = platform_url
    if name is None:
        data.update(entry)
    else:
        others = [c for c in data.get("configurations", []) if c.get("configuration-name") != name]
        data["configurations"] = [*others, {"configuration-name": name, **entry}]
        if activate:
            data["active-configuration-name"] = name
    _write(path, data)
    which = "the unnamed configuration" if name is None else f"configuration {name!r}"
    click.echo(f"wrote {which} to {path} (mode 0600)", err=True)


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        raise click.ClickException(
            f"{path} is not a JSON configuration: fix or remove it"
        ) from None
    if not isinstance(data, dict):
        raise click.ClickException(f"{path} is not a JSON object: fix or remove it")
    return data


def _write(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` to ``path`` mode 0600 (a temporary file renamed over it: the token is
    never in a file others may read, not even for a moment)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".config.", dir=path.parent)  # mode 0600
    try:
        with os.fdopen(handle, "w") as file:
            json.dump(data, file, indent=2)
            file.write("\n")
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
