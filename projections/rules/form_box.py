"""R6.1–R6.2 The Form 8949 box of a disposed lot slice (2025 layout of the form).

Source: Form 8949 instructions (2025): Part I short-term, Part II long-term. Boxes A/D: 1099-B
with basis reported; B/E: 1099-B, basis not reported; C/F: no 1099 (before tax year 2025 also all
crypto); G/J: 1099-DA with basis reported; H/K: 1099-DA, basis not reported; I/L: crypto with no
1099. The box follows what the broker reported for that lot; whether the broker had to report the
basis (`covered`) is decided by the lot engine per R6.2.

Defaults [choice] (docs/tax-rules.md): a stock account is assumed to file 1099-B unless a
`wallet` event says `none`; a crypto wallet files nothing unless a `wallet` event says `1099-DA`.
The `wallet` setting in force on a sale date is the one with the latest `from` on or before it
(no `from` = from the beginning), ties by highest seq; a field left out inherits (CONTRACT §2).

Example: a covered stock lot sold short-term at a 1099-B broker -> A; BTC sold in 2024 -> C;
BTC sold in 2025 from a wallet without a `wallet` event -> I; with `reports: 1099-DA` -> H
(2025 1099-DA forms report gross proceeds only, so the lot is not covered).

Covered (R6.2, `covered`; "covered security", Treas. Reg. §1.6045-1(a)(15)): a stock acquired in
that account on or after 2011-01-01, crypto acquired in that account on or after 2026-01-01 (the
2025 Forms 1099-DA report gross proceeds only); the lot engine marks units transferred in from
another wallet, and missing-basis units, noncovered.

Reports no problems.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Literal

import msgspec

from ...ledger.events import AssetClass, Recorded, Reports, WalletInfo
from ..model import Term

Box = Literal["A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L"]
Part = Literal["I", "II"]
CRYPTO_BOXES_FROM = 2025
STOCK_COVERED_FROM = date(2011, 1, 1)  # R6.2
CRYPTO_COVERED_FROM = date(2026, 1, 1)  # R6.2
DEFAULT_REPORTS: dict[AssetClass, Reports] = {"stock": "1099-B", "crypto": "none"}
# (short box, long box) by (what the account reports, covered)
_STOCK: dict[tuple[Reports, bool], tuple[Box, Box]] = {
    ("1099-B", True): ("A", "D"), ("1099-B", False): ("B", "E"),
    ("1099-DA", True): ("A", "D"), ("1099-DA", False): ("B", "E"),
    ("none", True): ("C", "F"), ("none", False): ("C", "F"),
}
_CRYPTO: dict[tuple[Reports, bool], tuple[Box, Box]] = {
    ("1099-DA", True): ("G", "J"), ("1099-DA", False): ("H", "K"),
    ("1099-B", True): ("I", "L"), ("1099-B", False): ("I", "L"),
    ("none", True): ("I", "L"), ("none", False): ("I", "L"),
}
SHORT_BOXES: tuple[Box, ...] = ("A", "B", "C", "G", "H", "I")
LONG_BOXES: tuple[Box, ...] = ("D", "E", "F", "J", "K", "L")


class WalletReports(msgspec.Struct, frozen=True, kw_only=True):
    """The `wallet` settings of a log, to look up what an account reports on a date.

    Attributes:
        wallet_to_settings: per wallet, (from date, seq, reports) sorted by (from, seq);
            a missing `from` sorts first (date.min).
    """

    wallet_to_settings: dict[str, tuple[tuple[date, int, Reports], ...]]

    def reports(self, wallet: str, on: date) -> Reports | None:
        """What the wallet's broker files for sales on `on`, or None when no `wallet` event says."""
        found: Reports | None = None
        for start, _seq, reports in self.wallet_to_settings.get(wallet, ()):
            if start > on:
                break
            found = reports
        return found


def covered(asset_class: AssetClass, acquired: date) -> bool:
    """R6.2: whether the broker must report the basis of a lot acquired in that account on `acquired`."""
    return acquired >= (STOCK_COVERED_FROM if asset_class == "stock" else CRYPTO_COVERED_FROM)


def wallet_reports(records: Iterable[Recorded]) -> WalletReports:
    """Collect the live `wallet` events (fields left out inherit, so events without `reports` are skipped)."""
    wallet_to_list: dict[str, list[tuple[date, int, Reports]]] = {}
    for record in records:
        event = record.event
        if isinstance(event, WalletInfo) and event.reports is not None:
            start = event.from_ if event.from_ is not None else date.min
            wallet_to_list.setdefault(event.wallet, []).append((start, record.seq, event.reports))
    return WalletReports(wallet_to_settings={w: tuple(sorted(v)) for w, v in wallet_to_list.items()})


def part_of(term: Term) -> Part:
    """Part I holds short-term rows, Part II long-term rows (R6.1)."""
    return "I" if term == "short" else "II"


def box(
    *, asset_class: AssetClass, term: Term, covered: bool, year: int, reports: Reports | None
) -> Box:
    """The box for one slice sold in tax year `year` from an account that files `reports` (R6.1–R6.2)."""
    if asset_class == "crypto" and year < CRYPTO_BOXES_FROM:
        return "C" if term == "short" else "F"
    filed = reports if reports is not None else DEFAULT_REPORTS[asset_class]
    table = _STOCK if asset_class == "stock" else _CRYPTO
    short, long = table[(filed, covered)]
    return short if term == "short" else long
