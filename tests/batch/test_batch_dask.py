"""The recipe of docs/batch.md, "Past one machine": ``predict_batch`` inside the
partitions of a Dask bag on a local cluster of two worker processes, a client made in
each partition from the environment (nothing unpicklable crosses), every row answered
once."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from abeja.services.testing import ServiceEmulator

distributed = pytest.importorskip("distributed")
dask_bag = pytest.importorskip("dask.bag")

SEEN: list[int] = []
LOCK = threading.Lock()


def counted(request: Any, context: Any) -> dict[str, Any]:
    import json

    value = json.loads(request.read())
    with LOCK:
        SEEN.append(value)
    return {"content_type": "application/json", "content": {"double": value * 2}}


def score_partition(rows: Iterator[dict[str, Any]]) -> list[dict[str, Any]]:
    """Runs on a worker: a client from the environment, the partition's rows scored."""
    from abeja.services import ServiceClient

    with ServiceClient() as client:
        run = client.services.predict_batch(
            os.environ["ABEJA_DEPLOYMENT_ID"], os.environ["SCORING_SERVICE_ID"], list(rows),
            concurrency=4,
        )  # fmt: skip
        return [{"row": r.index, **r.model_dump()} for r in run]


def test_a_dask_bag_of_rows_scored_on_two_workers_every_row_once(
    emulator: ServiceEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    SEEN.clear()
    emulator.add_deployment(emulator.deployment_id, {"ver-dask": counted})
    with emulator.client() as client:
        made = client.services.create(emulator.deployment_id, version_id="ver-dask",
                                      instance_number=4).wait_until_ready()  # fmt: skip
    for name, value in {**emulator.env(), "ABEJA_DEPLOYMENT_ID": emulator.deployment_id,
                        "SCORING_SERVICE_ID": made.service_id}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    rows = [{"json": n} for n in range(100)]
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster,  \
            distributed.Client(cluster) as dask_client:  # fmt: skip
        scored = (
            dask_bag.from_sequence(rows, npartitions=4)
            .map_partitions(score_partition)
            .compute(scheduler=dask_client)
        )
        workers = len(dask_client.scheduler_info()["workers"])
    assert workers == 2
    assert sorted(r["answer"]["double"] for r in scored) == [2 * n for n in range(100)]
    assert all(r["ok"] for r in scored)
    assert sorted(SEEN) == list(range(100))  # every row answered once
