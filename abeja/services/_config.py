"""Arguments and environment -> validated settings; id and time checks shared by every call."""

from __future__ import annotations

import base64
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import urlsplit

from . import _constants as C

# An organization id becomes a DNS label of the predict host: nothing else may pass.
_ORGANIZATION_ID = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
# Deployment and service ids become path segments: letters, digits and . _ - only.
_PATH_ID = re.compile(r"[A-Za-z0-9._-]+")

CREDENTIAL_KEYS = (
    "auth_token",
    "user_id",
    "personal_access_token",
    "datasource_id",
    "datasource_secret",
)


@dataclass(frozen=True)
class Auth:
    """An Authorization header value whose secret never shows in repr or str."""

    scheme: str
    header: str

    def __repr__(self) -> str:
        return f"Auth({self.scheme} ***)"

    __str__ = __repr__


@dataclass(frozen=True)
class Settings:
    """Everything a client needs, checked once when the client is made."""

    api_url: str
    organization_id: str | None
    auth: Auth | None
    timeout: float
    max_retries: int
    service_url_template: str | None


def _basic(user: str, secret: str) -> Auth:
    token = base64.b64encode(f"{user}:{secret}".encode()).decode("ascii")
    return Auth("Basic", f"Basic {token}")


def resolve_auth(credential: Mapping[str, str] | None, environ: Mapping[str, str]) -> Auth | None:
    """Pick the credential: an explicit dict, else the environment, in abeja-sdk's priority."""
    if credential is not None:
        if not isinstance(credential, Mapping):
            raise TypeError("credential must be a dict such as {'auth_token': ...}")
        unknown = sorted(str(k) for k in credential if k not in CREDENTIAL_KEYS)
        if unknown:
            raise ValueError(
                f"unknown credential key(s) {unknown}; expected some of {list(CREDENTIAL_KEYS)}"
            )
        source = {k: credential.get(k) for k in CREDENTIAL_KEYS}
    else:
        source = {
            "auth_token": environ.get(C.ENV_AUTH_TOKEN),
            "user_id": environ.get(C.ENV_USER_ID),
            "personal_access_token": environ.get(C.ENV_PERSONAL_ACCESS_TOKEN),
            "datasource_id": environ.get(C.ENV_DATASOURCE_ID),
            "datasource_secret": environ.get(C.ENV_DATASOURCE_SECRET),
        }
    for key, value in source.items():
        if value is not None and not isinstance(value, str):
            raise TypeError(f"credential value for {key!r} must be a string")
    auth_token = source["auth_token"]
    if auth_token:
        return Auth("Bearer", f"Bearer {auth_token}")
    user_id, pat = source["user_id"], source["personal_access_token"]
    if user_id and pat:
        return _basic(user_id if user_id.startswith("user-") else f"user-{user_id}", pat)
    ds_id, ds_secret = source["datasource_id"], source["datasource_secret"]
    if ds_id and ds_secret:
        prefixed = ds_id if ds_id.startswith("datasource-") else f"datasource-{ds_id}"
        return _basic(prefixed, ds_secret)
    if credential is not None and any(source.values()):
        raise ValueError(
            "incomplete credential: give 'auth_token', or 'user_id' with "
            "'personal_access_token', or 'datasource_id' with 'datasource_secret'"
        )
    return None


def _parse_float(raw: str, name: str) -> float:
    try:
        return float(raw.strip())
    except ValueError:
        raise ValueError(f"{name}={raw!r} is not a number of seconds") from None


def _parse_int(raw: str, name: str) -> int:
    try:
        return int(raw.strip())
    except ValueError:
        raise ValueError(f"{name}={raw!r} is not a whole number") from None


def resolve_timeout(value: float | None, environ: Mapping[str, str]) -> float:
    """Seconds to wait for a connection and for each read; never infinite."""
    name = "timeout"
    if value is None:
        raw = environ.get(C.ENV_TIMEOUT)
        if raw is None or raw.strip() == "":
            return C.DEFAULT_TIMEOUT
        name = C.ENV_TIMEOUT
        value = _parse_float(raw, name)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number of seconds, not {type(value).__name__}")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive, finite number of seconds, got {value!r}")
    return float(value)


def resolve_max_retries(value: int | None, environ: Mapping[str, str]) -> int:
    """Retries after the first attempt; 0 means one attempt."""
    name = "max_retries"
    if value is None:
        raw = environ.get(C.ENV_MAX_RETRIES)
        if raw is None or raw.strip() == "":
            return C.DEFAULT_MAX_RETRIES
        name = C.ENV_MAX_RETRIES
        value = _parse_int(raw, name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be a whole number, not {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{name} must be 0 or more, got {value}")
    return value


def resolve_api_url(value: str | None, environ: Mapping[str, str]) -> str:
    """The API base URL without a trailing slash; http(s) with a host."""
    if value is None:
        return check_base_url(C.ENV_API_URL, environ.get(C.ENV_API_URL) or C.DEFAULT_API_URL)
    return check_base_url("base_url", value)


def check_base_url(name: str, value: object) -> str:
    """Return an http(s) URL with a host and no query, without its trailing slash."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, not {type(value).__name__}")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{name} must be an http(s) URL with a host, got {value!r}")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError(f"{name} must not carry a query, a fragment or a user name")
    return value.rstrip("/")


def check_organization_id(value: object) -> str:
    """Return the organization id, or raise: it becomes a host name, so only a DNS label passes."""
    if not isinstance(value, str):
        raise TypeError(f"organization_id must be a string, not {type(value).__name__}")
    if not _ORGANIZATION_ID.fullmatch(value):
        raise ValueError(
            f"invalid organization_id {value!r}: letters, digits and inner '-' only "
            "(it becomes part of a host name)"
        )
    return value


def check_path_id(name: str, value: object) -> str:
    """Return a deployment or service id, or raise if it could change the URL it goes into."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, not {type(value).__name__}")
    if not _PATH_ID.fullmatch(value) or ".." in value:
        raise ValueError(f"invalid {name} {value!r}: letters, digits, '.', '_' and '-' only")
    return value


def format_log_time(name: str, value: object) -> str:
    """A datetime as UTC ``YYYY-MM-DDTHH:MM:SSZ``; a naive one is taken as UTC."""
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc)
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def predict_base_url(settings: Settings, organization_id: str) -> str:
    """The host predictions go to: the template, or the organization as a sub-domain of the API."""
    if settings.service_url_template is not None:
        return settings.service_url_template.replace("{organization_id}", organization_id)
    parts = urlsplit(settings.api_url)
    return f"{parts.scheme}://{organization_id}.{parts.netloc}"


def load_settings(
    *,
    organization_id: str | None,
    base_url: str | None,
    credential: Mapping[str, str] | None,
    timeout: float | None,
    max_retries: int | None,
    service_url_template: str | None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Merge arguments over the environment, validating every value."""
    env = os.environ if environ is None else environ
    if organization_id is None:
        organization_id = env.get(C.ENV_ORGANIZATION_ID) or None
    if organization_id is not None:
        check_organization_id(organization_id)
    template, template_name = service_url_template, "service_url_template"
    if template is None:
        template, template_name = (
            env.get(C.ENV_SERVICE_URL_TEMPLATE) or None,
            C.ENV_SERVICE_URL_TEMPLATE,
        )
    if template is not None:
        check_base_url(template_name, template.replace("{organization_id}", "o"))
        template = template.rstrip("/")
    return Settings(
        api_url=resolve_api_url(base_url, env),
        organization_id=organization_id,
        auth=resolve_auth(credential, env),
        timeout=resolve_timeout(timeout, env),
        max_retries=resolve_max_retries(max_retries, env),
        service_url_template=template,
    )
