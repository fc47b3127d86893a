"""The rows a converted export skipped are kept with its batch (issue #12): `batches.skipped`, shown by
`gainlog log --batches`, checked by `verify` like the batch's other columns."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from conftest import REPO, Result
from tampering import behind_the_back

Gainlog = Callable[..., Result]
REAL = REPO / "fixtures" / "real"


def test_the_skipped_rows_are_kept_with_the_batch(gainlog: Gainlog, db: Path) -> None:
    path = REAL / "coinbase_internal.csv"
    imported = gainlog("import", str(path), "--format", "coinbase", "--json")
    assert imported.code == 0
    skipped = imported.json()["skipped"]
    assert skipped and all(set(row) == {"line", "type", "reason"} for row in skipped)
    batches = gainlog("log", "--batches", "--json").json()
    assert [(b["batch"], b["source"], b["origin"], b["first_seq"]) for b in batches] == [
        (1, "coinbase_internal.csv", str(path), 1)]
    assert batches[0]["skipped"] == skipped  # what the import reported, kept in the ledger
    assert len(batches[0]["digest"]) == 64
    # an `add` skips nothing; `--as-of` before it lists the import alone
    add = gainlog("add", "price", "--at", "2024-01-01", "--asset", "BTC", "--usd", "40000")
    assert add.code == 0
    batches = gainlog("log", "--batches", "--json").json()
    assert [(b["batch"], b["origin"], b["skipped"]) for b in batches][1] == (2, "add", [])
    assert len(gainlog("log", "--batches", "--as-of", str(batches[0]["last_seq"]), "--json").json()) == 1
    human = gainlog("log", "--batches")
    first = skipped[0]
    assert f"Batch 1 skipped {len(skipped)} row(s):" in human.out
    assert f"  {first['line']}: {first['type']} ({first['reason']})" in human.out
    assert gainlog("verify").code == 0


def test_verify_names_edited_skipped_rows(gainlog: Gainlog, db: Path) -> None:
    assert gainlog("import", str(REAL / "coinbase_internal.csv"), "--format", "coinbase").code == 0
    with behind_the_back(db) as conn:
        conn.execute("""UPDATE batches SET skipped = '[{"line": 1}]' WHERE batch = 1""")
    result = gainlog("verify")
    assert (result.code, result.err) == (
        4, """gainlog: batch 1: its skipped rows '[{"line": 1}]' are not a list of {"line", "type", "reason"} """
        "(edited behind gainlog's back)\n")
