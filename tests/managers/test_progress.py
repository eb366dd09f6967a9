"""``progress=`` on the long calls people watch: ``wait_until_ready`` and ``rollouts.run``
show the status (or the step) and the elapsed time, through tqdm; on by itself in a
Jupyter notebook, off in a script. Both clients, against the emulator."""

from __future__ import annotations

import subprocess
import sys
import types
from collections.abc import Iterator
from typing import Any

import pytest

from abeja.services.testing import FakeClock, ServiceEmulator

from ..clients import KINDS, emulated_client


@pytest.fixture(params=KINDS)
def client(
    request: pytest.FixtureRequest, abeja_emulator: ServiceEmulator, abeja_clock: FakeClock
) -> Iterator[Any]:
    abeja_emulator.ready_delay = 5
    with emulated_client(request.param, abeja_emulator, clock=abeja_clock.monotonic,
                         sleep=abeja_clock.sleep) as made:  # fmt: skip
        yield made


def test_wait_until_ready_shows_the_status_when_asked(
    client: Any, abeja_emulator: ServiceEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    service = client.services.create(abeja_emulator.deployment_id,
                                     version_id=abeja_emulator.version_id)  # fmt: skip
    statuses: list[str] = []
    service.wait_until_ready(progress=True, on_status=lambda s: statuses.append(str(s.status)))
    shown = capsys.readouterr().err
    assert f"{service.service_id}: IN_PROGRESS" in shown and f"{service.service_id}: READY" in shown
    assert statuses == ["IN_PROGRESS", "READY"]  # the caller's own callback still called


def test_in_a_script_nothing_is_shown_by_default(
    client: Any, abeja_emulator: ServiceEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    client.services.create(abeja_emulator.deployment_id,
                           version_id=abeja_emulator.version_id).wait_until_ready()  # fmt: skip
    assert capsys.readouterr().err == ""


def test_in_a_notebook_it_is_shown_by_default(
    client: Any,
    abeja_emulator: ServiceEmulator,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    kernel = type("ZMQInteractiveShell", (), {})()
    monkeypatch.setitem(sys.modules, "IPython", types.SimpleNamespace(get_ipython=lambda: kernel))
    monkeypatch.setitem(sys.modules, "tqdm.auto", __import__("tqdm"))  # the terminal display
    client.services.create(abeja_emulator.deployment_id,
                           version_id=abeja_emulator.version_id).wait_until_ready()  # fmt: skip
    assert "READY" in capsys.readouterr().err


def test_a_rollout_shows_each_step(
    client: Any, abeja_emulator: ServiceEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    old = client.services.create(
        abeja_emulator.deployment_id, version_id=abeja_emulator.version_id
    ).wait_until_ready()
    client.endpoints.create(abeja_emulator.deployment_id, service_id=old)
    capsys.readouterr()
    report = client.rollouts.run(abeja_emulator.deployment_id,
                                 version_id=abeja_emulator.version_id,
                                 smoke=[{"json": {}}], bake=10, progress=True)  # fmt: skip
    assert report.outcome == "completed"
    shown = capsys.readouterr().err
    for step in ("create:", "wait:", "smoke:", "switch:", "bake:", "retire:"):
        assert step in shown, step


def test_progress_true_without_tqdm_says_which_extra(abeja_emulator: ServiceEmulator) -> None:
    script = f"""
import sys
sys.modules["tqdm"] = sys.modules["tqdm.auto"] = None  # as if not installed
from abeja.services import ServiceClient
with ServiceClient({abeja_emulator.organization_id!r}, base_url={abeja_emulator.url!r},
                   credential={abeja_emulator.credential!r}) as client:
    try:
        client.services.wait_until_ready({abeja_emulator.deployment_id!r}, "ser-abc", progress=True)
    except ImportError as error:
        print(error)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, check=False)  # fmt: skip
    assert "abeja-services[notebook]" in done.stdout, done.stderr
