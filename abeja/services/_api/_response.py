"""What came back: the HTTP answer as the transport read it, and every way of decoding it.

Decoding errors (bad JSON, too deep, wrong shape) become ``InvalidResponseError``
here and nowhere else; a non-2xx answer becomes its ``HttpError`` class here too.
"""

from __future__ import annotations

import contextlib
import contextvars
import email.utils
import gc
import json
import math
import re
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import pydantic_core
from pydantic import BaseModel, ValidationError

from .. import _constants as C
from .. import errors as exc

if TYPE_CHECKING:
    import requests

_M = TypeVar("_M", bound=BaseModel)

_STATUS_ERRORS: dict[int, type[exc.HttpError]] = {
    400: exc.BadRequest,
    401: exc.Unauthorized,
    403: exc.Forbidden,
    404: exc.NotFound,
    405: exc.MethodNotAllowed,
    409: exc.Conflict,
    429: exc.TooManyRequests,
    500: exc.InternalServerError,
    503: exc.ServiceUnavailable,
}


class Headers(Mapping[str, str]):
    """An answer's headers as they came, looked up without regard to case; the lookup
    table is built at the first lookup (most answers are never asked). A header sent
    twice reads as its values joined by ``", "``, as urllib3 and requests give it."""

    __slots__ = ("_pairs", "_table")

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._pairs = pairs
        self._table: dict[str, tuple[str, str]] | None = None

    def _lookup(self) -> dict[str, tuple[str, str]]:
        table = self._table
        if table is None:
            table = {}
            for name, value in self._pairs:
                key = name.lower()
                seen = table.get(key)
                table[key] = (name, value) if seen is None else (seen[0], f"{seen[1]}, {value}")
            self._table = table
        return table

    def __getitem__(self, name: str) -> str:
        return self._lookup()[name.lower()][1]

    def get(self, name: str, default: Any = None) -> Any:
        """The value of ``name`` (any case), else ``default``."""
        found = self._lookup().get(name.lower())
        return default if found is None else found[1]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._lookup()

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._lookup().values())

    def __len__(self) -> int:
        return len(self._lookup())

    def __repr__(self) -> str:
        return f"Headers({dict(self.items())!r})"


class HTTPResponse:
    """One HTTP answer, read whole: status, headers, body, and where it came from.

    Pickles and copies without the underlying requests objects (they hold the
    request's ``Authorization`` header).
    """

    __slots__ = ("method", "url", "status_code", "reason", "headers", "content", "elapsed", "_raw")

    def __init__(
        self,
        *,
        method: str,
        url: str,
        status_code: int,
        reason: str,
        headers: Mapping[str, str],
        content: bytes,
        elapsed: float,
        raw: Callable[[], requests.Response] | None = None,
    ) -> None:
        self.method = method
        self.url = url
        """The URL without its query string."""
        self.status_code = status_code
        self.reason = reason
        self.headers = headers
        """Case-insensitive response headers."""
        self.content = content
        self.elapsed = elapsed
        """Seconds from sending the request to reading the whole body."""
        self._raw = raw
        """Makes the requests.Response (for abeja-sdk compatibility), once, on demand."""

    @property
    def request_id(self) -> str | None:
        """The server's request id header, when it sent one."""
        for name in C.REQUEST_ID_HEADERS:
            value = self.headers.get(name)
            if value:
                return value
        return None

    def as_requests_response(self) -> requests.Response:
        """The ``requests.Response`` it was read from (what abeja-sdk's APIClient returned)."""
        if self._raw is None:
            raise exc.Error("the requests.Response is not kept across pickling or copying")
        response = self._raw()
        self._raw = lambda: response
        return response

    def __getstate__(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__ if name != "_raw"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            object.__setattr__(self, name, value)
        self._raw = None

    def __repr__(self) -> str:
        return f"HTTPResponse({self.method} {self.url} -> {self.status_code})"

    def without_body(self) -> HTTPResponse:
        """This answer but its body (``content`` empty), for a model that holds what the
        body said: a list of 10,000 services does not keep its 4.5 MB of JSON too."""
        return HTTPResponse(
            method=self.method,
            url=self.url,
            status_code=self.status_code,
            reason=self.reason,
            headers=self.headers,
            content=b"",
            elapsed=self.elapsed,
        )


KEEP_BODY_BELOW = 64 * 1024
"""A model keeps the whole answer it was read from below this many bytes of body; above,
its ``http_response`` has no body (``with_raw_response`` still gives it)."""

_raw_answers: contextvars.ContextVar[list[HTTPResponse] | None] = contextvars.ContextVar(
    "abeja_services_raw_answers", default=None
)
"""Set by ``with_raw_response`` around its call: the whole answers, kept for it."""


def kept_by_model(response: HTTPResponse) -> HTTPResponse:
    """What a model keeps of the answer it was read from (see ``KEEP_BODY_BELOW``)."""
    if len(response.content) < KEEP_BODY_BELOW:
        return response
    raw = _raw_answers.get()
    if raw is not None:
        raw.append(response)
    return response.without_body()


@contextlib.contextmanager
def whole_answers() -> Iterator[list[HTTPResponse]]:
    """Within: the answers of large bodies models were read from, whole (``with_raw_response``)."""
    answers: list[HTTPResponse] = []
    token = _raw_answers.set(answers)
    try:
        yield answers
    finally:
        _raw_answers.reset(token)


def _invalid(response: HTTPResponse, message: str) -> exc.InvalidResponseError:
    return exc.InvalidResponseError(
        f"{response.url}: {message}", status_code=response.status_code, url=response.url
    )


def decode_json(response: HTTPResponse, content: bytes | None = None) -> Any:
    """The body (or ``content`` read from it) parsed as JSON, whatever its type, as
    ``json.loads`` parses it. pydantic's parser is tried first (a third of the time);
    what it refuses (a lone surrogate escape, nesting past its limit) goes to
    ``json.loads``, so no answer parses differently."""
    body = response.content if content is None else content
    try:
        return pydantic_core.from_json(body)
    except ValueError:
        pass
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        kind = response.headers.get("Content-Type") or "no content type"
        raise _invalid(response, f"expected a JSON body, got {kind}") from None


def decode_object(response: HTTPResponse, content: bytes | None = None) -> dict[str, Any]:
    """The JSON object the server sent, as plain Python."""
    data = decode_json(response, content)
    if not isinstance(data, dict):
        raise _invalid(response, f"expected a JSON object, got {type(data).__name__}")
    return data


# Parsing a body this large allocates enough objects to trigger several garbage
# collections (a third of the time for 1,000 services) that find nothing: parsing makes no
# reference cycles. Above it the collector is paused for the parse, as the caller had it.
_PAUSE_GC_FROM = 64 * 1024


@contextlib.contextmanager
def _validating(response: HTTPResponse, model: type[BaseModel], body: bytes) -> Iterator[None]:
    """Around a validation: the collector paused for a large body (as the caller had it),
    and pydantic's error turned into the same ``InvalidResponseError`` for both layers."""
    pause = len(body) >= _PAUSE_GC_FROM and gc.isenabled()
    if pause:
        gc.disable()
    try:
        yield
    except ValidationError as error:
        raise _not_valid(response, model, error) from None
    finally:
        if pause:
            gc.enable()


def decode_model(model: type[_M], response: HTTPResponse, content: bytes | None = None) -> _M:
    """A typed model straight from the body bytes (pydantic parses the JSON itself)."""
    body = response.content if content is None else content
    if len(body) < _PAUSE_GC_FROM:  # the common case, without a context manager's cost
        try:
            return model.model_validate_json(body)
        except ValidationError as error:
            raise _not_valid(response, model, error) from None
    with _validating(response, model, body):
        return model.model_validate_json(body)


def validated_object(
    model: type[BaseModel], response: HTTPResponse, content: bytes | None = None
) -> dict[str, Any]:
    """The JSON object the server sent, unchanged, once ``model`` accepts it.

    The compat client's dicts: exactly the server's JSON (unknown fields and timestamp
    strings as sent), checked by the typed layer's model, so a malformed answer raises
    the same ``InvalidResponseError`` in both layers.
    """
    data = decode_object(response, content)
    with _validating(response, model, response.content if content is None else content):
        model.model_validate(data)
    return data


def _not_valid(
    response: HTTPResponse, model: type[BaseModel], error: ValidationError
) -> exc.InvalidResponseError:
    problems = _problems(error)
    return _invalid(response, f"the answer is not a valid {model.__name__}: {problems}")


def _problems(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in error.errors()[:5]
    )


_BARE_LIST = re.compile(rb"[ \t\r\n]*\[")


def service_list_content(response: HTTPResponse) -> bytes:
    """The body of a list answer as ``{"entries": [...]}`` (a bare JSON list is wrapped)."""
    content = response.content
    if _BARE_LIST.match(content):  # not content.lstrip(): that copies the whole body
        return b'{"entries":' + content + b"}"
    return content


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    try:
        return max(0.0, when.timestamp() - now)
    except (OverflowError, ValueError):
        return None


def error_for(
    response: HTTPResponse,
    now: float,
    *,
    may_have_applied: bool = False,
    note: str | None = None,
    hint: str | None = None,
) -> exc.HttpError:
    """The exception for a non-2xx answer, built from the platform's error body.

    ``note`` is appended to the description; ``hint`` (what to look at next) rides beside it.
    """
    try:
        body = json.loads(response.content)
    except (ValueError, RecursionError):
        body = None
    if isinstance(body, dict):
        error = str(body.get("error") or response.reason or "error")
        # The platform's API says error_description; the serving proxy in front of a
        # model answers {"status": "service unavailable"} and the like.
        description = str(
            body.get("error_description") or body.get("message") or body.get("status") or ""
        )
        detail = body.get("error_detail")
    else:
        error = response.reason or "error"
        description = response.content[:500].decode("utf-8", "replace").strip()
        detail = None
    if (
        hint is None
        and note is None
        and response.status_code == 500
        and _from_the_model(body, response)
    ):
        hint = "the model's handler failed: its traceback is in the service's log (iter_logs)"
    if note:
        description = f"{description} ({note})" if description else note
    cls = _STATUS_ERRORS.get(response.status_code, exc.HttpError)
    return cls(
        error,
        description,
        detail,
        response.status_code,
        response.url,
        method=response.method,
        request_id=response.request_id,
        retry_after=parse_retry_after(response.headers.get("Retry-After"), now),
        may_have_applied=may_have_applied,
        hint=hint,
    )


def _from_the_model(body: object, response: HTTPResponse) -> bool:
    """Whether an error answer came from in front of a model: the serving proxy's headers,
    or its body (``{"status": "..."}``, where the API says ``{"error": ...}``)."""
    if C.SERVICE_ANSWER_HEADER in response.headers:
        return True
    return isinstance(body, dict) and "status" in body and "error" not in body


class HTTPView:
    """Status, headers and request id of an ``http`` answer (a mixin: ``PredictResponse``,
    ``RawResponse``)."""

    __slots__ = ()
    http: HTTPResponse

    @property
    def status_code(self) -> int:
        """HTTP status (always 2xx: other statuses raise)."""
        return self.http.status_code

    @property
    def headers(self) -> Mapping[str, str]:
        """Response headers, a case-insensitive mapping."""
        return self.http.headers

    @property
    def request_id(self) -> str | None:
        """The server's request id header, when it sent one."""
        return self.http.request_id


class PredictResponse(HTTPView):
    """What a service answered to a prediction request."""

    __slots__ = ("http",)

    def __init__(self, http: HTTPResponse) -> None:
        self.http = http
        """The HTTP answer (status, headers, body, request id, elapsed)."""

    @property
    def response(self) -> requests.Response:
        """The underlying ``requests.Response`` (kept for older code; prefer `http`)."""
        return self.http.as_requests_response()

    @property
    def content(self) -> bytes:
        """The body as bytes."""
        return self.http.content

    @property
    def text(self) -> str:
        """The body as text (UTF-8 unless the content type names another charset)."""
        charset = "utf-8"
        for part in (self.content_type or "").split(";")[1:]:
            key, _, value = part.strip().partition("=")
            if key.lower() == "charset" and value:
                charset = value.strip('"')
        try:
            return self.content.decode(charset, "replace")
        except (LookupError, UnicodeError):  # unknown, or a codec that is not for text (idna)
            return self.content.decode("utf-8", "replace")

    @property
    def content_type(self) -> str | None:
        """The ``Content-Type`` header, when sent."""
        return self.http.headers.get("Content-Type")

    def json(self) -> Any:
        """The body parsed as JSON; ``InvalidResponseError`` when it is not JSON."""
        return decode_json(self.http)

    @property
    def model_id(self) -> str | None:
        """``X-Abeja-Model-Id``."""
        return self.http.headers.get("X-Abeja-Model-Id")

    @property
    def model_version(self) -> str | None:
        """``X-Abeja-Model-Version``, unescaped (the serving proxy URL-escapes it)."""
        value = self.http.headers.get("X-Abeja-Model-Version")
        return None if value is None else urllib.parse.unquote(value)

    @property
    def deployment_id(self) -> str | None:
        """``X-Abeja-Deployment-Id``."""
        return self.http.headers.get("X-Abeja-Deployment-Id")

    @property
    def service_id(self) -> str | None:
        """``X-Abeja-Service-Id``."""
        return self.http.headers.get("X-Abeja-Service-Id")

    def __repr__(self) -> str:
        return (
            f"PredictResponse(status_code={self.status_code}, content_type={self.content_type!r})"
        )
