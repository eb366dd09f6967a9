"""ABEJA's own handler templates through the emulator: in-process mode against the
abejaruntime mode (abejaruntime 1.1.1 processes, as the platform starts them), request
for request, compared on status, the headers that matter and the body, byte for byte.

The corpus is real-world code, not handlers written for the test:

- abejacli 2.2.8's ``predict.py`` template (what ``abeja startapp`` gives a new user),
  taken from its registry wheel when the test runs (nothing of it is kept in this tree);
- every folder of ``$ABEJA_TEMPLATE_CORPUS`` (default: the steering repository's
  ``shared/templates/``), when there is one: ABEJA's public templates
  (platform-template-*, Platform_handson), placed there with their licences. Each folder
  holds the template's files and a ``corpus.json``: ``{"handler": "predict:handler",
  "environment": {...}, "requests": [{"name": ..., "method": "POST", "content_type": ...,
  "body": "text" | "body_base64": "..."}]}``. This tree does not carry them: they are code
  from other repositories, which this project's rules keep out of its commits.
"""

from __future__ import annotations

import base64
import json
import os
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from abeja.services.testing import ServiceEmulator

from ..abeja_sdk import ROOT, registry_wheel
from ..abejacli import CLI
from .abejaruntime import runtime_python
from .test_runtime_modes import COMPARED_HEADERS, IMAGE, MULTIPART

CORPUS = Path(os.environ.get("ABEJA_TEMPLATE_CORPUS") or ROOT.parent / "shared" / "templates")


@dataclass
class Probe:
    """One request to a template's service."""

    name: str
    method: str = "POST"
    content_type: str | None = "application/json"
    body: bytes | None = None


@dataclass
class Template:
    """A handler from the corpus: its folder, entry point, environment and requests."""

    name: str
    folder: Path
    handler: str
    probes: list[Probe]
    environment: dict[str, str] = field(default_factory=dict)


# What any template meets: JSON, images, multipart, CSV, other methods, bad input.
GENERIC = [
    Probe("json", body=b'{"text": "hello", "values": [1, 2.5]}'),
    Probe("empty json object", body=b"{}"),
    Probe("png image", content_type="image/png", body=IMAGE),
    Probe("jpeg image", content_type="image/jpeg", body=b"\xff\xd8\xff\xe0" + bytes(512)),
    Probe("multipart", content_type="multipart/form-data; boundary=XyZ", body=MULTIPART),
    Probe("csv", content_type="text/csv", body=b"a,b\n1,2\n"),
    Probe("get", method="GET", content_type=None),
    Probe("put", method="PUT", body=b'{"x": 1}'),
    Probe("delete", method="DELETE", content_type=None),
    Probe("malformed json", body=b'{"x": '),
    Probe("no body", content_type=None),
]


def _abejacli_template(folder: Path) -> Template:
    wheel = registry_wheel(CLI, "abejacli-2.2.8-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        source = archive.read("abejacli/template/predict.py-tpl")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "predict.py").write_bytes(source)
    return Template("abejacli 2.2.8 predict.py template", folder, "predict:handler", GENERIC)


def _probe(entry: dict[str, Any]) -> Probe:
    body = entry.get("body")
    raw = base64.b64decode(entry["body_base64"]) if "body_base64" in entry else None
    return Probe(
        entry["name"],
        method=entry.get("method", "POST"),
        content_type=entry.get("content_type", "application/json"),
        body=raw if raw is not None else (body.encode() if isinstance(body, str) else None),
    )


def _placed_templates() -> list[Template]:
    found = []
    for described in sorted(CORPUS.glob("*/corpus.json")) if CORPUS.is_dir() else []:
        spec = json.loads(described.read_text())
        probes = [_probe(entry) for entry in spec.get("requests", [])] or GENERIC
        found.append(
            Template(
                described.parent.name,
                described.parent,
                spec.get("handler", "predict:handler"),
                probes,
                spec.get("environment", {}),
            )
        )
    return found


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> list[Template]:
    return [_abejacli_template(tmp_path_factory.mktemp("abejacli")), *_placed_templates()]


@dataclass
class Served:
    """An emulator in one runtime mode, with a READY service per template."""

    emulator: ServiceEmulator
    services: dict[str, tuple[str, str]]
    """Per template: its deployment and its service."""

    def send(self, template: Template, probe: Probe) -> tuple[int, dict[str, str], bytes]:
        deployment, service_id = self.services[template.name]
        base = self.emulator.service_url_template.format(
            organization_id=self.emulator.organization_id
        )
        headers = {"Authorization": f"Bearer {self.emulator.auth_token}"}
        if probe.content_type is not None:
            headers["Content-Type"] = probe.content_type
        answer = requests.request(
            probe.method,
            f"{base}/deployments/{deployment}/services/{service_id}",
            data=probe.body,
            headers=headers,
            timeout=120,
        )
        kept = {
            name: answer.headers[name].replace(service_id, "<service>")
            for name in COMPARED_HEADERS
            if name in answer.headers
        }
        return answer.status_code, kept, answer.content.replace(service_id.encode(), b"<s>")


def _served(runtime: str, corpus: list[Template], python: str | None) -> Iterator[Served]:
    extra: dict[str, Any] = {"runtime_python": python} if python else {}
    with ServiceEmulator(runtime=runtime, **extra) as emulator:  # type: ignore[arg-type]
        services = {}
        with emulator.client() as client:
            for number, template in enumerate(corpus):
                deployment, version = f"44444444444{number:02d}", f"ver-corpus{number:011d}"
                emulator.add_deployment(
                    deployment,
                    {version: template.handler},
                    source=template.folder,
                    environment=template.environment,
                )
                service = client.services.create(deployment, version_id=version)
                service = service.wait_until_ready(poll_interval=0.05)
                services[template.name] = (deployment, service.service_id)
        yield Served(emulator, services)


@pytest.fixture(scope="module")
def real(corpus: list[Template]) -> Iterator[Served]:
    yield from _served("abejaruntime", corpus, runtime_python())


@pytest.fixture(scope="module")
def in_process(corpus: list[Template]) -> Iterator[Served]:
    yield from _served("in-process", corpus, None)


def test_every_template_answers_in_process_as_abejaruntime_does(
    corpus: list[Template], real: Served, in_process: Served
) -> None:
    compared = 0
    for template in corpus:
        for probe in template.probes:
            theirs = real.send(template, probe)
            ours = in_process.send(template, probe)
            assert ours == theirs, f"{template.name}: {probe.name}"
            compared += 1
    assert compared >= len(GENERIC)


def test_the_template_logs_the_same_lines_in_both_modes(
    corpus: list[Template], real: Served, in_process: Served
) -> None:
    template = corpus[0]  # abejacli's prints as it handles a request
    seen = []
    for served in (real, in_process):
        _, service_id = served.services[template.name]
        before = len(served.emulator.logs_of(service_id))
        served.send(template, GENERIC[0])
        seen.append(_handler_lines(served, service_id, before))
    assert seen[0] == seen[1] == ["Start predict handler."]


def _handler_lines(served: Served, service_id: str, before: int) -> list[str]:
    """The handler's lines logged since ``before``. A runtime in its own process prints
    them on a pipe read by another thread, so they may come a moment after the answer:
    waited for, up to 5 s."""
    give_up = time.monotonic() + 5
    while True:
        lines = [line for line in served.emulator.logs_of(service_id)[before:]
                 if "predict handler" in line]  # fmt: skip
        if lines or time.monotonic() > give_up:
            return lines
        time.sleep(0.01)
