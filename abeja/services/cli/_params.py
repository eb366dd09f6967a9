"""Option types that refuse what click's own let through: NaN, infinities, huge values."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:  # generic from click 8.2 on; plain at run time, for click 8.1 too
    _ParamType = click.ParamType[float]
else:
    _ParamType = click.ParamType


class Finite(_ParamType):
    """A finite number between ``low`` and ``high`` (NaN and infinities are refused)."""

    name = "number"

    def __init__(self, low: float, high: float, *, above_low: bool = False) -> None:
        self.low, self.high, self.above_low = low, high, above_low

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        """The value as a float, or a usage error naming the option."""
        if isinstance(value, float):
            number = value
        else:
            try:
                number = float(str(value))
            except ValueError:
                self.fail(f"{value!r} is not a number", param, ctx)
        low_ok = number > self.low if self.above_low else number >= self.low
        if not math.isfinite(number) or not low_ok or number > self.high:
            bound = "above" if self.above_low else "from"
            self.fail(
                f"{value!r} is not a number {bound} {self.low:g} to {self.high:g}", param, ctx
            )
        return number
