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

from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from .. import codec, importer
from ..errors import UsageError
from ..events import Recorded, Sell, Swap, WalletInfo
from ..importer import Parsed
from . import (
    binance_us,
    broker_1099b,
    coinbase,
    coinbase_pro,
    fidelity,
    gemini,
    kraken,
    prices,
    robinhood,
    schwab,
    schwab_realized,
    sent_received,
)
from .table import Conversion

__all__ = ["NAMES", "Conversion", "add_default_reports", "convert"]

Converter = Callable[[Path, ZoneInfo, str], Conversion]
CONVERTERS: dict[str, Converter] = {
    "coinbase": coinbase.convert, "kraken": kraken.convert, "schwab": schwab.convert, "prices": prices.convert,
}
CONVERTERS["fidelity"] = fidelity.convert
CONVERTERS["robinhood"] = robinhood.convert
CONVERTERS["coinbase-pro"] = coinbase_pro.convert
CONVERTERS["1099-b"] = broker_1099b.convert
CONVERTERS["gemini"] = gemini.convert
CONVERTERS["binanceus"] = binance_us.convert
CONVERTERS["koinly"] = sent_received.convert_koinly
CONVERTERS["cointracker"] = sent_received.convert_cointracker
CONVERTERS["schwab-realized"] = schwab_realized.convert
ASSET_FORMATS = frozenset({"prices"})  # the formats that take --asset (a price download names no asset)
NAMES = tuple(CONVERTERS)
# Crypto exchanges that file Form 1099-DA for sales from 2025 on (gross proceeds; basis from 2026).
FILES_1099_DA = frozenset({"coinbase", "kraken", "gemini", "binanceus"})
DA_FROM = date(2025, 1, 1)
DA_ID = "wallet-reports-1099-DA-2025"  # the id of the `wallet` event an import adds (see add_default_reports)


def convert(
    name: str, path: Path, *, tz: ZoneInfo, wallet: str | None = None, skip_unknown: bool = False,
    asset: str | None = None,
) -> Conversion:
    """Read the export `path` in format `name` (any case); the wallet defaults to the format's name;
    `asset` names the asset of a price download (`--format prices --asset BTC`).

    Rows of a type the format does not map are refused together in one InvalidEvent naming each
    type, its count and first lines; `skip_unknown` imports the rest and lists them as skipped.
    """
    key = name.strip().lower()
    if key not in CONVERTERS:
        known = ", ".join(("jsonl", *NAMES))
        raise UsageError(f"--format {name!r}: unknown format (one of: {known})")
    if asset is not None and key not in ASSET_FORMATS:
        raise UsageError(f"--asset applies to --format prices, not {key}")
    if key in ASSET_FORMATS:
        converted = prices.convert(Path(path), tz, wallet or key, asset=asset)
    else:
        converted = CONVERTERS[key](Path(path), tz, wallet or key)
    converted.emit_legs(Path(path), tz=tz, wallet=wallet or key)
    conversion = converted.finish(Path(path), skip_unknown=skip_unknown)
    encoding = importer.read_text(Path(path)).warning
    if encoding is not None:
        conversion.warnings.insert(0, encoding)
    if key in FILES_1099_DA:
        conversion.reports_wallet = _sells_from_2025(conversion, tz)
    return conversion


def _sells_from_2025(conversion: Conversion, tz: ZoneInfo) -> str | None:
    """The wallet of the first sale or swap dated 2025 or later (ledger time zone), if there is one."""
    for parsed in conversion.events:
        event = parsed.event
        if isinstance(event, Sell | Swap) and event.at.astimezone(tz).date() >= DA_FROM:
            return event.wallet
    return None


def add_default_reports(
    conversion: Conversion, *, path: Path, source: str, wallet_events: Iterable[Recorded], retracted: set[str],
    tz: ZoneInfo,
) -> None:
    """Coinbase and Kraken sales from 2025 default to the 1099-DA boxes (TAX_RULES R6.2).

    When the converted export sells or swaps in 2025 or later and no live `wallet` event of another
    import or `add` says what the wallet's broker files, a `wallet` event `{wallet, from: 2025-01-01,
    reports: 1099-DA}` joins the import (id `DA_ID`, so importing the file again adds nothing), with a
    summary line saying so. A later `gainlog add wallet ... --from 2025-01-01` overrides it.
    """
    wallet = conversion.reports_wallet
    if wallet is None:
        return
    own = f"{source}:{DA_ID}"
    added_before = False  # by an earlier import of this source: kept (a duplicate), said once
    for record in wallet_events:
        event = record.event
        if isinstance(event, WalletInfo) and event.wallet == wallet and record.key not in retracted:
            if record.key == own:
                added_before = True
            elif event.reports is not None:
                return
    raw = {"type": "wallet", "id": DA_ID, "wallet": wallet, "from": DA_FROM.isoformat(), "reports": "1099-DA"}
    where = f"{path}:1"
    conversion.events.append(Parsed(where, codec.parse_event(raw, tz=tz, where=where)))
    if not added_before:
        conversion.notes.append(
            f"{path}: {wallet} sales from 2025-01-01 on are taken as reported on Form 1099-DA (Form 8949 boxes G "
            f"to L): added a `wallet` event (reports 1099-DA from 2025-01-01); if the account files no 1099-DA, "
            f"`gainlog add wallet --wallet {wallet} --from 2025-01-01 --reports none`"
        )
