"""``predict-batch`` as a person runs it: from a JSON lines file, from a folder of images,
from standard input; exit statuses; Ctrl-C and a killed process, then resumed."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

from abeja.services import ServiceClient
from abeja.services.testing import ServiceEmulator

from .test_commands import COMMAND, _environment, run

ECHO = "ver-batch-echo"
SEEN: list[Any] = []


def echo(request: Any, context: Any) -> dict[str, Any]:
    """Echo JSON (``{"fail": true}`` raises), describe anything else; 20 ms each."""
    time.sleep(0.02)
    body = request.read()
    if request["content_type"] == "application/json":
        value = json.loads(body)
        SEEN.append(value)
        if isinstance(value, dict) and value.get("fail"):
            raise RuntimeError("cannot score this")
        return {"content_type": "application/json", "content": {"echo": value}}
    SEEN.append(len(body))
    return {"content_type": "application/json",
            "content": {"type": request["content_type"], "bytes": len(body)}}  # fmt: skip


def _service(emulator: ServiceEmulator, client: ServiceClient) -> str:
    SEEN.clear()
    emulator.add_deployment(emulator.deployment_id, {ECHO: echo})
    made = client.services.create(emulator.deployment_id, version_id=ECHO, instance_number=4)
    return client.services.wait_until_ready(emulator.deployment_id, made.service_id).service_id


def _results(path: Path) -> dict[int, dict[str, Any]]:
    return {line["index"]: line for line in map(json.loads, path.read_text().splitlines())}


def test_from_a_jsonl_file_every_line_once_and_exit_0(
    emulator: ServiceEmulator, client: ServiceClient, tmp_path: Path
) -> None:
    sid = _service(emulator, client)
    rows = tmp_path / "rows.jsonl"
    rows.write_text("".join(json.dumps({"n": n}) + "\n" for n in range(30)))
    done = run(emulator, "predict-batch", emulator.deployment_id, sid, "--input", str(rows),
               "--results", str(tmp_path / "out.jsonl"), "--concurrency", "4")  # fmt: skip
    assert done.returncode == 0, done.stderr
    results = _results(tmp_path / "out.jsonl")
    assert sorted(results) == list(range(30))
    assert all(results[n]["answer"] == {"echo": {"n": n}} for n in range(30))
    assert "30 succeeded, 0 failed" in done.stderr


def test_failures_exit_1_and_a_bad_line_is_a_failed_line(
    emulator: ServiceEmulator, client: ServiceClient, tmp_path: Path
) -> None:
    sid = _service(emulator, client)
    rows = tmp_path / "rows.jsonl"
    rows.write_text('{"n": 0}\n{"fail": true}\nnot json\n\n{"n": 3}\n')
    done = run(emulator, "predict-batch", emulator.deployment_id, sid, "--input", str(rows),
               "--results", str(tmp_path / "out.jsonl"))  # fmt: skip
    assert done.returncode == 1, done.stderr
    results = _results(tmp_path / "out.jsonl")
    assert [results[i]["ok"] for i in range(4)] == [True, False, False, True]
    assert results[1]["error"] == "InternalServerError"
    assert results[2]["error"] == "ValueError" and "not JSON" in results[2]["message"]
    assert "2 succeeded, 2 failed" in done.stderr


def test_from_a_folder_of_images_through_the_default_endpoint(
    emulator: ServiceEmulator, client: ServiceClient, tmp_path: Path
) -> None:
    sid = _service(emulator, client)
    client.endpoints.create(emulator.deployment_id, service_id=sid)
    images = tmp_path / "images"
    images.mkdir()
    for n in range(5):
        (images / f"cat-{n}.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * n)
    (images / ".DS_Store").write_bytes(b"hidden")
    done = run(emulator, "predict-batch", emulator.deployment_id, "--input", str(images),
               "--results", str(tmp_path / "out.jsonl"))  # fmt: skip
    assert done.returncode == 0, done.stderr
    results = _results(tmp_path / "out.jsonl")
    assert [results[n]["answer"] for n in range(5)] == [
        {"type": "image/png", "bytes": 8 + n} for n in range(5)
    ]
    assert emulator.count("predict_endpoint") == 5


def test_standard_input(emulator: ServiceEmulator, client: ServiceClient, tmp_path: Path) -> None:
    sid = _service(emulator, client)
    done = run(emulator, "predict-batch", emulator.deployment_id, sid, "--input", "-",
               "--results", str(tmp_path / "out.jsonl"), stdin=b"1\n2\n3\n")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert sorted(r["answer"]["echo"] for r in _results(tmp_path / "out.jsonl").values()) == [
        1, 2, 3,
    ]  # fmt: skip


def _interrupted(
    emulator: ServiceEmulator, sid: str, rows: Path, out: Path, how: signal.Signals
) -> int:
    process = subprocess.Popen(
        [*COMMAND, "predict-batch", emulator.deployment_id, sid, "--input", str(rows),
         "--results", str(out), "--concurrency", "2"],
        env=_environment(emulator), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while (not out.exists() or len(out.read_text().splitlines()) < 10) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.02)
    process.send_signal(how)
    process.communicate(timeout=30)
    return process.returncode


def test_ctrl_c_then_a_kill_then_a_resume_lose_and_repeat_nothing(
    emulator: ServiceEmulator, client: ServiceClient, tmp_path: Path
) -> None:
    sid = _service(emulator, client)
    rows = tmp_path / "rows.jsonl"
    rows.write_text("".join(json.dumps(n) + "\n" for n in range(300)))
    out = tmp_path / "out.jsonl"
    assert _interrupted(emulator, sid, rows, out, signal.SIGINT) == 130
    after_ctrl_c = list(SEEN)
    assert sorted(_results(out)) == sorted(after_ctrl_c)  # in flight: recorded
    assert _interrupted(emulator, sid, rows, out, signal.SIGKILL) == -signal.SIGKILL
    done = run(emulator, "predict-batch", emulator.deployment_id, sid, "--input", str(rows),
               "--results", str(out), "--concurrency", "8")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert sorted(_results(out)) == list(range(300))
    # Sent once each, but for what the killed process had in flight and not yet written
    # (at most its concurrency): those are sent again, as nothing says they were answered.
    repeated = len(SEEN) - len(set(SEEN))
    assert set(SEEN) == set(range(300)) and repeated <= 2


def test_on_a_terminal_a_bar_shows_requests_done_and_failed(
    emulator: ServiceEmulator, client: ServiceClient, tmp_path: Path
) -> None:
    import pexpect

    sid = _service(emulator, client)
    rows = tmp_path / "rows.jsonl"
    rows.write_text("".join(json.dumps(n) + "\n" for n in range(40)) + '{"fail": true}\n')
    child = pexpect.spawn(
        COMMAND[0], [*COMMAND[1:], "predict-batch", emulator.deployment_id, sid, "--input",
                     str(rows), "--results", str(tmp_path / "out.jsonl")],
        env=_environment(emulator), encoding="utf-8", timeout=60, dimensions=(24, 120),
    )  # fmt: skip
    child.expect("predict_batch")
    child.expect("failed=1")
    child.expect("40 succeeded, 1 failed")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1
