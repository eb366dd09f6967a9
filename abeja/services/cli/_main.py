"""The ``abeja-services`` group: global options, the client, and exit statuses.

Exit statuses (``_failures`` says which error gives which): 0 success, 1 an API or
connection error not listed here, 2 a usage error (nothing was sent), 3 a rollout rolled
back, 4 its rollback failed too, 5 no credential or one refused (401, 403), 6 not found,
7 conflict, 8 timed out, 9 the service failed, 10 a rollout stopped on someone else's
change (outcome ``conflict``), 128 + N interrupted by signal N (130 Ctrl-C, 143 SIGTERM,
129 SIGHUP).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any

import click

from ..errors import Error
from ._diagnostics import sdk_log_on_stderr
from ._failures import EXIT_INTERRUPTED, Failure, explain
from ._params import Finite
from ._style import paint

if TYPE_CHECKING:
    from .._client import ServiceClient


@dataclass
class Options:
    """The global options, and the client made from them on first use."""

    organization_id: str | None
    api_url: str | None
    output: str
    timeout: float | None
    profile: str | None = None
    output_given: bool = True
    """Whether ``--output`` was given (``logs`` prints lines on a terminal otherwise)."""
    _client: ServiceClient | None = field(default=None, repr=False)
    query: Any = None
    """``--query`` compiled: what of the JSON answer is printed (None: all of it)."""

    def client(self) -> ServiceClient:
        """A client from the options over the environment (as ``ServiceClient()`` reads it)."""
        if self._client is None:
            from .._client import ServiceClient  # here: `--help` does not pay for the SDK

            try:
                self._client = ServiceClient(
                    self.organization_id,
                    base_url=self.api_url,
                    timeout=self.timeout,
                    profile=self.profile,
                    service_url_template=_template_moved_to(self.api_url),
                )
            except ValueError as error:  # a variable, or abejacli's file, is malformed
                raise CommandFailed(explain(error)) from None
        return self._client

    def has_credential(self) -> bool:
        """Whether the client sends a credential (True before one is made: nothing was sent)."""
        return self._client is None or self._client._settings.auth is not None


class CommandFailed(click.ClickException):
    """A command's error, told in CLI terms (``_failures.explain``), with its exit status."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.message)
        self.exit_code = failure.exit_code  # type: ignore[misc]  # click's is per class

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"{paint('error:', 'red')} {self.format_message()}", err=True, file=file)


class _Group(click.Group):
    """The top group: an SDK error from any command becomes a ``CommandFailed``."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (ValueError, TypeError, Error) as error:
            # An API error, or an argument the SDK refused before sending anything.
            options = ctx.find_object(Options)
            credential = options.has_credential() if options is not None else True
            raise CommandFailed(explain(error, has_credential=credential)) from None


pass_options = click.make_pass_decorator(Options)


@click.group(
    cls=_Group,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option(
    "--organization-id",
    metavar="ID",
    help="The organization (default: $ABEJA_ORGANIZATION_ID).",
)
@click.option("--api-url", metavar="URL", help="The API's base URL (default: $ABEJA_API_URL).")
@click.option(
    "--output",
    "-o",
    type=click.Choice(["json", "table", "text"]),
    help="JSON for programs, a table for people, text for shell variables (bare values, "
    "tab-separated; default: json; `logs` on a terminal: lines).",
)
@click.option(
    "--query", metavar="JMESPATH",
    help="Print only this part of the JSON answer, as aws does (a JMESPath expression, e.g. "
    "'[].service_id' or 'status').",
)  # fmt: skip
@click.option(
    "--request-timeout", "timeout", type=Finite(0, 86_400, above_low=True), metavar="SECONDS",
    help="Seconds each HTTP attempt may take (a wait's own limit is the command's --timeout).",
)  # fmt: skip
@click.option(
    "--profile", metavar="NAME",
    help="An abejacli configuration, by name (default: its active one; read when no "
    "credential variable is set).",
)  # fmt: skip
@click.option("--debug", is_flag=True, help="Show every request and answer on stderr.")
@click.version_option(package_name="abeja-services", prog_name="abeja-services")
@click.pass_context
def cli(
    context: click.Context,
    organization_id: str | None,
    api_url: str | None,
    output: str | None,
    timeout: float | None,
    profile: str | None,
    query: str | None,
    debug: bool,
) -> None:
    """The ABEJA Platform Service API from a terminal.

    Credentials come from the environment, as for the SDK: PLATFORM_AUTH_TOKEN, or
    ABEJA_PLATFORM_USER_ID with ABEJA_PLATFORM_PERSONAL_ACCESS_TOKEN; without them, from
    abejacli's configuration (~/.abeja/config, its active one or --profile NAME). Try
    `abeja-services self-check` to see what would be used, and `abeja-services demo`
    to see everything work against a local emulator. Global options work before or
    after the command.

    \b
    Exit statuses: 0 done, 1 an API or connection error, 2 usage (nothing sent),
    3 rolled back, 4 the rollback failed too, 5 no credential or refused, 6 not found,
    7 conflict, 8 timed out, 9 the service failed, 10 a rollout stopped on someone
    else's change, 130 interrupted (143 SIGTERM, 129 SIGHUP during a rollout).
    """
    context.with_resource(sdk_log_on_stderr(debug=debug))
    context.obj = Options(
        organization_id, api_url, output or "json", timeout, profile, output is not None
    )
    context.obj.query = _compiled(query)


# The group's options accepted after the subcommand too (each takes a value).
_GLOBAL_OPTIONS = frozenset(
    {
        "--organization-id",
        "--api-url",
        "--output",
        "-o",
        "--request-timeout",
        "--profile",
        "--query",
    }
)


def global_options_first(argv: Sequence[str]) -> list[str]:
    """``argv`` with the group's options moved before the subcommand, so that they work
    anywhere (``abeja-services list DEP -o table``), as in gh, aws and stripe. What follows
    ``--``, and the emulator's own arguments, are left as they are."""
    arguments = list(argv)
    command = 0  # the subcommand's index: past the group's own options and their values
    while command < len(arguments) and arguments[command].startswith("-"):
        takes_value = arguments[command] in _GLOBAL_OPTIONS
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


def _compiled(query: str | None) -> Any:
    """``--query`` compiled (a usage error, exit 2, if it is not JMESPath)."""
    if query is None:
        return None
    import jmespath  # here: only a command given --query pays for it
    import jmespath.exceptions

    try:
        return jmespath.compile(query)
    except jmespath.exceptions.ParseError as error:
        raise click.BadParameter(
            f"not a JMESPath expression: {error}", param_hint="--query"
        ) from None


def _template_moved_to(api_url: str | None) -> str | None:
    """The prediction host for ``--api-url``: where ABEJA_SERVICE_URL_TEMPLATE was set on the
    same origin as ABEJA_API_URL (as the emulator prints them), it moves with ``--api-url``;
    otherwise the SDK's rules apply (None)."""
    template = os.environ.get("ABEJA_SERVICE_URL_TEMPLATE")
    if not api_url or not template:
        return None
    was = os.environ.get("ABEJA_API_URL", "").rstrip("/")
    if not was or not template.startswith(was + "/"):
        return None
    return api_url.rstrip("/") + template[len(was) :]


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
    except click.exceptions.Exit as done:
        return done.exit_code
    return result if isinstance(result, int) else 0


def run() -> None:
    """The console script's entry point."""
    sys.exit(main())
