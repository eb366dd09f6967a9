"""The ``abeja-services`` group: global options, the client, and exit statuses.

Exit statuses: 0 success, 1 an API or connection error (its message on stderr), 2 a usage
error, 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field

import click

from .._client import ServiceClient
from ..errors import Error
from ._params import Finite

EXIT_API_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


@dataclass
class Options:
    """The global options, and the client made from them on first use."""

    organization_id: str | None
    api_url: str | None
    output: str
    timeout: float | None
    _client: ServiceClient | None = field(default=None, repr=False)

    def client(self) -> ServiceClient:
        """A client from the options over the environment (as ``ServiceClient()`` reads it)."""
        if self._client is None:
            try:
                self._client = ServiceClient(
                    self.organization_id, base_url=self.api_url, timeout=self.timeout
                )
            except ValueError as error:
                raise click.UsageError(str(error)) from None
        return self._client


pass_options = click.make_pass_decorator(Options)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--organization-id",
    metavar="ID",
    help="The organization (default: $ABEJA_ORGANIZATION_ID).",
)
@click.option("--api-url", metavar="URL", help="The API's base URL (default: $ABEJA_API_URL).")
@click.option(
    "--output",
    "-o",
    type=click.Choice(["json", "table"]),
    default="json",
    show_default=True,
    help="JSON for programs, a table for people.",
)
@click.option(
    "--timeout", type=Finite(0, 86_400, above_low=True), metavar="SECONDS",
    help="Per-attempt timeout.",
)  # fmt: skip
@click.version_option(package_name="abeja-services", prog_name="abeja-services")
@click.pass_context
def cli(
    context: click.Context,
    organization_id: str | None,
    api_url: str | None,
    output: str,
    timeout: float | None,
) -> None:
    """The ABEJA Platform Service API from a terminal.

    Credentials come from the environment, as for the SDK: PLATFORM_AUTH_TOKEN, or
    ABEJA_PLATFORM_USER_ID with ABEJA_PLATFORM_PERSONAL_ACCESS_TOKEN. Try
    `abeja-services self-check` to see what would be used, and `abeja-services demo`
    to see everything work against a local emulator.
    """
    context.obj = Options(organization_id, api_url, output, timeout)


# The group's options accepted after the subcommand too (each takes a value). --timeout is
# not among them: `create` and `wait` have a --timeout of their own.
_GLOBAL_OPTIONS = frozenset({"--organization-id", "--api-url", "--output", "-o"})


def global_options_first(argv: Sequence[str]) -> list[str]:
    """``argv`` with the group's options moved before the subcommand, so that they work
    anywhere (``abeja-services list DEP -o table``), as in gh, aws and stripe. What follows
    ``--``, and the emulator's own arguments, are left as they are."""
    arguments = list(argv)
    command = 0  # the subcommand's index: past the group's own options and their values
    while command < len(arguments) and arguments[command].startswith("-"):
        takes_value = arguments[command] in _GLOBAL_OPTIONS or arguments[command] == "--timeout"
        command += 2 if takes_value else 1
    if command >= len(arguments) or arguments[command] == "emulator":
        return arguments
    moved: list[str] = []
    rest: list[str] = []
    index = command + 1
    while index < len(arguments):
        argument = arguments[index]
        if argument == "--":
            rest += arguments[index:]
            break
        if argument.split("=", 1)[0] in _GLOBAL_OPTIONS:
            size = 1 if "=" in argument else 2
            moved += arguments[index : index + size]
            index += size
            continue
        rest.append(argument)
        index += 1
    return [*arguments[:command], *moved, arguments[command], *rest]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    arguments = global_options_first(sys.argv[1:] if argv is None else argv)
    try:
        # Without standalone mode click hands back a command's Exit status as the result.
        result = cli.main(args=arguments, prog_name="abeja-services", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("interrupted", err=True)
        return EXIT_INTERRUPTED
    except click.ClickException as error:
        error.show()
        return error.exit_code
    except ValueError as error:  # the SDK refused an argument before sending anything
        click.echo(f"Error: {error}", err=True)
        return EXIT_USAGE
    except Error as error:
        click.echo(f"error: {error}", err=True)
        return EXIT_API_ERROR
    except click.exceptions.Exit as done:
        return done.exit_code
    return result if isinstance(result, int) else 0


def run() -> None:
    """The console script's entry point."""
    sys.exit(main())
