"""The predict route, as the platform serves it: the proxy's side (`._proxy`), then
the service's runtime, in this process (`._runtime`) or as the real abejaruntime
process (`._runtime_process`), one request at a time per instance."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from .._api._records import ServiceRecord
from .._api._state import EmulatorState
from .._api._wire import Request, Response
from ._handlers import working_directory
from ._proxy import (
    UNAVAILABLE,
    ProxyAnswer,
    ProxyRequest,
    RuntimeReply,
    http_answer,
    proxy_request,
    status_answer,
)
from ._runtime import call_in_process, service_environment
from ._runtime_process import RuntimeProcesses, RuntimeUnavailable


def serve_prediction(
    state: EmulatorState,
    runtimes: RuntimeProcesses | None,
    request: Request,
    organization_id: str,
    deployment_id: str,
    service_id: str,
) -> Response:
    """Answer a prediction request; 503 unless the service is READY.

    ``runtimes`` runs handlers in real runtime processes; None runs them in this process.
    """
    started = time.perf_counter()
    with state.lock:
        record = state.service(organization_id, deployment_id, service_id)
        ready = state.loaded(record)
        identity = _identity(record)
        user_environment = state.environment(record)
        environment = service_environment(identity, user_environment, record.version.handler)
    if not ready:
        return status_answer(503, UNAVAILABLE)
    try:
        proxied = proxy_request(request)
    except ProxyAnswer as answer:
        return answer.response()

    def log(line: str) -> None:
        state.log(record, line)

    try:
        with record.instances.slot() as instance:  # one request at a time per instance
            reply = _run(runtimes, record, instance, proxied, environment, log)
    finally:
        for part in proxied.parts:  # a multipart body's parts are files of their own
            if part.body is not request.body:
                part.body.close()
    if reply.setup_failed:  # as an instance whose handler cannot be imported: FAILED
        state.fail(record.service_id, "the handler could not be loaded (traceback above)")
    elapsed = (time.perf_counter() - started) * 1000
    log(
        f"{request.method} /deployments/{deployment_id}/services/{service_id} "
        f"{reply.status} {request.length}B in {elapsed:.1f} ms"
    )
    return http_answer(reply, identity)


def _identity(record: ServiceRecord) -> dict[str, str]:
    return {
        "organization_id": record.organization_id,
        "deployment_id": record.deployment_id,
        "service_id": record.service_id,
        "model_id": record.models.get("alias", ""),
        "model_version": record.version.model_version,
        "model_version_id": record.version.version_id,
    }


def _run(
    runtimes: RuntimeProcesses | None,
    record: ServiceRecord,
    instance: int,
    request: ProxyRequest,
    environment: Mapping[str, str],
    log: Callable[[str], None],
) -> RuntimeReply:
    spec = record.version.handler
    if runtimes is None:
        if spec.isolated and spec.source is not None:
            with working_directory.inside(spec.source):
                return call_in_process(spec.load, request, environment, log)
        return call_in_process(spec.load, request, environment, log)
    if spec.target is None or spec.source is None:
        log(f"emulator: the runtime cannot import {spec.function!r}: give 'module:function'")
        return RuntimeReply(503, error_message=UNAVAILABLE)
    key = (record.service_id, record.version.version_id, instance, *sorted(environment.items()))
    try:
        return runtimes.instance(key, spec.source, environment, log).call(request)
    except RuntimeUnavailable as error:
        log(f"emulator: {error}")
        return RuntimeReply(503, error_message=UNAVAILABLE)
