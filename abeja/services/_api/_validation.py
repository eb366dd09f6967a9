"""Per-call checks of what goes into a URL or a query: ids, tokens, times, timeouts.

Every check returns a plain ``str`` (a ``str`` subclass is copied to one first, so an
overridden ``__format__`` or ``__str__`` cannot change what is sent) or raises
``TypeError``/``ValueError`` before anything is sent.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timezone

from .. import _constants as C

# An organization id becomes a DNS label of the predict host: nothing else may pass.
_ORGANIZATION_ID = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
# Deployment and service ids become path segments: ASCII letters, digits and . _ - only.
_PATH_ID = re.compile(r"[A-Za-z0-9._-]+")


def _plain(name: str, value: object) -> str:
    """``value`` as an exact ``str``, or a TypeError naming the argument."""
    if type(value) is str:
        return value
    if isinstance(value, str):
        return str.__str__(value)  # the characters themselves, not what a subclass renders
    raise TypeError(f"{name} must be a string, not {type(value).__name__}")


def check_organization_id(value: object) -> str:
    """Return the organization id, or raise: it becomes a host name, so only a DNS label passes."""
    text = _plain("organization_id", value)
    if not _ORGANIZATION_ID.fullmatch(text):
        raise ValueError(
            f"invalid organization_id {text[:80]!r}: letters, digits and inner '-' only "
            "(it becomes part of a host name)"
        )
    return text


def check_path_id(name: str, value: object) -> str:
    """Return a deployment or service id, or raise if it could change the URL it goes into."""
    text = _plain(name, value)
    if len(text) > C.MAX_ID_LENGTH:
        raise ValueError(f"invalid {name}: longer than {C.MAX_ID_LENGTH} characters")
    if not _PATH_ID.fullmatch(text) or ".." in text or text.strip(".") == "":
        raise ValueError(
            f"invalid {name} {text!r}: ASCII letters, digits, '.', '_' and '-' only, "
            "not only dots and no '..'"
        )
    return text


def check_token(name: str, value: object) -> str:
    """Return a log paging token (sent as a query parameter, so any text will do)."""
    return _plain(name, value)


def format_log_time(name: str, value: object) -> str:
    """A datetime as UTC ``YYYY-MM-DDTHH:MM:SSZ``; a naive one is taken as UTC."""
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is not None:
        try:
            value = value.astimezone(timezone.utc)
        except OverflowError:
            raise ValueError(f"{name} {value!r} is outside the years UTC can express") from None
    # strftime's %Y does not pad years before 1000 on every platform: written out instead.
    return (
        f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
        f"T{value.hour:02d}:{value.minute:02d}:{value.second:02d}Z"
    )


def check_timeout(name: str, value: object) -> float:
    """A positive, finite number of seconds, at most a week (``MAX_SECONDS``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number of seconds, not {type(value).__name__}")
    if not math.isfinite(value) or value <= 0 or value > C.MAX_SECONDS:
        raise ValueError(
            f"{name} must be a positive, finite number of seconds up to {C.MAX_SECONDS:.0f}, "
            f"got {value!r}"
        )
    return float(value)


def check_wait(name: str, value: object, *, zero: bool = True) -> float:
    """A wait's seconds: finite, 0 (when ``zero``) up to a week. No wait is infinite."""
    if zero and value == 0 and not isinstance(value, bool):
        return 0.0
    return check_timeout(name, value)


def check_headers(headers: object) -> dict[str, str]:
    """Extra request headers: names and values that cannot split or forge a header line."""
    if not hasattr(headers, "items"):
        raise TypeError(f"extra_headers must be a mapping, not {type(headers).__name__}")
    checked: dict[str, str] = {}
    for name, value in headers.items():
        if type(name) is not str or type(value) is not str:
            raise TypeError("extra_headers maps str names to str values")
        if not _HEADER_NAME.fullmatch(name) or not _HEADER_VALUE.fullmatch(value):
            raise ValueError(
                f"invalid header {name!r}: a token name, and a value of visible ASCII, spaces "
                "and tabs (the value is not shown)"
            )
        if name.lower() in _FRAMING:
            raise ValueError(
                f"header {name!r} is the client's to set: it frames the request on the wire"
            )
        checked[name] = value
    return checked


_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
# What http.client accepts in a value without raising mid-request: visible ASCII, SP, HTAB.
_HEADER_VALUE = re.compile(r"[\x20-\x7e\t]*")
# Headers that decide where a request ends or goes: a wrong one hangs or splits requests.
_FRAMING = frozenset(
    {
        "content-length",
        "transfer-encoding",
        "host",
        "connection",
        "expect",
        "te",
        "trailer",
        "upgrade",
    }
)


def check_content_type(value: object) -> str:
    """A ``content_type=`` for a prediction: one header value (no line breaks)."""
    text = _plain("content_type", value)
    if not text.strip() or not _HEADER_VALUE.fullmatch(text):
        raise ValueError(
            "invalid content_type: one header value of visible ASCII, such as 'text/csv' "
            "(the value is not shown)"
        )
    return text
