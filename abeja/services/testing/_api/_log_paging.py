"""Pages of a service's log with CloudWatch-style tokens (pure functions, no state)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ._records import LogLine, bad_request, iso


def log_page(
    lines: Sequence[LogLine],
    *,
    size: int,
    forward: str | None,
    backward: str | None,
    start: float | None,
    end: float | None,
) -> dict[str, Any]:
    """A page of ``lines`` (oldest first), newest first, with the two tokens.

    ``b-<i>`` pages to events before index ``i``; ``f-<i>`` to events from index
    ``i`` on. At the end of the stream the given token comes back unchanged with
    no events.
    """
    low, high = 0, len(lines)
    if forward is not None:
        low = _token_index(forward, "f", len(lines))
    elif backward is not None:
        high = _token_index(backward, "b", len(lines))
    if start is None and end is None:
        if forward is not None:
            page = list(range(low, min(low + size, high)))
        else:
            page = list(range(max(low, high - size), high))
    else:
        indexes = [
            i
            for i in range(low, high)
            if (start is None or lines[i].timestamp >= start)
            and (end is None or lines[i].timestamp <= end)
        ]
        page = indexes[:size] if forward is not None else indexes[-size:]
    events = [{"message": lines[i].message, "timestamp": iso(lines[i].timestamp)} for i in page]
    events.reverse()
    if page:
        next_backward, next_forward = f"b-{page[0]}", f"f-{page[-1] + 1}"
    else:
        next_backward = backward if backward is not None else f"b-{len(lines)}"
        next_forward = forward if forward is not None else f"f-{len(lines)}"
    return {
        "events": events,
        "next_backward_token": next_backward,
        "next_forward_token": next_forward,
    }


def _token_index(token: str, direction: str, size: int) -> int:
    prefix, _, number = token.partition("-")
    if prefix != direction or not (number.isascii() and number.isdigit()) or int(number) > size:
        raise bad_request(f"invalid {'forward' if direction == 'f' else 'backward'} token")
    return int(number)
