"""What-if as a library: `whatif` (CONTRACT §4 "What-if").

The log as of a knowledge point, plus hypothetical events (a `.jsonl` file, keyed exactly as
`import` would key it, or the `method` elections that put one lot method in force for the whole
year), replayed in memory through the same streamed pipeline (`projections.pipeline.replay`) and never
written; the year's Schedule D and 8949 rows of the log and of the what-if are compared by `diff`'s
own machinery (`projections.diff.year_diff`, `"from": "log"`, `"to": "what-if"`), plus the R8 tax
of both (`api.tax`). A method chosen for a year whose sales are already made (any past year, or a
year with disposals in the log) is a comparison only: a method is elected before the sale (R3.6).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from ..ledger.events import Event, Recorded
    from ..ledger.store import Store


class WhatIf(msgspec.Struct, frozen=True):
    """`whatif`: the year's results with the hypothetical events against the log's.

    Attributes:
        value: the `whatif --json` value: `diff`'s shape plus `tax`, `method`, `comparison_only`,
            `events` (the hypothetical events as `log --json` lines) and `warnings`.
        timezone: the ledger's time zone.
    """

    value: dict[str, Any]
    timezone: ZoneInfo

    def to_json(self) -> dict[str, Any]:
        return self.value


def _keyed(store: Store, path: Path) -> list[tuple[str, Event]]:
    """The file's events with the keys `import FILE` would give them (CONTRACT §2 Identity: source =
    the file's name; `SOURCE:ID`, or `SOURCE:sha256#rank`), leaving out those already live with the
    same body (an import's duplicates); a key live with another body is a `DuplicateEvent`."""
    from collections import Counter

    from ..ledger import codec, identity, importer
    from ..ledger.errors import DuplicateEvent

    source = identity.default_source(path)
    ranks: Counter[bytes] = Counter()
    live = store.live_keys(source=source)
    out: list[tuple[str, Event]] = []
    for parsed in importer.parse_jsonl(path, tz=store.timezone):
        body = codec.canonical_body(parsed.event)
        if parsed.event.id is not None:
            key = identity.id_key(source, parsed.event.id)
        else:
            ranks[body] += 1
            key = identity.hash_key(source, codec.body_digest(body), ranks[body])
        seq = live.get(key)
        if seq is not None:
            stored = next(store.iter_read(after=seq - 1, until=seq))
            if codec.canonical_body(stored.event) == body:
                continue  # a duplicate: the log has it already
            raise DuplicateEvent(f"whatif: {parsed.where}: key {key} is already in the log (seq {seq}) with "
                                 "another body")
        out.append((key, parsed.event))
    return out


def method_events(records: Sequence[Recorded], year: int, method: str) -> list[Event]:
    """The `method` elections that put `method` in force for the whole of `year`: one from January 1,
    and, for every election in force or made during the year (any wallet or asset it is limited
    to), the same limits from January 1 and again from its own `from` date within the year, so it
    wins over the log's (the latest `from`, then the highest seq wins: docs/events.md)."""
    import typing

    from ..ledger.errors import UsageError
    from ..ledger.events import Method, MethodElection
    from ..projections.knowledge import live

    methods = typing.get_args(Method)
    if method not in methods:
        raise UsageError(f"whatif: --method {method!r}: give one of {', '.join(methods)}")
    start, end = date(year, 1, 1), date(year, 12, 31)
    limits: dict[tuple[str | None, str | None], set[date]] = {(None, None): {start}}
    for record in live(records):
        event = record.event
        if isinstance(event, MethodElection) and event.from_ <= end:
            days = limits.setdefault((event.wallet, event.asset), {start})
            if event.from_ > start:
                days.add(event.from_)
    return [
        MethodElection(method=method, from_=day, wallet=wallet, asset=asset)  # type: ignore[arg-type]
        for (wallet, asset), days in limits.items() for day in sorted(days)
    ]


def _year_reports(records: Iterable[Recorded], tz: ZoneInfo, year: int, *, until_seq: int | None = None
                  ) -> tuple[Any, Any, list[bytes]]:
    """The year's Schedule D, its `report schedule-d --json` value and its 8949 rows (`report 8949 --json`)
    of a replay of `records`, the rows as their JSON texts (`audit.row_object_texts`): what `diff` compares
    (`diff_row_texts`: only the rows that differ made dicts). Streamed (`audit.year_of`): only the year's
    slices are kept, not every year's with the lots (200,000 events: 500 MB held by two projections)."""
    from ..projections.pipeline import replay
    from .audit import slice_texts, year_of
    from .reports import schedule_d_json

    sd, kept, wallets = year_of(replay(records, tz=tz, until_seq=until_seq), year, tz)
    return sd, schedule_d_json(sd), slice_texts(kept, wallets)


class _Sales:
    """Whether the log has a live sell, swap or fee in a year, noted as the log streams by (`tap`):
    a sale whose key no `retract` targets is live; one whose key one targets is kept, with the
    retractions, for `live` to decide (a retracted key may be recorded again)."""

    def __init__(self, year: int, tz: ZoneInfo, targets: set[str]) -> None:
        self.year, self.tz, self.targets = year, tz, targets
        self.found = False
        self.doubtful: list[Recorded] = []

    def tap(self, records: Iterable[Recorded]) -> Iterator[Recorded]:
        from ..ledger.events import Fee, Retract, Sell, Swap

        for record in records:
            event = record.event
            if isinstance(event, Retract):
                self.doubtful.append(record)
            elif self.found or not isinstance(event, Sell | Swap | Fee):
                pass
            elif event.at.astimezone(self.tz).year == self.year:
                if record.key in self.targets:
                    self.doubtful.append(record)
                else:
                    self.found = True
            yield record

    def made(self) -> bool:
        from ..projections.knowledge import live

        return self.found or any(
            r.event.at.astimezone(self.tz).year == self.year  # type: ignore[union-attr]
            for r in live(self.doubtful) if r.event.__struct_config__.tag != "retract"
        )


def whatif(
    db: Path, year: int, *, add: Path | None = None, method: str | None = None, as_of: str | None = None,
    strict: bool = False,
) -> WhatIf:
    """`whatif`: the log as of `as_of` plus the events of the `.jsonl` file `add`, and/or with `method`
    (FIFO, LIFO, HIFO, LOFO) elected for the whole of `year`, against the log: `diff`'s JSON shape
    (`"from": "log"`, `"to": "what-if"`) plus `"tax"` (R8 before and after). Nothing is written."""
    from collections import deque
    from itertools import chain

    from ..ledger.errors import UsageError
    from ..ledger.speed import gc_paused
    from ..projections.diff import diff_row_texts, year_diff
    from ..projections.knowledge import live
    from .audit import _event_line as event_line
    from .audit import packed_texts, served_year, unpacked_texts
    from .reading import open_ledger, recorded_after
    from .reports import schedule_d_json
    from .tax import estimate_or_reason, other_income, savings_json

    if add is None and method is None:
        raise UsageError("whatif: give --add FILE.jsonl, --method M, or both")
    with open_ledger(db, strict=strict) as store, gc_paused():
        seq = store.resolve(as_of)
        tz = store.timezone
        settings = list(store.iter_read(until=seq, types=("method", "profile", "retract")))
        keyed = _keyed(store, add) if add is not None else []
        today = datetime.now(tz).date()
        source = add.name if add is not None else "whatif"
        if method is not None:
            keyed += [(f"whatif:method-{i}", e) for i, e in enumerate(method_events(settings, year, method), 1)]
        hypothetical = recorded_after(store, seq, keyed, source=source)
        # the what-if replayed first (the larger: nothing else is held meanwhile), its rows' texts kept
        # compressed as `diff` keeps them; then the log's year from a checkpoint where one serves, else
        # replayed: the log read from the store each time, never held whole (a replay lets go of a
        # trade once folded)
        forked = chain(store.iter_read(until=seq, trail=False), hypothetical)
        sd_new, new_json, texts = _year_reports(forked, tz, year)
        new_texts = packed_texts(texts)
        del texts
        sales = _Sales(year, tz, store.retract_targets(until=seq))
        served = served_year(db, year, seq, strict=strict)
        if served is not None:
            sd_log, log_texts = served
            log_json = schedule_d_json(sd_log)
            del served
            if method:
                deque(sales.tap(store.iter_read(until=seq, types=("sell", "swap", "fee", "retract"))), maxlen=0)
        else:
            log = store.iter_read(until=seq, trail=False)  # as `report` reads it: no trade's id or note
            sd_log, log_json, log_texts = _year_reports(sales.tap(log) if method else log, tz, year, until_seq=seq)
    value = year_diff(year, "log", "what-if", (log_json, []), (new_json, []))
    value["rows"] = diff_row_texts(log_texts, unpacked_texts(new_texts))  # `diff_rows` of their dicts, the same value
    income = other_income(live([*settings, *hypothetical]), year)
    before, reason = estimate_or_reason(sd_log, income)
    after, _ = estimate_or_reason(sd_new, income)
    value["tax"] = savings_json(before, after)
    warnings = [] if reason is None else [f"tax not estimated: {reason}"]
    comparison = False
    if method is not None:
        comparison = year < today.year or sales.made()
        if comparison:
            warnings.append(
                f"comparison only: a lot method is elected before the sale (R3.6); {method} chosen now cannot "
                f"change the {year} disposals already made (a year already filed or in the past)"
            )
    value["method"] = method
    value["comparison_only"] = comparison
    value["events"] = [event_line(r) for r in hypothetical]
    value["warnings"] = warnings
    return WhatIf(value=value, timezone=tz)
