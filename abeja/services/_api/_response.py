"""What came back: the HTTP answer as the transport read it, and every way of decoding it.

Decoding errors (bad JSON, too deep, wrong shape) become ``InvalidResponseError``
here and nowhere else; a non-2xx answer becomes its ``HttpError`` class here too.
"""

from __future__ import annotations

import contextlib
import email.utils
import gc
import json
import math
import re
from collections.abc import Iterator
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from .. import _constants as C
from .. import errors as exc
from ._answers import HTTPResponse, _invalid, decode_json
from ._dict_check import dict_checker

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
    checker = dict_checker(model)
    with _validating(response, model, response.content if content is None else content):
        if checker is None:
            model.model_validate(data)
        else:
            try:
                checker.validate_python(data)  # no model built: the dicts are what is kept
            except ValidationError:
                model.model_validate(data)  # the model's own words, as the typed layer's
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
