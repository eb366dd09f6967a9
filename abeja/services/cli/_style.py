"""Colour for people: on a terminal only, and never when ``NO_COLOR`` is set (no-color.org)."""

from __future__ import annotations

import os
import sys

import click


def colour_wanted() -> bool:
    """Whether stderr is a terminal and ``NO_COLOR`` is unset or empty."""
    return sys.stderr.isatty() and not os.environ.get("NO_COLOR")


def paint(text: str, colour: str) -> str:
    """``text`` in ``colour`` (bold) when colour is wanted; as it is otherwise."""
    return click.style(text, fg=colour, bold=True) if colour_wanted() else text
