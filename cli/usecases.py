"""The library API (`api/`, docs/api.md) as the CLI calls it: `--strict`, and the "changed since the
last verify" check run once per command (`State.drift_checked`).

The report, audit, lots and ledger commands call `api` directly; what is here serves `demo`, which
replays a ledger it made.
"""

from __future__ import annotations

from pathlib import Path

from ..api.reading import Loaded


def _check() -> bool:
    """Whether this command still owes the drift check (it runs once per command)."""
    from .app import State

    owed = not State.drift_checked
    State.drift_checked = True
    return owed


def load(db_path: Path, as_of: str | None, *, option: str = "--as-of") -> Loaded:
    """`api.reading.load` as the CLI calls it."""
    from ..api.reading import load as load_ledger
    from .app import State

    return load_ledger(db_path, as_of, strict=State.strict, check=_check(), option=option)
