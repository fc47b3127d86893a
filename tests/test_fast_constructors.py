"""One fast constructor per hot struct (issue #11): the only place each is built positionally.

The lot engine and the 8949 build `Slice`, `Acquisition`, `Row` and the `--json` row by the
hundred thousand, positionally (several times faster than by keyword for Structs of 10-23 fields).
Each has one named constructor that maps its parameters to the fields of the same names, so a
change of field order is made in one place, and these tests fail until it is: every parameter must
land in the field of its name, and no other code may build the struct positionally.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import pytest
from gainlog.projections import form8949
from gainlog.projections.form8949 import Row, make_row
from gainlog.projections.model import Acquisition, Slice, make_acquisition, make_slice

ROOT = Path(__file__).resolve().parent.parent


class Marker:
    """A value that is only itself: where it lands shows which parameter went where."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<{self.name}>"


@pytest.mark.parametrize(
    ("constructor", "struct", "fixed"),
    [
        (make_slice, Slice,
         {"adjustment": Decimal(0), "code": "", "missing_basis": False, "wash": ()}),
        (make_acquisition, Acquisition, {}),
        (make_row, Row, {}),
    ],
)
def test_each_parameter_lands_in_the_field_of_its_name(
    constructor: Callable[..., Any], struct: type[msgspec.Struct], fixed: dict[str, object]
) -> None:
    names = list(inspect.signature(constructor).parameters)
    fields = struct.__struct_fields__
    assert set(names) <= set(fields)
    assert set(fields) - set(names) == set(fixed)  # what the constructor does not take, it fixes
    markers = {name: Marker(name) for name in names}
    made = constructor(*markers.values())  # positionally, as the hot paths call it
    assert {name: getattr(made, name) for name in names} == markers
    assert {name: getattr(made, name) for name in fixed} == fixed


def test_the_json_row_takes_each_field_from_the_rows_field_of_its_name() -> None:
    row = make_row(
        7, "s:k", "sell", "BTC", Decimal("0.50"), "w", "s:lot", date(2024, 1, 2), date(2024, 3, 4),
        Decimal("10.01"), Decimal("2.02"), "W", Decimal("3.03"), Decimal("11.02"), "short", "I", "A", True,
    )
    made = form8949.row_json(row)
    shared = [name for name in made if name in Row.__struct_fields__ and name != "qty"]
    as_text = {n: str(v) if isinstance(v, Decimal | date) else v for n in shared for v in [getattr(row, n)]}
    assert shared and {n: made[n] for n in shared} == as_text
    assert (made["description"], made["qty"]) == ("0.5 BTC", "0.5")
    assert set(made) - set(shared) == {"description", "qty"}


FAST = {"Slice": "make_slice", "Acquisition": "make_acquisition", "Row": "make_row", "BoxGroup": "box_groups"}


def test_no_other_code_builds_a_hot_struct_positionally() -> None:
    """Keyword construction everywhere else (`Slice(seq=..., ...)`), so no field order is assumed."""
    bad = []
    for folder in ("projections", "api", "ledger", "cli"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for function in ast.walk(tree):
                if not isinstance(function, ast.FunctionDef):
                    continue
                for node in ast.walk(function):
                    if (
                        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.args
                        and node.func.id in FAST and FAST[node.func.id] != function.name
                        and not (path.parent.name == "formats" and node.func.id == "Row")  # ledger.formats.table.Row
                    ):
                        bad.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.func.id}(...) in {function.name}")
    assert bad == []
