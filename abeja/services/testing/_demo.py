"""The emulator's default model handler, written against the platform runtime's request
only (it runs unchanged in both runtime modes and on the platform)."""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any


def handler(request: Any, context: Any) -> dict[str, Any]:
    """Echo a JSON body; describe any other body (content type, size, sha256)."""
    model_version = os.environ.get("ABEJA_MODEL_VERSION", "")
    content_type = request["content_type"]
    if content_type.split(";")[0].strip().lower() == "application/json":
        payload = json.loads(request.read())
        print(f"demo model {model_version}: received {type(payload).__name__}")
        content: dict[str, Any] = {"echo": payload, "model_version": model_version}
    else:
        digest = hashlib.sha256()
        size = 0
        while chunk := request.read(1 << 16):
            digest.update(chunk)
            size += len(chunk)
        print(f"demo model {model_version}: received {size} bytes")
        content = {"content_type": content_type, "bytes": size, "sha256": digest.hexdigest()}
    return {"status_code": 200, "content_type": "application/json", "content": content}
