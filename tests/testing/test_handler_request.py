"""The handler's request is the platform runtime's; the platform's own template runs as is."""

from __future__ import annotations

import importlib.util
import io
from pathlib import Path
from typing import Any

from abeja.services import ServiceClient
from abeja.services.testing import PredictRequest, ServiceEmulator

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
    request = PredictRequest(
        method="POST",
        headers={"Content-Type": "image/png", "X-Tag": "a", "Authorization": "Bearer s3cret"},
        content_type="image/png",
        stream=io.BytesIO(b"bytes"),
    )
    assert "http_method" in request and request.get("http_method") == "POST"
    assert set(request) == {"http_method", "content_type", "headers", "http_headers", "contents"}
    assert {"key": "x-tag", "values": ["a"]} in request["headers"]
    assert request["http_headers"]["X-TAG"] == "a" and request["http_headers"].get_all("x-tag") == [
        "a"
    ]
    assert "authorization" not in request["http_headers"]  # the platform removes it
    content: Any = request["contents"][0]
    assert (content["content_type"], content["file_name"], content["form_name"]) == (
        "image/png",
        None,
        None,
    )
    assert request["metadata"] == {} and request.read() == b"bytes"


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
