"""The in-process runtime against the real one: the same requests through both runtime
modes, compared on status, the headers that matter and the body, byte for byte.

The real mode runs abejaruntime 1.1.1 processes (the dev extra installs it; it cannot
import on Python 3.13, where this module skips).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from abeja.services.testing import ServiceEmulator

HANDLERS = Path(__file__).parent / "runtime_handlers"
COMPARED_HEADERS = (
    "Content-Type",
    "X-Abeja-Sys-Meta-Proxy-Version",
    "X-Abeja-Sys-Meta-Runtime-Version",
    "X-Abeja-Model-Id",
    "X-Abeja-Model-Version",
    "X-Abeja-Deployment-Id",
    "X-Abeja-Service-Id",
    "X-Custom",
    "Retry-After",
)
IMAGE = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 64
MULTIPART = (
    b'--XyZ\r\nContent-Disposition: form-data; name="image"; filename="dir/cat.png"\r\n'
    b"Content-Type: image/png\r\n\r\n" + IMAGE + b"\r\n"
    b'--XyZ\r\nContent-Disposition: form-data; name="label"\r\n\r\ncat\r\n'
    b'--XyZ\r\nContent-Disposition: attachment; filename="notes.txt"\r\n\r\nx\r\n--XyZ--\r\n'
)
LARGE = hashlib.sha256(b"seed").digest() * (6 << 20 // 32)


@dataclass
class Case:
    """One request: its method, what the handler should do (``x-case``) and its body."""

    name: str
    method: str = "POST"
    case: str = "describe"
    body: bytes | None = None
    content_type: str | None = "application/json"
    params: dict[str, str] = field(default_factory=dict)
    ready: bool = True


CASES = [
    Case("json echo", case="echo-json", body=b'{"a": [1, 2.5, null, true], "b": "x"}'),
    Case("json described", body=b'{"a": 1}'),
    Case("json with charset", body=b"{}", content_type="application/json; charset=utf-8"),
    Case("json lines answer", case="json-lines", body=b"{}"),
    Case("csv answer", case="csv", body=b"{}"),
    Case("csv body", body=b"a,b\n1,2\n", content_type="text/csv"),
    Case("bytes parts answer", case="bytes-parts", body=b"{}"),
    Case("bare bytes answer", case="bare-bytes", body=b"{}"),
    Case("image body", body=IMAGE, content_type="image/png"),
    Case("octet stream body", body=bytes(range(256)), content_type="application/octet-stream"),
    Case("multipart", body=MULTIPART, content_type="multipart/form-data; boundary=XyZ"),
    Case("multipart without boundary", body=b"--x\r\n", content_type="multipart/form-data"),
    Case("get with a query", method="GET", params={"a": "1", "b": "caf\u00e9"}, content_type=None),
    Case("get without a query", method="GET", content_type=None),
    Case("put", method="PUT", body=b'{"put": true}'),
    Case("delete", method="DELETE", content_type=None),
    Case("patch", method="PATCH", body=b"{}"),
    Case("post without a content type", body=b"{}", content_type=None),
    Case("post with a malformed content type", body=b"{}", content_type="not a type"),
    Case("metadata headers", case="metadata", body=b"{}"),
    Case("no content type answered", case="no-content-type", body=b"{}"),
    Case("created", case="created", body=b"{}"),
    Case("handler raises", case="raises", body=b"{}"),
    Case("handler returns a list", case="not-a-dict", body=b"{}"),
    Case("handler returns a bad status", case="bad-status", body=b"{}"),
    Case("not ready", body=b"{}", ready=False),
    Case("unicode answer", case="unicode", body=b"{}"),
    Case(
        "unicode body",
        case="echo-text",
        body="h\u00e9llo \U0001f600".encode(),
        content_type="text/plain",
    ),
    Case("large body", body=LARGE, content_type="application/octet-stream"),
    Case("large answer", case="large-answer", body=b"{}"),
    Case("environment and context", case="environment", body=b"{}"),
]


def _runtime_python() -> str:
    if sys.version_info >= (3, 13):
        pytest.skip("abejaruntime 1.1.1 imports cgi, which Python 3.13 removed")
    if importlib.util.find_spec("abejaruntime36") is None:
        pytest.skip("abejaruntime is not installed (pip install 'abeja-services[runtime]')")
    return sys.executable


@dataclass
class Target:
    """An emulator in one runtime mode, with a READY service and a not-ready one."""

    emulator: ServiceEmulator
    ready: str
    waiting: str

    def url(self, service_id: str) -> str:
        base = self.emulator.service_url_template.format(
            organization_id=self.emulator.organization_id
        )
        return f"{base}/deployments/3333333333333/services/{service_id}"

    def send(self, case: Case) -> tuple[int, dict[str, str], bytes]:
        service_id = self.ready if case.ready else self.waiting
        headers = {"Authorization": f"Bearer {self.emulator.auth_token}", "X-Case": case.case}
        if case.content_type is not None:
            headers["Content-Type"] = case.content_type
        answer = requests.request(
            case.method,
            self.url(service_id),
            params=case.params,
            data=case.body,
            headers=headers,
            timeout=60,
        )
        kept = {name: answer.headers[name] for name in COMPARED_HEADERS if name in answer.headers}
        return (
            answer.status_code,
            _same_ids(kept, service_id),
            answer.content.replace(service_id.encode(), b"<service>"),
        )


def _same_ids(headers: dict[str, str], service_id: str) -> dict[str, str]:
    return {name: value.replace(service_id, "<service>") for name, value in headers.items()}


def _target(runtime: str, python: str | None) -> Iterator[Target]:
    extra: dict[str, Any] = {"runtime_python": python} if python else {}
    with ServiceEmulator(runtime=runtime, ready_delay=3600, **extra) as emulator:  # type: ignore[arg-type]
        emulator.add_deployment(
            "3333333333333",
            {"ver-differential": "differential:handler"},
            source=HANDLERS,
            environment={"USER_VARIABLE": "from the deployment"},
        )
        with emulator.client() as client:
            waiting = client.services.create("3333333333333", version_id="ver-differential")
            emulator.ready_delay = 0
            ready = client.services.create("3333333333333", version_id="ver-differential")
        yield Target(emulator, ready.service_id, waiting.service_id)


@pytest.fixture(scope="module")
def real() -> Iterator[Target]:
    yield from _target("abejaruntime", _runtime_python())


@pytest.fixture(scope="module")
def in_process() -> Iterator[Target]:
    yield from _target("in-process", None)


def test_the_matrix_covers_what_the_issue_lists() -> None:
    assert len(CASES) >= 25
    assert len({case.name for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_both_runtime_modes_answer_byte_for_byte_alike(
    case: Case, real: Target, in_process: Target
) -> None:
    theirs = real.send(case)
    ours = in_process.send(case)
    assert ours == theirs
