"""The in-process runtime: a handler called in this process, as abejaruntime 1.1.1 calls it.

Same request (`._handler_request`), same ``context`` (the dict parsed from
``CONTEXT``), same environment variables (seen through ``os.environ`` while the handler
runs), same conversion of the answer (`._convert`) and the same error reply. The
differential test (``tests/testing/test_runtime_modes.py``) runs a matrix of requests
through this and through the real runtime and compares the HTTP answers byte for byte.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import traceback
from collections.abc import Callable, Mapping
from typing import IO

from ._capture import captured
from ._convert import convert
from ._handler_request import Content, PredictRequest
from ._handlers import Handler, HandlerSpec
from ._proxy import UNAVAILABLE, ProxyRequest, RuntimeReply, reply_problem

UNEXPECTED = "unexpected error occurred"
"""The runtime's message for a handler that raised (the traceback goes to the log only)."""


def service_environment(
    identity: Mapping[str, str], user_environment: Mapping[str, str], spec: HandlerSpec
) -> dict[str, str]:
    """The variables a service's runtime process sees: the user's, then the platform's."""
    source = str(spec.source) if spec.source is not None else "."
    return {
        "CONTEXT": "{}",
        **user_environment,
        "ABEJA_ORGANIZATION_ID": identity["organization_id"],
        "ABEJA_DEPLOYMENT_ID": identity["deployment_id"],
        "ABEJA_SERVICE_ID": identity["service_id"],
        "ABEJA_MODEL_ID": identity["model_id"],
        "ABEJA_MODEL_VERSION": identity["model_version"],
        "ABEJA_MODEL_VERSION_ID": identity["model_version_id"],
        "ABEJA_TRAINING_RESULT_DIR": source,
        "HANDLER": spec.target or "",
    }


class _Lines:
    """Text written in pieces, sent to the log a whole non-blank line at a time."""

    def __init__(self, log: Callable[[str], None]) -> None:
        self._log = log
        self._pending = ""

    def write(self, text: str) -> None:
        *lines, self._pending = (self._pending + text).split("\n")
        for line in lines:
            if line.strip():
                self._log(line)

    def flush(self) -> None:
        if self._pending.strip():
            self._log(self._pending)
        self._pending = ""


def _named(body: IO[bytes]) -> IO[bytes]:
    """The body as a named file on disk, as the runtime hands it over (handlers that open
    ``body.name``, PIL for one, work alike); removed when the request is closed."""
    named = tempfile.NamedTemporaryFile(prefix="abeja-content-")  # noqa: SIM115 - the request closes it
    body.seek(0)
    shutil.copyfileobj(body, named, 1 << 20)
    named.flush()
    named.seek(0)
    return named


def call_in_process(
    load: Callable[[], Handler],
    request: ProxyRequest,
    environment: Mapping[str, str],
    log: Callable[[str], None],
) -> RuntimeReply:
    """Call the handler (``load()`` gives it) on the runtime's request; its output,
    including what importing it prints, goes to ``log`` line by line."""
    context = json.loads(environment.get("CONTEXT") or "{}")
    contents = [
        Content(part.content_type, None, _named(part.body), part.file_name, part.form_name)
        for part in request.parts
    ]
    predict_request = PredictRequest(
        request.method, request.content_type, request.headers, contents
    )
    lines = _Lines(log)
    try:
        with captured(lines.write, environment):
            try:
                handler = load()
            except Exception:  # noqa: BLE001 - the runtime would not start: the proxy says 503
                _log_traceback(log, "ERROR: failed to setup model")
                return RuntimeReply(503, error_message=UNAVAILABLE, setup_failed=True)
            answer = handler(predict_request, context)
            result = convert(answer)
    except Exception:  # noqa: BLE001 - the runtime answers any handler error alike
        lines.flush()
        _log_traceback(log, f"ERROR: {UNEXPECTED} in user model.")
        return RuntimeReply(500, "application/json", error_message=UNEXPECTED)
    finally:
        predict_request.close()  # the contents' files are removed, as the runtime does
        lines.flush()
    problem = reply_problem(answer.get("status_code"), answer.get("metadata"))
    if problem is not None:  # the runtime sends it on; the proxy cannot read it
        return RuntimeReply(500, error_message=problem)
    return RuntimeReply(result.status, result.content_type, result.headers, result.body)


def _log_traceback(log: Callable[[str], None], headline: str) -> None:
    log(headline)
    for line in traceback.format_exc().rstrip().splitlines():
        log(line)
