"""Reading an exchange or broker CSV export into rows that know their file, line and columns.

Every format module works on `Row`s so that each error it raises names the same three things the
user needs to fix the export: `FILE:LINE: column 'NAME': ...` (exit 2, via InvalidEvent). The line
is the physical line the record starts on (a quoted cell may span lines), counted from 1 like an
editor does, so it matches what the user sees when opening the file.

Exports start with free-form preamble rows (Coinbase's "Transactions" / "User" lines, Schwab's
"Transactions for account ..." title), so the header is the first row holding every required
column, not simply the first row.

Amounts are parsed here, once, into Decimal: thousands separators only in groups of three
("1,234.56", never "1,5", which is a European decimal comma and ambiguous), an optional "$" and
sign in either order ("-$5.00", "$-5.00"), nothing else. Floats never appear.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from .. import codec, importer
from ..errors import InvalidEvent
from ..importer import Parsed
from ..limits import shown, year_problem

_NUMBER = re.compile(
    r"(?P<sign>[-+]?)(?P<dollar>\$?)(?P<sign2>[-+]?)"
    r"(?P<int>\d{1,3}(?:,\d{3})+|\d*)(?P<frac>\.\d+)?(?P<exp>[eE][-+]?\d+)?"
)
MAX_WHOLE_DIGITS, MAX_DECIMALS = 15, 18  # codec.PLAIN
_US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


@dataclass(frozen=True)
class Skipped:
    """One export row that became no event, and why (every skipped row is reported, never dropped).

    Attributes:
        where: `FILE:LINE` of the row.
        label: the row's type as the export writes it ('Retail Staking Transfer').
        reason: `internal` (a move inside the account), `cash` (money, not a lot), `transfer`
            (coins in or out: loses its basis until transfers are matched), `unvalued` (no USD
            value to record it with), `unknown` (a type gainlog does not map; only with --skip-unknown).
        group: the summary sentence's noun phrase for rows like it (None: the converter wrote its
            own warning for the row).
        warn: whether the summary line is a warning (the user must act) rather than a note.
    """

    where: str
    label: str
    reason: str
    group: str | None = None
    warn: bool = False


@dataclass(frozen=True)
class Unknown:
    """A row of a type gainlog does not map: refused, all listed at once, unless --skip-unknown."""

    where: str
    column: str
    label: str
    message: str


@dataclass(frozen=True)
class PendingLeg:
    """A transfer leg a converter recorded (`Conversion.transfer_leg`), made an event by `Conversion.emit_legs`
    once the wallet and time zone are known."""

    row: Row
    label: str
    direction: str
    asset: str
    qty: Decimal
    fee_qty: Decimal
    txid: str | None
    at: str | None
    event_id: str | None
    wallet: str | None = None


LEGS_WARNING = (
    "{path}: recorded {what} as transfer legs ({rows}): pair each with the other side of the move with "
    "`gainlog transfers` (until then reports warn: a withdrawal's units wait in transit, a deposit is a lot "
    "with zero basis)"
)


@dataclass
class Conversion:
    """What a converter made of an export: the events, and what it said about the rows it skipped.

    `warnings` need the user's attention (stderr); `notes` are the summary of rows skipped because
    they change no lot (stdout). `skipped` lists every row that became no event.
    """

    events: list[Parsed] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    unknown: list[Unknown] = field(default_factory=list)
    reports_wallet: str | None = None  # a Coinbase/Kraken wallet that sells from 2025 (formats.add_default_reports)
    legs: list[PendingLeg] = field(default_factory=list)  # transfer legs, events once `emit_legs` runs

    def skip(self, row: Row, label: str, reason: str, group: str | None = None, *, warn: bool = False) -> None:
        """Record `row` as skipped; rows sharing `group` are summarised in one line by `finish`."""
        self.skipped.append(Skipped(row.where, label, reason, group, warn))

    def transfer_leg(
        self,
        row: Row,
        label: str,
        direction: str,
        asset: str,
        qty: Decimal,
        *,
        fee_qty: Decimal = Decimal(0),
        txid: str | None = None,
        at: str | None = None,
        event_id: str | None = None,
        wallet: str | None = None,
    ) -> None:
        """Coins leaving (`direction` "out") or arriving ("in") at this export's account: one side of a
        move between the user's own accounts, or a gift. Every converter records such rows here, the one
        place that decides what a transfer leg becomes: a `withdrawal` or `deposit` event (R2.8) that
        `gainlog transfers` pairs with the other side.

        `qty` is what the row says was sent or received, `fee_qty` the units the exchange charged on
        top of a withdrawal (or took out of a deposit), both in `asset`: the withdrawal's `qty` is
        `qty + fee_qty` (what left the balance), the deposit's `qty − fee_qty` (what arrived). `txid`
        is an on-chain transaction id only (never an exchange's own id: a different txid on the two
        sides keeps them from pairing). `at` is the row's time as RFC 3339 text (the converter's own
        reading of it); `event_id` the export's id of the row (default: a hash of its cells); `wallet` the
        row's account when one export holds several (default: the import's wallet). Without
        `at` the row is skipped with a warning, as before transfer legs existed.
        """
        if at is None:
            self.skip(row, label, "transfer")
            what = f"{plain(qty.normalize())} {asset}"
            what += f" (fee {plain(fee_qty.normalize())} {asset})" if fee_qty else ""
            self.warnings.append(transfer_warning(row.where, label, what))
            return
        self.legs.append(PendingLeg(row, label, direction, asset, qty, fee_qty, txid, at, event_id, wallet))

    def emit_legs(self, path: Path, *, tz: ZoneInfo, wallet: str) -> None:
        """The recorded transfer legs as `withdrawal` / `deposit` events of `wallet`, with one warning
        naming `gainlog transfers`; a deposit whose fee leaves nothing is skipped with a warning."""
        ranks: dict[str, int] = {}
        made: list[tuple[str, str]] = []  # (label, where) of each leg made an event
        kinds = {"out": 0, "in": 0}
        for leg in self.legs:
            row = leg.row
            event_id = leg.event_id
            if not event_id:
                cells = [row.cells[name] for name in row.order] if row.order else list(row.cells.values())
                digest = text_hash(cells)
                ranks[digest] = ranks.get(digest, 0) + 1
                event_id = f"leg-{digest}" if ranks[digest] == 1 else f"leg-{digest}-{ranks[digest]}"
            head = {"at": leg.at, "wallet": leg.wallet or wallet, "asset": leg.asset, "id": event_id, "txid": leg.txid,
                    "note": leg.label}
            if leg.direction == "out":
                raw = head | {"type": "withdrawal", "qty": plain(leg.qty + leg.fee_qty),
                              "fee_qty": nonzero(leg.fee_qty)}
            else:
                arrived = leg.qty - leg.fee_qty
                if arrived <= 0:
                    self.skip(row, leg.label, "transfer")
                    self.warnings.append(
                        f"{row.where}: skipped {leg.label!r} of {plain(leg.qty.normalize())} {leg.asset}: its fee "
                        f"({plain(leg.fee_qty.normalize())}) leaves nothing arriving"
                    )
                    continue
                raw = head | {"type": "deposit", "qty": plain(arrived)}
            self.events.append(row.event(raw, tz=tz))
            made.append((leg.label, row.where))
            kinds[leg.direction] += 1
        self.legs = []
        if made:
            parts = [f"{n} {noun}" for n, noun in ((kinds["out"], "withdrawal(s)"), (kinds["in"], "deposit(s)")) if n]
            self.warnings.append(LEGS_WARNING.format(path=path, what=" and ".join(parts), rows=_by_label(made)))

    def not_mapped(self, row: Row, column: str, label: str, noun: str, reason: str | None = None) -> None:
        """Record a row of a type gainlog does not map (`finish` refuses them all in one error)."""
        message = reason if reason is not None else f"{shown(label)} is not {noun} gainlog maps"
        self.unknown.append(Unknown(row.where, column, label, message))

    def finish(self, path: Path, *, skip_unknown: bool = False) -> Conversion:
        """Refuse the unknown rows in one error (exit 2) unless `skip_unknown`; summarise the skipped.

        The error lists every unknown type with its count and first lines, so one run shows all
        that needs deciding. With `skip_unknown` they become skipped rows and a warning.
        """
        if self.unknown and not skip_unknown:
            raise InvalidEvent(_unknown_message(path, self.unknown))
        if self.unknown:
            labels = _by_label((u.label, u.where) for u in self.unknown)
            self.warnings.append(
                f"{path}: --skip-unknown: skipped {_rows(len(self.unknown))} gainlog does not map ({labels}): "
                "they are not in the ledger; enter them with `gainlog add` if they change what you hold"
            )
            self.skipped.extend(Skipped(u.where, u.label, "unknown") for u in self.unknown)
            self.unknown = []
        group_to_rows: dict[tuple[str, bool], list[Skipped]] = {}
        for item in self.skipped:
            if item.group is not None and item.reason != "unknown":
                group_to_rows.setdefault((item.group, item.warn), []).append(item)
        for (group, warn), items in group_to_rows.items():
            line = f"{path}: skipped {len(items)} {group}: {_by_label((i.label, i.where) for i in items)}"
            (self.warnings if warn else self.notes).append(line)
        return self


FIRST_LINES = 5  # line numbers shown per type; the JSON output's `skipped` has them all


def _line(where: str) -> str:
    return where.rsplit(":", 1)[1]


def _lines(wheres: list[str]) -> str:
    shown_lines = ", ".join(_line(w) for w in wheres[:FIRST_LINES])
    more = f" and {len(wheres) - FIRST_LINES} more" if len(wheres) > FIRST_LINES else ""
    return f"line{'s' if len(wheres) > 1 else ''} {shown_lines}{more}"


def _rows(count: int) -> str:
    return f"{count} row{'s' if count != 1 else ''}"


def _by_label(pairs: Iterable[tuple[str, str]]) -> str:
    """`'Vault Withdrawal' ×2 (lines 8, 9), 'Cash to Savings' ×1 (line 12)`, in order of first appearance."""
    label_to_wheres: dict[str, list[str]] = {}
    for label, where in pairs:
        label_to_wheres.setdefault(label, []).append(where)
    return ", ".join(f"{shown(label)} ×{len(w)} ({_lines(w)})" for label, w in label_to_wheres.items())


def _unknown_message(path: Path, unknown: list[Unknown]) -> str:
    after = "nothing imported: pass --skip-unknown to import the other rows (the skipped ones are listed)"
    if len(unknown) == 1:
        only = unknown[0]
        return f"{only.where}: column {only.column!r}: {only.message}; {after}, or enter it with `gainlog add`"
    key_to_wheres: dict[tuple[str, str], list[str]] = {}
    for item in unknown:
        key_to_wheres.setdefault((item.column, item.label), []).append(item.where)
    kinds = "; ".join(
        f"column {column!r} {shown(label)} ×{len(w)} ({_lines(w)})" for (column, label), w in key_to_wheres.items()
    )
    return (
        f"{path}: {_rows(len(unknown))} of {len(key_to_wheres)} kind(s) gainlog does not map: {kinds}; "
        f"{after}, or enter them with `gainlog add`"
    )


def transfer_warning(where: str, kind: str, what: str) -> str:
    """The warning for a skipped transfer in or out: until both sides are recorded its coins have no basis here."""
    return (
        f"{where}: skipped {kind!r} of {what}: a transfer in or out keeps its basis only when recorded with "
        "both sides (`gainlog add transfer`); if it came from someone else, record it with `add income` "
        "(until then these coins have no basis in the ledger)"
    )


def plain(value: Decimal) -> str:
    """A Decimal in the plain notation the contract wants ('1E+1' -> '10')."""
    return format(value, "f")


def nonzero(value: Decimal) -> str | None:
    """An optional amount (a fee): left out of the event when zero, like a `.jsonl` line would."""
    return plain(value) if value else None


def text_hash(cells: Iterable[str]) -> str:
    """A short, stable digest of a row's cells: the identity of a row whose export has no id."""
    joined = "\x1f".join(cell.strip() for cell in cells)
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Row:
    """One data record of an export: its `FILE:LINE` and its cells by header name."""

    where: str
    cells: Mapping[str, str]
    order: tuple[str, ...] = field(default=())

    def has(self, column: str) -> bool:
        return column in self.cells

    def column(self, names: tuple[str, ...]) -> str:
        """The first of `names` this export's header has (the first name when none is there)."""
        return next((name for name in names if name in self.cells), names[0])

    def text(self, column: str) -> str:
        """The stripped cell ('' when the column is absent or empty)."""
        return self.cells.get(column, "").strip()

    def error(self, column: str, message: str) -> InvalidEvent:
        """The one-sentence error the CLI prints: `FILE:LINE: column 'NAME': message`."""
        return InvalidEvent(f"{self.where}: column {column!r}: {message}")

    def required(self, column: str) -> str:
        value = self.text(column)
        if not value:
            raise self.error(column, "is empty")
        return value

    def decimal(self, column: str, *, money: bool = False) -> Decimal | None:
        """The cell as an exact Decimal (None when empty); `money` admits a '$'."""
        raw = self.text(column)
        if not raw or raw in ("--", "-"):
            return None
        match = _NUMBER.fullmatch(raw)
        if match is None or (match["dollar"] and not money) or (match["sign"] and match["sign2"]):
            kind = "a USD amount" if money else "a decimal"
            raise self.error(column, f"{shown(raw)} is not {kind}")
        if not (match["int"] or match["frac"]):
            raise self.error(column, f"{shown(raw)} is not {'a USD amount' if money else 'a decimal'}")
        digits = (match["int"] or "0").replace(",", "") + (match["frac"] or "") + (match["exp"] or "")
        try:
            value = Decimal(digits)
        except InvalidOperation:  # pragma: no cover - the pattern admits only valid digits
            raise self.error(column, f"{shown(raw)} is not a decimal") from None
        # The contract's numbers have at most 15 digits before the point and 18 after it: refuse
        # here, naming the column, what no event could hold ('1e9999999' would overflow any sum).
        if not value:
            value = Decimal(0)  # '0e-999999' is zero, not a million zeros
        elif value.adjusted() >= MAX_WHOLE_DIGITS:
            raise self.error(column, f"{shown(raw)} is too large (at most {MAX_WHOLE_DIGITS} digits before the point)")
        elif value.adjusted() < -MAX_DECIMALS:
            raise self.error(column, f"{shown(raw)} is too small (at most {MAX_DECIMALS} decimals)")
        return -value if "-" in (match["sign"], match["sign2"]) else value

    def amount(self, column: str, *, money: bool = False) -> Decimal:
        """The cell's size (sign dropped: exports sign by direction, the ledger by event type)."""
        value = self.decimal(column, money=money)
        if value is None:
            raise self.error(column, "is empty")
        return abs(value)

    def positive(self, column: str, *, money: bool = False) -> Decimal:
        """A size that must be above zero (a trade's quantity or price)."""
        value = self.amount(column, money=money)
        if value == 0:
            raise self.error(column, "must not be zero")
        return value

    def us_date(self, column: str, *, as_of: bool = False) -> str:
        """'MM/DD/YYYY' as a bare ISO date. 'MM/DD/YYYY as of MM/DD/YYYY' is a row posted on the
        first date for a trade made on the second: the first date, or with `as_of` the second."""
        raw = self.required(column)
        match = _US_DATE.match(raw)
        rest = raw[match.end() :].strip() if match else raw
        later = _US_DATE.fullmatch(rest[len("as of ") :].strip()) if rest.lower().startswith("as of ") else None
        if match is None or (rest and later is None):
            raise self.error(column, f"{shown(raw)} is not a date MM/DD/YYYY")
        chosen = later if as_of and later is not None else match
        try:
            day = date(int(chosen[3]), int(chosen[1]), int(chosen[2]))
        except ValueError:
            raise self.error(column, f"{shown(raw)} is not a real date") from None
        problem = year_problem(day.year)
        if problem is not None:
            raise self.error(column, f"{shown(raw)}: the year {problem}")
        return day.isoformat()

    def timestamp(self, column: str, text: str, *, tz: ZoneInfo) -> str:
        """An RFC 3339 time made from `text` (the cell rewritten by the format), checked here."""
        try:
            codec.parse_at(text, tz=tz, where=self.where)
        except InvalidEvent as exc:
            _, _, reason = str(exc).partition(f"{text!r} ")  # the codec's reason, when it is not the syntax
            if not reason.startswith(("is out of range", "has digits below")):
                reason = "is not a time this format knows"
            raise self.error(column, f"{shown(self.text(column))} {reason}") from None
        return text

    def event(self, raw: dict[str, Any], *, tz: ZoneInfo) -> Parsed:
        """Validate a canonical event built from this row exactly as a `.jsonl` line is validated.

        Fields given as None are left out, so an absent note or zero-free body stays canonical.
        """
        present = {name: value for name, value in raw.items() if value is not None}
        return Parsed(self.where, codec.parse_event(present, tz=tz, where=self.where))


Required = tuple[str | tuple[str, ...], ...]  # a column, or alternatives of which one must be there


def has_columns(cells: Iterable[str], required: Required) -> bool:
    """Whether a header holds every required column (one of each tuple of alternatives)."""
    names = set(cells)
    return all(
        (bool(names & set(column)) if isinstance(column, tuple) else column in names) for column in required
    )


def _unwrapped(cells: list[str]) -> list[str]:
    """A row written wrapped whole in quotes (one cell 'a,b,"c d"') as the cells it wraps."""
    if len(cells) == 1 and "," in cells[0]:
        return next(csv.reader([cells[0]]))
    return cells


def read_rows(path: Path, *, required: Required, label: str) -> list[Row]:
    """The data rows after the header (the first row holding every `required` column).

    Blank rows are skipped. A row wrapped whole in quotes (one cell holding the commas) is read as
    the row it wraps. A file that is missing, not UTF-8 or has no such header is refused with one
    sentence naming it.
    """
    return read_table(path, required=required, label=label)[1]


def read_table(path: Path, *, required: Required, label: str) -> tuple[tuple[str, ...], list[Row]]:
    """`read_rows`, and the header found: a format with several layouts tells them apart by it."""
    text = importer.read_text(path).text  # UTF-8, or Windows-1252 (`formats.convert` warns)
    reader = csv.reader(io.StringIO(text, newline=""))
    name = str(path)
    header: tuple[str, ...] | None = None
    rows: list[Row] = []
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise InvalidEvent(f"{name}:{start}: not valid CSV ({exc})") from None
        if not any(cell.strip() for cell in cells):
            continue
        cells = _unwrapped(cells)
        if header is None:
            stripped = tuple(cell.strip() for cell in cells)
            if has_columns(stripped, required):
                header = stripped
            continue
        rows.append(_row(f"{name}:{start}", header, cells))
    if header is None:
        wanted = ", ".join(" or ".join(repr(a) for a in c) if isinstance(c, tuple) else repr(c) for c in required)
        raise InvalidEvent(f"{name}: no header row with the columns {wanted}: is this a {label} export?")
    return header, rows


def _row(where: str, header: tuple[str, ...], cells: list[str]) -> Row:
    extra = [c for c in cells[len(header) :] if c.strip()]
    if extra:
        raise InvalidEvent(f"{where}: {len(cells)} cells but the header has {len(header)} columns")
    return Row(where, dict(zip(header, cells, strict=False)), header)
