"""Exchange and broker CSV exports -> canonical events (`gainlog import FILE --format NAME`).

Each module here reads one export layout and maps its rows to the events of CONTRACT §2; nothing
is written. The CLI hands the result to `Store.import_events`, so a converted file is imported
exactly like a `.jsonl` file: one transaction, all or nothing, duplicates recognised by key,
`--replace` for a corrected export. That only works if every event has an `id` that a re-export
reproduces, so each format derives it from the export's own transaction id, or, where the export
has none (Schwab, old Coinbase layouts), from a hash of the row's cells.

A format's name is case-insensitive (`Coinbase` is `coinbase`); `detect.detect` names the format of
a CSV from its header row. A file that is not UTF-8 is read as Windows-1252 (`importer.read_text`),
and the conversion's warnings say so first.

Formats may import ledger.codec / ledger.events / ledger.errors / ledger.importer only: they are
part of the write side and know nothing of projections or the CLI.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

from ledger import importer
from ledger.errors import UsageError
from ledger.formats import coinbase, kraken, schwab
from ledger.formats.table import Conversion

__all__ = ["NAMES", "Conversion", "convert"]

Converter = Callable[[Path, ZoneInfo, str], Conversion]
CONVERTERS: dict[str, Converter] = {"coinbase": coinbase.convert, "kraken": kraken.convert, "schwab": schwab.convert}
NAMES = tuple(CONVERTERS)


def convert(name: str, path: Path, *, tz: ZoneInfo, wallet: str | None = None) -> Conversion:
    """Read the export `path` in format `name` (any case); the wallet defaults to the format's name."""
    key = name.strip().lower()
    if key not in CONVERTERS:
        known = ", ".join(("jsonl", *NAMES))
        raise UsageError(f"--format {name!r}: unknown format (one of: {known})")
    conversion = CONVERTERS[key](Path(path), tz, wallet or key)
    encoding = importer.read_text(Path(path)).warning
    if encoding is not None:
        conversion.warnings.insert(0, encoding)
    return conversion
