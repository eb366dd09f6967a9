"""The in-process runtime against the real one: the same requests through both runtime
modes, compared on status, the headers that matter and the body, byte for byte.

The real mode runs abejaruntime 1.1.1 processes (the dev extra installs it; it cannot
import on Python 3.13, where this module skips).
"""

from __future__ import annotations

import hashlib
import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from abeja.exceptions import BadRequest, ServiceUnavailable
from abeja.services.testing import ServiceEmulator

from .abejaruntime import runtime_python

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
LARGE = hashlib.sha256(b"seed").digest() * ((6 << 20) // 32)  # 6 MiB


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
    Case("membership of the request's keys", case="membership", body=b"{}"),
    Case("numpy bool in the content", case="numpy-bool", body=b"{}"),
    Case("numpy numbers and arrays", case="numpy-values", body=b"{}"),
    Case("metadata as a list of pairs", case="metadata-pairs", body=b"{}"),
    Case("a body opened by its name", case="named-body", body=b'{"x": 1}'),
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


def _add_differential(emulator: ServiceEmulator) -> None:
    emulator.add_deployment(
        "3333333333333",
        {"ver-differential": "differential:handler"},
        source=HANDLERS,
        environment={"USER_VARIABLE": "from the deployment"},
    )


def _target(runtime: str, python: str | None) -> Iterator[Target]:
    extra: dict[str, Any] = {"runtime_python": python} if python else {}
    with ServiceEmulator(runtime=runtime, **extra) as emulator:  # type: ignore[arg-type]
        _add_differential(emulator)
        with emulator.client() as client:
            emulator.ready_delay = 3600
            waiting = client.services.create("3333333333333", version_id="ver-differential")
            emulator.ready_delay = 0
            ready = client.services.create("3333333333333", version_id="ver-differential")
        yield Target(emulator, ready.service_id, waiting.service_id)


@pytest.fixture(scope="module")
def real() -> Iterator[Target]:
    yield from _target("abejaruntime", runtime_python())


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


def _logs_after(target: Target, case: Case) -> list[str]:
    service_id = target.ready
    before = len(target.emulator.logs_of(service_id))
    target.send(case)
    return target.emulator.logs_of(service_id)[before:]


def test_handler_output_reaches_the_service_log_in_both_modes(
    real: Target, in_process: Target
) -> None:
    expected = [
        "printed",
        "to stderr",
        "DEBUG differential debug line",
        "INFO differential info line",
        "WARNING differential warning line",
    ]
    for target in (real, in_process):
        lines = _logs_after(target, Case("logs", case="logs", body=b"{}"))
        assert [line for line in lines if line in expected] == expected, target.emulator.runtime
        assert any("UserWarning: careful" in line for line in lines)
        failed = _logs_after(target, Case("raises", case="raises", body=b"{}"))
        assert "ERROR: unexpected error occurred in user model." in failed
        assert failed[failed.index("ERROR: unexpected error occurred in user model.") + 1] == (
            "Traceback (most recent call last):"
        )
        assert "RuntimeError: model exploded" in failed


def test_a_logger_with_its_own_handler_is_logged_once_in_both_modes(
    real: Target, in_process: Target
) -> None:
    """As object-detection's template logs: its own StreamHandler, propagating to root."""
    for target in (real, in_process):
        lines = _logs_after(target, Case("own logger", case="own-logger", body=b"{}"))
        own = [line for line in lines if "own line" in line]
        assert own == ["INFO differential-own own line"], (target.emulator.runtime, lines)


def test_an_image_classification_handler_runs_alike_in_both_modes(
    real: Target, in_process: Target
) -> None:
    for target in (real, in_process):
        target.emulator.add_deployment(
            "4444444444444", {"ver-image": "image_classification:handler"}, source=HANDLERS
        )
    png = IMAGE[:8] + b"\x00\x00\x00\rIHDR" + struct.pack(">II", 224, 168) + IMAGE[24:]
    multipart = (
        b'--B\r\nContent-Disposition: form-data; name="image"; filename="cat.png"\r\n'
        b"Content-Type: image/png\r\n\r\n" + png + b"\r\n--B--\r\n"
    )
    answers = []
    for target in (real, in_process):
        with target.emulator.client() as client:
            service = client.services.create("4444444444444", version_id="ver-image")
            direct = service.predict(data=png, content_type="image/png")
            parts = service.predict(data=multipart, content_type="multipart/form-data; boundary=B")
            with pytest.raises(BadRequest) as wrong:
                service.predict(data=b"GIF89a", content_type="image/gif")
        assert direct.status_code == 200 and parts.json() == direct.json()
        assert sorted(r["label"] for r in direct.json()["result"]) == ["bird", "cat", "dog"]
        assert wrong.value.error_description == "not a PNG image"
        assert "Start predict handler." in target.emulator.logs_of(service.service_id)
        answers.append((direct.content, parts.content))
    assert answers[0] == answers[1]


def _pid(target: Target, service_id: str) -> int:
    headers = {
        "Authorization": f"Bearer {target.emulator.auth_token}",
        "X-Case": "pid",
        "Content-Type": "application/json",
    }
    answer = requests.post(target.url(service_id), data=b"{}", headers=headers, timeout=60)
    return int(answer.json()["pid"])


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_each_instance_is_a_runtime_process_that_ends_with_its_service() -> None:
    python = runtime_python()
    with ServiceEmulator(runtime="abejaruntime", runtime_python=python) as emulator:
        _add_differential(emulator)
        target = Target(emulator, "", "")
        client = emulator.client()
        service = client.services.create(
            "3333333333333", version_id="ver-differential", instance_number=2
        )
        first = _pid(target, service.service_id)
        assert first != os.getpid() and _pid(target, service.service_id) == first
        service.stop()
        assert not _running(first)
        service.start()
        second = _pid(target, service.service_id)
        assert second != first
    assert not _running(second)  # the emulator's stop ends them all


def test_the_real_runtime_mode_refuses_what_it_cannot_run() -> None:
    python = runtime_python()
    emulator = ServiceEmulator(runtime="abejaruntime", runtime_python=python)
    with pytest.raises(ValueError, match="module-level function"):
        emulator.add_deployment("5", {"v": lambda request, context: {}})
    with pytest.raises(ValueError, match="in-process"):
        ServiceEmulator(runtime="docker")  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="cannot import abejaruntime"):
        ServiceEmulator(runtime="abejaruntime", runtime_python="/bin/false")


def test_a_runtime_that_cannot_start_is_a_503_and_a_log_line(tmp_path: Path) -> None:
    python = runtime_python()
    source = tmp_path / "gone"
    source.mkdir()
    with ServiceEmulator(runtime="abejaruntime", runtime_python=python) as emulator:
        emulator.add_deployment("6", {"v": "predict:handler"}, source=source)
        source.rmdir()
        with emulator.client(max_retries=0) as client:
            service = client.services.create("6", version_id="v")
            with pytest.raises(ServiceUnavailable, match=": service unavailable"):
                service.predict(json={})
        assert any("could not start" in line for line in emulator.logs_of(service.service_id))
