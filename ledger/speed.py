"""Speed tricks behind named seams: each trick in one place, so the code that uses it says what it
does and a profile points here.

- `gc_paused()`: the cyclic garbage collector off while a block builds many acyclic objects (a
  million decoded events or slices); its passes over the growing heap are pure overhead there
  (about a third of reading a large log).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic garbage collector off inside the block (as it was before, after it)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
