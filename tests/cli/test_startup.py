"""``abeja-services --help`` (and any command's) imports neither the SDK's HTTP stack nor
pydantic: the command line starts at click's cost (``make bench`` times it)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("pydantic", "requests", "urllib3", "tenacity", "abeja.services.models")
PROBE = """
import json, sys
from abeja.services.cli import main
main({argv!r})
heavy = sorted(m for m in sys.modules if m in {heavy!r} or m.split(".")[0] in {heavy!r})
print(json.dumps(heavy), file=sys.stderr)
"""


@pytest.mark.parametrize("argv", [["--help"], ["rollout", "--help"], ["logs", "--help"]])
def test_help_loads_nothing_heavy(argv: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(argv=argv, heavy=HEAVY)],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert json.loads(done.stderr.strip().splitlines()[-1]) == []
    assert "Usage:" in done.stdout


def test_a_command_that_calls_the_api_still_loads_the_sdk() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(argv=["list", "9999999999999"], heavy=HEAVY)],
        capture_output=True, text=True, timeout=60, check=False,
        env={"HOME": "/nonexistent", "ABEJA_API_URL": "http://127.0.0.1:9",
             "PLATFORM_AUTH_TOKEN": "x", "ABEJA_ORGANIZATION_ID": "1111111111111",
             "ABEJA_SDK_MAX_RETRY_COUNT": "0"},
    )  # fmt: skip
    assert "requests" in json.loads(done.stderr.strip().splitlines()[-1])
