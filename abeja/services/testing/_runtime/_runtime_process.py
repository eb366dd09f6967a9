"""The real-runtime mode: each service instance is an ``abejaruntime`` process, started as
the platform starts it, and the emulator speaks the serving proxy's side of its protocol.

The process runs ``python -m abejaruntime36.run`` in the handler's source directory with
``ABEJA_IPC_PATH`` (a unix socket), ``HANDLER``, ``CONTEXT`` and the ``ABEJA_*``
variables. A request is one frame on that socket: 3 magic bytes, a version byte, a
4-byte big-endian length, then JSON whose contents name files holding the bodies; the
reply is a frame of the same kind naming the file that holds the answer.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any

from ._proxy import ProxyRequest, RuntimeReply, reply_problem

MAGIC = b"\xab\xe9\xa0\x01"
"""The frame header: magic bytes and protocol version 1."""

_BASE_VARIABLES = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "SYSTEMROOT")


class RuntimeUnavailable(Exception):
    """The runtime process could not be started, or died (the proxy answers 503)."""


def runtime_available(python: str) -> bool:
    """Whether ``python`` can import abejaruntime (1.1.1 runs on Python 3.10-3.12)."""
    done = subprocess.run(
        [python, "-c", "import abejaruntime36.run"],
        capture_output=True,
        timeout=60,
        check=False,
    )
    return done.returncode == 0


class RuntimeProcess:
    """One service instance: a runtime process and the socket the proxy talks to it on."""

    def __init__(
        self,
        python: str,
        source: Path,
        environment: Mapping[str, str],
        log: Callable[[str], None],
        *,
        start_timeout: float = 60.0,
    ) -> None:
        self._folder = Path(tempfile.mkdtemp(prefix="abeja-runtime-"))
        self.socket_path = str(self._folder / "ipc.sock")
        variables = {k: os.environ[k] for k in _BASE_VARIABLES if k in os.environ}
        variables.update(environment)
        variables["ABEJA_IPC_PATH"] = self.socket_path
        variables["PYTHONUNBUFFERED"] = "1"
        try:
            self._process = subprocess.Popen(
                [python, "-m", "abejaruntime36.run"],
                cwd=source,
                env=variables,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a Ctrl-C meant for the host is not the runtime's
            )
        except OSError as error:  # no interpreter, or the source directory is gone
            shutil.rmtree(self._folder, ignore_errors=True)
            raise RuntimeUnavailable(f"the runtime could not start: {error}") from None
        assert self._process.stdout is not None
        self._reader = threading.Thread(
            target=_forward_lines, args=(self._process.stdout, log), daemon=True
        )
        self._reader.start()
        self._wait_until_listening(start_timeout)

    def _wait_until_listening(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                self.close()
                raise RuntimeUnavailable(f"the runtime exited with {self._process.returncode}")
            if os.path.exists(self.socket_path):
                return
            time.sleep(0.02)
        self.close()
        raise RuntimeUnavailable(f"the runtime did not listen within {timeout:g} s")

    def call(self, request: ProxyRequest) -> RuntimeReply:
        """Send one request and wait for the runtime's reply."""
        folder = Path(tempfile.mkdtemp(prefix="request-", dir=self._folder))
        try:
            message = self._message(request, folder)
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
                connection.connect(self.socket_path)
                connection.sendall(MAGIC + struct.pack(">I", len(message)) + message)
                reply = json.loads(_read_frame(connection))
            return _reply(reply)
        except OSError as error:
            raise RuntimeUnavailable(f"the runtime did not answer: {error}") from None
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    @staticmethod
    def _message(request: ProxyRequest, folder: Path) -> bytes:
        contents: list[dict[str, Any]] = []
        for number, part in enumerate(request.parts):
            path = folder / f"content-{number}"
            with path.open("wb") as file:
                shutil.copyfileobj(part.body, file, 1 << 20)
            content: dict[str, Any] = {"path": str(path)}
            for key in ("content_type", "file_name", "form_name"):
                if getattr(part, key) is not None:
                    content[key] = getattr(part, key)
            contents.append(content)
        message = {
            "method": request.method,
            "content_type": request.content_type,
            "headers": request.headers,
            "contents": contents,
        }
        return json.dumps(message).encode()

    @property
    def alive(self) -> bool:
        """Whether the process is still running."""
        return self._process.poll() is None

    def close(self) -> None:
        """Stop the process as the platform does (SIGINT, then SIGKILL) and clean up."""
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGINT)
            try:
                self._process.wait(5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(5)
        self._reader.join(5)
        if self._process.stdout is not None:
            self._process.stdout.close()
        shutil.rmtree(self._folder, ignore_errors=True)


def _forward_lines(stream: IO[bytes], log: Callable[[str], None]) -> None:
    for raw in iter(stream.readline, b""):
        line = raw.decode("utf-8", "replace").rstrip()
        if line.strip():
            log(line)


def _read_exactly(connection: socket.socket, size: int) -> bytes:
    chunks = []
    while size:
        chunk = connection.recv(min(size, 1 << 20))
        if not chunk:
            raise ConnectionError("the runtime closed the connection mid-reply")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _read_frame(connection: socket.socket) -> bytes:
    header = _read_exactly(connection, 8)
    if header[:4] != MAGIC:
        raise ConnectionError(f"unexpected frame header {header[:4].hex()}")
    (length,) = struct.unpack(">I", header[4:])
    return _read_exactly(connection, length)


def _reply(reply: dict[str, Any]) -> RuntimeReply:
    problem = reply_problem(reply.get("status_code"), reply.get("metadata"))
    if problem is not None:
        _remove(reply.get("path"))
        return RuntimeReply(500, error_message=problem)
    status = int(reply.get("status_code") or 200)
    if reply.get("error_message") is not None:
        return RuntimeReply(status, error_message=str(reply["error_message"]))
    body = b""
    path = reply.get("path")
    if path:
        body = Path(path).read_bytes()
        _remove(path)
    metadata = {str(k): str(v) for k, v in (reply.get("metadata") or {}).items()}
    return RuntimeReply(status, reply.get("content_type"), metadata, body)


def _remove(path: object) -> None:
    if isinstance(path, str) and path:
        Path(path).unlink(missing_ok=True)


class RuntimeProcesses:
    """The running instances of every service, started on their first request."""

    def __init__(self, python: str) -> None:
        self.python = python
        self._lock = threading.Lock()
        self._processes: dict[tuple[Any, ...], RuntimeProcess] = {}

    def instance(
        self,
        key: tuple[Any, ...],
        source: Path,
        environment: Mapping[str, str],
        log: Callable[[str], None],
    ) -> RuntimeProcess:
        """The process for ``key`` (service, version, instance, environment), started if
        it is not running. Only one request uses an instance at a time, so this does not
        race for one key."""
        with self._lock:
            process = self._processes.get(key)
        if process is not None and process.alive:
            return process
        process = RuntimeProcess(self.python, source, environment, log)
        with self._lock:
            self._processes[key] = process
        return process

    def discard(self, service_id: str) -> None:
        """Stop a service's processes (it was stopped, deleted or changed)."""
        with self._lock:
            keys = [key for key in self._processes if key[0] == service_id]
            gone = [self._processes.pop(key) for key in keys]
        for process in gone:
            process.close()

    def close(self) -> None:
        """Stop every process."""
        with self._lock:
            gone = list(self._processes.values())
            self._processes.clear()
        for process in gone:
            process.close()


def runtime_processes(runtime: str, python: str | None) -> RuntimeProcesses | None:
    """The processes of the ``abejaruntime`` mode; None for the in-process mode."""
    if runtime == "in-process":
        return None
    if runtime != "abejaruntime":
        raise ValueError(f"runtime is 'in-process' or 'abejaruntime', not {runtime!r}")
    python = python or sys.executable
    if not runtime_available(python):
        raise RuntimeError(
            f"{python} cannot import abejaruntime: pip install 'abeja-services[runtime]' "
            "(abejaruntime 1.1.1 runs on Python 3.10-3.12)"
        )
    return RuntimeProcesses(python)
