"""How a long replay shows that it is working: nothing by default; the CLI sets a spinner.

Kept apart from `api.reading` so that the CLI can set it at start-up for the cost of one small
import (contextvars).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from contextvars import ContextVar

LARGE_LOG = 50_000  # events: from here on a replay takes seconds, and a caller may show that it is working

# What shows a long replay at work (the CLI: a spinner on a terminal's stderr); None: nothing.
status_display: ContextVar[Callable[[str], AbstractContextManager[None]] | None] = ContextVar(
    "status_display", default=None
)


def working(what: str, *, large: bool) -> AbstractContextManager[None]:
    """`status_display(what)` around a large replay (`gainlog report all` and the other replays of
    `LARGE_LOG` events or more), when one is set; else nothing."""
    display = status_display.get()
    return display(what) if large and display is not None else nullcontext()
