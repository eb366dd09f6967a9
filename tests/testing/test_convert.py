"""Handler answers to HTTP, case by case and byte for byte against the platform runtime's
own converter (abejaruntime 1.1.1, installed by the dev extra)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from abeja.services.testing._runtime._convert import convert

from .abejaruntime import runtime_python

CASES_SOURCE = """
import array, datetime, http
CASES = [
    {"content": {"a": 1}},
    {"content_type": "application/json", "content": {"a": 1, "b": [1, 2.5, None, True]}},
    {"content_type": "application/json", "content": [{"a": 1}, {"a": 2}]},
    {"content_type": "application/json",
     "content": [[("apple", 103), ("orange", 250)], [("apple", 345)]]},
    {"content_type": "text/csv",
     "content": [{"apple": 103, "orange": 250}, {"apple": 345, "orange": 87}]},
    {"content_type": "text/csv; charset=utf-8", "content": [[("a", 1), ("b", "x,y")]]},
    {"content_type": "text/csv", "content": [{"a": 1}, "trailing text"]},
    {"content_type": "image/png", "content": b"\\x89PNG\\r\\n"},
    {"content_type": "image/png", "content": [b"\\x89PNG", b"\\r\\n"]},
    {"content_type": "application/octet-stream", "content": [bytearray(b"ab")]},
    {"content": "plain text"},
    {"content_type": "application/json", "content": "a string"},
    {"content": ["line 1", "line 2"]},
    {"content": ["text", {"a": 1}, b"raw"]},
    {"content": None},
    {"content": []},
    {},
    {"status_code": 201, "content": {}},
    {"status_code": http.HTTPStatus.ACCEPTED, "content": {}},
    {"metadata": {"X-Custom": "1", "Retry-After": "5"}, "content": {}},
    {"content_type": "application/json",
     "content": {"\\u00fc": "\\u65e5\\u672c", "emoji": "\\U0001f600"}},
    {"content": {"when": datetime.datetime(2026, 1, 1, 9, 0, tzinfo=datetime.timezone.utc)}},
    {"content": 5},
    {"content": 2.5},
    {"content": (1, 2, 3)},
    {"content": ({"n": n} for n in range(2))},
    {"content": {1: "int key"}},
    {"content": [[1, 2]]},
    {"content": [[(1, 2, 3)]]},
    {"content_type": None, "content": {}},
    {"content": {"x": object()}},
    {"content_type": "application/json", "content": [{"i": i} for i in range(2000)]},
    {"content": array.array("b", [1, 2])},
    {"content": [array.array("B", [65, 66])]},
]
"""

RUNTIME_SCRIPT = """
import json, sys
from abejaruntime36.converter.converter import convert_from_response
namespace = {}
exec(sys.stdin.read(), namespace)
out = []
for case in namespace["CASES"]:
    try:
        r = convert_from_response(case)
        headers = {str(k): str(v) for k, v in r.metadata.items()}
        out.append(["ok", int(r.status_code), r.content_type, headers, bytes(r.tobytes()).hex()])
    except Exception as error:
        out.append(["error", type(error).__name__])
print(json.dumps(out))
"""


def _ours() -> list[Any]:
    namespace: dict[str, Any] = {}
    exec(CASES_SOURCE, namespace)  # noqa: S102 - our own test cases, shared with the runtime
    out: list[Any] = []
    for case in namespace["CASES"]:
        try:
            result = convert(case)
            out.append(
                ["ok", result.status, result.content_type, result.headers, result.body.hex()]
            )
        except Exception as error:  # noqa: BLE001 - compared with the runtime's
            out.append(["error", type(error).__name__])
    return out


def test_the_cases_cover_the_runtimes_rules() -> None:
    namespace: dict[str, Any] = {}
    exec(CASES_SOURCE, namespace)  # noqa: S102
    assert len(namespace["CASES"]) >= 25


def test_conversion_is_the_runtimes_byte_for_byte(tmp_path: Path) -> None:
    done = subprocess.run(
        [runtime_python(), "-c", RUNTIME_SCRIPT],
        input=CASES_SOURCE,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    theirs = json.loads(done.stdout.strip().splitlines()[-1])
    ours = _ours()
    assert len(ours) == len(theirs)
    for number, (mine, runtime) in enumerate(zip(ours, theirs, strict=True)):
        assert mine == runtime, f"case {number}"
