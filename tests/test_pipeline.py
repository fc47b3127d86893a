"""One pipeline, one fold driver (issue 11): `project` is the streamed `replay` materialised, every
projection folds through `engine.fold`, and problems carry their origin as named fields."""

from __future__ import annotations

import ast
from datetime import datetime
from decimal import Decimal, FloatOperation, getcontext
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
import pytest
from gainlog.fixtures.generate import generate
from gainlog.ledger.store import Store
from gainlog.projections.engine import book
from gainlog.projections.exact import PRECISION, exact_context
from gainlog.projections.knowledge import live
from gainlog.projections.model import Booked
from gainlog.projections.pipeline import materialise, project, replay
from gainlog.projections.rules.late_identification import late_lot_corrections
from gainlog.projections.rules.wash_sale import apply_wash_sales
from helpers import records

UTC = ZoneInfo("UTC")
ROOT = Path(__file__).resolve().parent.parent

BUY = {"type": "buy", "id": "a", "at": "2025-01-10", "wallet": "w", "asset": "SOL", "qty": "2", "price": "1"}


def _sell(lots: list[dict[str, str]], **extra: Any) -> dict[str, Any]:
    return {"type": "sell", "id": "s", "at": "2025-06-01", "wallet": "w", "asset": "SOL", "qty": "3",
            "price": "10", "lots": lots, **extra}


def _corrected_log() -> list[Any]:
    """A sell (3 units, 1 more than the wallet ever held: missing basis) recorded again with other
    `lots` after a retraction: an R3.6 correction."""
    first = records([BUY, _sell([{"lot": "a", "qty": "1"}])])
    retract = records([{"type": "retract", "target": "test:s"}], start_seq=3)
    again = records([_sell([{"lot": "a", "qty": "2"}], note="corrected")], start_seq=4)
    return first + retract + again


def test_problems_carry_their_origin() -> None:
    run = replay(_corrected_log(), tz=UTC)
    assert [p.code for p in run.fold_problems] == ["missing-basis"]
    assert [p.code for p in run.late_corrections] == ["late-identification"]
    assert run.problems == run.fold_problems + run.late_corrections
    assert [p.seq for p in run.problems] == [4, 4]


def test_project_is_the_streamed_replay_materialised() -> None:
    log = _corrected_log()
    booked = project(log, tz=UTC)
    assert msgspec.json.encode(booked) == msgspec.json.encode(materialise(replay(log, tz=UTC, keep_lots=True)))
    assert [(s.lot, str(s.qty)) for s in booked.slices] == [("test:a", "2"), ("", "1")]
    streamed = replay(log, tz=UTC)  # reports: no lots kept
    assert streamed.acquisitions == () and list(streamed.open_lots) == []
    assert list(streamed.slices) == list(booked.slices)


def _calls(path: Path, name: str) -> list[str]:
    """The functions of `path` that call `name(...)`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for func in ast.walk(tree):
        if isinstance(func, ast.FunctionDef):
            for node in ast.walk(func):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name | ast.Attribute):
                    called = node.func.id if isinstance(node.func, ast.Name) else node.func.attr
                    if called == name:
                        found.append(f"{path.relative_to(ROOT).as_posix()}:{func.name}")
    return found


def test_one_driver_of_step() -> None:
    drivers = [
        where for folder in ("projections", "cli", "ledger") for path in sorted((ROOT / folder).rglob("*.py"))
        for where in _calls(path, "step")
    ]
    assert drivers == ["projections/engine/fold.py:fold"]


def test_one_exact_context() -> None:
    before = getcontext().prec
    with exact_context() as ctx:
        assert ctx.prec == PRECISION == 34 and ctx.traps[FloatOperation]
        with pytest.raises(FloatOperation):
            Decimal(0.5)
    assert getcontext().prec == before  # the caller's context is left as it was


def _composed(log: list[Any], *, tz: ZoneInfo, until_seq: int | None, until: datetime | None) -> Booked:
    """The stages composed by hand, whole values in memory: what `project` computed before it became
    the streamed pipeline materialised (an independent reference for it)."""
    known = live(log, until_seq=until_seq)
    washed = apply_wash_sales(book(known, tz=tz, until=until), known, tz=tz)
    late = late_lot_corrections(log, until_seq=until_seq)
    return msgspec.structs.replace(washed, problems=washed.problems + tuple(late))


@pytest.mark.parametrize("seed", [3, 11])
def test_materialised_pipeline_equals_the_stages_composed(tmp_path: Path, seed: int) -> None:
    source = tmp_path / "g.jsonl"
    source.write_bytes(b"".join(line + b"\n" for line in generate(2500, seed)))
    store = Store.create(tmp_path / "l.db")
    store.import_file(source)
    log, tz = store.read(), store.timezone
    store.close()
    middle = log[len(log) // 2]
    cut = datetime(2023, 6, 30, 23, 59, tzinfo=tz)  # `lots --on 2023-06-30`
    for until_seq, until in ((None, None), (middle.seq, None), (None, cut)):
        expected = _composed(log, tz=tz, until_seq=until_seq, until=until)
        assert expected.slices and expected.open_lots
        got = project(log, tz=tz, until_seq=until_seq, until=until)
        assert msgspec.json.encode(got) == msgspec.json.encode(expected)
