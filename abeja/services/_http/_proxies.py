"""Which proxy a request goes through: the environment's (``HTTP_PROXY``, ``HTTPS_PROXY``,
``ALL_PROXY``, ``NO_PROXY``, lower case too), read by requests' own functions for both
clients, so that the async client proxies exactly what the sync one (and requests) does:
the same variables, the same ``NO_PROXY`` matching, the prediction host included.

A SOCKS proxy needs a library the SDK does not require: PySocks for the sync client,
socksio for the async one (``pip install 'abeja-services[socks]'``); without it the call
fails before anything is sent, saying so.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from urllib.parse import urlsplit

import requests.utils

from .. import errors as exc

SOCKS_EXTRA = "pip install 'abeja-services[socks]'"


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of ``url``."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def environment_proxies(origin: str) -> dict[str, str]:
    """The environment's proxies that apply to ``origin`` (none where ``NO_PROXY`` says so),
    as requests reads them: ``{"http": ..., "https": ..., "all": ...}``."""
    return dict(requests.utils.get_environ_proxies(origin))


def proxy_for(url: str, proxies: Mapping[str, str] | None = None) -> str | None:
    """The proxy ``url`` goes through (requests' choice among ``proxies``, by default the
    environment's for its origin), or None to connect directly."""
    if proxies is None:
        proxies = environment_proxies(origin_of(url))
    return requests.utils.select_proxy(url, dict(proxies)) or None


def is_socks(proxy: str) -> bool:
    """Whether ``proxy`` is a SOCKS proxy (``socks5://``, ``socks5h://``, ``socks4://``...)."""
    return proxy.lower().startswith("socks")


def check_socks_support(proxy: str, module: str, library: str) -> None:
    """Raise `APIConnectionError` (nothing sent) if ``proxy`` is SOCKS and ``module`` (the
    client's SOCKS library) cannot be imported. The proxy's address is not repeated (it may
    carry a user and password)."""
    if not is_socks(proxy):
        return
    try:
        found = importlib.util.find_spec(module) is not None
    except ValueError:  # a module set to None in sys.modules: not importable
        found = False
    if not found:
        scheme = proxy.split(":", 1)[0]
        raise exc.APIConnectionError(
            f"a {scheme}:// proxy is set (ALL_PROXY, HTTPS_PROXY or HTTP_PROXY), and this "
            f"client needs {library} to use it: {SOCKS_EXTRA}"
        )
