"""The emulator's multipart splitter: the same parts as the ``email`` parser gives, read
part by part from disk, so a 200 MiB upload costs the emulator little memory."""

from __future__ import annotations

import email.parser
import email.policy
import io
import json
import os
import posixpath
import subprocess
import sys
import time
from pathlib import Path

import pytest

from abeja.services import ServiceClient
from abeja.services.testing._runtime._multipart import (
    MalformedMultipart,
    boundary_of,
    split_multipart,
)

BODIES = {
    "two parts": (
        b'--B\r\nContent-Disposition: form-data; name="image"; filename="dir/cat.png"\r\n'
        b"Content-Type: image/png\r\n\r\n\x89PNG\r\n\x00\r\n"
        b'--B\r\nContent-Disposition: form-data; name="label"\r\n\r\ncat\r\n--B--\r\n'
    ),
    "preamble and epilogue": b"ignored\r\n--B\r\nX-A: 1\r\n\r\nbody\r\n--B--\r\nepilogue",
    "padding after the delimiter": b"--B  \t\r\nContent-Type: text/plain\r\n\r\nx\r\n--B--",
    "a part without headers": b"--B\r\n\r\nbare\r\n--B--\r\n",
    "a delimiter-like line inside": b"--B\r\n\r\nline\r\n--Bx no\r\nmore\r\n--B--\r\n",
    "base64": b"--B\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n--B--\r\n",
    "attachment": b'--B\r\nContent-Disposition: attachment; filename="n.txt"\r\n\r\nx\r\n--B--',
    "empty part": b"--B\r\nContent-Type: text/plain\r\n\r\n\r\n--B--\r\n",
}


def _by_email(body: bytes, boundary: str) -> list[tuple[bytes, str | None, str | None, str | None]]:
    head = f"Content-Type: multipart/form-data; boundary={boundary}\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    parts = []
    for part in message.iter_parts():
        payload = part.get_payload(decode=True)
        name = part.get_filename()
        form = part.get_param("name", header="content-disposition")
        parts.append((
            payload if isinstance(payload, bytes) else b"",
            str(part["Content-Type"]) if part["Content-Type"] else None,
            posixpath.basename(name) if name else None,
            str(form) if form and part.get_content_disposition() == "form-data" else None,
        ))  # fmt: skip
    return parts


@pytest.mark.parametrize("name", sorted(BODIES))
def test_the_parts_are_the_ones_the_email_parser_finds(name: str) -> None:
    body = BODIES[name]
    parts = split_multipart(io.BytesIO(body), "B")
    mine = [(p.body.read(), p.content_type, p.file_name, p.form_name) for p in parts]
    for part in parts:
        part.body.close()
    assert mine == _by_email(body, "B")


@pytest.mark.parametrize("chunk", [1, 3, 7, 64])
def test_a_boundary_split_across_reads_is_found(
    chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    import abeja.services.testing._runtime._multipart as multipart

    monkeypatch.setattr(multipart, "CHUNK", chunk)
    body = BODIES["two parts"]
    parts = split_multipart(io.BytesIO(body), "B")
    assert [p.body.read() for p in parts] == [b"\x89PNG\r\n\x00", b"cat"]
    for part in parts:
        part.body.close()


@pytest.mark.parametrize(
    "body", [b"no boundary at all", b"--B\r\nX: 1\r\n\r\nnever closed", b"--B\r\nX: 1"]
)
def test_a_body_that_is_not_multipart_is_refused(body: bytes) -> None:
    with pytest.raises(MalformedMultipart):
        split_multipart(io.BytesIO(body), "B")


def test_the_boundary_parameter_is_read_quoted_or_not() -> None:
    assert boundary_of('multipart/form-data; boundary="a b"') == "a b"
    assert boundary_of("multipart/form-data; boundary=XyZ; charset=utf-8") == "XyZ"
    assert boundary_of("multipart/form-data") is None


HANDLER = """
def handler(request, context):
    sizes = []
    for content in request["contents"]:
        size = 0
        while True:
            chunk = content["body"].read(1 << 16)
            if not chunk:
                break
            size += len(chunk)
        sizes.append(size)
    return {"status_code": 200, "content_type": "application/json", "content": {"sizes": sizes}}
"""


def _peak_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


@pytest.mark.long  # a memory figure: 200 MiB through the emulator, about 4 s of a worker
def test_a_200_mib_multipart_upload_adds_under_32_mib_to_the_emulator(tmp_path: Path) -> None:
    (tmp_path / "sizes.py").write_text(HANDLER)
    upload = tmp_path / "upload.bin"
    size = 200 * 1024 * 1024
    with upload.open("wb") as out:
        out.write(b'--B\r\nContent-Disposition: form-data; name="f"; filename="big"\r\n\r\n')
        block = os.urandom(1 << 20)
        for _ in range(200):
            out.write(block)
        out.write(b'\r\n--B\r\nContent-Disposition: form-data; name="s"\r\n\r\nsmall\r\n--B--\r\n')
    script = Path(sys.executable).parent / "abeja-service-emulator"
    process = subprocess.Popen(
        [str(script), "--port", "0", "--ready-delay", "0", "--handler", "sizes:handler"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().split(" on ", 1)[1].strip()
        with ServiceClient(
            "1111111111111",
            base_url=url,
            credential={"auth_token": "emulator-token"},
            service_url_template=url + "/o/{organization_id}",
        ) as client:
            service = client.services.create("9999999999999", version_id="ver-abc3333333333333")
            service.wait_until_ready(timeout=30, poll_interval=0.05)
            service.predict(json={"warm": "up"})  # the handler imported, the first request done
            time.sleep(0.2)
            before = _peak_kib(process.pid)
            answer = service.predict(
                data=upload, content_type="multipart/form-data; boundary=B", timeout=120
            )
            after = _peak_kib(process.pid)
        assert json.loads(answer.content) == {"sizes": [size, 5]}
        assert (after - before) / 1024 < 32, f"+{(after - before) / 1024:.0f} MiB"
        print(f"emulator: a 200 MiB multipart upload: peak RSS +{(after - before) / 1024:.1f} MiB")
    finally:
        process.terminate()
        process.communicate(timeout=10)
