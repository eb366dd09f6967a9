"""What the command line says, and exits with, when a command fails: one line in CLI terms.

An error from the SDK speaks Python (its repr, ``ServiceClient(...)``, ``credential={...}``,
a pydantic dump). Here it becomes what a person at a terminal can act on: the ``--flag``
or the variable to set, the request that failed, the server's request id. Each kind of
failure has an exit status of its own, so that a script can tell them apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from .. import errors

if TYPE_CHECKING:
    import pydantic

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_ROLLED_BACK = 3
EXIT_ROLLBACK_FAILED = 4
EXIT_AUTH = 5
EXIT_NOT_FOUND = 6
EXIT_CONFLICT = 7
EXIT_TIMEOUT = 8
EXIT_SERVICE_FAILED = 9
EXIT_RELEASE_CONFLICT = 10
EXIT_INTERRUPTED = 130

SET_A_CREDENTIAL = (
    "set PLATFORM_AUTH_TOKEN, or ABEJA_PLATFORM_USER_ID with "
    "ABEJA_PLATFORM_PERSONAL_ACCESS_TOKEN, or configure abejacli (`abeja config init`; "
    "pick one of its configurations with --profile); `abeja-services self-check` shows "
    "what is used"
)

# The request fields the commands take as options, by the option's name.
_FLAGS = {
    "instance_number": "--instance-number",
    "min_instance_number": "--min-instance-number",
    "max_instance_number": "--max-instance-number",
    "enable_autoscale": "--autoscale",
    "environment": "--env",
    "version_id": "--version-id",
    "model_id": "--model-id",
    "instance_type": "--instance-type",
    "organization_id": "--organization-id",
}
_FIELD = re.compile(r"\b(" + "|".join(sorted(_FLAGS, key=len, reverse=True)) + r")\b")


@dataclass(frozen=True)
class Failure:
    """The line to print on stderr (without ``error:``) and the exit status."""

    message: str
    exit_code: int


def _in_flags(text: str) -> str:
    return _FIELD.sub(lambda found: _FLAGS[found.group(1)], text)


def _invalid(error: pydantic.ValidationError) -> str:
    problems = []
    for problem in error.errors(include_url=False):
        message = str(problem["msg"]).removeprefix("Value error, ")
        fields = [str(part) for part in problem["loc"] if isinstance(part, str)]
        where = _FLAGS.get(fields[0], fields[0]) if fields else ""
        problems.append(f"{where}: {_in_flags(message)}" if where else _in_flags(message))
    return "; ".join(problems)


def _request(error: errors.HttpError) -> str:
    parts = urlsplit(error.url) if error.url else None
    path = parts.path if parts is not None else ""
    if parts is not None and not path.startswith("/organizations/"):
        # A prediction: its host is not the API's (an organization's sub-domain, or a
        # template's), so it is shown whole.
        path = f"{parts.scheme}://{parts.netloc}{path}"
    said = f"{error.status_code} {error.error}" if error.status_code else error.error
    where = f" on {error.method} {path}" if error.method and path else ""
    request_id = f", request id {error.request_id}" if error.request_id else ""
    return f"({said}{where}{request_id})"


def _http(error: errors.HttpError, *, has_credential: bool) -> Failure:
    from .._http._transport_core import NO_CREDENTIAL  # the SDK's hint, in Python terms

    description = error.error_description.replace(f" ({NO_CREDENTIAL})", "")
    text = f"{description or error.error} {_request(error)}"
    if isinstance(error, errors.Unauthorized):
        hint = SET_A_CREDENTIAL if not has_credential else "the credential was refused"
        return Failure(f"{text}: {hint}", EXIT_AUTH)
    if isinstance(error, errors.Forbidden):
        return Failure(f"{text}: the credential may not do this in that organization", EXIT_AUTH)
    if isinstance(error, errors.NotFound):
        return Failure(text, EXIT_NOT_FOUND)
    if isinstance(error, errors.Conflict):
        return Failure(text, EXIT_CONFLICT)
    if isinstance(error, errors.BadRequest):
        text = _in_flags(text)
        if "--max-instance-number" in text and "--instance-number" in text:
            text += ": raise --max-instance-number too"
    if error.may_have_applied:
        text += ": it may have been applied; check (`get`, `list`) before running it again"
    return Failure(text, EXIT_ERROR)


def explain(error: BaseException, *, has_credential: bool = True) -> Failure:
    """The message and exit status for an error a command raised."""
    import pydantic  # here, not at start-up: only a failing command needs them

    from .._managers._common import NoOrganization

    if isinstance(error, NoOrganization):
        return Failure("no organization: pass --organization-id or set ABEJA_ORGANIZATION_ID",
                       EXIT_USAGE)  # fmt: skip
    if isinstance(error, pydantic.ValidationError):
        return Failure(_invalid(error), EXIT_USAGE)
    if isinstance(error, errors.HttpError):
        return _http(error, has_credential=has_credential)
    if isinstance(error, (errors.WaitTimeoutError, errors.APITimeoutError)):
        return Failure(_in_flags(str(error)), EXIT_TIMEOUT)
    if isinstance(error, errors.APIConnectionError):
        hint = "; is the API URL right? (--api-url, ABEJA_API_URL)"
        return Failure(f"{error}{hint if 'connect' in str(error) else ''}", EXIT_ERROR)
    if isinstance(error, errors.ServiceFailedError):
        return Failure(str(error), EXIT_SERVICE_FAILED)
    if isinstance(error, (ValueError, TypeError)):
        return Failure(_in_flags(str(error)), EXIT_USAGE)
    return Failure(str(error), EXIT_ERROR)
