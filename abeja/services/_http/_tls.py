"""The TLS settings both clients verify servers with: requests' rules for ``verify`` (True:
certifi's CA bundle, as requests uses; else a CA file, or a folder of hashed certificates as
OpenSSL reads them), one function for the sync fast path and the async client."""

from __future__ import annotations

import os
import ssl

from requests.utils import DEFAULT_CA_BUNDLE_PATH


def tls_context(verify: bool | str) -> ssl.SSLContext:
    """A verifying context for ``verify`` (True or a CA file or folder); raises
    ``ssl.SSLError`` for a file with no certificate in it."""
    where = DEFAULT_CA_BUNDLE_PATH if verify is True else str(verify)
    if os.path.isdir(where):
        return ssl.create_default_context(capath=where)
    return ssl.create_default_context(cafile=where)
