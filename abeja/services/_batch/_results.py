"""Batch prediction's decisions, shared by both drivers (``_drivers``): what one
request's outcome is, how concurrency follows throttling (AIMD), the results file (one JSON
line per request, resumable), and the report.

Each request is sent once, by the rule of ``predict``: the gateway's 429 (it provably did
not arrive) is sent again after its Retry-After, and lowers the concurrency; a 503, a 5xx
or a dropped connection after sending may have acted, so it is recorded as failed, never
resent (a 503 lowers the concurrency too). A failure never stops the batch.
"""

from __future__ import annotations

import base64
import json
import os
import random
import statistics
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from ..errors import Error, HttpError, ServiceUnavailable, TooManyRequests

PREDICT_KEYS = frozenset({"json", "data", "content_type", "timeout"})
SAMPLE = 10_000
"""Latencies kept for the percentiles: all of them up to this many, then a uniform sample
(reservoir), so a batch of millions holds a fixed amount."""
FIRST_THROTTLE_WAIT = 1.0
"""Seconds before a throttled request goes again when the 429 says no Retry-After."""


class BatchResult(BaseModel):
    """One request's outcome, as a line of the results file."""

    index: int
    """Its position in the input (from 0)."""
    ok: bool
    """Whether the service answered 2xx."""
    status_code: int | None = None
    """The HTTP status answered (None when none came)."""
    answer: Any = None
    """The answer, when it is JSON."""
    answer_base64: str | None = None
    """The answer's bytes, base64, when it is not JSON."""
    content_type: str | None = None
    """The answer's content type."""
    error: str | None = None
    """The error's class (``ServiceUnavailable``, ``APITimeoutError``, ``ValueError``...)."""
    message: str | None = None
    """What went wrong, in a sentence."""
    seconds: float = 0.0
    """How long the request took."""


class BatchReport(BaseModel):
    """What a batch did: counts, rate and latency (of the requests sent this run)."""

    succeeded: int = 0
    failed: int = 0
    skipped: int = 0
    """Requests with a line in the results file already (a resumed batch)."""
    throttled: int = 0
    """429 answers, each request sent again after its Retry-After."""
    seconds: float = 0.0
    requests_per_second: float = 0.0
    p50_seconds: float | None = None
    p95_seconds: float | None = None
    lowest_concurrency: int = 0
    """The lowest the concurrency went under throttling."""
    output: str | None = None
    """The results file, when there is one."""
    interrupted: bool = False
    """Ctrl-C (or a cancel) stopped it; the results file resumes it."""
    latencies: list[float] = Field(default_factory=list, exclude=True, repr=False)
    """A uniform sample of the latencies (all of them up to `SAMPLE`), for p50/p95."""


@dataclass
class Throttled:
    """A 429 from the gateway: the request goes again after ``after`` seconds."""

    after: float


class Aimd:
    """Concurrency that halves on throttling and grows by one after ``limit`` successes
    in a row, up to the ceiling asked for."""

    def __init__(self, ceiling: int) -> None:
        self.ceiling = ceiling
        self.limit = ceiling
        self.lowest = ceiling
        self._streak = 0

    def throttled(self) -> None:
        """Halve (at least 1)."""
        self.limit = max(1, self.limit // 2)
        self.lowest = min(self.lowest, self.limit)
        self._streak = 0

    def succeeded(self) -> None:
        """Count a success; grow by one after ``limit`` of them in a row."""
        self._streak += 1
        if self._streak >= self.limit and self.limit < self.ceiling:
            self.limit += 1
            self._streak = 0


class BadInput:
    """An input that cannot be a request (a line that is not JSON): recorded as failed."""

    def __init__(self, reason: str) -> None:
        self.reason = reason


def check_request(index: int, request: object) -> dict[str, Any]:
    """A request's ``predict`` keyword arguments, or a ValueError/TypeError naming it."""
    if isinstance(request, BadInput):
        raise ValueError(f"request {index}: {request.reason}")
    if not isinstance(request, Mapping):
        raise TypeError(f"request {index} must be a dict of predict() arguments")
    unknown = set(request) - PREDICT_KEYS
    if unknown:
        raise ValueError(f"request {index}: unknown {sorted(unknown)}; use {sorted(PREDICT_KEYS)}")
    return dict(request)


def outcome_of(
    index: int, call: Callable[[], Any], clock: Callable[[], float]
) -> BatchResult | Throttled:
    """``call()`` (one predict) as a result; a gateway 429 as `Throttled`."""
    started = clock()
    try:
        response = call()
    except (Error, ValueError, TypeError, OSError) as error:
        return refused(index, error, clock() - started)
    return answered(index, response, clock() - started)


def refused(index: int, error: BaseException, seconds: float) -> BatchResult | Throttled:
    """An error as a result; the gateway's 429 (it did not arrive) as `Throttled`."""
    if isinstance(error, TooManyRequests) and not error.may_have_applied:
        return Throttled(error.retry_after or FIRST_THROTTLE_WAIT)
    return failed(index, error, seconds)


def answered(index: int, response: Any, seconds: float) -> BatchResult:
    """A 2xx answer as a result: JSON as it is, anything else as base64."""
    content_type = response.content_type
    result = BatchResult(
        index=index, ok=True, status_code=response.status_code, content_type=content_type,
        seconds=round(seconds, 6),
    )  # fmt: skip
    if content_type is not None and "json" in content_type:
        try:
            result.answer = response.json()
            return result
        except ValueError:
            pass
    result.answer_base64 = base64.b64encode(response.content).decode()
    return result


def failed(index: int, error: BaseException, seconds: float) -> BatchResult:
    """A failure as a result: its class, its sentence and the status, when one came."""
    status = error.status_code if isinstance(error, HttpError) else None
    message = error.sentence() if isinstance(error, HttpError) else str(error)
    return BatchResult(
        index=index, ok=False, status_code=status, error=type(error).__name__,
        message=message, seconds=round(seconds, 6),
    )  # fmt: skip


def slows_down(result: BatchResult) -> bool:
    """Whether the result says the service is overloaded (a 503)."""
    return result.error == ServiceUnavailable.__name__


class ResultsFile:
    """The results as JSON lines, one per request, appended as each completes.

    Opened on a file that exists, it resumes: the indexes with a whole line are done; a
    torn last line (the process was killed mid-write) is cut off. Each line is written
    with one ``write`` to a file opened for appending, so a line is whole or torn, never
    mixed with another.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.done = Indexes()
        if self.path.exists():
            self._resume()
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def _resume(self) -> None:
        whole = 0
        with open(self.path, "rb") as file:
            for line in file:
                if not line.endswith(b"\n"):
                    break  # torn: cut off below
                try:
                    index = json.loads(line)["index"]
                except (ValueError, KeyError, TypeError):
                    break
                if isinstance(index, int):
                    self.done.add(index)
                whole += len(line)
        if whole != self.path.stat().st_size:
            os.truncate(self.path, whole)

    def append(self, result: BatchResult) -> None:
        """Write ``result``'s line."""
        os.write(self._fd, (result.model_dump_json() + "\n").encode())

    def close(self) -> None:
        """Close the file."""
        os.close(self._fd)


class Indexes:
    """A set of request indexes, one bit each (a million done is 125 KB, not 60 MB)."""

    def __init__(self) -> None:
        self._bits = bytearray()
        self._count = 0

    def add(self, index: int) -> None:
        """Mark ``index`` (a negative one is ignored)."""
        if index < 0:
            return
        byte, bit = divmod(index, 8)
        if byte >= len(self._bits):
            self._bits.extend(bytes(byte + 1 - len(self._bits)))
        if not self._bits[byte] & (1 << bit):
            self._bits[byte] |= 1 << bit
            self._count += 1

    def __contains__(self, index: object) -> bool:
        if not isinstance(index, int) or index < 0:
            return False
        byte, bit = divmod(index, 8)
        return byte < len(self._bits) and bool(self._bits[byte] & (1 << bit))

    def __len__(self) -> int:
        return self._count


@dataclass
class Tally:
    """The report as it grows."""

    clock: Callable[[], float]
    started: float = 0.0
    report: BatchReport = field(default_factory=BatchReport)
    _seen: int = 0
    _random: random.Random = field(default_factory=lambda: random.Random(0))

    def __post_init__(self) -> None:
        self.started = self.clock()

    def add(self, result: BatchResult) -> None:
        """Count one result; its latency joins the sample."""
        if result.ok:
            self.report.succeeded += 1
        else:
            self.report.failed += 1
        self._seen += 1
        latencies = self.report.latencies
        if len(latencies) < SAMPLE:
            latencies.append(result.seconds)
        else:
            slot = self._random.randrange(self._seen)
            if slot < SAMPLE:
                latencies[slot] = result.seconds

    def finish(self, aimd: Aimd) -> BatchReport:
        """The report, with rate and percentiles."""
        report = self.report
        report.seconds = round(self.clock() - self.started, 6)
        sent = report.succeeded + report.failed
        report.requests_per_second = round(sent / report.seconds, 3) if report.seconds else 0.0
        report.lowest_concurrency = aimd.lowest
        if report.latencies:
            ordered = sorted(report.latencies)
            report.p50_seconds = round(statistics.median(ordered), 6)
            report.p95_seconds = round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 6)
        return report
