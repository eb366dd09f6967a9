"""The async client's batch: an async iterator of results, async iterables as input, and
a task cancelled mid-batch (what was in flight is recorded, the file resumes it)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from abeja.services import AsyncServiceClient
from abeja.services.testing import ServiceEmulator

from .test_batch import SLOW, Watched


def _client(emulator: ServiceEmulator) -> AsyncServiceClient:
    return AsyncServiceClient(
        emulator.organization_id, base_url=emulator.url, credential=emulator.credential,
        service_url_template=emulator.service_url_template,
    )  # fmt: skip


async def _service(client: AsyncServiceClient, emulator: ServiceEmulator, handler: Any) -> str:
    emulator.add_deployment(emulator.deployment_id, {SLOW: handler})
    made = await client.services.create(emulator.deployment_id, version_id=SLOW,
                                        instance_number=16)  # fmt: skip
    await client.services.wait_until_ready(emulator.deployment_id, made.service_id)
    return made.service_id


def test_an_async_iterable_in_results_out_as_they_complete(emulator: ServiceEmulator) -> None:
    async def main() -> tuple[list[int], Any]:
        async with _client(emulator) as client:
            sid = await _service(client, emulator, Watched())

            async def rows() -> AsyncIterator[dict[str, Any]]:
                for n in range(15):
                    yield {"json": n}

            run = client.services.predict_batch(emulator.deployment_id, sid, rows(),
                                                concurrency=4)  # fmt: skip
            indexes = [result.index async for result in run]
            return indexes, run.report

    indexes, report = asyncio.run(main())
    assert sorted(indexes) == list(range(15))
    assert report is not None and report.succeeded == 15
    # Timed on the client's clock, from each request's own start (they were all 0 s once).
    assert report.p50_seconds is not None and report.p50_seconds > 0


def test_a_cancelled_batch_records_what_was_in_flight_and_resumes(
    emulator: ServiceEmulator, tmp_path: Path
) -> None:
    handler = Watched(pause=0.05)
    output = tmp_path / "results.jsonl"

    async def first() -> None:
        async with _client(emulator) as client:
            sid = await _service(client, emulator, handler)
            batch = client.services.predict_batch(
                emulator.deployment_id, sid, [{"json": n} for n in range(200)], concurrency=4,
                output=output,
            )  # fmt: skip
            task = asyncio.ensure_future(batch)
            while len(handler.calls) < 10:
                await asyncio.sleep(0.01)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    asyncio.run(first())
    sent = list(handler.calls)
    lines = [json.loads(line) for line in output.read_text().splitlines()]
    assert sorted(line["index"] for line in lines) == sorted(sent)  # in flight: recorded
    assert len(sent) < 200

    async def again() -> Any:
        async with _client(emulator) as client:
            sid = next(s.service_id for s in await client.services.list(emulator.deployment_id))
            return await client.services.predict_batch(
                emulator.deployment_id, sid, [{"json": n} for n in range(200)], concurrency=8,
                output=output,
            )  # fmt: skip

    report = asyncio.run(again())
    assert report.skipped == len(sent) and report.succeeded == 200 - len(sent)
    assert sorted(handler.calls) == list(range(200))  # nothing lost, nothing twice
