"""``abeja-services``: the Service API from a terminal (built on click; see ``docs/cli.md``)."""

from ._commands import _batch, _data, _local, _release, _services, _setup, _versions  # noqa: F401 - they register their commands
from ._examples import add_examples
from ._main import cli, main, run

add_examples(cli)

__all__ = ["cli", "main", "run"]
