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
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from itertools import islice
from operator import attrgetter

import msgspec

from ..ledger.events import Reports
from .model import DisposalKind, Slice, Term
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
    """A normalized quantity in plain notation: "0.5", "100", never "1E+2".

    `str()` of most quantities is already that (no exponent, no trailing zero after a point, not
    "-0", at most 34 characters, so normalizing in the 34-digit context changes nothing), and costs
    a fraction of normalizing and formatting (issue #19: once per 8949 row).
    """
    text = str(qty)
    last = text[-1]
    if len(text) <= 34 and "E" not in text and (
            last in "123456789" or (last == "0" and "." not in text and text != "-0")):
        return text
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
    if isinstance(slices, list | tuple):
        made = _rows(slices, wallets, quantum)
        if made is not None:
            return made
    made = _rows(sorted(slices, key=sold_order), wallets, quantum)  # stable: selection order kept
    assert made is not None
    return made


def _rows(ordered: Sequence[Slice], wallets: WalletReports, quantum: Decimal) -> list[Row] | None:
    """`rows` of slices in 8949 order (`sold_order`), or None as soon as one is out of it: the order
    is checked as the rows are made, once per disposal, not in a pass of its own (issue #19)."""
    out: list[Row] = []
    append, new_row = out.append, make_row  # locals: looked up once per call, not once per row
    key_to_box: dict[tuple[str, str, bool, int, str | None], Box] = {}
    has_settings = bool(wallets.wallet_to_settings)
    whole = quantum != CENT
    wallet: str | None = None
    day: date | None = None
    reports: Reports | None = None
    last_sold, last_seq = (ordered[0].date_sold, ordered[0].seq) if ordered else (date.min, 0)
    with localcontext(CONTEXT):
        for s in ordered:
            sold, seq = s.date_sold, s.seq
            if seq != last_seq or sold != last_sold:  # a slice of another disposal
                if sold < last_sold or (sold == last_sold and seq < last_seq):
                    return None
                last_sold, last_seq = sold, seq
            if whole:
                proceeds = s.proceeds.quantize(quantum).quantize(CENT)
                basis = s.basis.quantize(quantum).quantize(CENT)
                adjustment = s.adjustment.quantize(quantum).quantize(CENT)
            else:
                proceeds, basis = s.proceeds.quantize(CENT), s.basis.quantize(CENT)
                adjustment = s.adjustment  # most slices have none: one shared 0.00 (a -0 rounds to -0.00)
                adjustment = ZERO_CENTS if not adjustment and not adjustment.is_signed() else \
                    adjustment.quantize(CENT)
            missing = s.missing_basis  # read once: R3.5 rows are short-term, never covered
            if missing:
                term: Term = "short"
                covered = False
            else:
                term, covered = s.term, s.covered
            if has_settings and (s.wallet != wallet or sold != day):  # once per disposal (by value: decoded slices)
                wallet, day = s.wallet, sold
                reports = wallets.reports(wallet, day)
            key = (s.asset_class, term, covered, sold.year, reports)
            the_box = key_to_box.get(key)
            if the_box is None:
                the_box = key_to_box[key] = box(asset_class=s.asset_class, term=term, covered=covered,
                                                year=sold.year, reports=reports)
            code = s.code
            append(new_row(
                seq, s.event_key, s.kind, s.asset, s.qty, s.wallet, s.lot,
                sold if missing else s.date_acquired, sold, proceeds, basis,
                code if len(code) < 2 else "".join(sorted(code)), adjustment,
                proceeds - basis + adjustment, term,
                "I" if term == "short" else "II", the_box, missing,
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
    source = iter(slices)
    held: list[Slice] = []  # the slices of a later year that the last chunk read
    while chunk := held + list(islice(source, size - len(held))):  # a C loop takes the slices
        held = []
        year = chunk[0].date_sold.year
        if chunk[-1].date_sold.year != year:  # cut before the first slice of a later year (8949 order)
            cut = bisect_right(chunk, year, key=_year_sold)
            chunk, held = chunk[:cut], chunk[cut:]
        yield rows(chunk, wallets, quantum=quantum)


def _year_sold(s: Slice) -> int:
    return s.date_sold.year


JSON_HEAD = "[\n  {\n"  # an indented array of rows (`json.dumps(..., indent=2)`) up to its first row's first field
JSON_BETWEEN = "\n  },\n  {\n"  # between one row's last field and the next row's first
JSON_END = "\n  }\n]"  # after the last row's last field
_LOT, _EVENT_KEY = attrgetter("lot"), attrgetter("event_key")
_ENCODE = msgspec.json.encode

RowTexts = tuple[dict[str, list[str]], list[str]]  # CSV lines (cents) by box, in row order; each row's JSON fields


def row_texts(form_rows: Sequence[Row]) -> RowTexts:
    """Each row's CSV line (as `csv.writer` writes it, amounts in cents) under its box, and its JSON
    fields (as `form8949.json` holds them: between `JSON_HEAD` or `JSON_BETWEEN` and `JSON_BETWEEN`
    or `JSON_END`): one pass that makes the text of each column once for both files (issue #19).

    CONTRACT §3 `report 8949 --json` (plus seq, event_key, kind, missing_basis), in its key order:
    each field from the row's field of its name, as text; `qty` is `plain(r.qty)` and `description`
    is qty and asset. Made by an f-string per row, not by encoding and indenting structs (twice
    the time). The user's text (asset, wallet, lot, event key) is written as msgspec writes it:
    as is when msgspec adds nothing but the quotes (checked once per asset and wallet, once per
    chunk for the keys), else escaped by msgspec; the rest is gainlog's own vocabulary, dates,
    numbers. A date's ISO text is made once per date. A row whose asset needs CSV quoting (a comma,
    quote or line break) goes through `csv.writer` itself.
    """
    box_to_lines: dict[str, list[str]] = {}
    json_rows: list[str] = []
    append_json = json_rows.append
    day_to_text: dict[date, str] = {}
    asset_to_texts: dict[str, tuple[bool, str]] = {}  # needs no CSV quoting, its JSON text
    wallet_to_json: dict[str, str] = {}
    keys_as_is = _as_is("".join(map(_LOT, form_rows)) + "".join(map(_EVENT_KEY, form_rows)))
    for r in form_rows:
        qty = plain(r.qty)
        acquired = day_to_text.get(r.date_acquired)
        if acquired is None:
            acquired = day_to_text[r.date_acquired] = r.date_acquired.isoformat()
        sold = day_to_text.get(r.date_sold)
        if sold is None:
            sold = day_to_text[r.date_sold] = r.date_sold.isoformat()
        asset, the_box, code = r.asset, r.box, r.code
        proceeds, basis, adjustment, gain = str(r.proceeds), str(r.cost_basis), str(r.adjustment), str(r.gain)
        lines = box_to_lines.get(the_box)
        if lines is None:
            lines = box_to_lines[the_box] = []
        texts = asset_to_texts.get(asset)
        if texts is None:
            texts = asset_to_texts[asset] = (not any(c in asset for c in ',"\r\n'), _json_text(asset))
        csv_plain, asset_json = texts
        if csv_plain:
            lines.append(f"{r.part},{the_box},{qty} {asset},{acquired},{sold},{proceeds},{basis},{code},"
                         f"{adjustment},{gain}\n")
        else:
            quoted = io.StringIO()
            csv.writer(quoted, lineterminator="\n").writerow(
                (r.part, the_box, f"{qty} {asset}", acquired, sold, proceeds, basis, code, adjustment, gain))
            lines.append(quoted.getvalue())
        wallet = wallet_to_json.get(r.wallet)
        if wallet is None:
            wallet = wallet_to_json[r.wallet] = _json_text(r.wallet)
        if keys_as_is:
            lot, key = r.lot, r.event_key
        else:
            lot, key = _json_text(r.lot), _json_text(r.event_key)
        # two f-strings joined: one of over 30 pieces is compiled to a slower str.join
        append_json(
            f'    "description": "{qty} {asset_json}",\n    "asset": "{asset_json}",\n    "qty": "{qty}",\n'
            f'    "wallet": "{wallet}",\n    "lot": "{lot}",\n    "date_acquired": "{acquired}",\n'
            f'    "date_sold": "{sold}",\n    "proceeds": "{proceeds}",\n    "cost_basis": "{basis}",\n'
            + f'    "code": "{code}",\n    "adjustment": "{adjustment}",\n    "gain": "{gain}",\n'
            f'    "term": "{r.term}",\n    "box": "{the_box}",\n    "seq": {r.seq},\n'
            f'    "event_key": "{key}",\n    "kind": "{r.kind}",\n'
            f'    "missing_basis": {"true" if r.missing_basis else "false"}'
        )
    return box_to_lines, json_rows


def _as_is(text: str) -> bool:
    """msgspec writes `text` as it is, between quotes (no quote, backslash or control character)."""
    return len(_ENCODE(text)) == len(text.encode()) + 2


def _json_text(text: str) -> str:
    """`text` as msgspec writes it in JSON, without the quotes."""
    return text if _as_is(text) else _ENCODE(text)[1:-1].decode()


JSON_DECODE_ROWS = 4096  # rows per text `rows_json` decodes (about 2.5 MB)
_SHARED_FIELDS = ("asset", "wallet", "date_acquired", "date_sold", "code", "term", "box", "kind", "event_key")


def rows_json_text(form_rows: Sequence[Row], texts: RowTexts | None = None) -> str:
    """The rows as `report 8949 --json` prints them: indented as `json.dumps(..., indent=2)` writes
    them (no final line break); `texts`: `row_texts(form_rows)`, when the caller has them."""
    fields = (row_texts(form_rows) if texts is None else texts)[1]
    return JSON_HEAD + JSON_BETWEEN.join(fields) + JSON_END if fields else "[]"


def row_json(row: Row) -> dict[str, object]:
    """A row as the plain JSON object `report 8949 --json` prints."""
    return rows_json((row,))[0]


def rows_json(form_rows: Sequence[Row]) -> list[dict[str, object]]:
    """`row_json` of each row, in the order given: decoded from `rows_json_text` a chunk of rows at a
    time, so the text of a large year is never held whole beside its objects (`explain` at 1M
    events: +160 MB when it was)."""
    out: list[dict[str, object]] = []
    for start in range(0, len(form_rows), JSON_DECODE_ROWS):
        out += msgspec.json.decode(rows_json_text(form_rows[start : start + JSON_DECODE_ROWS]))
    # a decoded text is a new str per row; the rows' assets, wallets, dates and codes repeat: one each
    shared: dict[object, object] = {}
    for row in out:
        for field in _SHARED_FIELDS:
            value = row[field]
            row[field] = shared.setdefault(value, value)
    return out


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

    def add(self, form_rows: Sequence[Row], texts: RowTexts | None = None) -> None:
        """Add rows (in row order); `texts`: `row_texts(form_rows)`, when the caller has them."""
        if self._whole_dollars:
            box_to_rows: dict[str, list[Row]] = {}
            for r in form_rows:
                box_to_rows.setdefault(r.box, []).append(r)
            for the_box, box_rows in box_to_rows.items():
                csv.writer(self._text(the_box), lineterminator="\n").writerows(
                    (r.part, r.box, f"{plain(r.qty)} {r.asset}", r.date_acquired, r.date_sold,
                     dollars(r.proceeds), dollars(r.cost_basis), r.code, dollars(r.adjustment), dollars(r.gain))
                    for r in box_rows
                )
            return
        box_to_lines = (row_texts(form_rows) if texts is None else texts)[0]
        for the_box, lines in box_to_lines.items():
            self._text(the_box).write("".join(lines))

    def add_text(self, the_box: str, lines: str) -> None:
        """Add the CSV lines of rows of `the_box`, ready made (a sharded replay's: `api.parallel`)."""
        self._text(the_box).write(lines)

    def _text(self, the_box: str) -> io.StringIO:
        text = self._box_to_text.get(the_box)
        if text is None:
            text = self._box_to_text[the_box] = io.StringIO()
        return text

    def pieces(self) -> Iterator[str]:
        """The CSV text in pieces: the header, then each box's rows, boxes in form order (`grouped`)."""
        header = io.StringIO()
        csv.writer(header, lineterminator="\n").writerow(CSV_HEADER)
        yield header.getvalue()
        for the_box in sorted(self._box_to_text, key=BOX_ORDER.__getitem__):
            yield self._box_to_text[the_box].getvalue()
