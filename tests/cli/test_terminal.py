"""The command line as a person at a terminal sees it (a pseudo-terminal, ``pexpect``) and
as a pipe sees it: live wait lines, polling at ``--interval``, colour and ``NO_COLOR``,
``--debug``, and examples in the help."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pexpect
import pytest

from abeja.services.cli import cli
from abeja.services.testing import ServiceEmulator

from .test_commands import COMMAND, _environment, run


@pytest.fixture
def emulator() -> Iterator[ServiceEmulator]:
    with ServiceEmulator() as running:
        yield running


def spawn(emulator: ServiceEmulator, *args: str, **env: str) -> pexpect.spawn:
    return pexpect.spawn(
        COMMAND[0],
        [*COMMAND[1:], *args],
        env={**_environment(emulator), **env},
        encoding="utf-8",
        timeout=30,
        dimensions=(24, 160),
    )


def test_wait_redraws_status_and_time_every_second_and_polls_at_the_interval(
    emulator: ServiceEmulator,
) -> None:
    # 4 s: long enough that a slow start of the command (a loaded machine) leaves it
    # polling for 2.5 s at least.
    emulator.ready_delay = 4.0
    service = emulator.client().services.create(
        emulator.deployment_id, version_id=emulator.version_id
    )
    emulator.forget_requests()
    child = spawn(emulator, "wait", emulator.deployment_id, service.service_id, "--interval", "0.5")
    sid = service.service_id
    child.expect(rf"{sid}: IN_PROGRESS \(0 s\)")
    child.expect(rf"\r\x1b\[K{sid}: IN_PROGRESS \(1 s\)")  # redrawn while nothing changes
    child.expect(rf"\r\x1b\[K{sid}: IN_PROGRESS \(2 s\)")
    child.expect(rf"\r\x1b\[K{sid}: READY \([2-5] s\)\r\n")  # the last line stays
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    # Every 0.5 s for at least 2.5 s: 6 polls or more; backing off (0.5 s, growing by half)
    # would have made at most 5 in the 4 s.
    assert 6 <= emulator.count("get") <= 10


def test_wait_piped_prints_one_line_per_status(emulator: ServiceEmulator) -> None:
    # 3 s: the command sees IN_PROGRESS first even when it starts slowly (a loaded machine;
    # at 1 s it once started after the service was READY).
    emulator.ready_delay = 3
    service = emulator.client().services.create(
        emulator.deployment_id, version_id=emulator.version_id
    )
    waited = run(emulator, "wait", emulator.deployment_id, service.service_id, "--interval", "0.2")
    assert waited.returncode == 0, waited.stderr
    lines = waited.stderr.splitlines()
    assert lines[0] == f"{service.service_id}: IN_PROGRESS" and "\x1b" not in waited.stderr
    assert lines[-1].startswith(f"{service.service_id}: READY (")


def test_errors_are_red_on_a_terminal_unless_no_color(emulator: ServiceEmulator) -> None:
    child = spawn(emulator, "get", emulator.deployment_id, "ser-0000000000000000")
    child.expect("\x1b\\[31m\x1b\\[1merror:\x1b\\[0m service ser-0000000000000000 not found")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 6
    plain = spawn(emulator, "get", emulator.deployment_id, "ser-0000000000000000", NO_COLOR="1")
    output = plain.read()
    plain.close()
    assert output.startswith("error: service") and "\x1b" not in output


def test_debug_shows_each_request_without_the_credential(emulator: ServiceEmulator) -> None:
    shown = run(emulator, "--debug", "list", emulator.deployment_id)
    assert shown.returncode == 0, shown.stderr
    assert "debug: " in shown.stderr and "/services" in shown.stderr
    assert emulator.auth_token not in shown.stderr
    quiet = run(emulator, "list", emulator.deployment_id)
    assert quiet.stderr == ""


def _commands() -> list[str]:
    names = []
    for name, command in sorted(cli.commands.items()):
        if name == "emulator":
            continue
        subcommands = getattr(command, "commands", None)
        names += [f"{name} {sub}" for sub in sorted(subcommands)] if subcommands else [name]
    return names


@pytest.mark.parametrize("name", _commands())
def test_every_help_has_an_example(name: str) -> None:
    shown = subprocess.run([*COMMAND, *name.split(), "--help"], capture_output=True, text=True,
                           check=False)  # fmt: skip
    assert shown.returncode == 0
    assert "Examples:" in shown.stdout and "  abeja-services " in shown.stdout, shown.stdout


def test_logs_on_a_terminal_are_lines_and_json_when_piped(emulator: ServiceEmulator) -> None:
    service = emulator.client().services.create(
        emulator.deployment_id, version_id=emulator.version_id
    )
    emulator.add_log_line(service.service_id, "model loaded")
    child = spawn(emulator, "logs", emulator.deployment_id, service.service_id)
    shown = child.read()
    child.close()
    assert child.exitstatus == 0
    assert any(line.endswith(("Z  model loaded", "+00:00  model loaded"))
               for line in shown.splitlines()), shown  # fmt: skip
    assert "{" not in shown
    piped = run(emulator, "logs", emulator.deployment_id, service.service_id)
    assert '"message": "model loaded"' in piped.stdout


def test_tables_have_no_trailing_spaces(emulator: ServiceEmulator) -> None:
    with emulator.client() as client:
        client.services.create(emulator.deployment_id, version_id=emulator.version_id,
                               environment={"A": "1"})  # fmt: skip
    for args in (["list", emulator.deployment_id], ["endpoints", "list", emulator.deployment_id]):
        shown = run(emulator, *args, "-o", "table")
        assert shown.returncode == 0 and shown.stdout, shown.stderr
        assert all(line == line.rstrip() for line in shown.stdout.splitlines()), shown.stdout
