"""R6.3–R6.4 Form 8949 rows: each disposed lot slice rounded to what the form shows.

Source: Form 8949 instructions. Columns (a) "0.5 BTC", (b) date acquired, (c) date sold,
(d) proceeds, (e) cost basis, (f) codes, (g) adjustment, (h) = (d) − (e) + (g). Each row's
(d), (e) and (g) are rounded half up from the exact values (to cents, or to whole dollars when
that option is used: R6.4, then for every amount), and (h) is computed from the rounded columns,
so the totals of the rows are exactly Schedule D's (CONTRACT §3).

Rows are ordered by date sold, then the disposal's seq, then lot selection order (the order the
lot engine gave). A missing-basis slice (R3.5) has basis 0, date acquired = date sold, short term.

Example (trade_fees): bought 1 BTC for 10,000 + 100 fee, sold for 12,000 − 50 fee ->
"1 BTC", proceeds 11950.00, cost basis 10100.00, gain 1850.00, box C (tax year 2024).

Reports no problems (the lot engine reports missing basis and late identification).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext

import msgspec

from projections.model import DisposalKind, Slice, Term
from projections.rules.form_box import LONG_BOXES, SHORT_BOXES, Box, Part, WalletReports, box

CENT = Decimal("0.01")
DOLLAR = Decimal("1")
CONTEXT = Context(prec=34, rounding=ROUND_HALF_UP)
CSV_HEADER = (
    "part", "box", "(a) description", "(b) date acquired", "(c) date sold", "(d) proceeds",
    "(e) cost basis", "(f) code", "(g) adjustment", "(h) gain or (loss)",
)
BOX_ORDER: dict[str, int] = {b: i for i, b in enumerate(SHORT_BOXES + LONG_BOXES)}


class Row(msgspec.Struct, frozen=True, kw_only=True):
    """One Form 8949 row, amounts rounded (cents by default).

    Attributes:
        seq: seq of the disposal event.
        event_key: key of the disposal event.
        kind: sell, swap, fee or transfer_fee.
        asset: the asset.
        qty: units (exact).
        wallet: the wallet the units left.
        lot: full key of the acquisition ("" for missing basis).
        date_acquired: (b).
        date_sold: (c).
        proceeds: (d), rounded.
        cost_basis: (e), rounded.
        code: (f).
        adjustment: (g), rounded.
        gain: (h) from the rounded columns.
        term: short or long.
        part: I (short) or II (long).
        box: A..L.
        missing_basis: sold beyond what the pool held (R3.5).
    """

    seq: int
    event_key: str
    kind: DisposalKind
    asset: str
    qty: Decimal
    wallet: str
    lot: str
    date_acquired: date
    date_sold: date
    proceeds: Decimal
    cost_basis: Decimal
    code: str
    adjustment: Decimal
    gain: Decimal
    term: Term
    part: Part
    box: Box
    missing_basis: bool = False

    @property
    def year(self) -> int:
        """The tax year of the sale."""
        return self.date_sold.year

    @property
    def description(self) -> str:
        """(a): quantity and asset, e.g. "0.5 BTC"."""
        return f"{plain(self.qty)} {self.asset}"


def plain(qty: Decimal) -> str:
    """A normalized quantity in plain notation: "0.5", "100", never "1E+2"."""
    text = format(qty.normalize(CONTEXT), "f")
    return "0" if text in ("-0", "0") else text


def money(amount: Decimal) -> str:
    """An amount with exactly two decimals ("70000.00", "-5000.00")."""
    cents = amount.quantize(CENT, context=CONTEXT)
    return str(cents) if cents else "0.00"  # exponent -2: str() never uses exponent notation


def rows(slices: Iterable[Slice], wallets: WalletReports, *, quantum: Decimal = CENT) -> list[Row]:
    """The 8949 rows of these slices, in form order, amounts rounded half up to `quantum`.

    Amounts are kept with two decimals even when `quantum` is DOLLAR (101 -> 101.00), so `str()`
    of any Row amount is already the contract's text.
    """
    ordered = sorted(slices, key=lambda s: (s.date_sold, s.seq))  # stable: selection order kept
    out: list[Row] = []
    key_to_box: dict[tuple[str, str, bool, int, str | None], Box] = {}
    has_settings = bool(wallets.wallet_to_settings)
    whole = quantum != CENT
    with localcontext(CONTEXT):
        for s in ordered:
            if whole:
                proceeds = s.proceeds.quantize(quantum).quantize(CENT)
                basis = s.basis.quantize(quantum).quantize(CENT)
                adjustment = s.adjustment.quantize(quantum).quantize(CENT)
            else:
                proceeds, basis, adjustment = s.proceeds.quantize(CENT), s.basis.quantize(CENT), \
                    s.adjustment.quantize(CENT)
            term: Term = "short" if s.missing_basis else s.term
            covered = s.covered and not s.missing_basis
            reports = wallets.reports(s.wallet, s.date_sold) if has_settings else None
            key = (s.asset_class, term, covered, s.date_sold.year, reports)
            the_box = key_to_box.get(key)
            if the_box is None:
                the_box = key_to_box[key] = box(asset_class=s.asset_class, term=term, covered=covered,
                                                year=s.date_sold.year, reports=reports)
            out.append(Row(
                seq=s.seq, event_key=s.event_key, kind=s.kind, asset=s.asset, qty=s.qty, wallet=s.wallet,
                lot=s.lot, date_acquired=s.date_sold if s.missing_basis else s.date_acquired,
                date_sold=s.date_sold, proceeds=proceeds, cost_basis=basis,
                code="".join(sorted(s.code)) if len(s.code) > 1 else s.code,
                adjustment=adjustment, gain=proceeds - basis + adjustment, term=term,
                part="I" if term == "short" else "II", box=the_box, missing_basis=s.missing_basis,
            ))
    return out


class _RowJson(msgspec.Struct):
    """One row exactly as CONTRACT §3 `report 8949 --json` (plus seq, event_key, kind, missing_basis).

    msgspec encodes it in field order, a Decimal as its `str()` (row amounts are already
    two-decimal Decimals, see `rows`) and a date as its ISO text, without a dict per row.
    """

    description: str
    asset: str
    qty: str
    wallet: str
    lot: str
    date_acquired: date
    date_sold: date
    proceeds: Decimal
    cost_basis: Decimal
    code: str
    adjustment: Decimal
    gain: Decimal
    term: str
    box: str
    seq: int
    event_key: str
    kind: str
    missing_basis: bool


def _row_struct(r: Row) -> _RowJson:
    qty = plain(r.qty)
    return _RowJson(
        f"{qty} {r.asset}", r.asset, qty, r.wallet, r.lot, r.date_acquired, r.date_sold, r.proceeds,
        r.cost_basis, r.code, r.adjustment, r.gain, r.term, r.box, r.seq, r.event_key, r.kind, r.missing_basis,
    )


def row_json(row: Row) -> dict[str, object]:
    """A row as the plain JSON object `report 8949 --json` prints."""
    return msgspec.to_builtins(_row_struct(row))  # type: ignore[no-any-return]


def rows_json(form_rows: Iterable[Row]) -> list[dict[str, object]]:
    """`row_json` of each row, in the order given."""
    return msgspec.to_builtins([_row_struct(r) for r in form_rows])  # type: ignore[no-any-return]


def rows_json_bytes(form_rows: Iterable[Row]) -> bytes:
    """Compact JSON of `rows_json(form_rows)`, encoded straight from the structs."""
    return msgspec.json.encode([_row_struct(r) for r in form_rows])


def grouped(form_rows: Sequence[Row]) -> list[Row]:
    """Rows grouped by part, then box (A, B, C, G, H, I, then D, E, F, J, K, L), each group in row order."""
    return sorted(form_rows, key=lambda r: BOX_ORDER[r.box])  # stable


def dollars(amount: Decimal) -> str:
    """A whole-dollar amount ("1234", "-5"), for rows rounded with `quantum=DOLLAR` (R6.4)."""
    whole = amount.quantize(DOLLAR, context=CONTEXT)
    return str(whole) if whole else "0"


def to_csv(form_rows: Sequence[Row], *, whole_dollars: bool = False) -> str:
    """The rows as CSV: columns (a)–(h) plus part and box, grouped by part then box (R6.3).

    Build the rows with `quantum=DOLLAR` for `whole_dollars` (every amount rounded from the exact
    value, (h) recomputed from the rounded columns: R6.4).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    if whole_dollars:
        writer.writerows(
            (r.part, r.box, f"{plain(r.qty)} {r.asset}", r.date_acquired, r.date_sold,
             dollars(r.proceeds), dollars(r.cost_basis), r.code, dollars(r.adjustment), dollars(r.gain))
            for r in grouped(form_rows)
        )
    else:  # the writer writes str() of a date (its ISO text) and of a Decimal
        writer.writerows(
            (r.part, r.box, f"{plain(r.qty)} {r.asset}", r.date_acquired, r.date_sold,
             r.proceeds, r.cost_basis, r.code, r.adjustment, r.gain)
            for r in grouped(form_rows)
        )
    return buffer.getvalue()
