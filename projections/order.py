"""Whether a sequence is already sorted: the seam the folds use to skip a sort.

A log is recorded mostly in event-time order and the lot engine emits slices by date sold, so the
common case is "already in order": one pass of comparisons instead of a million sort keys kept
alive at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import pairwise, starmap
from operator import gt
from typing import Any, TypeVar

T = TypeVar("T")


def is_sorted(items: Sequence[T], key: Callable[[T], Any]) -> bool:
    """Whether `key(item)` never decreases along `items` (ties allowed: a stable sort keeps them).

    Each key is compared with the next as they are made (no list of keys), the loop in C."""
    return not any(starmap(gt, pairwise(map(key, items))))
