"""`report all` after an append, from a checkpoint and the tail alone (issue #19).

A checkpoint (projections.checkpoint) keeps the lot engine's state at seq S and each year's
Schedule D totals (projections.year_checkpoint). `report all` also saves a third part, `ReportPart`:
what its files need that those two do not hold, for the *open year* (the local year of the
checkpoint's horizon, the last trade folded) and the years before it:

- the open year's 8949 rows (encoded, in chunks: decoded only when a file or `report 8949` needs
  them, and a tail's rows are one more chunk) and the income rows of the open year (and later):
  their files are rewritten from them plus the tail's;
- the SHA-256 of the 8949 files and `income.json` of every year: those of a year before the open
  year cannot change (no qualifying tail event can reach a year before the horizon), nor those of a
  later year the tail adds no row to, so the caller reuses the bytes of the previous run's folder
  after checking them against these digests, and each year's number of rows and the numbers of its
  rows with missing basis;
- the month and wallet/asset sums of every year's rows and the valued holdings at the end of every
  earlier year (the `report.html` pages: each names the seq and draws the carryover chain of every
  year, so every page is rewritten), the open lots at the open year's end grouped by asset and
  wallet (washed units marked), and the `price` events (a holding is valued at the latest one);
- for `report income`: the income rows of every earlier year (encoded a year at a time: only the
  year asked for is decoded) and every year's warnings of income events valued at 0 (a qualifying
  tail adds none: a trade without `value` does not qualify).

`report_after` folds the tail (S, K] into the restored engine and answers only when that provably
equals a full replay, else None and the caller replays. The tail must qualify for
`year_checkpoint` (trades at or after the horizon naming no `lots`, in a log where crypto never
washes, and `profile` or `carryover` events); moreover no asset a tail trade names may be stock.
Then the wash-sale pass can neither change a slice nor mark a lot of the assets the tail touches,
and the lots of the other assets are as the checkpoint left them: the holdings of a year from the
open year on are the stored groups for untouched assets and the engine's own lots (unmarked, as
none can be) for the touched ones.

Evolution (as projections.checkpoint's): the struct is `array_like`; a new field goes at the end
with a default; a breaking change bumps `SCHEMA`, and a part of another schema (or one that does
not decode) is not used: the caller replays. `verify` checks the part's digest like every part's.

`Tail.engine`, `Tail.years_part` and `Tail.report_part` are the three parts of a checkpoint at the
tail's end (the state as the tail's trades left it, before `finish`): `report all` served from a
checkpoint saves one there, so that the next append folds only what came after it.

Example: a checkpoint at the head of a 1M-event log, then one crypto sell today: the open year's
rows come from the part, the sell's row from one `step`, and the earlier years' 8949 files are the
previous folder's.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import msgspec

from ..ledger.events import TRADES, Price, Recorded, Swap
from . import checkpoint as cp
from .engine import fold, fold_order
from .form8949 import Row, make_row, rows
from .glance import Holding, ProceedsSum, RowSums, held, priced
from .model import IncomeRow, OpenLot, Problem
from .rules.holding_period import local_date
from .rules.prices import UNPRICED
from .rules.transfer_legs import CODES as LEG_CODES
from .tax_year import Facts, TaxYears, add_rows, chain, problem_years
from .year_checkpoint import YEARS, YearsPart, encode_years, qualifies
from .year_end import year_end_lots

REPORT = "report"  # the part's name in a checkpoint
SCHEMA = 3  # bump on a breaking change of `ReportPart` (a new field at the end with a default is not one)
KEPT = ("form8949.csv", "form8949.json", "income.json")  # a year's files reused as they are when its rows are
CHUNKS = 32  # a part's rows are re-encoded as one chunk once a chain of appends has left more chunks than this


class PriceFact(msgspec.Struct, array_like=True, frozen=True):
    """A live `price` event: asset, USD per unit, when, its seq."""

    asset: str
    usd: Decimal
    at: datetime
    seq: int


class HeldFacts(msgspec.Struct, array_like=True, frozen=True):
    """The open lots of one asset in one wallet (`glance.held`): count, units, basis (each lot's in cents)."""

    asset: str
    wallet: str
    lots: int
    qty: Decimal
    basis: Decimal


class ReportPart(msgspec.Struct, array_like=True):
    """What a checkpoint keeps for `report all` (module docstring).

    Attributes:
        schema: `SCHEMA` when it was made.
        open_year: the local year of the checkpoint's horizon.
        rows: the open year's 8949 rows (cents, wash sales applied), in form order: chunks, each
            an encoded `list[Row]` (`Tail.rows_of` decodes them).
        income: the income rows of the open year and later, in fold order.
        files: `YEAR/name` -> SHA-256 of the `KEPT` files of every year.
        year_rows: 8949 rows per year.
        year_missing: the numbers of each year's rows with missing basis (R3.5).
        months: `RowSums.year_to_months`.
        proceeds: `RowSums.year_to_proceeds`, as a list per year.
        holdings: the valued holdings at the end of each year before the open year.
        held: the open lots at the open year's end, grouped.
        prices: every live `price` event.
        legs: the messages of the unpaired transfer legs (R2.8: `report 8949` names them).
        charts: year -> the charts of its page, with what each was drawn from, as the caller packed
            them (opaque here).
        stats: `YEAR/name` -> (size, modification time in ns, inode) of each `files` entry in the
            folder `report all` wrote: a file that still has them is taken as unchanged without
            reading it (else its SHA-256 decides).
        out: that folder (absolute): `report 8949` of a year before the open year reads the year's
            `form8949.json` there when it is still the file of `files` (`rows_from_json`).
        early_income: the income rows of each year before the open year that has some, each year's
            an encoded `list[IncomeRow]`, compressed (a quarter of the size: the part is hashed on
            every read and copied into each checkpoint a served `report all` saves; `Tail.income_of`
            decodes only the year asked for).
        unpriced: year -> the warnings of its income events without `value` that no price valued
            (valued at 0, CONTRACT §4 Prices), in seq order: `report income` lists them (no tail
            that qualifies adds one: a trade without `value` does not).
    """

    schema: int
    open_year: int
    rows: list[msgspec.Raw]
    income: list[IncomeRow]
    files: dict[str, str]
    year_rows: dict[int, int]
    year_missing: dict[int, list[int]]
    months: dict[int, list[list[Decimal]]]
    proceeds: dict[int, list[ProceedsSum]]
    holdings: dict[int, list[Holding]]
    held: list[HeldFacts]
    prices: list[PriceFact]
    legs: list[str]
    charts: dict[int, bytes]
    stats: dict[str, tuple[int, int, int]] = {}
    out: str = ""
    early_income: dict[int, bytes] = {}
    unpriced: dict[int, list[str]] = {}


_ENCODER = msgspec.msgpack.Encoder(decimal_format="string")
_DECODER = msgspec.msgpack.Decoder(ReportPart)
_YEARS = msgspec.msgpack.Decoder(YearsPart)
_ROWS = msgspec.msgpack.Decoder(list[Row])
_INCOME = msgspec.msgpack.Decoder(list[IncomeRow])


def report_part(
    *, open_year: int, open_rows: Sequence[Row], income: Iterable[IncomeRow], files: dict[str, str],
    year_rows: dict[int, int], year_missing: dict[int, list[int]], sums: RowSums,
    holdings: dict[int, tuple[Holding, ...]], open_lots: Sequence[OpenLot], log: Iterable[Recorded],
    problems: Iterable[Problem], charts: dict[int, bytes], stats: dict[str, tuple[int, int, int]], out: str,
) -> bytes:
    """The part, from what a full `report all` has once its files are written (see `ReportPart`;
    `open_lots`: the lots at the open year's end, washed units marked)."""
    income = list(income)
    problems = list(problems)
    return _ENCODER.encode(ReportPart(
        schema=SCHEMA, open_year=open_year, rows=[msgspec.Raw(_ENCODER.encode(list(open_rows)))] if open_rows else [],
        income=[r for r in income if r.date.year >= open_year],
        files={k: v for k, v in files.items() if k.partition("/")[2] in KEPT},
        year_rows=dict(year_rows), year_missing=dict(year_missing),
        months=sums.year_to_months,
        proceeds=sums.packed_proceeds(),
        holdings={y: list(h) for y, h in holdings.items() if y < open_year},
        held=[HeldFacts(*g) for g in held(open_lots)],
        prices=[PriceFact(r.event.asset, r.event.usd, r.event.at, r.seq) for r in log if type(r.event) is Price],
        legs=[p.message for p in problems if p.code in LEG_CODES],
        charts=dict(charts),
        stats={k: v for k, v in stats.items() if k.partition("/")[2] in KEPT}, out=out,
        early_income=_early_income(income, open_year), unpriced=unpriced_income(income, problems),
    ))


def _early_income(income: Iterable[IncomeRow], open_year: int) -> dict[int, bytes]:
    """`ReportPart.early_income`: the rows of each year before `open_year`, encoded and compressed a
    year at a time (zlib's fastest level: about 0.01 s per MB of rows, a quarter of the size)."""
    year_to_rows: dict[int, list[IncomeRow]] = {}
    for r in income:
        if r.date.year < open_year:
            year_to_rows.setdefault(r.date.year, []).append(r)
    return {y: zlib.compress(_ENCODER.encode(rows), 1) for y, rows in year_to_rows.items()}


def unpriced_income(income: Iterable[IncomeRow], problems: Iterable[Problem]) -> dict[int, list[str]]:
    """`ReportPart.unpriced`: the fold's `unpriced` problems of the income events (not those of
    swaps and fees), by the year of their row, in seq order (as `report income` lists them)."""
    seq_to_year = {r.seq: r.date.year for r in income}
    found = sorted((p.seq, p.message) for p in problems if p.code == UNPRICED and p.seq in seq_to_year)
    year_to_messages: dict[int, list[str]] = {}
    for seq, message in found:
        year_to_messages.setdefault(seq_to_year[seq], []).append(message)
    return year_to_messages


# A row as `form8949.json` holds it (`form8949.rows_json`): every `Row` field but `part`, by name
# (`rows_from_json` puts `part` back in its place: `make_row` takes the fields in `Row`'s order).
_FIELDS = msgspec.structs.fields(Row)
_PART = [f.name for f in _FIELDS].index("part")
_TERM = [f.name for f in _FIELDS].index("term")
_JsonRow = msgspec.defstruct(
    "_JsonRow", [(f.name, f.type) if f.required else (f.name, f.type, f.default) for f in _FIELDS if f.name != "part"],
    frozen=True, gc=False,
)
_JSON_ROWS = msgspec.json.Decoder(list[_JsonRow])  # type: ignore[valid-type]


def rows_from_json(data: bytes) -> list[Row]:
    """The rows of a `form8949.json` that `report all` wrote (cents): the same rows, for every output
    (`qty` is the row's in plain notation, which reads back as the same number; `part` follows
    from `term`, as in `form8949.rows`); ValueError when `data` is not such a file."""
    try:
        decoded = _JSON_ROWS.decode(data)
    except msgspec.DecodeError as e:
        raise ValueError(str(e)) from None
    astuple = msgspec.structs.astuple
    out = []
    for r in decoded:
        values = astuple(r)
        out.append(make_row(*[*values[:_PART], "I" if values[_TERM] == "short" else "II", *values[_PART:]]))
    return out


def open_year_of(horizon: cp.Horizon | None, tz: ZoneInfo) -> int | None:
    """The open year of a checkpoint with `horizon` (None when no trade was folded)."""
    return None if horizon is None else local_date(horizon[0], tz).year


def touched(tail: Iterable[Recorded]) -> set[str]:
    """The assets the tail's trades name."""
    out: set[str] = set()
    for record in tail:
        event = record.event
        if isinstance(event, Swap):
            out.update((event.give_asset, event.get_asset))
        elif isinstance(event, TRADES):
            out.add(event.asset)
    return out


class Tail(msgspec.Struct):
    """`report all`'s values after folding a tail into a checkpoint.

    Attributes:
        open_year: the checkpoint's open year: the 8949 and income files of earlier years are kept.
        years: every year's Schedule D.
        new_rows: the tail's 8949 rows, in form order (they follow the stored ones: `rows_of`).
        income: the income rows of the open year and later.
        sums: the rows' month and wallet/asset sums of every year.
        part: the stored part (`files`, `year_rows`, `year_missing` of every year).
        facts: the year facts after the tail.
        new_income: how many of `income` the tail added (the last ones).
        engine: the engine's state as the tail's trades left it (`checkpoint.freeze_engine`; b"" when
            not asked for).
        years_part: the `years` part after the tail.
        horizon: the horizon after the tail.
    """

    open_year: int
    years: TaxYears
    new_rows: list[Row]
    income: list[IncomeRow]
    sums: RowSums
    part: ReportPart
    year_to_lots: dict[int, tuple[OpenLot, ...]]
    assets: set[str]
    tz: ZoneInfo
    facts: Facts
    new_income: int = 0
    engine: bytes = b""
    years_part: YearsPart | None = None
    horizon: cp.Horizon | None = None

    def rows_of(self, year: int) -> list[Row]:
        """The 8949 rows of `year` (the open year or later), in form order: the stored rows (decoded
        here, only when asked for) and the tail's."""
        stored = [r for chunk in self.part.rows for r in _ROWS.decode(chunk)] if year == self.open_year else []
        return [*stored, *(r for r in self.new_rows if r.date_sold.year == year)]

    def income_of(self, year: int) -> list[IncomeRow]:
        """The income rows of `year`, in fold order: a year before the open year's decoded from the
        part (here, only when asked for), a later year's from `income`."""
        if year < self.open_year:
            stored = self.part.early_income.get(year)
            return [] if stored is None else _INCOME.decode(zlib.decompress(stored))
        return [r for r in self.income if r.date.year == year]

    def changed(self, year: int) -> tuple[bool, bool]:
        """Whether the tail added 8949 rows, income rows to `year` (else its files are the stored ones)."""
        added = self.income[len(self.income) - self.new_income:] if self.new_income else []
        return any(r.date_sold.year == year for r in self.new_rows), any(r.date.year == year for r in added)

    def groups(self, year: int) -> list[tuple[str, str, int, Decimal, Decimal]]:
        """The open lots at the end of `year` (the open year or later), grouped (`glance.held`)."""
        groups = [(g.asset, g.wallet, g.lots, g.qty, g.basis) for g in self.part.held]
        known = [y for y in self.year_to_lots if y <= year]
        if known:
            lots = [lot for lot in self.year_to_lots[max(known)] if lot.asset in self.assets]
            groups = sorted([g for g in groups if g[0] not in self.assets] + held(lots), key=lambda g: (g[0], g[1]))
        return groups

    def holdings(self, year: int, until: datetime) -> tuple[Holding, ...] | None:
        """The valued holdings at the end of `year` (`until`: its last instant); None when the part
        does not hold them (a year before the open year that the full run did not write)."""
        if year < self.open_year:
            stored = self.part.holdings.get(year)
            return None if stored is None else tuple(stored)
        return priced(self.groups(year), _latest(self.part.prices, until), tz=self.tz)

    def years_bytes(self) -> bytes:
        """The `years` part of a checkpoint at the tail's end."""
        assert self.years_part is not None
        return encode_years(self.years_part)

    def report_part(
        self, *, files: dict[str, str], stats: dict[str, tuple[int, int, int]], year_rows: dict[int, int],
        year_missing: dict[int, list[int]], holdings: dict[int, tuple[Holding, ...]], charts: dict[int, bytes],
        out: str,
    ) -> bytes:
        """The `report` part of a checkpoint at the tail's end: what the caller wrote (`files`: the
        digests of every year's files, `stats`, and each year's rows, rows with missing basis, the
        holdings and charts of the years from this part's open year to the new one), with the
        stored part's facts of the years before it and the new open year's rows."""
        open_year = open_year_of(self.horizon, self.tz)
        assert open_year is not None and open_year >= self.open_year
        if open_year == self.open_year:
            chunks = list(self.part.rows)
            if self.new_rows:
                chunks.append(msgspec.Raw(_ENCODER.encode(self.new_rows)))
            if len(chunks) > CHUNKS:
                chunks = [msgspec.Raw(_ENCODER.encode(self.rows_of(open_year)))]
        else:
            new = [r for r in self.new_rows if r.date_sold.year == open_year]
            chunks = [msgspec.Raw(_ENCODER.encode(new))] if new else []
        return _ENCODER.encode(ReportPart(
            schema=SCHEMA, open_year=open_year, rows=chunks,
            income=[r for r in self.income if r.date.year >= open_year],
            files={k: v for k, v in files.items() if k.partition("/")[2] in KEPT},
            year_rows={**self.part.year_rows, **year_rows}, year_missing={**self.part.year_missing, **year_missing},
            months=self.sums.year_to_months,
            proceeds=self.sums.packed_proceeds(),
            holdings={**{y: h for y, h in self.part.holdings.items() if y < open_year},
                      **{y: list(h) for y, h in holdings.items() if y < open_year}},
            held=[HeldFacts(*g) for g in self.groups(open_year)], prices=self.part.prices, legs=self.part.legs,
            charts={**self.part.charts, **charts},
            stats={k: v for k, v in stats.items() if k.partition("/")[2] in KEPT}, out=out,
            early_income={**self.part.early_income, **_early_income(self.income, open_year)},
            unpriced=self.part.unpriced,
        ))


def _latest(prices: Iterable[PriceFact], until: datetime) -> dict[str, tuple[Decimal, datetime]]:
    """`glance.latest_prices` of the stored prices."""
    best: dict[str, PriceFact] = {}
    for p in prices:
        if p.at <= until:
            known = best.get(p.asset)
            if known is None or (p.at, p.seq) >= (known.at, known.seq):
                best[p.asset] = p
    return {asset: (p.usd, p.at) for asset, p in best.items()}


def report_after(
    engine: bytes, totals: bytes, report: bytes, horizon: cp.Horizon | None, tail: Sequence[Recorded], *,
    tz: ZoneInfo, freeze: bool = True,
) -> Tail | None:
    """`report all`'s values after folding `tail` (the events after the checkpoint, seq order) into a
    checkpoint's parts `state` (`engine`), `years` (`totals`) and `report`; None when the tail does
    not qualify or a part is not readable (module docstring). `freeze`: keep the state for a
    checkpoint at the tail's end (`Tail.engine`; `report 8949` needs none)."""
    state = cp.thaw_engine(engine, tz=tz)
    try:
        part = _YEARS.decode(totals)
        stored = _DECODER.decode(report)
    except msgspec.DecodeError:
        return None
    open_year = open_year_of(horizon, tz)
    if state is None or stored.schema != SCHEMA or horizon is None or stored.open_year != open_year:
        return None
    if not qualifies(state, part, horizon, tail) or not cp.adopt_classes(state, tail):
        return None
    assets = touched(tail)
    if any(state.asset_class.get(asset, "crypto") != "crypto" for asset in assets):
        return None  # stock: the wash-sale pass could wash the tail's slices or mark its lots
    year_to_lots: dict[int, tuple[OpenLot, ...]] = {}
    frozen: list[bytes] = []  # the state as the trades left it (before the last years' lots are taken)
    fold(state, year_end_lots(fold_order(tail), state, year_to_lots,
                              (lambda: frozen.append(cp.freeze_engine(state))) if freeze else None))
    after = (frozen[0] if frozen else cp.freeze_engine(state)) if freeze else b""
    named = [*tail, *state.allocation_used.values()]  # what the tail's problems can name
    steps = problem_years(state.problems, named, tz)  # the tail's steps' problems (a checkpoint keeps these)
    tail_booked = cp.booked(state)  # no pooling change is due (`qualifies`): only the tail's
    problems = [*part.step_problems, *problem_years(tail_booked.problems, named, tz), *part.late_corrections]
    new_rows = rows(tail_booked.slices, part.wallets)
    add_rows(part.year_boxes, new_rows)
    part.facts.add(tail)
    years, first, last = chain(part.year_boxes, part.facts, problems, tz=tz, through=None)
    part.step_problems = [*part.step_problems, *steps]
    sums = RowSums()
    sums.year_to_months = stored.months
    sums.year_to_proceeds = RowSums.unpacked_proceeds(stored.proceeds)
    sums.add(new_rows)
    last_trade = cp.last_trade(tail)
    return Tail(
        open_year=stored.open_year, years=TaxYears(rows=(), years=years, first=first, last_activity=last),
        new_rows=new_rows, income=[*stored.income, *tail_booked.income], sums=sums, part=stored,
        year_to_lots=year_to_lots, assets=assets, tz=tz, facts=part.facts, new_income=len(tail_booked.income),
        engine=after, years_part=part, horizon=horizon if last_trade is None else max(horizon, last_trade),
    )


PARTS: tuple[str, ...] = (cp.STATE, YEARS, REPORT)  # the parts `report_after` reads, in its argument order
