"""The shared worked-example ledgers (fixtures/examples) give their expected 8949 rows and term totals."""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from gainlog.projections.engine import book
from gainlog.projections.model import Slice
from helpers import records

EXAMPLES = Path(__file__).resolve().parent.parent / "fixtures" / "examples"
CASES = sorted(p.name for p in EXAMPLES.iterdir() if (p / "expected.json").exists())
CENT = Decimal("0.01")


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _row(s: Slice) -> dict[str, Any]:
    proceeds, basis = _cents(s.proceeds), _cents(s.basis)
    return {
        "asset": s.asset,
        "proceeds": proceeds,
        "cost_basis": basis,
        "gain": proceeds - basis,
        "term": s.term,
    }


def _slices(name: str) -> list[Slice]:
    text = (EXAMPLES / name / "events.jsonl").read_text()
    return list(book(records(text, source="events"), tz=ZoneInfo("UTC")).slices)


def _checks(name: str, command: str) -> list[dict[str, Any]]:
    steps = json.loads((EXAMPLES / name / "expected.json").read_text())["steps"]
    return [s for s in steps if "check" in s and s["check"][:2] == ["report", command]]


def test_examples_are_present() -> None:
    assert len(CASES) >= 4


@pytest.mark.parametrize("name", CASES)
def test_8949_rows(name: str) -> None:
    slices = _slices(name)
    for check in _checks(name, "8949"):
        year = int(check["check"][check["check"].index("--year") + 1])
        rows = [_row(s) for s in slices if s.date_sold.year == year]
        for expected in check["expect"]:
            matching = [
                r
                for r in rows
                if all(
                    r[k] == (Decimal(v) if k != "asset" and k != "term" else v) for k, v in expected.items()
                )
            ]
            assert matching, f"{name}: no row {expected} among {rows}"


@pytest.mark.parametrize("name", CASES)
def test_schedule_d_term_totals(name: str) -> None:
    # R6.3: the rounded rows add up to the expected Schedule D term totals (netting is another stage)
    slices = _slices(name)
    for check in _checks(name, "schedule-d"):
        year = int(check["check"][check["check"].index("--year") + 1])
        totals: dict[str, dict[str, Decimal]] = {t: defaultdict(Decimal) for t in ("short", "long")}
        for s in slices:
            if s.date_sold.year == year:
                row = _row(s)
                for column in ("proceeds", "cost_basis", "gain"):
                    totals[s.term][column] += row[column]
        for term_name in ("short", "long"):
            for column, value in check["expect"].get(f"{term_name}_term", {}).items():
                if column in ("proceeds", "cost_basis", "gain"):
                    assert Decimal(totals[term_name][column]) == Decimal(value), (
                        name,
                        year,
                        term_name,
                        column,
                    )
