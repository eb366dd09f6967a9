"""abeja-sdk's import path ``abeja.services.api.client.APIClient``: this SDK's compat client."""

from abeja.services._compat import APIClient

__all__ = ["APIClient"]
