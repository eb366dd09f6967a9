"""``predict_batch`` on both clients: the arguments checked, the predict call made (one
attempt each: the batch decides what is sent again), results written or handed back.

``output=Path`` writes one JSON line per request as it completes and returns the
`BatchReport`; running again with the same file sends only the requests with no line yet.
Without ``output`` the call gives an iterator of `BatchResult` in completion order, whose
``report`` is there once it is exhausted.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import os
from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Callable,
    Coroutine,
    Iterable,
    Iterator,
    Mapping,
    Sized,
)
from pathlib import Path
from typing import Any, Generic, TypeVar

from .._api._answers import PredictResponse
from .._api._routes import Routes
from .._managers._progress import _tqdm, check_progress
from ._drivers import run_tasks, run_threads
from ._results import Aimd, BatchReport, BatchResult, Indexes, ResultsFile, Tally

_T = TypeVar("_T")
MAX_CONCURRENCY = 1024


def one_attempt(routes: Routes[_T]) -> Routes[_T]:
    """The same routes on a transport that sends once (shares its connections)."""
    quiet = copy.copy(routes)
    quiet._transport = routes._transport.with_options(max_retries=0)
    return quiet


def check_batch(
    requests: object, concurrency: object, output: object, progress: object
) -> Path | None:
    """Raise before anything is read or sent when an argument is wrong; the output path."""
    if isinstance(requests, (str, bytes, Mapping)) or not isinstance(
        requests, (Iterable, AsyncIterable)
    ):
        raise TypeError("requests must be an iterable of predict() keyword dicts")
    if isinstance(concurrency, bool) or not isinstance(concurrency, int):
        raise TypeError("concurrency must be an int")
    if not 1 <= concurrency <= MAX_CONCURRENCY:
        raise ValueError(f"concurrency must be 1 to {MAX_CONCURRENCY}, not {concurrency}")
    check_progress(progress)
    if output is None:
        return None
    if not isinstance(output, (str, os.PathLike)):
        raise TypeError("output must be a path (str or Path)")
    path = Path(output)
    if not path.parent.is_dir():
        raise ValueError(f"{path.parent} is not a folder: the results cannot be written there")
    return path


class BatchInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped a batch: what was in flight was recorded first; ``report`` says what
    was done, and the results file resumes it."""

    def __init__(self, report: BatchReport) -> None:
        super().__init__("batch interrupted: run it again with the same output to resume")
        self.report = report


class _Shown:
    """A bar of requests done (failed ones counted beside), when asked for one."""

    def __init__(
        self,
        progress: bool | None,
        requests: object,
        on_result: Callable[[BatchResult], object] | None = None,
    ) -> None:
        self._on_result = on_result
        tqdm = _tqdm(progress)
        total = len(requests) if isinstance(requests, Sized) else None
        self._bar = None if tqdm is None else tqdm(total=total, desc="predict_batch", unit="req")
        self._failed = 0

    def __call__(self, result: BatchResult) -> None:
        if self._on_result is not None:
            self._on_result(result)
        if self._bar is None:
            return
        if not result.ok:
            self._failed += 1
            self._bar.set_postfix(failed=self._failed, refresh=False)
        self._bar.update(1)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


class BatchRun(Generic[_T]):
    """The results of a batch without ``output``, in completion order; ``report`` once
    they are all read (or the batch was interrupted)."""

    report: BatchReport | None = None

    def __init__(self, results: _T) -> None:
        self._results = results


class SyncBatchRun(BatchRun[Iterator[BatchResult]], Iterator[BatchResult]):
    """A batch of the sync client, as an iterator of results."""

    def __init__(self, results: Iterator[BatchResult], finish: Callable[[], BatchReport]) -> None:
        super().__init__(results)
        self._finish = finish
        self._results: Iterator[BatchResult] = results

    def __iter__(self) -> SyncBatchRun:
        return self

    def __next__(self) -> BatchResult:
        try:
            return next(self._results)
        except StopIteration:
            self.report = self._finish()
            raise
        except KeyboardInterrupt:
            self.report = self._finish()
            raise


class _Batch:
    """One batch's bookkeeping, the same on both clients: the tally, the concurrency, the
    results file (and the indexes it has done), the display."""

    def __init__(
        self,
        requests: object,
        concurrency: int,
        output: Path | None,
        progress: bool | None,
        clock: Callable[[], float],
        on_result: Callable[[BatchResult], object] | None,
    ) -> None:
        self.tally = Tally(clock)
        self.aimd = Aimd(concurrency)
        self.results = ResultsFile(output) if output is not None else None
        self.done: Indexes | set[int] = self.results.done if self.results is not None else set()
        self.shown = _Shown(progress, requests, on_result)
        self._report: BatchReport | None = None

    def record(self, result: BatchResult) -> None:
        """One result: its line written (with ``output``), then shown."""
        if self.results is not None:
            self.results.append(result)
        self.shown(result)

    def finish(self) -> BatchReport:
        """The report (once; the file closed and the display ended)."""
        if self._report is None:
            self.shown.close()
            if self.results is not None:
                self.results.close()
                self.tally.report.output = str(self.results.path)
            self._report = self.tally.finish(self.aimd)
        return self._report


def run_sync(
    predict: Callable[..., Any],
    requests: Iterable[Any],
    *,
    concurrency: int,
    output: Path | None,
    progress: bool | None,
    clock: Callable[[], float],
    sleep: Callable[[float], object],
    on_result: Callable[[BatchResult], object] | None = None,
) -> BatchReport | SyncBatchRun:
    """A batch on threads: the report (with ``output``), or the results as they come."""
    batch = _Batch(requests, concurrency, output, progress, clock, on_result)
    stream = run_threads(iter(requests), predict, batch.aimd, batch.done, batch.tally, sleep)
    if batch.results is None:
        return SyncBatchRun(_shown_as_read(stream, batch.shown), batch.finish)
    try:
        for result in stream:
            batch.record(result)
    except KeyboardInterrupt:
        raise BatchInterrupted(batch.finish()) from None
    finally:
        batch.finish()
    return batch.finish()


def _shown_as_read(stream: Iterator[BatchResult], shown: _Shown) -> Iterator[BatchResult]:
    for result in stream:
        shown(result)
        yield result


async def run_async(
    predict: Callable[..., Any],
    requests: Iterable[Any] | AsyncIterable[Any],
    *,
    concurrency: int,
    output: Path | None,
    progress: bool | None,
    clock: Callable[[], float],
    sleep: Callable[[float], Any],
    on_result: Callable[[BatchResult], object] | None = None,
) -> BatchReport:
    """A batch as tasks on this loop: the report; each result written to ``output`` and
    handed to ``on_result`` as it completes."""
    batch = _Batch(requests, concurrency, output, progress, clock, on_result)
    try:
        await run_tasks(_aiter(requests), predict, batch.aimd, batch.done, batch.tally, sleep,
                        batch.record)  # fmt: skip
    finally:
        batch.finish()
    return batch.finish()


async def _aiter(requests: Iterable[Any] | AsyncIterable[Any]) -> AsyncIterator[Any]:
    if isinstance(requests, AsyncIterable):
        async for request in requests:
            yield request
    else:
        for request in requests:
            yield request


def sync_predict(routes: Routes[Any], organization: str, deployment_id: str,
                 target: str | None, endpoint: bool) -> Callable[..., PredictResponse]:  # fmt: skip
    """One prediction, sent once: to a service, or through an endpoint."""
    quiet = one_attempt(routes)

    def predict(**request: Any) -> PredictResponse:
        if endpoint:
            return PredictResponse(
                quiet.request_endpoint(organization, deployment_id, target, **request)
            )
        assert target is not None
        return PredictResponse(
            quiet.request_service(organization, deployment_id, target, **request)
        )

    return predict


def async_predict(routes: Routes[Any], organization: str, deployment_id: str,
                  target: str | None, endpoint: bool) -> Callable[..., Any]:  # fmt: skip
    """The same, as a coroutine function."""
    quiet = one_attempt(routes)

    async def predict(**request: Any) -> PredictResponse:
        if endpoint:
            answer = await quiet.request_endpoint(organization, deployment_id, target, **request)
        else:
            assert target is not None
            answer = await quiet.request_service(organization, deployment_id, target, **request)
        return PredictResponse(answer)

    return predict


class AsyncBatchRun(BatchRun[None]):
    """A batch of the async client without ``output``: an async iterator of results in
    completion order; ``report`` once it is exhausted. The batch starts at the first
    ``__anext__``."""

    def __init__(
        self, start: Callable[[Callable[[BatchResult], object]], Coroutine[Any, Any, BatchReport]]
    ) -> None:
        super().__init__(None)
        self._start = start
        self._ready: asyncio.Queue[BatchResult] = asyncio.Queue()
        self._task: asyncio.Future[BatchReport] | None = None

    def __aiter__(self) -> AsyncBatchRun:
        return self

    async def __anext__(self) -> BatchResult:
        if self._task is None:
            self._task = asyncio.ensure_future(self._start(self._ready.put_nowait))
        while True:
            if not self._ready.empty():
                return self._ready.get_nowait()
            if self._task.done():
                self.report = self._task.result()
                raise StopAsyncIteration
            getter = asyncio.ensure_future(self._ready.get())
            waited: set[asyncio.Future[Any]] = {getter, self._task}
            try:
                await asyncio.wait(waited, return_when=asyncio.FIRST_COMPLETED)
            except BaseException:
                getter.cancel()
                self._task.cancel()
                raise
            if getter.done():
                return getter.result()
            getter.cancel()

    async def aclose(self) -> None:
        """Stop the batch (what is in flight is awaited)."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


def start_async(
    predict: Callable[..., Any],
    requests: Iterable[Any] | AsyncIterable[Any],
    *,
    concurrency: int,
    output: Path | None,
    progress: bool | None,
    clock: Callable[[], float],
    sleep: Callable[[float], Any],
    on_result: Callable[[BatchResult], object] | None = None,
) -> Coroutine[Any, Any, BatchReport] | AsyncBatchRun:
    """The async client's ``predict_batch``: a coroutine of the report (with ``output``),
    or the results as an async iterator."""
    if output is not None:
        return run_async(predict, requests, concurrency=concurrency, output=output,
                         progress=progress, clock=clock, sleep=sleep,
                         on_result=on_result)  # fmt: skip

    def start(handed: Callable[[BatchResult], object]) -> Coroutine[Any, Any, BatchReport]:
        def both(result: BatchResult) -> None:
            handed(result)
            if on_result is not None:
                on_result(result)

        return run_async(predict, requests, concurrency=concurrency, output=None,
                         progress=progress, clock=clock, sleep=sleep, on_result=both)  # fmt: skip

    return AsyncBatchRun(start)
