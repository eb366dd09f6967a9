"""Arguments and environment -> one frozen, validated ``Settings`` (read once per client)."""

from __future__ import annotations

import base64
import os
import re
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from . import _constants as C
from ._api._validation import check_organization_id, check_timeout
from ._http._tls import tls_context
from ._profiles import Profile, choose_profile

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
    """What every client (typed or compat) needs, checked once when the client is made.

    The organization is not here: only the typed client has one.
    """

    api_url: str
    auth: Auth | None
    timeout: float
    max_retries: int
    service_url_template: str | None
    ca_bundle: str | None
    """The CA certificates from ``REQUESTS_CA_BUNDLE``, ``CURL_CA_BUNDLE``,
    ``SSL_CERT_FILE`` or ``SSL_CERT_DIR`` (a file or a folder; None: certifi's)."""
    deadline: float = C.DEFAULT_DEADLINE
    """Seconds every call may take in all: attempts, waits and reading included."""
    max_predict_bytes: int = C.MAX_PREDICT_RESPONSE_BYTES
    """The largest prediction answer read (decompressed)."""
    profile: Profile | None = None
    """The abejacli configuration used for what the arguments and variables left unset."""


# The variables each credential part is read from, in CREDENTIAL_KEYS' order.
_CREDENTIAL_VARIABLES = (
    C.ENV_AUTH_TOKEN,
    C.ENV_USER_ID,
    C.ENV_PERSONAL_ACCESS_TOKEN,
    C.ENV_DATASOURCE_ID,
    C.ENV_DATASOURCE_SECRET,
)


def _credential_part(source: str, value: str) -> str:
    """A credential part without surrounding white space (a token read from a file keeps its
    newline); any other control character or non-ASCII refuses it, naming only ``source``."""
    stripped = value.strip()
    if not stripped.isascii() or not stripped.isprintable():
        raise ValueError(
            f"{source} holds a control character or a non-ASCII character: it cannot be sent "
            "in a header (the value is not shown)"
        )
    return stripped


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
    names = (
        {k: f"credential[{k!r}]" for k in CREDENTIAL_KEYS}
        if credential is not None
        else dict(zip(CREDENTIAL_KEYS, _CREDENTIAL_VARIABLES, strict=True))
    )
    for key, value in source.items():
        if value is not None and not isinstance(value, str):
            raise TypeError(f"credential value for {key!r} must be a string")
        source[key] = None if value is None else _credential_part(names[key], value)
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


def _given(
    value: object, name: str, environ: Mapping[str, str], variable: str, parse: type[float | int]
) -> tuple[str, object] | None:
    """The argument (and its name), else the variable parsed; None when neither is set."""
    if value is not None:
        return name, value
    raw = (environ.get(variable) or "").strip()
    if not raw:
        return None
    try:
        if not raw.isascii():  # int() and float() would take non-ASCII digits
            raise ValueError
        return variable, parse(raw)
    except ValueError:
        kind = "number of seconds" if parse is float else "whole number"
        raise ValueError(f"{variable}={raw!r} is not a {kind}") from None


def resolve_timeout(value: float | None, environ: Mapping[str, str]) -> float:
    """Seconds to wait for a connection and for each read; never infinite."""
    given = _given(value, "timeout", environ, C.ENV_TIMEOUT, float)
    return C.DEFAULT_TIMEOUT if given is None else check_timeout(*given)


def resolve_max_retries(value: int | None, environ: Mapping[str, str]) -> int:
    """Retries after the first attempt; 0 means one attempt."""
    given = _given(value, "max_retries", environ, C.ENV_MAX_RETRIES, int)
    if given is None:
        return C.DEFAULT_MAX_RETRIES
    name, number = given
    if isinstance(number, bool) or not isinstance(number, int):
        raise TypeError(f"{name} must be a whole number, not {type(number).__name__}")
    if number < 0:
        raise ValueError(f"{name} must be 0 or more, got {number}")
    return number


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
    try:
        port = parts.port
    except ValueError:
        port = 0
    host = parts.netloc.rsplit("@", 1)[-1]
    if port == 0 or (":" in host.rsplit("]", 1)[-1] and port is None):
        raise ValueError(f"{name} has an invalid port (1 to 65535), got {value!r}")
    if not _HOST.fullmatch(parts.hostname):
        raise ValueError(f"{name} has an invalid host name, got {value!r}")
    return value.rstrip("/")


# A DNS name (labels of letters, digits, '-', '_') or an IPv4/IPv6 address.
_HOST = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?|[0-9A-Fa-f:.]+")


def resolve_organization_id(
    value: str | None, environ: Mapping[str, str], *, fallback: str | None = None
) -> str | None:
    """The typed client's organization: the argument, else ``ABEJA_ORGANIZATION_ID``, else
    ``fallback`` (an abejacli configuration's)."""
    if value is None:
        value = environ.get(C.ENV_ORGANIZATION_ID) or fallback or None
    return None if value is None else check_organization_id(value)


def resolve_ca_bundle(environ: Mapping[str, str]) -> str | None:
    """The CA certificates from the environment (``REQUESTS_CA_BUNDLE``, ``CURL_CA_BUNDLE``,
    ``SSL_CERT_FILE``, ``SSL_CERT_DIR``: the first set), a file or a folder, checked now
    (loaded) rather than failing at the first call: a ValueError naming the variable."""
    for name in C.ENV_CA_BUNDLES:
        path = environ.get(name)
        if path:
            if not os.path.exists(path):
                raise ValueError(f"{name}={path!r}: no such file or directory")
            try:
                tls_context(path)
            except (ssl.SSLError, OSError) as error:
                reason = getattr(error, "reason", None) or type(error).__name__
                raise ValueError(
                    f"{name}={path!r}: no CA certificate could be loaded from it ({reason})"
                ) from None
            return path
    return None


def resolve_service_url_template(value: str | None, environ: Mapping[str, str]) -> str | None:
    """Where predictions go instead of the organization's sub-domain, when set."""
    name = "service_url_template"
    if value is None:
        value, name = environ.get(C.ENV_SERVICE_URL_TEMPLATE) or None, C.ENV_SERVICE_URL_TEMPLATE
    if value is None:
        return None
    check_base_url(name, value.replace("{organization_id}", "o"))
    return value.rstrip("/")


def resolve_byte_cap(name: str, value: object, default: int) -> int:
    """A positive whole number of bytes."""
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be a whole number of bytes, not {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be at least 1 byte, got {value}")
    return value


def load_settings(
    *,
    base_url: str | None,
    credential: Mapping[str, str] | None,
    timeout: float | None,
    max_retries: int | None,
    service_url_template: str | None,
    deadline: float | None = None,
    max_predict_bytes: int | None = None,
    environ: Mapping[str, str] | None = None,
    profile: str | None = None,
    abejacli: bool = False,
) -> Settings:
    """Merge arguments over the environment, and both over abejacli's configuration (read
    when ``abejacli`` and there is no credential otherwise, or when ``profile`` names one),
    validating every value. The compat client does not read it: abeja-sdk does not."""
    env = os.environ if environ is None else environ
    auth = resolve_auth(credential, env)
    chosen = choose_profile(profile, has_credential=auth is not None or not abejacli, environ=env)
    if chosen is not None:
        if auth is None and chosen.credential() is not None:
            auth = resolve_auth(chosen.credential(), {})
        if base_url is None and not env.get(C.ENV_API_URL) and chosen.api_url:
            base_url = chosen.api_url
    return Settings(
        profile=chosen,
        deadline=C.DEFAULT_DEADLINE if deadline is None else check_timeout("deadline", deadline),
        max_predict_bytes=resolve_byte_cap(
            "max_predict_bytes", max_predict_bytes, C.MAX_PREDICT_RESPONSE_BYTES
        ),
        api_url=resolve_api_url(base_url, env),
        auth=auth,
        timeout=resolve_timeout(timeout, env),
        max_retries=resolve_max_retries(max_retries, env),
        service_url_template=resolve_service_url_template(service_url_template, env),
        ca_bundle=resolve_ca_bundle(env),
    )
