"""Errors raised by abeja-services, compatible with abeja-sdk's ``abeja.exceptions``.

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
    ├── APIConnectionError           no answer: refused, reset, DNS, TLS
    │   └── APITimeoutError          no answer in time
    ├── InvalidResponseError         a 2xx answer whose body is not the expected JSON
    ├── ServiceNotBoundError         a hand-built Service has no client to call
    ├── ServiceFailedError           a waited-for service entered a failed state
    └── WaitTimeoutError             a wait reached its deadline (also a TimeoutError)

Other statuses (502, 504, ...) raise :class:`HttpError` itself. Request
validation problems raise ``ValueError``/``TypeError`` (pydantic's
``ValidationError`` is a ``ValueError``) before anything is sent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .services.models import Service

__all__ = [
    "APIConnectionError",
    "APITimeoutError",
    "BadRequest",
    "Conflict",
    "Error",
    "Forbidden",
    "HttpError",
    "InternalServerError",
    "InvalidResponseError",
    "MethodNotAllowed",
    "NotFound",
    "ServiceFailedError",
    "ServiceNotBoundError",
    "ServiceUnavailable",
    "TooManyRequests",
    "Unauthorized",
    "WaitTimeoutError",
]


class Error(Exception):
    """Root of every error this package raises."""


class HttpError(Error):
    """The server answered with a non-2xx status.

    The arguments and attributes follow abeja-sdk: ``error``,
    ``error_description``, ``error_detail``, ``status_code`` and ``url``.
    ``request_id`` holds the server's request id header when it sent one, and
    ``retry_after`` the parsed ``Retry-After`` in seconds.
    """

    def __init__(
        self,
        error: str,
        error_description: str,
        error_detail: object = None,
        status_code: int = 0,
        url: str = "",
        *,
        request_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(error, error_description, error_detail, status_code, url)
        self.error = error
        self.error_description = error_description
        self.error_detail = error_detail
        self.status_code = status_code
        self.url = url
        self.request_id = request_id
        self.retry_after = retry_after

    def __str__(self) -> str:
        text = f"{self.status_code} {self.error}: {self.error_description} ({self.url})"
        if self.request_id:
            text += f" [request id {self.request_id}]"
        return text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(error={self.error!r}, "
            f"error_description={self.error_description!r}, status_code={self.status_code}, "
            f"url={self.url!r}, request_id={self.request_id!r})"
        )


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
    """The server could not be reached or dropped the connection."""


class APITimeoutError(APIConnectionError):
    """The server did not answer within the timeout."""


class InvalidResponseError(Error):
    """A 2xx answer whose body is not the JSON the API documents."""

    def __init__(self, message: str, *, status_code: int, url: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.url = url


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
