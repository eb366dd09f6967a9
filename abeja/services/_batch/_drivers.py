"""Batch prediction's two drivers: threads for the sync client, tasks for the async one.

Both keep at most the current concurrency in flight and read the input only when a slot is
free (a generator of ten million rows is never held), record every outcome as it comes
(in completion order), and on Ctrl-C (or a cancel) stop sending, wait for what is in
flight and record it, then raise: a second Ctrl-C abandons what is still in flight. The
decisions are ``_batch``'s; only the waiting differs.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
from collections import deque
from collections.abc import AsyncIterator, Callable, Generator, Iterator
from typing import Any

from ..errors import Error
from ._results import (
    Aimd,
    BatchResult,
    Indexes,
    Tally,
    Throttled,
    answered,
    check_request,
    failed,
    outcome_of,
    refused,
    slows_down,
)


class Queue:
    """What is left to send: requests sent back by a 429 (due at a time), then the input
    (skipping the indexes done already)."""

    def __init__(self, done: Indexes | set[int], tally: Tally, clock: Callable[[], float]) -> None:
        self._done = done
        self._tally = tally
        self._clock = clock
        self.retry: deque[tuple[float, int, dict[str, Any]]] = deque()
        self.exhausted = False

    def due(self) -> tuple[int, dict[str, Any]] | None:
        """A throttled request whose wait is over, if any."""
        if self.retry and self.retry[0][0] <= self._clock():
            _, index, request = self.retry.popleft()
            return index, request
        return None

    def wait(self) -> float | None:
        """Seconds until the next throttled request is due (None: none waits)."""
        return max(0.0, self.retry[0][0] - self._clock()) if self.retry else None

    def skip(self, index: int) -> bool:
        """Whether ``index`` is done already (counted as skipped)."""
        if index in self._done:
            self._tally.report.skipped += 1
            return True
        return False

    def again(self, index: int, request: dict[str, Any], after: float) -> None:
        """Send ``request`` again after ``after`` seconds (a 429)."""
        self._tally.report.throttled += 1
        self.retry.append((self._clock() + after, index, request))


def settle(
    index: int,
    request: dict[str, Any],
    outcome: BatchResult | Throttled,
    queue: Queue,
    aimd: Aimd,
    tally: Tally,
) -> BatchResult | None:
    """Record one outcome; None when the request goes again."""
    if isinstance(outcome, Throttled):
        aimd.throttled()
        queue.again(index, request, outcome.after)
        return None
    if slows_down(outcome):
        aimd.throttled()
    elif outcome.ok:
        aimd.succeeded()
    tally.add(outcome)
    return outcome


def run_threads(
    requests: Iterator[Any],
    predict: Callable[..., Any],
    aimd: Aimd,
    done: Indexes | set[int],
    tally: Tally,
    sleep: Callable[[float], object],
) -> Generator[BatchResult, None, None]:
    """The sync driver: ``predict(**request)`` on ``aimd.ceiling`` threads at most."""
    clock = tally.clock
    queue = Queue(done, tally, clock)
    source = enumerate(requests)
    pending: dict[concurrent.futures.Future[Any], tuple[int, dict[str, Any]]] = {}
    pool = concurrent.futures.ThreadPoolExecutor(aimd.ceiling, thread_name_prefix="abeja-batch")
    try:
        try:
            while True:
                while len(pending) < aimd.limit:
                    item = queue.due()
                    if item is None and not queue.exhausted:
                        pulled = _pulled(source, queue)
                        if isinstance(pulled, BatchResult):
                            tally.add(pulled)
                            yield pulled
                            continue
                        item = pulled
                    if item is None:
                        break
                    index, request = item
                    call = functools.partial(predict, **request)
                    pending[pool.submit(outcome_of, index, call, clock)] = item
                if not pending:
                    wait = queue.wait()
                    if wait is None:
                        break
                    sleep(wait)
                    continue
                finished, _ = concurrent.futures.wait(
                    pending, timeout=queue.wait(), return_when=concurrent.futures.FIRST_COMPLETED
                )
                for future in finished:
                    index, request = pending.pop(future)
                    settled = settle(index, request, future.result(), queue, aimd, tally)
                    if settled is not None:
                        yield settled
        except KeyboardInterrupt:
            tally.report.interrupted = True
            for future in concurrent.futures.as_completed(list(pending)):  # a 2nd Ctrl-C: go
                index, request = pending.pop(future)
                settled = settle(index, request, future.result(), queue, aimd, tally)
                if settled is not None:
                    yield settled
            raise
    finally:
        for future in pending:
            future.cancel()
        pool.shutdown(wait=not pending, cancel_futures=True)


def _pulled(
    source: Iterator[tuple[int, Any]], queue: Queue
) -> tuple[int, dict[str, Any]] | BatchResult | None:
    """The next input to send; a bad one as a failed result (nothing sent); None at the end."""
    for index, request in source:
        if queue.skip(index):
            continue
        try:
            return index, check_request(index, request)
        except (ValueError, TypeError) as error:
            return failed(index, error, 0.0)
    queue.exhausted = True
    return None


class _Tasks:
    """The async driver's state: the queue, the tasks in flight, the requests read."""

    def __init__(
        self,
        requests: AsyncIterator[Any],
        predict: Callable[..., Any],
        aimd: Aimd,
        done: Indexes | set[int],
        tally: Tally,
        on_result: Callable[[BatchResult], object],
    ) -> None:
        self.requests, self.predict, self.aimd, self.tally = requests, predict, aimd, tally
        self.on_result = on_result
        self.clock = tally.clock
        self.queue = Queue(done, tally, self.clock)
        self.counter = 0
        self.pending: dict[asyncio.Task[Any], tuple[int, dict[str, Any]]] = {}

    async def _attempt(self, index: int, call: Callable[[], Any]) -> BatchResult | Throttled:
        started = self.clock()
        try:
            response = await call()
        except (Error, ValueError, TypeError, OSError) as error:  # as `outcome_of` does
            return refused(index, error, self.clock() - started)
        return answered(index, response, self.clock() - started)

    async def _read(self) -> tuple[int, dict[str, Any]] | None:
        """The next request, read and checked; None to look again (none left, one already
        done, or one refused and recorded)."""
        try:
            request = await anext(self.requests)
        except StopAsyncIteration:
            self.queue.exhausted = True
            return None
        index, self.counter = self.counter, self.counter + 1
        if self.queue.skip(index):
            return None
        try:
            return index, check_request(index, request)
        except (ValueError, TypeError) as error:
            result = failed(index, error, 0.0)
            self.tally.add(result)
            self.on_result(result)
            return None

    async def fill(self) -> None:
        """Start tasks up to the AIMD limit: requests due again first, then new ones."""
        while len(self.pending) < self.aimd.limit:
            item = self.queue.due()
            if item is None and not self.queue.exhausted:
                item = await self._read()
                if item is None:
                    continue
            if item is None:
                break
            call = functools.partial(self.predict, **item[1])
            self.pending[asyncio.ensure_future(self._attempt(item[0], call))] = item

    def settle(self, finished: set[asyncio.Task[Any]], *, interrupted: bool = False) -> None:
        """Record the ``finished`` tasks (once interrupted, only those that answered)."""
        for task in finished:
            index, request = self.pending.pop(task)
            if interrupted and (task.cancelled() or task.exception() is not None):
                continue
            settled = settle(index, request, task.result(), self.queue, self.aimd, self.tally)
            if settled is not None:
                self.on_result(settled)


async def run_tasks(
    requests: AsyncIterator[Any],
    predict: Callable[..., Any],
    aimd: Aimd,
    done: Indexes | set[int],
    tally: Tally,
    sleep: Callable[[float], Any],
    on_result: Callable[[BatchResult], object],
) -> None:
    """The async driver: ``await predict(**request)`` as ``aimd.ceiling`` tasks at most."""
    run = _Tasks(requests, predict, aimd, done, tally, on_result)
    try:
        while True:
            await run.fill()
            if not run.pending:
                wait = run.queue.wait()
                if wait is None:
                    break
                await sleep(wait)
                continue
            finished, _ = await asyncio.wait(
                run.pending, timeout=run.queue.wait(), return_when=asyncio.FIRST_COMPLETED
            )
            run.settle(finished)
    except (asyncio.CancelledError, KeyboardInterrupt):
        tally.report.interrupted = True
        if run.pending:
            finished, _ = await asyncio.wait(run.pending)  # what is in flight is recorded
            run.settle(finished, interrupted=True)
        raise
    finally:
        for task in run.pending:
            task.cancel()
