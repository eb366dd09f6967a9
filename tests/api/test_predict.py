"""Predictions: bodies, content types, streaming, the typed response, errors."""

from __future__ import annotations

import hashlib
import io
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from abeja.exceptions import (
    APITimeoutError,
    BadRequest,
    InternalServerError,
    ServiceUnavailable,
)
from abeja.services import PredictResponse, Service, ServiceClient
from abeja.services.testing import ServiceEmulator


@pytest.fixture
def service(client: ServiceClient, emulator: ServiceEmulator) -> Service:
    return client.services.create(emulator.deployment_id, version_id=emulator.version_id)


def _seen(emulator: ServiceEmulator) -> Any:
    return [r for r in emulator.requests if r.route == "predict"][-1]


def test_json_body(service: Service, emulator: ServiceEmulator) -> None:
    answer = service.predict(json={"foo": "bar", "baz": "qux"})
    assert isinstance(answer, PredictResponse)
    seen = _seen(emulator)
    assert seen.headers["Content-Type"] == "application/json"
    assert seen.json() == {"foo": "bar", "baz": "qux"}
    assert answer.status_code == 200
    assert answer.json() == {"echo": {"foo": "bar", "baz": "qux"}, "model_version": "0.0.1"}
    assert answer.content_type == "application/json"
    assert answer.deployment_id == emulator.deployment_id
    assert answer.service_id == service.service_id
    assert answer.model_version == "0.0.1"
    assert answer.headers["X-Abeja-Service-Id"] == service.service_id
    assert answer.response.status_code == 200
    assert "PredictResponse(status_code=200" in repr(answer)


def test_json_with_an_explicit_content_type(service: Service, emulator: ServiceEmulator) -> None:
    service.predict(json=[1, 2], content_type="application/json; charset=utf-8")
    assert _seen(emulator).headers["Content-Type"] == "application/json; charset=utf-8"


def test_path_is_streamed_with_a_guessed_content_type(
    service: Service, emulator: ServiceEmulator, tmp_path: Path
) -> None:
    image = tmp_path / "cat.png"
    image.write_bytes(b"\x89PNG" + bytes(range(256)) * 40)
    answer = service.predict(data=image)
    seen = _seen(emulator)
    assert seen.headers["Content-Type"] == "image/png"
    assert seen.headers["Content-Length"] == str(image.stat().st_size)
    assert seen.body == image.read_bytes()
    assert answer.json()["sha256"] == hashlib.sha256(image.read_bytes()).hexdigest()


@pytest.mark.parametrize(
    ("name", "given", "expected"),
    [
        ("photo.jpg", None, "image/jpeg"),
        ("data.bin.unknownext", None, "application/octet-stream"),
        ("photo.jpg", "image/x-custom", "image/x-custom"),
    ],
)
def test_file_objects_content_type(
    service: Service,
    emulator: ServiceEmulator,
    tmp_path: Path,
    name: str,
    given: str | None,
    expected: str,
) -> None:
    path = tmp_path / name
    path.write_bytes(b"abc")
    with path.open("rb") as f:
        service.predict(data=f, content_type=given)
    assert _seen(emulator).headers["Content-Type"] == expected
    assert _seen(emulator).body == b"abc"


def test_bytes_and_str(service: Service, emulator: ServiceEmulator) -> None:
    service.predict(data=b"\x00\x01")
    assert _seen(emulator).headers["Content-Type"] == "application/octet-stream"
    service.predict(data="héllo", content_type="text/plain; charset=utf-8")
    assert _seen(emulator).body == "héllo".encode()
    service.predict(data=io.BytesIO(b"stream"))
    assert _seen(emulator).body == b"stream"


def test_json_and_data_together_are_refused(service: Service, emulator: ServiceEmulator) -> None:
    before = emulator.count("predict")
    with pytest.raises(ValueError, match="not both"):
        service.predict(json={}, data=b"x")
    assert emulator.count("predict") == before


def test_non_2xx_from_the_model_raises(client: ServiceClient, emulator: ServiceEmulator) -> None:
    def handler(request: Any, context: Any) -> dict[str, Any]:
        return {
            "status_code": 400,
            "content_type": "application/json",
            "content": {"error": "bad_input", "error_description": "no image"},
        }

    emulator.add_deployment("91", {"ver-400": handler})
    service = client.services.create("91", version_id="ver-400")
    with pytest.raises(BadRequest, match="no image") as caught:
        service.predict(json={})
    assert caught.value.error == "bad_input"


def test_service_not_ready_is_unavailable(emulator: ServiceEmulator) -> None:
    emulator.ready_delay = 60
    with emulator.client(max_retries=0) as client:
        service = client.services.create(emulator.deployment_id, version_id=emulator.version_id)
        with pytest.raises(ServiceUnavailable, match=": service unavailable \\("):
            service.predict(json={})


def test_per_call_timeout(service: Service, emulator: ServiceEmulator) -> None:
    emulator.inject("predict", delay=0.3)
    with pytest.raises(APITimeoutError):
        service.predict(json={}, timeout=0.05)
    assert emulator.count("predict") == 1
    with pytest.raises(ValueError):
        service.predict(json={}, timeout=0)


def test_a_200_mb_file_is_streamed_not_loaded(
    service: Service, emulator: ServiceEmulator, tmp_path: Path
) -> None:
    big = tmp_path / "big.bin"
    size = 200 * 1024 * 1024
    with big.open("wb") as f:
        f.truncate(size)  # sparse: costs no disk
    tracemalloc.start()
    try:
        answer = service.predict(data=big)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert answer.json()["bytes"] == size
    assert peak < 50 * 1024 * 1024, f"peak traced memory {peak / 1e6:.1f} MB"


@pytest.mark.parametrize("data", [{"a": 1}, [b"a"], 5, ("x",)])
def test_data_of_the_wrong_kind_is_refused(
    service: Service, emulator: ServiceEmulator, data: Any
) -> None:
    before = emulator.count("predict")
    with pytest.raises(TypeError, match="json="):
        service.predict(data=data)
    assert emulator.count("predict") == before


def test_a_text_mode_file_is_refused(
    service: Service, emulator: ServiceEmulator, tmp_path: Path
) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("héllo")
    with path.open() as f, pytest.raises(TypeError, match="'rb'"):
        service.predict(data=f)  # type: ignore[arg-type]
    assert emulator.count("predict") == 0


def test_the_serving_proxys_status_bodies_become_the_error_message(
    service: Service, emulator: ServiceEmulator
) -> None:
    emulator.inject("predict", status=503, body=b'{"status": "service unavailable"}')
    with pytest.raises(ServiceUnavailable, match="service unavailable"):
        service.predict(json={})
    emulator.inject("predict", status=500, body=b'{"status": "unexpected error occurred"}')
    with pytest.raises(InternalServerError) as caught:
        service.predict(json={})
    assert caught.value.error_description == "unexpected error occurred"


def test_the_model_version_header_is_unescaped(service: Service, emulator: ServiceEmulator) -> None:
    emulator.inject(
        "predict", status=200, body=b"{}", headers={"X-Abeja-Model-Version": "1.0.0%2Bbuild%201"}
    )
    assert service.predict(json={}).model_version == "1.0.0+build 1"
