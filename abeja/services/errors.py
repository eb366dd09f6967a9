"""Errors raised by abeja-services, compatible with abeja-sdk's ``abeja.exceptions``.

They live here, where abeja-sdk ships no file, so they are ours whichever package's files
won in the shared ``abeja`` tree; ``abeja.exceptions`` re-exports them (and abeja-sdk's
other classes, defined here as abeja-sdk defines them).

The tree::

    Error
    ├── HttpError                    the server answered with a non-2xx status
    │   ├── BadRequest               400
    │   ├── Unauthorized             401
    │   ├── Forbidden                403
    │   ├── NotFound                 404
    │   ├── MethodNotAllowed         405
    │   ├── Conflict                 409
    │   ├── TooManyRequests          429
    │   ├── InternalServerError      500
    │   └── ServiceUnavailable       503
    ├── APIConnectionError           no answer: refused, reset, DNS, TLS, a 1xx as the answer
    │   └── APITimeoutError          no answer in time (a read timeout, or the call's deadline)
    ├── InvalidResponseError         a 2xx answer whose body is not the expected JSON
    │   └── ResponseTooLargeError    an answer over the size cap (decompressed size counted)
    ├── ServiceNotBoundError         a hand-built Service has no client to call
    ├── ServiceFailedError           a waited-for service entered a failed state
    ├── WaitTimeoutError             a wait reached its deadline (also a TimeoutError)
    ├── RolloutError                 a rollout check failed, or the run cannot go on
    └── UnsupportedURI, InvalidDataFormat, ResourceNotFound, InvalidPathException,
        EtagHashNotMatch             abeja-sdk's, for its other clients (never raised here)

Other statuses (502, 504, ...) raise [`HttpError`][abeja.services.errors.HttpError] itself. Request
validation problems raise ``ValueError``/``TypeError`` (pydantic's
``ValidationError`` is a ``ValueError``) before anything is sent.

``HttpError`` and ``APIConnectionError`` carry ``may_have_applied``: True when a
write (a POST) reached the server and failed in a way that does not prove it was
not carried out, so it was not sent again. Check the resource before repeating it.

Every error pickles, unpickles and deep-copies with its attributes (for
``multiprocessing`` and ``concurrent.futures``), and none holds a credential.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import Service

__all__ = [
    "APIConnectionError",
    "APITimeoutError",
    "ClientClosedError",
    "BadRequest",
    "Conflict",
    "Error",
    "Forbidden",
    "HttpError",
    "InternalServerError",
    "InvalidResponseError",
    "MethodNotAllowed",
    "NotFound",
    "ResponseTooLargeError",
    "RolloutConflict",
    "RolloutError",
    "ServiceFailedError",
    "ServiceNotBoundError",
    "ServiceUnavailable",
    "TooManyRequests",
    "Unauthorized",
    "WaitTimeoutError",
    "UnsupportedURI",
    "InvalidDataFormat",
    "ResourceNotFound",
    "InvalidPathException",
    "EtagHashNotMatch",
]
__all__.sort()


def _rebuild(cls: type[Error], args: tuple[object, ...], state: dict[str, object]) -> Error:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class Error(Exception):
    """Root of every error this package raises."""

    def __reduce__(self) -> tuple[object, ...]:
        # Keyword-only constructor arguments would be lost by Exception's default reduce.
        return (_rebuild, (type(self), self.args, dict(self.__dict__)))


class HttpError(Error):
    """The server answered with a non-2xx status.

    Constructed, shown and turned into a dict exactly as abeja-sdk's ``HttpError``
    (``error``, ``error_description``, ``error_detail``, ``status_code``, ``url``,
    ``_asdict()``), so abeja-sdk's other clients can raise and catch it. Ours also carry
    ``method``, ``request_id`` (the server's request id header), ``retry_after`` (the
    parsed ``Retry-After`` in seconds) and ``may_have_applied``, shown after abeja-sdk's
    text when set.
    """

    def __init__(
        self,
        error: str,
        error_description: str,
        error_detail: object = None,
        status_code: int | None = None,
        url: str | None = None,
        *,
        method: str | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
        may_have_applied: bool = False,
        hint: str | None = None,
    ) -> None:
        super().__init__(error, error_description, error_detail, status_code, url)
        self.error = error
        self.error_description = error_description
        self.error_detail = error_detail
        self.status_code = status_code
        self.url = url
        self.method = method
        self.request_id = request_id
        self.retry_after = retry_after
        self.may_have_applied = may_have_applied
        self.hint = hint
        """What to look at next (the SDK's words; ``error_description`` is the server's)."""

    def __repr__(self) -> str:
        text = f'<{type(self).__name__} "{self.error}": {self.error_description}'
        if self.status_code and self.url:
            text += f" ({self.status_code} from {self.url})"
        if self.error_detail:
            text += f", {self.error_detail}"
        text += ">"
        if getattr(self, "request_id", None):
            text += f" [request id {self.request_id}]"
        return text + self._what_next()

    __str__ = __repr__

    def _what_next(self) -> str:
        """Our additions after the text: the hint, and whether it may have applied."""
        text = f" ({self.hint})" if getattr(self, "hint", None) else ""
        if getattr(self, "may_have_applied", False):
            text += " (it may have been applied: check before sending it again)"
        return text

    def sentence(self) -> str:
        """The error as one line for a person: ``what (status on METHOD url)``, its request
        id, and whether it may have applied (``str()`` keeps abeja-sdk's form)."""
        said = self.error_description or self.error
        where = " ".join(str(p) for p in (self.status_code, self.method, self.url) if p)
        text = f"{said} ({where})" if where else said
        if getattr(self, "request_id", None):
            text += f", request id {self.request_id}"
        return text + self._what_next()

    def _asdict(self) -> dict[str, object]:
        """The error as abeja-sdk gives it: only the fields that are set."""
        data: dict[str, object] = {
            "error": self.error,
            "error_description": self.error_description,
        }
        if self.error_detail:
            data["error_detail"] = self.error_detail
        if self.status_code:
            data["status_code"] = self.status_code
        if self.url:
            data["url"] = self.url
        return data


class BadRequest(HttpError):
    """400: the request was refused as invalid (or the state does not allow it)."""


class Unauthorized(HttpError):
    """401: the credential is missing or wrong."""


class Forbidden(HttpError):
    """403: the credential may not do this."""


class NotFound(HttpError):
    """404: no such organization, deployment or service."""


class MethodNotAllowed(HttpError):
    """405: the route does not take this method."""


class Conflict(HttpError):
    """409: the resource is in a conflicting state."""


class TooManyRequests(HttpError):
    """429: rate limited; ``retry_after`` says how long to wait when known."""


class InternalServerError(HttpError):
    """500: the server failed."""


class ServiceUnavailable(HttpError):
    """503: the server (or the service being predicted) cannot answer now."""


class APIConnectionError(Error):
    """The server could not be reached, dropped the connection, or answered nonsense."""

    def __init__(self, message: str, *, may_have_applied: bool = False) -> None:
        if may_have_applied:
            message += " (it may have been applied: check before sending it again)"
        super().__init__(message)
        self.may_have_applied = may_have_applied


class ClientClosedError(APIConnectionError):
    """The client was closed: a call after ``close()``/``aclose()`` raises it at once; a call
    in flight when the client closed ends with it (``may_have_applied`` if its request had
    gone out)."""


class APITimeoutError(APIConnectionError):
    """The server did not answer within the timeout."""


class InvalidResponseError(Error):
    """A 2xx answer whose body is not the JSON the API documents."""

    def __init__(self, message: str, *, status_code: int, url: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.url = url


class ResponseTooLargeError(InvalidResponseError):
    """An answer larger than the client's cap; ``limit`` is the cap in bytes."""

    def __init__(self, message: str, *, status_code: int, url: str, limit: int) -> None:
        super().__init__(message, status_code=status_code, url=url)
        self.limit = limit


class ServiceNotBoundError(Error, RuntimeError):
    """A ``Service`` built by hand was asked to call the API."""


class ServiceFailedError(Error):
    """A service being waited for entered a failed state; ``service`` is how it was seen."""

    def __init__(self, message: str, service: Service) -> None:
        super().__init__(message)
        self.service = service


class WaitTimeoutError(Error, TimeoutError):
    """A wait reached its deadline; ``service`` is the last one seen (None if none was)."""

    def __init__(self, message: str, service: Service | None) -> None:
        super().__init__(message)
        self.service = service


class RolloutError(Error):
    """A rollout's check failed (a smoke request, the bake's thresholds), or the run cannot
    go on (an endpoint that points at no service, a rollback target that is not READY)."""


class RolloutConflict(RolloutError):
    """Someone else changed what a rollout acts on (the endpoint switched elsewhere, the old
    service stopped): the run stops and leaves it as found (outcome ``conflict``)."""


class UnsupportedURI(Error):
    """abeja-sdk's: a URI its clients cannot handle."""


class InvalidDataFormat(Error):
    """abeja-sdk's: data in a format its clients cannot handle."""


class ResourceNotFound(Error):
    """abeja-sdk's: a local resource was not found."""


class InvalidPathException(Error):
    """abeja-sdk's: an invalid path; ``path`` is the path."""

    def __init__(self, path: object) -> None:
        super().__init__(path)
        self.path = path


class EtagHashNotMatch(Error):
    """abeja-sdk's: a downloaded file's ETag did not match its hash."""
