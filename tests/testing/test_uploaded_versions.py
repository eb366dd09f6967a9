"""An uploaded version runs as a registered handler does, in both runtime modes: the
folder's ``module:function``, the folder as the working directory, ``user_parameters``
in the environment (under the service's own variables); two versions' ``predict``
modules never collide."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from abeja.services.testing import ServiceEmulator

from ..managers.test_versions import model_folder
from .abejaruntime import runtime_python


@pytest.fixture(params=["in-process", "abejaruntime"])
def emulator(request: pytest.FixtureRequest) -> Iterator[ServiceEmulator]:
    extra: dict[str, Any] = {}
    if request.param == "abejaruntime":
        extra["runtime_python"] = runtime_python()
    with ServiceEmulator(runtime=request.param, **extra) as emulator:
        yield emulator


def _serve(emulator: ServiceEmulator, folder: Path, number: str, **create: Any) -> Any:
    with emulator.client() as client:
        made = client.versions.create(
            emulator.deployment_id, folder, version=number,
            user_parameters={"GREETING": "from the version", "SHADOWED": "version"},
        )  # fmt: skip
        service = client.services.create(
            emulator.deployment_id, version_id=made.version_id, **create
        ).wait_until_ready()
        return service.predict(json={}).json()


def test_an_uploaded_version_runs_in_its_folder_with_its_parameters(
    emulator: ServiceEmulator, tmp_path: Path
) -> None:
    first = model_folder(tmp_path / "one", "weights-1")
    (first / "predict.py").write_text(
        (first / "predict.py")
        .read_text()
        .replace(
            '"greeting": os.environ.get("GREETING"),',
            '"greeting": os.environ.get("GREETING"), "shadowed": os.environ.get("SHADOWED"),',
        )
    )
    answer = _serve(emulator, first, "1.0.0", environment={"SHADOWED": "service"})
    assert answer == {
        "model": "weights-1", "greeting": "from the version", "shadowed": "service",
        "cwd_has_model": True,
    }  # fmt: skip
    # A second version with a module of the same name answers with its own.
    second = _serve(emulator, model_folder(tmp_path / "two", "weights-2"), "2.0.0")
    assert second["model"] == "weights-2" and second["cwd_has_model"] is True
