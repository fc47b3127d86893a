"""Auditing a past year as a library: `diff` and `explain` (CONTRACT §1).

`year_diff` replays the year at two knowledge points and compares the contract's own outputs;
`explain` lists the events behind each number. Both are read-only. Their results hold the JSON the
contract shapes (`to_json()`) and the ledger's time zone, in which people read event times.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from ..ledger.speed import gc_paused

if TYPE_CHECKING:
    from collections.abc import Collection
    from zoneinfo import ZoneInfo

    from ..ledger.events import Recorded
    from ..ledger.store import Store
    from ..projections.form8949 import Row
    from ..projections.model import Booked, Slice
    from ..projections.pipeline import Replay
    from ..projections.rules.form_box import WalletReports
    from ..projections.tax_year import ScheduleD


class YearDiff(msgspec.Struct, frozen=True):
    """`diff`: what changed in a year's results between two knowledge points.

    Attributes:
        value: the contract's `diff --json` value, plus the events recorded in between (`events`).
        timezone: the ledger's time zone.
    """

    value: dict[str, Any]
    timezone: ZoneInfo

    def to_json(self) -> dict[str, Any]:
        return self.value


class Explanation(msgspec.Struct, frozen=True):
    """`explain`: the events behind each 8949 row of a year (or one row) and behind its Schedule D.

    Attributes:
        value: the `explain --json` value.
        timezone: the ledger's time zone.
    """

    value: dict[str, Any]
    timezone: ZoneInfo

    def to_json(self) -> dict[str, Any]:
        return self.value


class _YearReplay(msgspec.Struct, frozen=True):
    """A ledger replayed once, streamed, as `diff` and `explain` read one year of it (issue #11):
    of the slices only the year's are kept, the years before added up a chunk of rows at a time,
    the later ones never looked at.

    Attributes:
        store: the open store.
        seq: the knowledge point as a seq.
        booked: the projection with only the year's slices (in 8949 order) and no lots.
        schedule_d: the year's Schedule D JSON.
        wallets: the wallets' reporting settings its 8949 rows are made with (`form8949.rows`).
    """

    store: Store
    seq: int
    booked: Booked
    schedule_d: dict[str, Any]
    wallets: WalletReports

    def rows(self, slices: Sequence[Slice] | None = None) -> list[Row]:
        """The 8949 rows of the year's slices (or of some of them: each row is made from its slice alone)."""
        from ..projections.form8949 import rows

        with gc_paused():
            return rows(self.booked.slices if slices is None else slices, self.wallets)


def _year_replay(
    db: Path, year: int, as_of: str | None, *, strict: bool = False, check: bool = True, option: str = "--as-of"
) -> _YearReplay:
    """Replay the ledger as of `as_of` (`reading.stream`) and read the year's Schedule D and slices
    off the stream of slices (`Loaded.tax_years(through=year)`, the same values): the slices
    of the years before go through `tax_year.slice_boxes` and are let go of, the year's are kept,
    and the stream is left at the first slice of a later year (slices come in 8949 order)."""
    from ..projections.model import Booked
    from .reading import stream
    from .reports import schedule_d_json

    streamed = stream(db, as_of, strict=strict, check=check, option=option)
    run = streamed.replay
    sd, kept, wallets = year_of(run, year, streamed.store.timezone)
    booked = Booked(slices=tuple(kept), acquisitions=(), open_lots=(), income=run.income, problems=run.problems,
                    donations=run.donations, unit_changes=run.unit_changes)
    return _YearReplay(store=streamed.store, seq=streamed.seq, booked=booked, schedule_d=schedule_d_json(sd),
                       wallets=wallets)


def year_of(run: Replay, year: int, tz: ZoneInfo) -> tuple[ScheduleD, list[Slice], WalletReports]:
    """Of a streamed replay, the year's Schedule D, its slices (in 8949 order) and the wallets' reporting
    settings its rows are made with: the slices of the years before go through `tax_year.slice_boxes`
    and are let go of, the later ones are never read (`_year_replay`, `whatif`)."""
    from ..projections.rules.form_box import wallet_reports
    from ..projections.tax_year import slice_boxes, totalled

    kept: list[Slice] = []

    def upto() -> Iterator[Slice]:
        for s in run.slices:
            sold = s.date_sold.year
            if sold > year:
                return
            if sold == year:
                kept.append(s)
            yield s

    wallets = wallet_reports(run.log)
    with gc_paused():
        boxes = slice_boxes(upto(), wallets)
        sd = totalled(boxes, run.problems, run.log, tz=tz, through=year).years[year]
    return sd, kept, wallets


def _event_line(record: Any) -> dict[str, Any]:
    from ..ledger.codec import canonical

    return {"seq": record.seq, "key": record.key, "source": record.source,
            "recorded_at": record.recorded_at.isoformat().replace("+00:00", "Z"), **canonical(record.event)}


def _with_price(line: dict[str, Any], record: Any, prices: Any) -> dict[str, Any]:
    """A swap, fee or income without `value`: the price that valued it (CONTRACT §4 Prices), as
    `"price": {"usd", "key", "at", "value"}`, or `"price": null` when none was in force (valued at 0)."""
    from ..projections.exact import exact_context
    from ..projections.rules.prices import needs_price, value_event

    if not needs_price(record.event):
        return line
    with exact_context():
        valued = value_event(prices, record)
    quote = valued.quote
    line["price"] = None if quote is None else {
        "usd": format(quote.usd, "f"), "key": quote.key, "at": quote.at.isoformat().replace("+00:00", "Z"),
        "value": format(valued.event.value, "f"),
    }
    return line


def _point(point: str | None, seq: int) -> Any:
    """The knowledge point as the user named it (an int for a seq; the head's seq for none)."""
    if point is None:
        return seq
    return int(point) if point.isdigit() else point


def _year_texts(
    db: Path, year: int, point: str | None, *, strict: bool, check: bool, option: str
) -> tuple[int, dict[str, Any], list[bytes]]:
    """One side of `diff`: the seq `point` names, the year's `report schedule-d --json` and its 8949
    rows' texts (`row_object_texts`), from a checkpoint `report all` left where one serves
    (`report_cache.year_statement`: the rows `report 8949` prints), else by a streamed replay that
    keeps only the year's slices (`_year_replay`)."""
    from .reading import open_ledger
    from .reports import schedule_d_json

    with open_ledger(db, strict=strict, check=check) as store:
        seq = store.resolve(point, option=option)
    served = served_year(db, year, seq, strict=strict)
    if served is not None:
        return seq, schedule_d_json(served[0]), served[1]
    replayed = _year_replay(db, year, str(seq), check=False)
    with replayed.store:
        return seq, replayed.schedule_d, slice_texts(replayed.booked.slices, replayed.wallets)


def served_year(db: Path, year: int, seq: int, *, strict: bool) -> tuple[ScheduleD, list[bytes]] | None:
    """The year's Schedule D and its 8949 rows' texts (`row_object_texts`) as of `seq`, from a
    checkpoint `report all` left where one serves (`report_cache.year_statement`: the rows `report
    8949` prints; no drift check), else None (`diff`'s points, `whatif`'s log)."""
    from .report_cache import year_statement

    served = year_statement(db, year, as_of=str(seq), strict=strict, check=False)
    if served is None:
        return None
    rows, sd = served
    del served  # the year's rows: only their texts are kept
    return sd, row_object_texts(rows)


def year_diff(db: Path, year: int, from_point: str, to_point: str | None = None, *, strict: bool = False) -> YearDiff:
    """`diff`: the year's Schedule D and 8949 rows as of `from_point` and as of `to_point` (None: the
    head) compared, with the events recorded in between."""
    from ..ledger.store import Store
    from ..projections.diff import diff_row_texts
    from ..projections.diff import year_diff as diff

    # one knowledge point at a time: of the first only the year's Schedule D and its 8949 rows as
    # JSON texts (compressed) are kept while the second replays; only the rows that differ are made
    # dicts (a dict per row would take 4 times more)
    before_seq, before_sd, texts = _year_texts(db, year, from_point, strict=strict, check=True, option="--from")
    before_texts = packed_texts(texts)
    del texts
    after_seq, after_sd, after_texts = _year_texts(db, year, to_point, strict=strict, check=False, option="--to")
    rows = diff_row_texts(unpacked_texts(before_texts), after_texts)
    del before_texts, after_texts
    result = diff(year, _point(from_point, before_seq), _point(to_point, after_seq), (before_sd, []), (after_sd, []))
    result["rows"] = rows  # `diff_rows` of the two years' `form8949_json`, the same value
    lo, hi = sorted((before_seq, after_seq))
    with Store.open(db) as store:
        result["events"] = [_event_line(r) for r in store.iter_read(after=lo, until=hi)]
        return YearDiff(value=result, timezone=store.timezone)


def packed_texts(texts: list[bytes]) -> bytes:
    """Row texts (`row_object_texts`) as one compressed blob, kept while another replay runs (`diff`,
    `whatif`): about a tenth of their memory (a JSON text holds no NUL byte: it separates them)."""
    import zlib

    return zlib.compress(b"\0".join(texts), 1)


def unpacked_texts(blob: bytes) -> list[bytes]:
    """`packed_texts`'s texts, in their order."""
    import zlib

    joined = zlib.decompress(blob)
    return joined.split(b"\0") if joined else []


def slice_texts(slices: Sequence[Slice], wallets: WalletReports) -> list[bytes]:
    """`row_object_texts` of the 8949 rows of `slices`, made 4,096 at a time (each row is made from
    its slice alone): a year's texts without a year of `Row`s in memory at once."""
    from ..projections.form8949 import rows

    texts: list[bytes] = []
    for i in range(0, len(slices), 4096):
        texts += row_object_texts(rows(slices[i:i + 4096], wallets))
    return texts


def row_object_texts(rows: Sequence[Row]) -> list[bytes]:
    """8949 rows, each as its JSON object's text (`diff_row_texts` compares these), in their order."""
    from ..projections.form8949 import row_texts

    with gc_paused():
        return [f"{{{fields}}}".encode() for fields in row_texts(rows)[1]]


def _trail_records(store: Store, seq: int, keys: Collection[str]) -> list[Recorded]:
    """The live events as of `seq` that `explain`'s trails and facts read: those whose key is in
    `keys` (the year's disposals and the lots they sold), every transfer, and every event that is
    not a trade (settings, profiles, carryovers). Two reads of the log merged in seq order, each
    decoding only what it keeps: the events of those types, and of the other types those with one of
    `keys` (`Store.iter_read(keys=...)`: 200,000 events, 0.72 s -> 0.1 s for one row); then
    `knowledge.live` over them and the retractions that decide what is live."""
    from heapq import merge

    from ..ledger.events import CORPORATE, TAG_TO_TYPE, TRADES, Transfer
    from ..projections.knowledge import live

    every = {tag for tag, kind in TAG_TO_TYPE.items() if kind in (Transfer, *CORPORATE) or kind not in TRADES}
    others = sorted(TAG_TO_TYPE.keys() - every)
    typed = store.iter_read(until=seq, types=sorted(every))
    keyed = store.iter_read(until=seq, types=others, keys=keys)
    with gc_paused():
        return live(merge(typed, keyed, key=attrgetter("seq")), until_seq=seq,
                    targets=store.retract_targets(until=seq))


def explain(
    db: Path, year: int, *, as_of: str | None = None, row: int | None = None, strict: bool = False
) -> Explanation:
    """`explain`: the events behind each 8949 row of `year` (or only row number `row`, counted from 1
    in form order: a `UsageError` when there is no such row) and behind its Schedule D."""
    import msgspec

    from ..ledger.errors import UsageError
    from ..projections.explain import trails, year_facts, year_slices
    from ..projections.reports import form8949_json
    from ..projections.rules.netting import LOSS_LIMIT, LOSS_LIMIT_MFS
    from ..projections.rules.prices import PriceIndex

    loaded = _year_replay(db, year, as_of, strict=strict)
    tz = loaded.store.timezone
    ordered = year_slices(loaded.booked, year)
    if row is not None:  # only that row's trail, 8949 row and events are made (each from its slice alone)
        if not 1 <= row <= len(ordered):
            raise UsageError(f"--row {row}: {year} has {len(ordered)} Form 8949 rows (count from 1)")
        ordered = ordered[row - 1:row]
    keys = {k for s in ordered for k in (s.event_key, s.lot) if k}
    known = _trail_records(loaded.store, loaded.seq, keys)
    chosen = msgspec.structs.replace(loaded.booked, slices=tuple(ordered))
    schedule_d, rows = loaded.schedule_d, form8949_json(loaded.rows(ordered))
    row_trails = trails(chosen, known, year)
    if row is not None:
        row_trails[0]["row"] = row
    seq = loaded.seq
    del loaded, chosen, ordered  # the year's slices: the trails and rows hold what is shown of them
    key_to_record = {r.key: r for r in known}
    prices = PriceIndex(known)
    key_to_line: dict[str, dict[str, Any]] = {}  # one line per event, however many rows name it
    for trail, form_row in zip(row_trails, rows, strict=True):
        trail["8949"] = form_row
        trail["events"] = [
            key_to_line.get(k)
            or key_to_line.setdefault(k, _with_price(_event_line(key_to_record[k]), key_to_record[k], prices))
            for k in [trail["disposal"], trail["acquisition"], *trail["transfers"], *trail.get("corporate", ())]
            if k is not None and k in key_to_record
        ]
    if row is not None:
        return Explanation(value={"year": year, "as_of": seq, "rows": row_trails}, timezone=tz)
    facts = year_facts(known, year)
    short = [t["row"] for t in row_trails if t["8949"]["term"] == "short"]
    long = [t["row"] for t in row_trails if t["8949"]["term"] == "long"]
    value = {
        "year": year,
        "as_of": seq,
        "schedule_d": schedule_d,
        "sources": {
            "short_term": {"rows": short, "rule": "sum of the cent-rounded short-term 8949 rows (R5.1)"},
            "long_term": {"rows": long, "rule": "sum of the cent-rounded long-term 8949 rows (R5.1)"},
            "carryover_in": (
                {"events": facts["carryover_events"], "rule": "a carryover event replaces the computed amount (R5.4)"}
                if facts["carryover_events"]
                else {"from_year": year - 1, "rule": "Capital Loss Carryover Worksheet of the year before (R5.3)"}
            ),
            "filing_status": {
                "events": facts["profile_events"],
                "default": facts["filing_status_year"] is None,
                "from_year": facts["filing_status_year"],
            },
            "deduction": {
                "rule": f"min(|line 16|, {LOSS_LIMIT:,}; {LOSS_LIMIT_MFS:,} if mfs) when line 16 is a loss (R5.2)"
            },
        },
        "rows": row_trails,
    }
    return Explanation(value=value, timezone=tz)
