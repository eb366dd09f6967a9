"""Model handlers for the differential test: imported by the in-process runtime and by the
real abejaruntime process alike, so it uses nothing but the standard library.

``handler`` does what the request's ``x-case`` header names.
"""

import hashlib
import http
import json
import logging
import os
import sys
import warnings

log = logging.getLogger("differential")
log.setLevel(logging.DEBUG)
_stream = logging.StreamHandler(sys.stdout)
_stream.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
log.addHandler(_stream)
log.propagate = False
print("differential handlers imported")

ENVIRONMENT = (
    "ABEJA_ORGANIZATION_ID",
    "ABEJA_DEPLOYMENT_ID",
    "ABEJA_SERVICE_ID",
    "ABEJA_MODEL_ID",
    "ABEJA_MODEL_VERSION",
    "ABEJA_MODEL_VERSION_ID",
    "ABEJA_TRAINING_RESULT_DIR",
    "HANDLER",
    "USER_VARIABLE",
)


def _describe(content):
    body = content["body"].read() if content["body"] else b""
    return {
        "content_type": content["content_type"],
        "metadata": content["metadata"],
        "file_name": content["file_name"],
        "form_name": content["form_name"],
        "size": len(body),
        "sha256": hashlib.sha256(body).hexdigest(),
    }


def _request(request, context):
    return {
        "http_method": request["http_method"],
        "content_type": request["content_type"],
        "headers": request["headers"],
        "x_case": request["http_headers"]["X-CASE"],
        "contents": [_describe(content) for content in request["contents"]],
        "context": context,
    }


def _answer(case, request, context):
    if case == "echo-json":
        return {"content_type": "application/json", "content": json.loads(request.read())}
    if case == "describe":
        return {"content_type": "application/json", "content": _request(request, context)}
    if case == "json-lines":
        return {"content_type": "application/json", "content": [{"n": 1}, {"n": 2}]}
    if case == "csv":
        return {"content_type": "text/csv", "content": [{"a": 1, "b": "x,y"}, {"a": 2, "b": ""}]}
    if case == "bytes-parts":
        return {"content_type": "image/png", "content": [b"\x89PNG\r\n", b"\x00\xff"]}
    if case == "bare-bytes":
        return {"content_type": "application/octet-stream", "content": b"\x00\xff"}
    if case == "no-content-type":
        return {"content": {"answer": 42}}
    if case == "metadata":
        return {"content": {}, "metadata": {"X-Custom": "1", "Retry-After": "5"}}
    if case == "created":
        return {"status_code": http.HTTPStatus.CREATED, "content_type": "application/json"}
    if case == "unicode":
        return {"content_type": "text/plain; charset=utf-8", "content": "h\u00e9llo \u65e5\u672c"}
    if case == "echo-text":
        return {"content_type": "text/plain", "content": request.read().decode("utf-8")}
    if case == "large-answer":
        return {"content_type": "application/octet-stream", "content": [b"\xab" * (2 << 20)]}
    if case == "environment":
        content = {name: os.environ.get(name) for name in ENVIRONMENT}
        return {"content_type": "application/json", "content": {"env": content, "context": context}}
    if case == "pid":
        return {"content_type": "application/json", "content": {"pid": os.getpid()}}
    if case == "raises":
        raise RuntimeError("model exploded")
    if case == "not-a-dict":
        return ["not", "a", "dict"]
    if case == "bad-status":
        return {"status_code": "teapot"}
    if case == "membership":  # the runtime's request answers from its own fields
        return {
            "content_type": "application/json",
            "content": {
                "metadata_in_request": "metadata" in request,
                "get_metadata": request.get("metadata", "absent"),
                "keys": sorted(request.keys()),
                "content_keys": sorted(request["contents"][0].keys()),
            },
        }
    if case == "named-body":  # the body is a file on disk, as the runtime hands it over
        content = request["contents"][0]
        name = getattr(content["body"], "name", None)
        with open(name, "rb") as again:
            same = again.read() == content["body"].read()
        return {"content_type": "application/json", "content": {"named": same}}
    if case == "numpy-bool":
        import numpy

        return {"content_type": "application/json", "content": {"flag": numpy.bool_(True)}}
    if case == "numpy-values":
        import numpy

        values = {"i": numpy.int64(3), "f": numpy.float32(0.5), "a": numpy.arange(3)}
        return {"content_type": "application/json", "content": values}
    if case == "metadata-pairs":
        return {"content": {}, "metadata": [("X-Custom", "1")]}
    if case == "own-logger":  # a logger with a handler of its own that also propagates
        own_logger.info("own line")
        return {"content": "logged"}
    if case == "logs":
        print("printed")
        print("to stderr", file=sys.stderr)
        log.debug("debug line")
        log.info("info line")
        log.warning("warning line")
        warnings.warn("careful", UserWarning, stacklevel=1)
        return {"content": "logged"}
    return {"status_code": 400, "content": {"unknown case": case}}


def handler(request, context):
    case = request["http_headers"].get("x-case", "describe")
    return _answer(case, request, context)


own_logger = logging.getLogger("differential-own")
_own_handler = logging.StreamHandler(sys.stdout)
_own_handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
own_logger.addHandler(_own_handler)
own_logger.setLevel(logging.INFO)
