"""``abeja-services``: the Service API from a terminal (built on click; see ``docs/cli.md``)."""

from . import _data, _local, _release, _services  # noqa: F401 - they register their commands
from ._main import cli, main, run

__all__ = ["cli", "main", "run"]
