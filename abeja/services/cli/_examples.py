"""Examples shown at the end of each command's ``--help`` (the commands whose own help
text does not already end with them)."""

from __future__ import annotations

import click

_D, _S = "9999999999999", "ser-0a1b2c3d4e5f6a7b"

EXAMPLES: dict[str, tuple[str, ...]] = {
    "list": (f"abeja-services list {_D} -o table",),
    "get": (f"abeja-services get {_D} {_S}",),
    "update": (
        f"abeja-services update {_D} {_S} --instance-number 2",
        f"abeja-services update {_D} {_S} --instance-number 4 --max-instance-number 4",
    ),
    "delete": (f"abeja-services delete {_D} {_S}",),
    "start": (f"abeja-services start {_D} {_S} && abeja-services wait {_D} {_S}",),
    "stop": (f"abeja-services stop {_D} {_S} && abeja-services wait {_D} {_S} --for stopped",),
    "logs": (
        f"abeja-services logs {_D} {_S} --since 10m",
        f"abeja-services logs {_D} {_S} --follow -o table",
    ),
    "predict": (
        f"abeja-services predict {_D} {_S} --json '{{\"x\": 1}}'",
        f"abeja-services predict {_D} {_S} --file cat.png",
        f"cat body.json | abeja-services predict {_D} {_S}",
    ),
    "demo": ("abeja-services demo",),
    "self-check": (f"abeja-services self-check --deployment-id {_D}",),
    "endpoints list": (f"abeja-services endpoints list {_D} -o table",),
    "endpoints get": (f"abeja-services endpoints get {_D} default",),
    "endpoints create": (f"abeja-services endpoints create {_D} --service-id {_S}",),
    "endpoints update": (f"abeja-services endpoints update {_D} default --service-id {_S}",),
    "endpoints delete": (f"abeja-services endpoints delete {_D} ept-0a1b2c3d4e5f6a7b",),
    "": (
        f"abeja-services list {_D} -o table",
        "abeja-services --profile dev self-check",
        "abeja-services demo",
    ),
}


def add_examples(group: click.Group) -> None:
    """Put ``EXAMPLES`` in the help of ``group`` and of its commands, as epilogs."""
    commands: list[tuple[str, click.Command]] = [("", group)]
    for name, command in group.commands.items():
        commands.append((name, command))
        if isinstance(command, click.Group):
            commands += [(f"{name} {sub}", c) for sub, c in command.commands.items()]
    for name, command in commands:
        lines = EXAMPLES.get(name)
        if lines:
            command.epilog = "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)
