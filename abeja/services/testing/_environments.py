"""The environment variables that point clients at an emulator: this SDK's, abeja-sdk's and
abejacli's (the emulator command prints them)."""

from __future__ import annotations

from typing import TYPE_CHECKING


class ClientEnvironments:
    """Mixin of ``ServiceEmulator``: ``env()``, ``abeja_sdk_env()``, ``abejacli_env()``."""

    if TYPE_CHECKING:
        organization_id: str
        auth_token: str

        @property
        def url(self) -> str: ...

        @property
        def service_url_template(self) -> str: ...

    def env(self) -> dict[str, str]:
        """Environment variables that point any client (this SDK or abeja-sdk) here."""
        return {
            "ABEJA_API_URL": self.url,
            "ABEJA_ORGANIZATION_ID": self.organization_id,
            "PLATFORM_AUTH_TOKEN": self.auth_token,
            "ABEJA_SERVICE_URL_TEMPLATE": self.service_url_template,
        }

    def abeja_sdk_env(self) -> dict[str, str]:
        """`env` plus what abeja-sdk 2.3.6 needs to predict here.

        abeja-sdk sends predictions to ``http://<organization>.<API host>``, which does not
        resolve for 127.0.0.1; through an HTTP proxy the name is never resolved, and the
        emulator is that proxy (it routes by the ``Host`` header). Every plain-HTTP request
        of a process with these variables goes to the emulator, so set them only there.
        """
        return {**self.env(), "HTTP_PROXY": self.url, "NO_PROXY": ""}

    def abejacli_env(self) -> dict[str, str]:
        """What abejacli 2.2.8 (the ``abeja`` command) needs to work against the emulator.

        abejacli reads ``ABEJA_CLI_ORGANIZATION``, ``PLATFORM_AUTH_TOKEN`` and
        ``ABEJA_API_URL``; its ``check-endpoint-*`` commands send predictions to
        ``http://<organization>.<API host>``, reached through the emulator as an HTTP proxy
        (as for abeja-sdk).
        """
        return {
            "ABEJA_CLI_ORGANIZATION": self.organization_id,
            "PLATFORM_AUTH_TOKEN": self.auth_token,
            "ABEJA_API_URL": self.url,
            "HTTP_PROXY": self.url,
            "NO_PROXY": "",
        }
