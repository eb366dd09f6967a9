"""abejacli's configurations (``abeja config init``), read as abejacli 2.2.8 reads them.

The file is JSON at ``~/.abeja/config``: one unnamed configuration at the top level and/or
a list ``configurations`` of named ones (``configuration-name``), with
``active-configuration-name`` picking one. Each has ``abeja-platform-user``,
``personal-access-token``, ``organization-name`` and ``abeja-api-url``. As in abejacli,
variables win over the file, field by field: the user from ``ABEJA_CLI_USER``, then
``ABEJA_PLATFORM_USER``, then ``ABEJA_PLATFORM_USER_ID``; the token from
``ABEJA_CLI_TOKEN``, then ``PERSONAL_ACCESS_TOKEN``, then
``ABEJA_PLATFORM_PERSONAL_ACCESS_TOKEN``; the organization from ``ABEJA_CLI_ORGANIZATION``,
then ``ORGANIZATION_NAME``, then ``ABEJA_ORGANIZATION_ID``; the URL from ``ABEJA_API_URL``.

A client reads it only when it is given no credential and none is in the environment
(``PLATFORM_AUTH_TOKEN``, ...), or when a profile is named. Nothing read from the file
is ever shown: errors name the file and the key, never a value.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_FIELDS = {
    "user": ("ABEJA_CLI_USER", "ABEJA_PLATFORM_USER", "ABEJA_PLATFORM_USER_ID"),
    "token": ("ABEJA_CLI_TOKEN", "PERSONAL_ACCESS_TOKEN", "ABEJA_PLATFORM_PERSONAL_ACCESS_TOKEN"),
    "organization": ("ABEJA_CLI_ORGANIZATION", "ORGANIZATION_NAME", "ABEJA_ORGANIZATION_ID"),
    "api_url": ("ABEJA_API_URL",),
}
_KEYS = {
    "user": "abeja-platform-user",
    "token": "personal-access-token",
    "organization": "organization-name",
    "api_url": "abeja-api-url",
}


@dataclass(frozen=True)
class Profile:
    """One abejacli configuration, with abejacli's variables applied over it."""

    name: str | None
    """Its ``configuration-name`` (None: the unnamed one)."""
    path: str
    """The file it was read from."""
    user: str | None = None
    token: str | None = field(default=None, repr=False)
    organization: str | None = None
    api_url: str | None = None

    def credential(self) -> dict[str, str] | None:
        """The credential as ``ServiceClient(credential=...)`` takes it (None if partial)."""
        if self.user and self.token:
            return {"user_id": self.user, "personal_access_token": self.token}
        return None

    def describe(self) -> str:
        """Which configuration, for a person (``'dev' in ~/.abeja/config``)."""
        which = f"abejacli configuration {self.name!r}" if self.name else "abejacli configuration"
        return f"{which} in {self.path}"


def config_path(environ: Mapping[str, str]) -> Path | None:
    """``~/.abeja/config`` for the home in ``environ`` (None without one)."""
    home = environ.get("HOME") or (environ.get("USERPROFILE") if os.name == "nt" else None)
    return Path(home) / ".abeja" / "config" if home else None


def _named(path: Path) -> str:
    return f"abejacli's configuration {path}"


def _load(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except UnicodeDecodeError:
        raise ValueError(f"{_named(path)} is malformed (not UTF-8)") from None
    except OSError as error:
        raise ValueError(f"cannot read {_named(path)}: {error.strerror}") from None
    try:
        data = json.loads(text)
    except ValueError as error:
        where = f"line {error.lineno}" if isinstance(error, json.JSONDecodeError) else "JSON"
        raise ValueError(f"{_named(path)} is malformed ({where})") from None
    if not isinstance(data, dict):
        raise ValueError(f"{_named(path)} is malformed (not a JSON object)")
    return data


def _entries(data: dict[str, Any], path: Path) -> dict[str | None, dict[str, Any]]:
    named = data.get("configurations") or []
    if not isinstance(named, list) or not all(isinstance(e, dict) for e in named):
        raise ValueError(
            f"abejacli's configuration {path}: 'configurations' is not a list of objects"
        )
    entries: dict[str | None, dict[str, Any]] = {}
    for entry in named:
        name = entry.get("configuration-name")
        if not isinstance(name, str) or not name:
            raise ValueError(
                f"abejacli's configuration {path}: a configuration has no 'configuration-name'"
            )
        entries[name] = entry
    if any(key in data for key in _KEYS.values()):
        entries[None] = data
    return entries


def _text(entry: Mapping[str, Any], key: str, path: Path) -> str | None:
    value = entry.get(key)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{_named(path)}: {key!r} is not a string")
    return value or None


def choose_profile(
    name: str | None, *, has_credential: bool, environ: Mapping[str, str]
) -> Profile | None:
    """The profile a client uses: ``name``'s, or the active one when the client has no
    credential from its argument or the environment (None: none is used)."""
    if name is not None:
        if not isinstance(name, str) or not name:
            raise ValueError("profile must be the name of an abejacli configuration")
        return read_profile(name, environ)
    return None if has_credential else read_profile(None, environ)


def read_profile(name: str | None, environ: Mapping[str, str]) -> Profile | None:
    """The configuration named ``name`` (else the active one), variables applied over it;
    None when there is no file, or it has no configuration to use.

    Raises ValueError for a malformed file or a ``name`` it does not have.
    """
    path = config_path(environ) or Path("~", ".abeja", "config")
    data = _load(path)
    entries = _entries(data, path)
    if name is not None:
        if name not in entries:
            have = ", ".join(sorted(repr(n) for n in entries if n)) or "none"
            raise ValueError(f"no abejacli configuration named {name!r} in {path} (named: {have})")
        chosen: str | None = name
    else:
        active = data.get("active-configuration-name")
        chosen = active if isinstance(active, str) and active in entries else None
    entry = entries.get(chosen)
    if entry is None:
        return None
    values = {
        attribute: next((environ[v] for v in variables if environ.get(v)), None)
        or _text(entry, _KEYS[attribute], path)
        for attribute, variables in _FIELDS.items()
    }
    return Profile(
        name=chosen,
        path=str(path),
        user=values["user"],
        token=values["token"],
        organization=values["organization"],
        api_url=values["api_url"],
    )
