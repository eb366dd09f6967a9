"""Commands for a deployment's code: ``versions ...`` and ``deploy`` (a folder to traffic).

``deploy`` exits as ``rollout`` does (0 completed, 3 rolled back, 4 the rollback failed
too, 10 conflict, 128 + N on signal N); with no endpoint yet it makes the first release
and says so.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import click

from .._main import Options, cli, pass_options
from .._output import emit
from ._release import release_arguments, rollout_options, run_release

deployment_argument = click.argument("deployment_id")
version_argument = click.argument("version_id")
source_argument = click.argument(
    "path", type=click.Path(exists=True, path_type=Path), metavar="PATH"
)
DEFAULT_HANDLER = "predict:handler"
DEFAULT_IMAGE = "abeja-inc/all-cpu:19.10"


def _parameters(pairs: tuple[str, ...]) -> dict[str, str] | None:
    """``K=V`` pairs as a dict (None for none)."""
    if not pairs:
        return None
    parameters = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{pair!r} is not NAME=VALUE", param_hint="--user-parameter")
        parameters[name] = value
    return parameters


def _bar_on_a_terminal() -> bool:
    """A bar of the bytes uploaded on a terminal, when tqdm is there (the notebook extra);
    plain lines otherwise."""
    if not sys.stderr.isatty():
        return False
    return importlib.util.find_spec("tqdm") is not None


def version_options(command: Any) -> Any:
    """The options of a new version (``versions create`` and ``deploy``)."""
    decorators = [
        click.option("--version", "number", required=True, metavar="X",
                     help="The version number, such as 1.0.0 (unique in the deployment)."),
        click.option("--handler", default=DEFAULT_HANDLER, show_default=True,
                     help="The function that answers requests, module:function."),
        click.option("--image", default=DEFAULT_IMAGE, show_default=True,
                     help="The runtime image."),
        click.option("--user-parameter", "user_parameters", multiple=True, metavar="K=V",
                     help="A variable the handler sees in its environment; repeatable."),
    ]  # fmt: skip
    for decorator in reversed(decorators):
        command = decorator(command)
    return command


@cli.group()
def versions() -> None:
    """A deployment's versions: its model code, a folder uploaded.

    The folder is archived without its .git directories and what its .abejaignore lists
    (shell globs, one per line); the same folder gives the same archive.

    \b
    Examples:
      abeja-services versions create 9999999999999 ./model --version 1.0.0
      abeja-services versions list 9999999999999
      abeja-services versions download 9999999999999 ver-abc1111111111111 --to .
    """


@versions.command("create")
@deployment_argument
@source_argument
@version_options
@pass_options
def create_version(
    options: Options,
    /,
    deployment_id: str,
    path: Path,
    number: str,
    handler: str,
    image: str,
    user_parameters: tuple[str, ...],
) -> None:
    """Upload a folder (or a .tar.gz) as a new version.

    \b
    Examples:
      abeja-services versions create 9999999999999 ./model --version 1.0.0
      abeja-services versions create 9999999999999 ./model --version 1.0.1 \\
          --handler main:handler --user-parameter THRESHOLD=0.8
    """
    click.echo(f"archiving and uploading {path} as version {number} ...", err=True)
    made = options.client().versions.create(
        deployment_id,
        path,
        version=number,
        handler=handler,
        image=image,
        user_parameters=_parameters(user_parameters),
        progress=_bar_on_a_terminal(),
    )
    click.echo(
        f"uploaded {made.archive_bytes} bytes (sha256 {made.archive_sha256}) as {made.version_id}",
        err=True,
    )
    emit(made, options.output)


@versions.command("list")
@deployment_argument
@pass_options
def list_versions(options: Options, deployment_id: str) -> None:
    """List a deployment's versions.

    \b
    Examples:
      abeja-services versions list 9999999999999
      abeja-services versions list 9999999999999 --query 'entries[].version' -o text
    """
    emit(options.client().versions.list(deployment_id), options.output,
         columns=("version_id", "version", "handler", "image", "created_at"))  # fmt: skip


@versions.command("get")
@deployment_argument
@version_argument
@pass_options
def get_version(options: Options, deployment_id: str, version_id: str) -> None:
    """Show a version.

    \b
    Examples:
      abeja-services versions get 9999999999999 ver-abc1111111111111
    """
    emit(options.client().versions.get(deployment_id, version_id), options.output)


@versions.command("delete")
@deployment_argument
@version_argument
@pass_options
def delete_version(options: Options, deployment_id: str, version_id: str) -> None:
    """Delete a version (refused while a service runs it).

    \b
    Examples:
      abeja-services versions delete 9999999999999 ver-abc1111111111111
    """
    emit(options.client().versions.delete(deployment_id, version_id), options.output)


@versions.command("download")
@deployment_argument
@version_argument
@click.option("--to", "to", default=".", show_default=True,
              type=click.Path(path_type=Path),
              help="A file, or a folder to write DEPLOYMENT_VERSION.tar.gz in.")  # fmt: skip
@pass_options
def download_version(options: Options, deployment_id: str, version_id: str, to: Path) -> None:
    """Download a version's archive; prints its path.

    \b
    Examples:
      abeja-services versions download 9999999999999 ver-abc1111111111111 --to .
      abeja-services versions download 9999999999999 ver-abc1111111111111 --to code.tar.gz
    """
    path = options.client().versions.download(deployment_id, version_id, to=to)
    click.echo(str(path))


@cli.command()
@deployment_argument
@source_argument
@version_options
@rollout_options
@pass_options
def deploy(
    options: Options,
    /,
    deployment_id: str,
    path: Path,
    number: str,
    handler: str,
    image: str,
    user_parameters: tuple[str, ...],
    **given: Any,
) -> None:
    """From a folder of model code to traffic: a new version, then its guarded rollout.

    The folder (or .tar.gz) is uploaded as version X, then rolled out behind the endpoint
    exactly as `rollout` does (same options, same exit statuses). When the deployment has
    no such endpoint yet, this is its first release: a service for the version, READY and
    smoke-checked, then the endpoint created pointing at it. --plan uploads nothing: it
    archives the folder (size and SHA-256), reads, and says what it would do.

    \b
    Examples:
      abeja-services deploy 1234567890123 ./model --version 1.0.1 --smoke-json '{"x": 1}'
      abeja-services deploy 1234567890123 ./model --version 1.0.1 --endpoint beta --plan
    """
    arguments = release_arguments(given)
    client = options.client()
    run_release(
        options, client.rollouts.deploy, deployment_id=deployment_id, source=path,
        version=number, handler=handler, image=image,
        user_parameters=_parameters(user_parameters), **arguments,
    )  # fmt: skip
