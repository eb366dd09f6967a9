"""What the command line prints: JSON by default, a table for people, progress on a TTY."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from typing import Any

import click

TABLE_COLUMNS = (
    "endpoint_id",
    "custom_alias",
    "service_id",
    "status",
    "instance_number",
    "model_version",
    "created_at",
)


def plain(value: object) -> Any:
    """A JSON value for a model, a list of models or anything JSON already."""
    if "pydantic" in sys.modules:  # a model can only exist once pydantic is imported
        from pydantic import BaseModel

        if isinstance(value, BaseModel):
            return value.model_dump(mode="json", exclude_none=False)
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    return value


def emit(value: object, output: str, *, columns: Sequence[str] | None = None) -> None:
    """Print ``value`` as JSON (``output="json"``) or as a table (of ``columns``, or the
    known ones present)."""
    data = _queried(plain(value))
    if output == "json":
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    if output == "text":
        _text(data)
        return
    if isinstance(data, Mapping) and isinstance(data.get("entries"), list):
        data = data["entries"]
    if isinstance(data, list) and not data:
        click.echo("(none)")  # an empty list: said, not a blank line
    elif isinstance(data, list) and all(isinstance(row, Mapping) for row in data):
        _rows(data, columns)
    elif isinstance(data, Mapping):
        width = max((len(str(key)) for key in data), default=0)
        for key, item in data.items():
            click.echo(f"{str(key).ljust(width)}  {_cell(item)}".rstrip())
    else:
        click.echo(_cell(data))


def _queried(data: Any) -> Any:
    """``data`` as the command's ``--query`` selects it (all of it without one)."""
    context = click.get_current_context(silent=True)
    options = context.find_root().obj if context is not None else None
    query = getattr(options, "query", None)
    return data if query is None else query.search(data)


def _text(data: Any) -> None:
    """Bare values for the shell: a value as it is, a list one item a line, an object's
    (or a row's) values tab-separated."""
    for item in data if isinstance(data, list) else [data]:
        if isinstance(item, Mapping):
            click.echo("\t".join(_cell(value) for value in item.values()))
        elif isinstance(item, list):
            click.echo("\t".join(_cell(value) for value in item))
        elif item is not None:
            click.echo(_cell(item))


def _cell(value: object) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)


def _rows(rows: Sequence[Mapping[str, Any]], given: Sequence[str] | None = None) -> None:
    columns = list(given or [c for c in TABLE_COLUMNS if any(c in row for row in rows)])
    if not columns:
        columns = sorted({key for row in rows for key in row})
    table = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max([len(c)] + [len(line[i]) for line in table]) for i, c in enumerate(columns)]
    header = "  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True))
    click.echo(header.rstrip())
    for line in table:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())
