"""Exchange and broker CSV exports -> canonical events (`gainlog import FILE --format NAME`).

Each module here reads one export layout and maps its rows to the events of CONTRACT §2; nothing
is written. The CLI hands the result to `Store.import_events`, so a converted file is imported
exactly like a `.jsonl` file: one transaction, all or nothing, duplicates recognised by key,
`--replace` for a corrected export. That only works if every event has an `id` that a re-export
reproduces, so each format derives it from the export's own transaction id, or, where the export
has none (Schwab, old Coinbase layouts), from a hash of the row's cells.

Formats may import ledger.codec / ledger.events / ledger.errors / ledger.importer only: they are
part of the write side and know nothing of projections or the CLI.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

from ledger.errors import UsageError
from ledger.formats import coinbase, kraken, schwab
from ledger.formats.table import Conversion

__all__ = ["NAMES", "Conversion", "convert"]

Converter = Callable[[Path, ZoneInfo, str], Conversion]
CONVERTERS: dict[str, Converter] = {"coinbase": coinbase.convert, "kraken": kraken.convert, "schwab": schwab.convert}
NAMES = tuple(CONVERTERS)


def convert(
    name: str, path: Path, *, tz: ZoneInfo, wallet: str | None = None, skip_unknown: bool = False
) -> Conversion:
    """Read the export `path` in format `name`; the wallet defaults to the format's name.

    Rows of a type the format does not map are refused together in one InvalidEvent naming each
    type, its count and first lines; `skip_unknown` imports the rest and lists them as skipped.
    """
    if name not in CONVERTERS:
        known = ", ".join(("jsonl", *NAMES))
        raise UsageError(f"--format {name!r}: unknown format (one of: {known})")
    return CONVERTERS[name](Path(path), tz, wallet or name).finish(Path(path), skip_unknown=skip_unknown)
