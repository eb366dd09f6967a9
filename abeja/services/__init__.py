"""Typed SDK for the ABEJA Platform Service API.

``ServiceClient`` is the typed entry point; ``APIClient`` is the drop-in
replacement of abeja-sdk's client, returning plain dicts.

The names below are imported on first use (PEP 562), so that ``import abeja.services``,
and the pytest plugin that the package registers, cost next to nothing until a client,
a model or the emulator is actually used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__

_ABEJA_SERVICES = True
"""Marks this file as abeja-services' (abeja-sdk ships an ``abeja/services/__init__.py``)."""

if TYPE_CHECKING:
    from ._api._answers import HTTPResponse
    from ._api._async_streamed import AsyncStreamedResponse, AsyncStreamingCall
    from ._api._streamed import StreamedResponse, StreamingCall
    from ._async_client import AsyncServiceClient
    from ._batch._api import AsyncBatchRun, BatchInterrupted, SyncBatchRun
    from ._batch._results import BatchReport, BatchResult
    from ._client import ServiceClient
    from ._compat import APIClient
    from ._managers._async_bound import (
        AsyncEndpoint,
        AsyncEndpointList,
        AsyncService,
        AsyncServiceList,
    )
    from ._managers._async_endpoints import (
        AsyncEndpoints,
        AsyncRawEndpoints,
        AsyncStreamingEndpoints,
    )
    from ._managers._async_services import (
        AsyncRawServices,
        AsyncServices,
        AsyncStreamingServices,
    )
    from ._managers._common import RawResponse
    from ._managers._endpoints import Endpoints, RawEndpoints, StreamingEndpoints
    from ._managers._services import RawServices, Services, StreamingServices
    from ._managers._versions import AsyncVersions, Versions
    from ._release._async_rollouts import AsyncRollouts
    from ._release._rollouts import Rollouts
    from .models import (
        ActionResult,
        CreateServiceRequest,
        DeploymentVersion,
        DeploymentVersionList,
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

# Where each public name is defined.
_MODULES = {
    "APIClient": "._compat",
    "AsyncBatchRun": "._batch._api",
    "BatchInterrupted": "._batch._api",
    "BatchReport": "._batch._results",
    "BatchResult": "._batch._results",
    "SyncBatchRun": "._batch._api",
    "AsyncEndpoint": "._managers._async_bound",
    "AsyncEndpointList": "._managers._async_bound",
    "AsyncEndpoints": "._managers._async_endpoints",
    "AsyncRollouts": "._release._async_rollouts",
    "AsyncRawEndpoints": "._managers._async_endpoints",
    "AsyncRawServices": "._managers._async_services",
    "AsyncService": "._managers._async_bound",
    "AsyncServiceClient": "._async_client",
    "AsyncServiceList": "._managers._async_bound",
    "AsyncServices": "._managers._async_services",
    "AsyncVersions": "._managers._versions",
    "ActionResult": ".models",
    "CreateServiceRequest": ".models",
    "DeploymentVersion": ".models",
    "DeploymentVersionList": ".models",
    "Endpoint": ".models",
    "EndpointList": ".models",
    "Endpoints": "._managers._endpoints",
    "HTTPResponse": "._api._response",
    "LogEvent": ".models",
    "LogPage": ".models",
    "PredictResponse": ".models",
    "RawEndpoints": "._managers._endpoints",
    "RawResponse": "._managers._common",
    "RawServices": "._managers._services",
    "RolloutEvent": ".rollout_report",
    "RolloutInterrupted": ".rollout_report",
    "RolloutReport": ".rollout_report",
    "RolloutStep": ".rollout_report",
    "Rollouts": "._release._rollouts",
    "Service": ".models",
    "ServiceClient": "._client",
    "ServiceList": ".models",
    "ServiceStatus": ".models",
    "Services": "._managers._services",
    "UpdateServicePayload": ".models",
    "Versions": "._managers._versions",
    "AsyncStreamedResponse": "._api._async_streamed",
    "AsyncStreamingCall": "._api._async_streamed",
    "StreamedResponse": "._api._streamed",
    "StreamingCall": "._api._streamed",
    "AsyncStreamingServices": "._managers._async_services",
    "AsyncStreamingEndpoints": "._managers._async_endpoints",
    "StreamingServices": "._managers._services",
    "StreamingEndpoints": "._managers._endpoints",
}

__all__ = [
    "APIClient",
    "ActionResult",
    "AsyncBatchRun",
    "AsyncEndpoint",
    "AsyncEndpointList",
    "AsyncEndpoints",
    "AsyncRawEndpoints",
    "AsyncRawServices",
    "AsyncRollouts",
    "AsyncService",
    "AsyncServiceClient",
    "AsyncServiceList",
    "AsyncServices",
    "AsyncStreamedResponse",
    "AsyncStreamingCall",
    "AsyncStreamingEndpoints",
    "AsyncStreamingServices",
    "AsyncVersions",
    "BatchInterrupted",
    "BatchReport",
    "BatchResult",
    "CreateServiceRequest",
    "DeploymentVersion",
    "DeploymentVersionList",
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
    "StreamedResponse",
    "StreamingCall",
    "StreamingEndpoints",
    "StreamingServices",
    "SyncBatchRun",
    "UpdateServicePayload",
    "Versions",
    "__version__",
]


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module 'abeja.services' has no attribute {name!r}")
    try:
        value = getattr(importlib.import_module(module, __name__), name)
    except ModuleNotFoundError as error:
        if error.name != "httpx":
            raise
        raise ImportError(
            f"{name} needs httpx: pip install 'abeja-services[async]'", name=error.name
        ) from None
    globals()[name] = value  # imported once: later lookups are plain attribute reads
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
