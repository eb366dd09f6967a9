"""``predict_batch`` over HTTP against the emulator, on both clients: every request exactly
once, inputs read lazily, concurrency that reaches the service, failures recorded without
stopping, 429 throttling that lowers and restores concurrency, and resuming."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from abeja.services import BatchReport, ServiceClient
from abeja.services.testing import FakeClock, ServiceEmulator

from ..clients import KINDS, emulated_client

SLOW = "ver-batch-slow"


class Watched:
    """A handler that echoes its JSON, sleeps ``pause`` seconds (real time) and records
    how many calls were in it at once; inputs listed in ``fail`` raise (a 500)."""

    def __init__(self, pause: float = 0.0, fail: frozenset[int] = frozenset()) -> None:
        self.pause = pause
        self.fail = fail
        self.inside = 0
        self.most = 0
        self.calls: list[int] = []
        self.lock = threading.Lock()

    def __call__(self, request: Any, context: Any) -> dict[str, Any]:
        value = json.loads(request.read())
        with self.lock:
            self.inside += 1
            self.most = max(self.most, self.inside)
            self.calls.append(value)
        try:
            time.sleep(self.pause)
            if value in self.fail:
                raise RuntimeError(f"cannot score {value}")
            return {"content_type": "application/json", "content": {"echo": value}}
        finally:
            with self.lock:
                self.inside -= 1


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def client(kind: str, emulator: ServiceEmulator, clock: FakeClock) -> Iterator[ServiceClient]:
    with emulated_client(kind, emulator, sleep=clock.sleep, clock=clock.monotonic) as client:
        yield client


def _service(client: ServiceClient, emulator: ServiceEmulator, handler: Watched) -> str:
    emulator.add_deployment(emulator.deployment_id, {SLOW: handler})
    made = client.services.create(emulator.deployment_id, version_id=SLOW, instance_number=16)
    return client.services.wait_until_ready(emulator.deployment_id, made.service_id).service_id


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_every_request_is_answered_exactly_once_in_the_results_file(
    client: ServiceClient, emulator: ServiceEmulator, tmp_path: Path
) -> None:
    handler = Watched()
    sid = _service(client, emulator, handler)
    output = tmp_path / "results.jsonl"
    report = client.services.predict_batch(
        emulator.deployment_id, sid, ({"json": n} for n in range(60)), concurrency=8,
        output=output,
    )  # fmt: skip
    assert isinstance(report, BatchReport)
    assert (report.succeeded, report.failed, report.skipped) == (60, 0, 0)
    lines = _lines(output)
    assert sorted(line["index"] for line in lines) == list(range(60))
    assert all(line["answer"] == {"echo": line["index"]} and line["ok"] for line in lines)
    assert sorted(handler.calls) == list(range(60))  # each sent once
    assert emulator.count("predict") == 60
    assert report.p50_seconds is not None and report.p95_seconds is not None


def test_inputs_are_read_lazily_a_few_ahead_of_what_is_answered(
    client: ServiceClient, emulator: ServiceEmulator, tmp_path: Path
) -> None:
    handler = Watched()
    sid = _service(client, emulator, handler)
    pulled = 0
    ahead = []

    def rows() -> Iterator[dict[str, Any]]:
        nonlocal pulled
        for n in range(200):
            pulled += 1
            ahead.append(pulled - len(handler.calls))
            yield {"json": n}

    client.services.predict_batch(
        emulator.deployment_id, sid, rows(), concurrency=4, output=tmp_path / "r.jsonl"
    )
    assert pulled == 200
    assert max(ahead) <= 4 + 1  # at most the requests in flight, and the one being read


def test_concurrency_reaches_the_service_and_one_stays_one(
    client: ServiceClient, emulator: ServiceEmulator, tmp_path: Path
) -> None:
    handler = Watched(pause=0.05)
    sid = _service(client, emulator, handler)
    client.services.predict_batch(emulator.deployment_id, sid, [{"json": n} for n in range(32)],
                                  concurrency=1, output=tmp_path / "one.jsonl")  # fmt: skip
    assert handler.most == 1
    client.services.predict_batch(emulator.deployment_id, sid, [{"json": n} for n in range(64)],
                                  concurrency=16, output=tmp_path / "many.jsonl")  # fmt: skip
    assert handler.most >= 8  # requests overlapped at the service: concurrency pays


def test_failures_are_recorded_and_do_not_stop_the_batch(
    client: ServiceClient, emulator: ServiceEmulator, tmp_path: Path
) -> None:
    handler = Watched(fail=frozenset({3, 7}))
    sid = _service(client, emulator, handler)
    output = tmp_path / "results.jsonl"
    requests: list[Any] = [{"json": n} for n in range(10)] + [{"jsn": 1}]
    report = client.services.predict_batch(
        emulator.deployment_id, sid, requests, concurrency=4, output=output
    )
    assert (report.succeeded, report.failed) == (8, 3)
    by_index = {line["index"]: line for line in _lines(output)}
    assert len(by_index) == 11
    assert by_index[3]["error"] == "InternalServerError" and by_index[3]["status_code"] == 500
    assert by_index[10]["error"] == "ValueError" and "jsn" in by_index[10]["message"]
    assert emulator.count("predict") == 10  # a 500 is never sent twice; a bad one never sent


def test_429_lowers_the_concurrency_sends_again_after_retry_after_and_restores_it(
    client: ServiceClient, emulator: ServiceEmulator, tmp_path: Path, clock: FakeClock
) -> None:
    handler = Watched()
    sid = _service(client, emulator, handler)
    emulator.inject("predict", status=429, retry_after=2, times=3)
    output = tmp_path / "results.jsonl"
    report = client.services.predict_batch(
        emulator.deployment_id, sid, [{"json": n} for n in range(40)], concurrency=8,
        output=output,
    )  # fmt: skip
    assert report.throttled == 3 and report.succeeded == 40
    assert report.lowest_concurrency < 8
    assert sorted(line["index"] for line in _lines(output)) == list(range(40))
    assert sorted(handler.calls) == list(range(40))  # the throttled ones answered once
    assert 2.0 in clock.sleeps  # waited the Retry-After, on the client's clock


def test_a_503_lowers_the_concurrency_and_is_recorded_not_resent(
    client: ServiceClient, emulator: ServiceEmulator, tmp_path: Path
) -> None:
    sid = _service(client, emulator, Watched())
    emulator.inject("predict", status=503, retry_after=1, times=2)
    report = client.services.predict_batch(
        emulator.deployment_id, sid, [{"json": n} for n in range(20)], concurrency=8,
        output=tmp_path / "r.jsonl",
    )  # fmt: skip
    assert (report.succeeded, report.failed, report.throttled) == (18, 2, 0)
    assert report.lowest_concurrency <= 4
    assert emulator.count("predict") == 20


def test_an_interrupted_batch_resumes_without_losing_or_repeating_a_line(
    client: ServiceClient, emulator: ServiceEmulator, tmp_path: Path
) -> None:
    """A killed process leaves whole lines and perhaps a torn last one: the torn line is
    cut, and the next run sends only what has no line."""
    handler = Watched()
    sid = _service(client, emulator, handler)
    output = tmp_path / "results.jsonl"
    client.services.predict_batch(emulator.deployment_id, sid, [{"json": n} for n in range(10)],
                                  output=output)  # fmt: skip
    whole = output.read_text().splitlines(keepends=True)
    kept = whole[:6]
    output.write_text("".join(kept) + whole[6][:15])  # killed mid-line
    handler.calls.clear()
    report = client.services.predict_batch(
        emulator.deployment_id, sid, [{"json": n} for n in range(10)], output=output
    )
    done_before = {json.loads(line)["index"] for line in kept}
    assert report.skipped == 6 and report.succeeded == 4
    assert sorted(handler.calls) == sorted(set(range(10)) - done_before)
    assert sorted(line["index"] for line in _lines(output)) == list(range(10))


def test_without_output_results_come_as_they_complete_with_a_report_at_the_end(
    kind: str, emulator: ServiceEmulator, clock: FakeClock
) -> None:
    if kind == "async":
        pytest.skip("the async iterator is tested in test_batch_async")
    with emulated_client(kind, emulator, sleep=clock.sleep, clock=clock.monotonic) as client:
        sid = _service(client, emulator, Watched())
        run = client.services.predict_batch(
            emulator.deployment_id, sid, [{"json": n} for n in range(12)], concurrency=3
        )
        results = list(run)
    assert sorted(r.index for r in results) == list(range(12))
    assert run.report is not None and run.report.succeeded == 12


def test_through_an_endpoint(
    client: ServiceClient, emulator: ServiceEmulator, tmp_path: Path
) -> None:
    sid = _service(client, emulator, Watched())
    client.endpoints.create(emulator.deployment_id, service_id=sid)
    report = client.endpoints.predict_batch(
        emulator.deployment_id, [{"json": n} for n in range(10)], output=tmp_path / "r.jsonl"
    )
    assert report.succeeded == 10
    assert emulator.count("predict_endpoint") == 10


def test_bad_arguments_send_nothing(client: ServiceClient, emulator: ServiceEmulator) -> None:
    dep = emulator.deployment_id
    emulator.forget_requests()
    for bad, error in [
        ({"requests": "abc"}, TypeError),
        ({"requests": {"json": 1}}, TypeError),
        ({"requests": [], "concurrency": 0}, ValueError),
        ({"requests": [], "concurrency": True}, TypeError),
        ({"requests": [], "output": "/no/such/folder/r.jsonl"}, ValueError),
        ({"requests": [], "progress": "yes"}, TypeError),
    ]:
        with pytest.raises(error):
            client.services.predict_batch(dep, "ser-1", **bad)
    with pytest.raises(ValueError, match="service_id"):
        client.services.predict_batch(dep, "../x", [])
    assert emulator.requests == []


def test_a_batch_of_millions_holds_a_fixed_amount_for_its_figures() -> None:
    """The indexes done are bits, the latencies a sample of at most SAMPLE."""
    from abeja.services._batch._results import SAMPLE, BatchResult, Indexes, Tally

    done = Indexes()
    for index in (0, 7, 8, 1_000_000, 7):
        done.add(index)
    assert len(done) == 4 and 1_000_000 in done and 9 not in done and -1 not in done
    tally = Tally(lambda: 0.0)
    for n in range(SAMPLE * 3):
        tally.add(BatchResult(index=n, ok=True, seconds=n / (SAMPLE * 3)))
    assert len(tally.report.latencies) == SAMPLE and tally.report.succeeded == SAMPLE * 3
    assert 0.4 < sorted(tally.report.latencies)[SAMPLE // 2] < 0.6  # a uniform sample
