"""``predict-batch``: a data set through a service (or an endpoint), as fast as it allows.

Exit 0 when every request succeeded, 1 when any failed (each is a line of the results
file), 130 on Ctrl-C once what was in flight is recorded (run it again with the same
``--results`` to resume; a second Ctrl-C abandons what is in flight).
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import click

from .._main import Options, cli, pass_options
from ._setup import complete_service_id


def _lines(stream: IO[str]) -> Iterator[Any]:
    """Each non-blank line as ``{"json": value}`` (read as it is needed)."""
    from ..._batch._results import BadInput

    for number, line in enumerate(stream, 1):
        if not line.strip():
            continue
        try:
            yield {"json": json.loads(line)}
        except (ValueError, RecursionError):
            yield BadInput(f"line {number} is not JSON: {line.strip()[:60]!r}")


def _files(folder: Path) -> Iterator[dict[str, Any]]:
    """Each file of ``folder`` (sorted, not hidden) as data, its content type guessed."""
    for path in sorted(folder.iterdir()):
        if path.is_file() and not path.name.startswith("."):
            yield {"data": path}


def _inputs(source: str) -> Iterator[Any]:
    if source == "-":
        yield from _lines(sys.stdin)
        return
    path = Path(source)
    if path.is_dir():
        yield from _files(path)
        return
    with open(path, encoding="utf-8") as stream:
        yield from _lines(stream)


EVERY = 100
"""When not on a terminal, a progress line every this many results."""


class _Lines:
    """Plain progress lines on stderr (piped, or without tqdm)."""

    def __init__(self) -> None:
        self.done = 0
        self.failed = 0

    def __call__(self, result: Any) -> None:
        self.done += 1
        self.failed += 0 if result.ok else 1
        if self.done % EVERY == 0:
            click.echo(f"{self.done} done, {self.failed} failed", err=True)


def _summary(report: Any) -> str:
    p95 = f", p95 {report.p95_seconds:.3f} s" if report.p95_seconds is not None else ""
    skipped = f", {report.skipped} skipped (done before)" if report.skipped else ""
    return (
        f"{report.succeeded} succeeded, {report.failed} failed{skipped}; "
        f"{report.requests_per_second:.1f} requests/s{p95}; results in {report.output}"
    )


@cli.command("predict-batch")
@click.argument("deployment_id")
@click.argument("service_id", required=False, shell_complete=complete_service_id)
@click.option("--input", "source", required=True, metavar="FILE.jsonl|FOLDER|-",
              help="JSON lines (one request body each), a folder (each file sent as "
              "data), or - for standard input.")  # fmt: skip
@click.option("--results", "results", required=True, metavar="FILE.jsonl",
              type=click.Path(dir_okay=False, path_type=Path),
              help="One JSON line per request; run again with it to resume.")  # fmt: skip
@click.option("--concurrency", type=click.IntRange(1, 1024), default=8, show_default=True)
@click.option("--endpoint", metavar="ALIAS",
              help="Through an endpoint (with no SERVICE_ID: the default one).")  # fmt: skip
@pass_options
def predict_batch(
    options: Options,
    deployment_id: str,
    service_id: str | None,
    source: str,
    results: Path,
    concurrency: int,
    endpoint: str | None,
) -> None:
    """Send every request of a data set, at most --concurrency at once; resumable.

    Each request is sent once (a 429 goes again after its Retry-After, and lowers the
    concurrency); a failure is a line of the results file and never stops the batch.
    Exit 0 when every request succeeded, 1 when any failed; 130 on Ctrl-C, once what was
    in flight is recorded.

    \b
    Examples:
      abeja-services predict-batch 9999999999999 ser-abc1111111111111 \\
          --input rows.jsonl --results scored.jsonl --concurrency 16
      abeja-services predict-batch 9999999999999 --endpoint default \\
          --input ./images --results scored.jsonl
    """
    from ..._batch._api import BatchInterrupted  # here: `--help` does not pay for the SDK

    if source != "-" and not Path(source).exists():
        raise click.BadParameter(f"{source} does not exist", param_hint="--input")
    if service_id is None and endpoint is None:
        endpoint = "default"
    on_terminal = sys.stderr.isatty() and importlib.util.find_spec("tqdm") is not None
    lines = None if on_terminal else _Lines()
    client = options.client()
    requests = _inputs(source)
    try:
        if service_id is not None:
            report = client.services.predict_batch(
                deployment_id, service_id, requests, concurrency=concurrency, output=results,
                progress=on_terminal, on_result=lines,
            )  # fmt: skip
        else:
            report = client.endpoints.predict_batch(
                deployment_id, requests, endpoint=None if endpoint == "default" else endpoint,
                concurrency=concurrency, output=results, progress=on_terminal,
                on_result=lines,
            )  # fmt: skip
    except BatchInterrupted as interrupted:
        click.echo(_summary(interrupted.report), err=True)
        click.echo(f"interrupted: run it again with --results {results} to resume", err=True)
        click.get_current_context().exit(130)
    click.echo(_summary(report), err=True)
    if report.failed:
        click.get_current_context().exit(1)
