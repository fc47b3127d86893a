"""`reconcile --year Y FILE [--format generic|schwab|1099da]` as a library (CONTRACT §4 "Filing outputs").

Reads the broker's rows (`api.broker_files`), replays the ledger once for the year's Form 8949
rows (`api.export.statement`) and matches them (`projections.reconcile.reconcile`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..projections.reconcile import Reconciled


def reconcile(
    db: Path, year: int, broker_file: Path, *, fmt: str = "generic", wallet: str | None = None,
    as_of: str | None = None, strict: bool = False,
) -> Reconciled:
    """The broker file's rows against the year's 8949 rows (only `wallet`'s, when given)."""
    from ..projections.reconcile import reconcile as match
    from .broker_files import read_broker_file
    from .export import statement

    broker_rows = read_broker_file(broker_file, fmt)
    numbered = [(n, r) for n, r in enumerate(statement(db, year, as_of=as_of, strict=strict).rows, 1)
                if wallet is None or r.wallet == wallet]
    return match(year, broker_rows, [r for _, r in numbered], numbers=[n for n, _ in numbered])
