"""What ``ServiceClient`` and ``AsyncServiceClient`` share: arguments and environment read
into settings once, the organization, the read-only options, ``with_options``'s
arithmetic and a repr that never shows the credential."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TypeVar

from ._config import Settings, load_settings, resolve_organization_id
from ._http._transport import refuse_pickling
from ._http._transport_core import TransportCore

_Client = TypeVar("_Client", bound="ClientBase")


class ClientBase:
    """Settings, organization and options of a client (its transport is the subclass's)."""

    _settings: Settings
    _organization_id: str | None
    _transport: TransportCore[object]

    def _configure(
        self,
        organization_id: str | None,
        *,
        base_url: str | None,
        credential: Mapping[str, str] | None,
        timeout: float | None,
        max_retries: int | None,
        service_url_template: str | None,
        deadline: float | None,
        max_predict_bytes: int | None,
        profile: str | None,
    ) -> Settings:
        self._settings = load_settings(
            profile=profile,
            abejacli=True,
            base_url=base_url,
            credential=credential,
            timeout=timeout,
            max_retries=max_retries,
            service_url_template=service_url_template,
            deadline=deadline,
            max_predict_bytes=max_predict_bytes,
        )
        chosen = self._settings.profile
        self._organization_id = resolve_organization_id(
            organization_id, os.environ, fallback=chosen.organization if chosen else None
        )
        return self._settings

    def _copy(
        self: _Client,
        organization_id: str | None,
        timeout: float | None,
        max_retries: int | None,
        deadline: float | None,
        extra_headers: Mapping[str, str] | None,
    ) -> _Client:
        """A copy sharing the connections, with other options (its managers the caller's)."""
        copy = object.__new__(type(self))
        copy._settings = self._settings
        copy._organization_id = (
            self._organization_id
            if organization_id is None
            else resolve_organization_id(organization_id, {})
        )
        copy._transport = self._transport.with_options(
            timeout=timeout, max_retries=max_retries, deadline=deadline, extra_headers=extra_headers
        )
        return copy

    @property
    def organization_id(self) -> str | None:
        """The organization ``services`` acts in."""
        return self._organization_id

    @property
    def base_url(self) -> str:
        """The API base URL."""
        return self._settings.api_url

    @property
    def timeout(self) -> float:
        """Seconds for connecting and for each read."""
        return self._transport.timeout

    @property
    def max_retries(self) -> int:
        """Retries after the first attempt."""
        return self._transport.max_retries

    @property
    def deadline(self) -> float:
        """Seconds any one call may take in all."""
        return self._transport.deadline

    __reduce__ = refuse_pickling

    def __repr__(self) -> str:
        auth = self._settings.auth
        return (
            f"{type(self).__name__}(organization_id={self.organization_id!r}, "
            f"base_url={self.base_url!r}, auth={auth.scheme + ' ***' if auth else None})"
        )
