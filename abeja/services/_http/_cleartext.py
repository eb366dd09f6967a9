"""The warning for a credential sent in clear: over plain ``http://`` beyond this machine."""

from __future__ import annotations

import ipaddress
import logging
from urllib.parse import urlsplit

from .. import _constants as C
from .._config import Settings

logger = logging.getLogger(C.LOGGER_NAME)


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def warn_if_cleartext(settings: Settings) -> None:
    """One warning per client that sends its credential in clear beyond this machine."""
    urls = [settings.api_url]
    if settings.service_url_template is not None:
        urls.append(settings.service_url_template.replace("{organization_id}", "o"))
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme == "http" and not _is_loopback(parts.hostname or ""):
            logger.warning(
                "the credential goes over plain http:// to %s, which is not this machine: "
                "anyone on the way can read it; use https://",
                parts.hostname,
            )
            return
