"""The library API (`api/`, docs/api.md) as the CLI calls it: the ledger `--db` names, `--strict`,
and the "changed since the last verify" check run once per command (`State.drift_checked`).

The report, audit and lots commands call `api` directly; what is here serves the commands that
open a ledger for reading outside them (`demo`, `verify`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..api.reading import Loaded

if TYPE_CHECKING:
    from ..ledger.store import Store


def skip_drift_check() -> None:
    """No "changed since the last verify" check in this command (`verify` itself is the full one)."""
    from .app import State

    State.drift_checked = True


def _check() -> bool:
    """Whether this command still owes the drift check (it runs once per command)."""
    from .app import State

    owed = not State.drift_checked
    State.drift_checked = True
    return owed


def open_store(db_path: Path) -> Store:
    """`api.reading.open_ledger` with the global `--strict`, the drift check once per command."""
    from ..api.reading import open_ledger
    from .app import State

    return open_ledger(db_path, strict=State.strict, check=_check())


def load(db_path: Path, as_of: str | None, *, option: str = "--as-of") -> Loaded:
    """`api.reading.load` as the CLI calls it."""
    from ..api.reading import load as load_ledger
    from .app import State

    return load_ledger(db_path, as_of, strict=State.strict, check=_check(), option=option)
