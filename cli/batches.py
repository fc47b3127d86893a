"""`gainlog log --batches`: the batches (one per import or `add`), with the rows each import skipped.

Renders `api.ledger_ops.read_batches` (the `batches` table: source, origin file, recording time, seqs, file digest
and the converted export's rows that became no event) and renders it.
"""

from __future__ import annotations

from typing import Any

from .app import console, emit_json
from .render import print_table, visible

SHOWN = 20  # skipped rows listed per batch in the table (`--json` has them all)


def show_batches(rows: list[dict[str, Any]], *, json_out: bool) -> None:
    """`log --batches [--as-of K] [--json]`: `rows` from `api.ledger_ops.read_batches`."""
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
    print_table(out, table)
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
