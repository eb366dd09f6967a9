"""Typed SDK for the ABEJA Platform Service API.

``ServiceClient`` is the typed entry point; ``APIClient`` is the drop-in
replacement of abeja-sdk's client, returning plain dicts.
"""

from ._client import ServiceClient
from ._compat import APIClient
from ._raw import RawResponse, RawServices
from ._resources import Services
from ._response import HTTPResponse
from ._version import __version__
from .models import (
    ActionResult,
    CreateServiceRequest,
    LogEvent,
    LogPage,
    PredictResponse,
    Service,
    ServiceList,
    ServiceStatus,
    UpdateServicePayload,
)

__all__ = [
    "APIClient",
    "ActionResult",
    "CreateServiceRequest",
    "HTTPResponse",
    "LogEvent",
    "LogPage",
    "PredictResponse",
    "RawResponse",
    "RawServices",
    "Service",
    "ServiceClient",
    "ServiceList",
    "ServiceStatus",
    "Services",
    "UpdateServicePayload",
    "__version__",
]
