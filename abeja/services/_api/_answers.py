"""An HTTP answer as both clients hand it on: ``HTTPResponse`` (status, headers, body,
request id, timing), ``PredictResponse`` (a prediction's answer), and what a model keeps
of the answer it was read from (``kept_by_model``, ``whole_answers``)."""

from __future__ import annotations

import contextlib
import contextvars
import json
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import pydantic_core

from .. import _constants as C
from .. import errors as exc

if TYPE_CHECKING:
    import requests


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

    __slots__ = (
        "method", "url", "status_code", "reason", "headers", "content", "elapsed", "_raw",
        "body_stream",
    )  # fmt: skip

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
        body_stream: Any = None,
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
        """Seconds from sending the request to reading the whole body (a streamed answer's:
        to its head)."""
        self._raw = raw
        """Makes the requests.Response (for abeja-sdk compatibility), once, on demand."""
        self.body_stream = body_stream
        """A streamed call's 2xx body, unread (``content`` is then empty): a ``BodyStream``
        on the sync client, an ``AsyncBodyStream`` on the async one."""

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
        skip = ("_raw", "body_stream")  # an open connection is not pickled
        return {name: getattr(self, name) for name in self.__slots__ if name not in skip}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            object.__setattr__(self, name, value)
        self._raw = self.body_stream = None

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


_streamed: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "abeja_services_streamed", default=False
)
"""Set by ``with_streaming_response`` around its prediction: the body is left unread."""


@contextlib.contextmanager
def streamed_answers() -> Iterator[None]:
    """Within: a prediction's 2xx answer comes with its body unread, in ``body_stream``."""
    token = _streamed.set(True)
    try:
        yield
    finally:
        _streamed.reset(token)


def answers_streamed() -> bool:
    """Whether the prediction sent now is to leave its body unread."""
    return _streamed.get()


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
