"""What changed in a year's results between two knowledge points (CONTRACT §1 `diff`, §3 `diff --json`).

Works on the contract's own report values (Schedule D dict, 8949 rows), so a diff says exactly what
the two reports say. A changed 8949 row is one removed and one added; identical rows are matched
as a multiset, so two identical trades stay two rows.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from decimal import Decimal
from typing import Any

AMOUNT = re.compile(r"-?\d+\.\d{2}")
_UNCHANGED_KEYS = frozenset({"year"})


def _is_amount(value: Any) -> bool:
    return isinstance(value, str) and AMOUNT.fullmatch(value) is not None


def diff_amounts(old: Any, new: Any) -> Any:
    """`new` with every amount replaced by {"from", "to", "delta"}; other leaves keep the `to` value."""
    if isinstance(new, dict):
        old_map = old if isinstance(old, dict) else {}
        return {
            k: v if k in _UNCHANGED_KEYS else diff_amounts(old_map.get(k), v) for k, v in new.items()
        }
    if _is_amount(new):
        before = old if _is_amount(old) else "0.00"
        return {"from": before, "to": new, "delta": f"{Decimal(new) - Decimal(before):.2f}"}
    return new


def _row_id(row: dict[str, Any]) -> str:
    return json.dumps(row, sort_keys=True)


def diff_rows(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Rows only in `old` (removed) and only in `new` (added), each in its report order."""
    old_count = Counter(_row_id(r) for r in old)
    new_count = Counter(_row_id(r) for r in new)
    removed_left = old_count - new_count
    added_left = new_count - old_count
    removed, added = [], []
    for row in old:
        rid = _row_id(row)
        if removed_left[rid] > 0:
            removed_left[rid] -= 1
            removed.append(row)
    for row in new:
        rid = _row_id(row)
        if added_left[rid] > 0:
            added_left[rid] -= 1
            added.append(row)
    return {"added": added, "removed": removed}


def diff_row_texts(old: list[bytes], new: list[bytes]) -> dict[str, list[dict[str, Any]]]:
    """`diff_rows` of rows given as their JSON texts, one per row, all written the same way
    (keys in one order: equal rows, equal texts): only the rows added or removed are decoded back
    into dicts, so a year of rows compared needs its texts, not a dict per row (issue #11)."""
    import msgspec

    removed_left = Counter(old)
    removed_left.subtract(new)
    added_left = Counter(new)
    added_left.subtract(old)
    removed, added = [], []
    for text in old:
        if removed_left[text] > 0:
            removed_left[text] -= 1
            removed.append(msgspec.json.decode(text))
    for text in new:
        if added_left[text] > 0:
            added_left[text] -= 1
            added.append(msgspec.json.decode(text))
    return {"added": added, "removed": removed}


def changed_amounts(schedule_d_diff: Any, path: str = "") -> list[tuple[str, dict[str, str]]]:
    """(dotted path, {"from","to","delta"}) for every amount whose delta is not zero."""
    out: list[tuple[str, dict[str, str]]] = []
    if isinstance(schedule_d_diff, dict):
        if set(schedule_d_diff) == {"from", "to", "delta"}:
            if Decimal(schedule_d_diff["delta"]) != 0:
                out.append((path, schedule_d_diff))
            return out
        for k, v in schedule_d_diff.items():
            out.extend(changed_amounts(v, f"{path}.{k}" if path else k))
    return out


def year_diff(
    year: int,
    from_point: Any,
    to_point: Any,
    old: tuple[dict[str, Any], list[dict[str, Any]]],
    new: tuple[dict[str, Any], list[dict[str, Any]]],
) -> dict[str, Any]:
    """The contract's `diff --json` value from two (schedule-d, 8949 rows) pairs."""
    return {
        "year": year,
        "from": from_point,
        "to": to_point,
        "schedule_d": diff_amounts(old[0], new[0]),
        "rows": diff_rows(old[1], new[1]),
    }
