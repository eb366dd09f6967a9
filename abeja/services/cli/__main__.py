"""``python -m abeja.services.cli``: the ``abeja-services`` command."""

from . import run

run()
