"""The library API (`api/`, docs/api.md) as the CLI calls it: the ledger `--db` names, `--strict`,
and the "changed since the last verify" check run once per command (`State.drift_checked`).

The report, audit and lots commands call `api` directly; what is here serves the commands that
open a ledger for reading outside them (`demo`, `verify`) and code written against the old names.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..api.progress import LARGE_LOG  # noqa: F401 (re-exported)
from ..api.reading import Loaded, Streamed, gc_paused  # noqa: F401 (re-exported)

if TYPE_CHECKING:
    from ..ledger.store import Store
    from ..projections.model import IncomeRow
    from ..projections.tax_year import ScheduleD


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


def stream(db_path: Path, as_of: str | None, *, option: str = "--as-of") -> Streamed:
    """`api.reading.stream` as the CLI calls it."""
    from ..api.reading import stream as stream_ledger
    from .app import State

    return stream_ledger(db_path, as_of, strict=State.strict, check=_check(), option=option)


def income(db_path: Path, as_of: str | None) -> list[IncomeRow]:
    """`api.reports.income_rows`: every year's income rows as of `as_of`."""
    from ..api.reports import income_rows
    from .app import State

    return income_rows(db_path, as_of=as_of, strict=State.strict)


def empty_year(db_path: Path, as_of: str | None, year: int) -> str:
    """`api.reading.empty_year`."""
    from ..api.reading import empty_year as why_empty

    return why_empty(db_path, year, as_of=as_of)


def save_checkpoint(db_path: Path) -> int | None:
    """`api.checkpoints.save_checkpoint` with the global `--strict`."""
    from ..api.checkpoints import save_checkpoint as save
    from .app import State

    return save(db_path, strict=State.strict)


def schedule_d(db_path: Path, as_of: str | None, year: int) -> ScheduleD:
    """`api.reports.schedule_d` with the global `--strict`."""
    from ..api.reports import schedule_d as year_schedule_d
    from .app import State

    return year_schedule_d(db_path, year, as_of=as_of, strict=State.strict)
