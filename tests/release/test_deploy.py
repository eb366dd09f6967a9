"""``rollouts.deploy`` over HTTP against the emulator, on both clients: a folder to
traffic (the first release, then a rollout), the plan, and the version in the report."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from abeja.services import ServiceClient, ServiceStatus
from abeja.services.testing import ServiceEmulator

from ..clients import KINDS, emulated_client
from ..managers.test_versions import model_folder

SMOKE = [{"json": {}}]


@pytest.fixture(params=KINDS)
def client(
    request: pytest.FixtureRequest, emulator: ServiceEmulator, sleeps: list[float]
) -> Iterator[ServiceClient]:
    with emulated_client(request.param, emulator, sleep=sleeps.append) as client:
        yield client


def test_deploy_twice_leaves_the_endpoint_on_the_second_folder_and_the_first_retired(
    client: ServiceClient, emulator: ServiceEmulator, tmp_path: Path
) -> None:
    first = client.rollouts.deploy(
        emulator.deployment_id, model_folder(tmp_path / "one", "weights-1"),
        version="1.0.0", smoke=SMOKE, bake=0,
    )  # fmt: skip
    assert first.outcome == "completed" and first.old_service_id is None
    assert [s.name for s in first.steps] == [
        "inspect", "version", "create", "wait", "smoke", "endpoint",
    ]  # fmt: skip
    assert first.steps[0].figures["first_release"] is True
    assert first.version_id is not None and first.version_id.startswith("ver-")
    assert client.endpoints.predict(emulator.deployment_id, json={}).json()["model"] == "weights-1"

    second = client.rollouts.deploy(
        emulator.deployment_id, model_folder(tmp_path / "two", "weights-2"),
        version="2.0.0", smoke=SMOKE, bake=0,
    )  # fmt: skip
    assert second.outcome == "completed"
    assert second.old_service_id == first.new_service_id
    assert "switch" in [s.name for s in second.steps] and "endpoint" not in [
        s.name for s in second.steps
    ]
    assert client.endpoints.predict(emulator.deployment_id, json={}).json()["model"] == "weights-2"
    assert first.new_service_id is not None
    retired = client.services.get(emulator.deployment_id, first.new_service_id)
    assert retired.status == ServiceStatus.STOPPED
    versions = {v.version: v.version_id for v in client.versions.list(emulator.deployment_id)}
    assert versions["2.0.0"] == second.version_id and versions["1.0.0"] == first.version_id


def test_a_plan_uploads_nothing_and_changes_nothing(
    client: ServiceClient, emulator: ServiceEmulator, tmp_path: Path
) -> None:
    folder = model_folder(tmp_path / "one", "weights-1")
    emulator.forget_requests()
    report = client.rollouts.deploy(emulator.deployment_id, folder, version="1.0.0", plan=True)
    assert report.outcome == "planned"
    version_step = report.step("version")
    assert version_step is not None and version_step.status == "planned"
    assert len(str(version_step.figures["archive_sha256"])) == 64
    assert [s.name for s in report.steps][-1] == "endpoint"  # a first release, planned
    assert {r.method for r in emulator.requests} == {"GET"}
    assert client.versions.list(emulator.deployment_id).entries[-1].version != "1.0.0"


def test_a_first_release_whose_smoke_check_fails_makes_no_endpoint_and_cleans_up(
    client: ServiceClient, emulator: ServiceEmulator, tmp_path: Path
) -> None:
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "predict.py").write_text(
        "def handler(request, context):\n    raise RuntimeError('no')\n"
    )
    report = client.rollouts.deploy(
        emulator.deployment_id, folder, version="1.0.0", smoke=SMOKE, bake=0
    )
    assert report.outcome == "rolled_back"
    assert len(client.endpoints.list(emulator.deployment_id)) == 0
    assert report.new_service_id not in [
        s.service_id for s in client.services.list(emulator.deployment_id)
    ]


def test_bad_arguments_are_refused_before_anything_is_sent_or_archived(
    client: ServiceClient, emulator: ServiceEmulator, tmp_path: Path
) -> None:
    folder = model_folder(tmp_path / "one", "w")
    emulator.forget_requests()
    with pytest.raises(ValueError, match="version must be"):
        client.rollouts.deploy(emulator.deployment_id, folder, version="")
    with pytest.raises(ValueError, match="bake"):
        client.rollouts.deploy(emulator.deployment_id, folder, version="1", bake=-1)
    with pytest.raises(TypeError, match="unknown rollout option"):
        client.rollouts.deploy(emulator.deployment_id, folder, version="1", bakes=1)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="does not exist"):
        client.rollouts.deploy(emulator.deployment_id, tmp_path / "none", version="1")
    assert emulator.requests == []
