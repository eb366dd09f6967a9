"""Typed SDK for the ABEJA Platform Service API.

``ServiceClient`` is the typed entry point; ``APIClient`` is the drop-in
replacement of abeja-sdk's client, returning plain dicts.
"""

from ._client import ServiceClient
from ._compat import APIClient
from ._endpoint_resources import Endpoints
from ._raw import RawEndpoints, RawResponse, RawServices
from ._resources import Services
from ._response import HTTPResponse
from ._rollouts import Rollouts
from ._version import __version__
from .models import (
    ActionResult,
    CreateServiceRequest,
    Endpoint,
    EndpointList,
    LogEvent,
    LogPage,
    PredictResponse,
    Service,
    ServiceList,
    ServiceStatus,
    UpdateServicePayload,
)
from .rollout_report import RolloutEvent, RolloutInterrupted, RolloutReport, RolloutStep

__all__ = [
    "APIClient",
    "ActionResult",
    "CreateServiceRequest",
    "Endpoint",
    "EndpointList",
    "Endpoints",
    "HTTPResponse",
    "LogEvent",
    "LogPage",
    "PredictResponse",
    "RawEndpoints",
    "RawResponse",
    "RawServices",
    "RolloutEvent",
    "RolloutInterrupted",
    "RolloutReport",
    "RolloutStep",
    "Rollouts",
    "Service",
    "ServiceClient",
    "ServiceList",
    "ServiceStatus",
    "Services",
    "UpdateServicePayload",
    "__version__",
]
