"""The predict route, as the serving proxy does it: HTTP in, a handler call, HTTP out."""

from __future__ import annotations

import logging
import time

from ._handler_request import PredictRequest
from ._records import ServiceRecord
from ._runtime import PredictContext, demo_handler, run_handler
from ._state import READY, EmulatorState
from ._wire import Request, Response, error


def serve_prediction(
    state: EmulatorState,
    request: Request,
    organization_id: str,
    deployment_id: str,
    service_id: str,
) -> Response:
    """Run the service's handler on ``request``; 503 unless the service is READY."""
    started = time.perf_counter()
    with state.lock:
        record = state.service(organization_id, deployment_id, service_id)
        status = record.status
        version = record.version
        environment = state.environment(record)
    if status != READY:
        return error(503, "service_unavailable", f"service {service_id} is {status}")
    context = PredictContext(
        organization_id=organization_id,
        deployment_id=deployment_id,
        service_id=service_id,
        version_id=version.version_id,
        model_version=version.model_version,
        environment=environment,
        logger=logging.getLogger(f"abeja.emulator.{service_id}"),
    )
    predict_request = PredictRequest(
        method=request.method,
        headers=request.headers,
        content_type=request.headers.get("Content-Type", "application/octet-stream"),
        stream=request.body,
    )
    request.body.seek(0)
    with record.instances:  # wait for a free instance, as behind the serving proxy
        result = run_handler(
            version.handler or demo_handler,
            predict_request,
            context,
            lambda line: state.log(record, line),
        )
    elapsed = (time.perf_counter() - started) * 1000
    state.log(
        record,
        f"{request.method} /deployments/{deployment_id}/services/{service_id} "
        f"{result.status} {request.length}B in {elapsed:.1f} ms",
    )
    headers = {**result.headers, **_proxy_headers(record)}
    return Response(result.status, result.body, result.content_type, headers)


def _proxy_headers(record: ServiceRecord) -> dict[str, str]:
    """The headers the serving proxy adds to every answer."""
    return {
        "X-Abeja-Model-Id": record.models.get("alias", ""),
        "X-Abeja-Model-Version": record.version.model_version,
        "X-Abeja-Deployment-Id": record.deployment_id,
        "X-Abeja-Service-Id": record.service_id,
    }
