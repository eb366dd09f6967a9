"""The quickstart, run by `make demo`: a whole service lifecycle against the local emulator.

No account needed. Against the real platform, drop the emulator and set
ABEJA_ORGANIZATION_ID and PLATFORM_AUTH_TOKEN (or a personal access token) instead.
"""

from __future__ import annotations

import os
import struct
import tempfile
import time
import zlib
from pathlib import Path

from abeja.services import APIClient, Service, ServiceClient
from abeja.services.testing import ServiceEmulator


def tiny_png(path: Path) -> Path:
    """Write a 2x2 PNG image (so the demo needs no image file of its own)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00\x00\xff\x00\x00\x00\x00\xff\xff\xff\xff\xff")
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )
    return path


def step(text: str) -> None:
    print(f"\n==> {text}", flush=True)


def show_status(service: Service) -> None:
    print(f"    status: {service.status}", flush=True)


def main() -> None:
    started = time.perf_counter()
    with ServiceEmulator(ready_delay=1.0) as emulator:
        # Point the SDK at the emulator exactly as a user points it at the platform.
        os.environ.update(emulator.env())
        step(f"Local Service API emulator on {emulator.url}")
        deployment_id, version_id = emulator.deployment_id, emulator.version_id

        with ServiceClient() as client:
            step(f"Create a service of deployment {deployment_id}, version {version_id}")
            service = client.services.create(
                deployment_id,
                version_id=version_id,
                environment={"EXAMPLE_ENV": "abc"},
                instance_number=1,
            )
            print(f"    {service.service_id}: {service.status}")

            step("Wait until it is READY")
            service = service.wait_until_ready(
                timeout=60, poll_interval=0.25, on_status=show_status
            )

            step("Predict with JSON")
            answer = service.predict(json={"foo": "bar", "baz": "qux"})
            print(f"    {answer.status_code} {answer.content_type}: {answer.json()}")
            print(f"    served by model version {answer.model_version}")

            step("Predict with an image file (streamed, content type from its name)")
            with tempfile.TemporaryDirectory() as folder:
                image = tiny_png(Path(folder) / "cat.png")
                print(f"    {service.predict(data=image).json()}")

            step("Read the logs, newest first")
            for event in service.iter_logs(limit=6):
                print(f"    {event.timestamp:%H:%M:%S} {event.message}")

            step("Scale it to 2 instances")
            service = service.update(instance_number=2)
            service = service.wait_until_ready(
                timeout=60, poll_interval=0.25, on_status=show_status
            )
            print(f"    instances: {service.instance_number}")

            step("Stop it, then start it again")
            print(f"    {service.stop().message}")
            show_status(service.wait_until_stopped(timeout=60, poll_interval=0.25))
            print(f"    {service.start().message}")
            service = service.wait_until_ready(
                timeout=60, poll_interval=0.25, on_status=show_status
            )

            step("The abeja-sdk compatible client sees the same service")
            api = APIClient()
            entries = api.list_services(emulator.organization_id, deployment_id)["entries"]
            print(f"    list_services: {[(e['service_id'], e['status']) for e in entries]}")

            step("Delete it")
            print(f"    {service.delete().message}")
            service.wait_until_deleted(timeout=60, poll_interval=0.25)
            print(f"    services left: {len(client.services.list(deployment_id))}")

    print(f"\nDone in {time.perf_counter() - started:.1f} s.")


if __name__ == "__main__":
    main()
