"""`gainlog log --batches`: the batches (one per import or `add`), with the rows each import skipped.

Reads `Store.batch_rows` (the `batches` table: source, origin file, recording time, seqs, file digest
and the converted export's rows that became no event) and renders it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .app import console, emit_json
from .render import visible

if TYPE_CHECKING:
    from ..ledger.store import Store

SHOWN = 20  # skipped rows listed per batch in the table (`--json` has them all)


def batches_json(store: Store, *, as_of: str | None = None) -> list[dict[str, Any]]:
    """Each batch up to the knowledge point `as_of`, as `log --batches --json` shows it."""
    seq = store.resolve(as_of)
    return [
        {"batch": b.batch, "source": b.source, "origin": b.origin, "recorded_at": b.recorded_at,
         "first_seq": b.first_seq, "last_seq": b.last_seq, "digest": b.digest, "skipped": b.skipped}
        for b in store.batch_rows(until=seq)
    ]


def show_batches(store: Store, *, as_of: str | None, json_out: bool) -> None:
    """`log --batches [--as-of K] [--json]`."""
    rows = batches_json(store, as_of=as_of)
    if json_out:
        emit_json(rows)
        return
    from rich.table import Table

    out = console()
    table = Table(title="Batches")
    for name in ("Batch", "Recorded", "Source", "Origin", "Seqs", "Skipped rows"):
        table.add_column(name, overflow="fold")
    for row in rows:
        table.add_row(str(row["batch"]), visible(row["recorded_at"]), visible(row["source"]), visible(row["origin"]),
                      f"{row['first_seq']}-{row['last_seq']}", str(len(row["skipped"])))
    out.print(table)
    for row in rows:
        skipped = row["skipped"]
        if not skipped:
            continue
        out.print(f"Batch {row['batch']} skipped {len(skipped)} row(s):", markup=False, highlight=False)
        for item in skipped[:SHOWN]:
            out.print(f"  {visible(item['line'])}: {visible(item['type'])} ({visible(item['reason'])})",
                      markup=False, highlight=False)
        if len(skipped) > SHOWN:
            out.print(f"  and {len(skipped) - SHOWN} more (`gainlog log --batches --json` lists them all)",
                      markup=False, highlight=False)
