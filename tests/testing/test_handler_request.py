"""The handler's request is the platform runtime's; the platform's own template runs as is."""

from __future__ import annotations

import importlib.util
import io
from pathlib import Path
from typing import Any

import pytest

from abeja.services import ServiceClient
from abeja.services.testing import Content, PredictRequest, ServiceEmulator

from ..abeja_sdk import registry_wheel, wheel_file


def test_the_abejacli_predict_template_runs_unchanged(
    client: ServiceClient, emulator: ServiceEmulator, tmp_path: Path
) -> None:
    wheel = registry_wheel("abejacli", "abejacli-*.whl")
    source = wheel_file(wheel, "abejacli/template/predict.py-tpl")
    (tmp_path / "predict.py").write_text(source)
    spec = importlib.util.spec_from_file_location(
        "abejacli_template_predict", tmp_path / "predict.py"
    )
    assert spec is not None and spec.loader is not None
    template = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(template)
    emulator.add_deployment("5150", {"ver-template": template.handler})
    service = client.services.create("5150", version_id="ver-template")
    answer = service.predict(data=b"\x89PNG...", content_type="image/png")
    assert answer.status_code == 200
    assert answer.json() == {"message": "Your return."}
    assert "Start predict handler." in emulator.logs_of(service.service_id)


def test_the_request_is_a_read_only_mapping_with_the_runtimes_keys() -> None:
    headers = [
        {"key": "content-type", "values": ["image/png"]},
        {"key": "x-tag", "values": ["a", "b"]},
    ]
    request = PredictRequest(
        "POST", "image/png", headers, [Content(None, None, io.BytesIO(b"bytes"))]
    )
    assert "http_method" in request and request.get("http_method") == "POST"
    assert set(request) == {"http_method", "content_type", "headers", "http_headers", "contents"}
    assert request["headers"] == headers
    http_headers = request["http_headers"]
    assert http_headers["X-TAG"] == "b" and http_headers.get_all("x-tag") == ["a", "b"]
    assert http_headers["absent"] is None and http_headers.get("absent", "-") == "-"
    assert list(http_headers) == [("content-type", "image/png"), ("x-tag", "a"), ("x-tag", "b")]
    assert len(http_headers) == 3 and "X-Tag" in http_headers
    content: Any = request["contents"][0]
    assert (content["content_type"], content["file_name"], content["form_name"]) == (
        None,
        None,
        None,
    )
    assert request["metadata"] is None and request.get("metadata") is None
    assert request.read(2) == b"by" and request.read() == b"tes"
    with pytest.raises(TypeError):
        request["http_method"] = "GET"  # type: ignore[index]
    empty = PredictRequest("GET", "text/plain", [], [])
    with pytest.raises(ValueError, match="no body"):
        empty.read()
    with pytest.raises(ValueError, match="no content"):
        empty["metadata"]


def test_a_handler_never_sees_the_authorization_header(emulator: ServiceEmulator) -> None:
    seen: dict[str, Any] = {}

    def handler(request: PredictRequest, context: Any) -> dict[str, Any]:
        seen["headers"] = dict(request["http_headers"])
        return {"status_code": 200, "content_type": "application/json", "content": {}}

    emulator.add_deployment("5151", {"ver-h": handler})
    with emulator.client() as client:
        service = client.services.create("5151", version_id="ver-h")
        service.predict(json={})
    assert "authorization" not in seen["headers"] and "content-type" in seen["headers"]
