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
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext

import msgspec

from ..ledger.events import Reports
from .model import DisposalKind, Slice, Term
from .order import is_sorted
from .rules.form_box import LONG_BOXES, SHORT_BOXES, Box, Part, WalletReports, box

CENT = Decimal("0.01")
ZERO_CENTS = Decimal("0.00")
DOLLAR = Decimal("1")
CONTEXT = Context(prec=34, rounding=ROUND_HALF_UP)
CSV_HEADER = (
    "part", "box", "(a) description", "(b) date acquired", "(c) date sold", "(d) proceeds",
    "(e) cost basis", "(f) code", "(g) adjustment", "(h) gain or (loss)",
)
BOX_ORDER: dict[str, int] = {b: i for i, b in enumerate(SHORT_BOXES + LONG_BOXES)}


class Row(msgspec.Struct, frozen=True, gc=False):
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


def make_row(
    seq: int, event_key: str, kind: DisposalKind, asset: str, qty: Decimal, wallet: str, lot: str,
    date_acquired: date, date_sold: date, proceeds: Decimal, cost_basis: Decimal, code: str, adjustment: Decimal,
    gain: Decimal, term: Term, part: Part, box: Box, missing_basis: bool,
) -> Row:
    """The fast constructor of `Row` (`rows`: once per row), the only place a Row is built positionally,
    in field order (several times faster than by keyword); each parameter becomes the field of its name."""
    return Row(
        seq, event_key, kind, asset, qty, wallet, lot, date_acquired, date_sold, proceeds, cost_basis, code,
        adjustment, gain, term, part, box, missing_basis,
    )


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
    ordered = slices if isinstance(slices, list | tuple) and is_sorted(slices, sold_order) else \
        sorted(slices, key=sold_order)  # stable: selection order kept
    out: list[Row] = []
    append, new_row = out.append, make_row  # locals: looked up once per call, not once per row
    key_to_box: dict[tuple[str, str, bool, int, str | None], Box] = {}
    has_settings = bool(wallets.wallet_to_settings)
    whole = quantum != CENT
    wallet: str | None = None
    day: date | None = None
    reports: Reports | None = None
    with localcontext(CONTEXT):
        for s in ordered:
            if whole:
                proceeds = s.proceeds.quantize(quantum).quantize(CENT)
                basis = s.basis.quantize(quantum).quantize(CENT)
                adjustment = s.adjustment.quantize(quantum).quantize(CENT)
            else:
                proceeds, basis = s.proceeds.quantize(CENT), s.basis.quantize(CENT)
                adjustment = s.adjustment  # most slices have none: one shared 0.00 (a -0 rounds to -0.00)
                adjustment = ZERO_CENTS if not adjustment and not adjustment.is_signed() else \
                    adjustment.quantize(CENT)
            term: Term = "short" if s.missing_basis else s.term
            covered = s.covered and not s.missing_basis
            if has_settings and (s.wallet is not wallet or s.date_sold is not day):  # once per disposal
                wallet, day = s.wallet, s.date_sold
                reports = wallets.reports(wallet, day)
            key = (s.asset_class, term, covered, s.date_sold.year, reports)
            the_box = key_to_box.get(key)
            if the_box is None:
                the_box = key_to_box[key] = box(asset_class=s.asset_class, term=term, covered=covered,
                                                year=s.date_sold.year, reports=reports)
            append(new_row(
                s.seq, s.event_key, s.kind, s.asset, s.qty, s.wallet, s.lot,
                s.date_sold if s.missing_basis else s.date_acquired, s.date_sold, proceeds, basis,
                "".join(sorted(s.code)) if len(s.code) > 1 else s.code, adjustment,
                proceeds - basis + adjustment, term,
                "I" if term == "short" else "II", the_box, s.missing_basis,
            ))
    return out


def sold_order(s: Slice) -> tuple[date, int]:
    """Form 8949 row order before boxes: date sold, then the disposal's seq (selection order kept by a
    stable sort, CONTRACT §3)."""
    return s.date_sold, s.seq


def row_chunks(
    slices: Iterable[Slice], wallets: WalletReports, *, quantum: Decimal = CENT, size: int = 4096
) -> Iterator[list[Row]]:
    """`rows(slices, wallets, quantum=quantum)` a few thousand at a time (at most `size`), each list
    within one tax year, for slices in 8949 order (`Booked.slices`, `pipeline.Replay.slices`):
    together the same rows, but only a chunk of them exists at a time (issue #7)."""
    chunk: list[Slice] = []
    year = 0
    for s in slices:
        if chunk and (s.date_sold.year != year or len(chunk) >= size):
            yield rows(chunk, wallets, quantum=quantum)
            chunk = []
        year = s.date_sold.year
        chunk.append(s)
    if chunk:
        yield rows(chunk, wallets, quantum=quantum)


class _RowJson(msgspec.Struct, gc=False):
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


def _row_struct(r: Row, qty: str | None = None) -> _RowJson:
    """The fast constructor of `_RowJson`, the only place one is built (positionally, in field order):
    each field from the row's field of its name, `description` from `qty` (`plain(r.qty)`, when the
    caller has it) and the asset."""
    qty = plain(r.qty) if qty is None else qty
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


def rows_json_bytes(form_rows: Sequence[Row], qtys: Sequence[str] | None = None) -> bytes:
    """Compact JSON of `rows_json(form_rows)`, encoded straight from the structs; `qtys`: `plain`
    of each row's qty, when the caller has them."""
    if qtys is None:
        return msgspec.json.encode([_row_struct(r) for r in form_rows])
    return msgspec.json.encode([_row_struct(r, qty) for r, qty in zip(form_rows, qtys, strict=True)])


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
    text = CsvText(whole_dollars=whole_dollars)
    text.add(form_rows)
    return "".join(text.pieces())


class CsvText:
    """`to_csv` of rows given a chunk at a time (`row_chunks`): each row is written to the text of
    its box as it comes, and `pieces` hands out the header and the boxes in form order, so a year's
    CSV needs its text, never all its rows (issue #7)."""

    def __init__(self, *, whole_dollars: bool = False) -> None:
        self._whole_dollars = whole_dollars
        self._box_to_text: dict[str, io.StringIO] = {}
        self._asset_to_plain: dict[str, bool] = {}  # the asset needs no CSV quoting

    def add(self, form_rows: Sequence[Row], qtys: Sequence[str] | None = None) -> None:
        """Add rows (in row order); `qtys`: `plain` of each row's qty, when the caller has them."""
        if qtys is None:
            qtys = [plain(r.qty) for r in form_rows]
        box_to_rows: dict[str, list[tuple[Row, str]]] = {}
        for r, qty in zip(form_rows, qtys, strict=True):
            box_rows = box_to_rows.get(r.box)
            if box_rows is None:
                box_rows = box_to_rows[r.box] = []
            box_rows.append((r, qty))
        for the_box, box_rows in box_to_rows.items():
            text = self._box_to_text.get(the_box)
            if text is None:
                text = self._box_to_text[the_box] = io.StringIO()
            if self._whole_dollars:
                csv.writer(text, lineterminator="\n").writerows(
                    (r.part, r.box, f"{qty} {r.asset}", r.date_acquired, r.date_sold,
                     dollars(r.proceeds), dollars(r.cost_basis), r.code, dollars(r.adjustment), dollars(r.gain))
                    for r, qty in box_rows
                )
            else:
                self._add_cents(text, box_rows)

    def _add_cents(self, text: io.StringIO, box_rows: list[tuple[Row, str]]) -> None:
        """The lines `csv.writer` writes for these rows (str() of each date and Decimal), formatted
        directly (twice as fast); a row whose asset needs quoting goes through the writer itself."""
        lines: list[str] = []
        asset_to_plain = self._asset_to_plain
        for r, qty in box_rows:
            is_plain = asset_to_plain.get(r.asset)
            if is_plain is None:
                is_plain = asset_to_plain[r.asset] = not any(c in r.asset for c in ',"\r\n')
            if is_plain:
                lines.append(
                    f"{r.part},{r.box},{qty} {r.asset},{r.date_acquired.isoformat()},{r.date_sold.isoformat()},"
                    f"{r.proceeds!s},{r.cost_basis!s},{r.code},{r.adjustment!s},{r.gain!s}\n"
                )
            else:
                text.write("".join(lines))
                lines = []
                csv.writer(text, lineterminator="\n").writerow(
                    (r.part, r.box, f"{qty} {r.asset}", r.date_acquired, r.date_sold,
                     r.proceeds, r.cost_basis, r.code, r.adjustment, r.gain)
                )
        text.write("".join(lines))

    def pieces(self) -> Iterator[str]:
        """The CSV text in pieces: the header, then each box's rows, boxes in form order (`grouped`)."""
        header = io.StringIO()
        csv.writer(header, lineterminator="\n").writerow(CSV_HEADER)
        yield header.getvalue()
        for the_box in sorted(self._box_to_text, key=BOX_ORDER.__getitem__):
            yield self._box_to_text[the_box].getvalue()
