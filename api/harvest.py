"""Tax-loss harvesting as a library: `harvest` (CONTRACT §4 "Harvest").

`harvest` replays the log as of a knowledge point to the end of DATE (the open lots and the
acquisitions, `projections.pipeline.replay(..., keep_lots=True)`), values the lots
(`projections.harvest.value_lots`), plans the sales (`plan_lots`), takes the year's Schedule D of
the log (`api.reports.schedule_d`: from a checkpoint where one serves) and replays the log plus the
plan's sells, in memory and never written, through the same pipeline for the year's Schedule D
after the plan; a planned sell the
wash-sale pass still washes (R4 on the log plus the plan) is dropped and the plan made again. The
tax before and after is R8 (`api.tax`). `Harvest.plan_lines()` are the plan's sells as canonical
event lines (`harvest --write-plan FILE.jsonl`), to edit and import once executed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from ..ledger.events import Sell
    from ..projections.harvest import Valuation, ValuedLot
    from ..projections.rules.tax_estimate import TaxEstimate
    from ..projections.tax_year import ScheduleD

PLAN_SOURCE = "harvest-plan"  # the source of the plan's sells in the in-memory fork of the log
STALE_DAYS = 7  # a recorded price older than this many days before DATE is named in a warning


def harvest_day(on: str | None, tz: ZoneInfo) -> date:
    """The date `gainlog harvest --on` names (YYYY-MM-DD), else today in the ledger's time zone; a
    `UsageError` for a bad date."""
    from .lots import on_day

    return on_day(on, tz, command="harvest")


def _amount(text: str, what: str) -> Decimal:
    """A positive plain decimal given on the command line (CONTRACT §2 Numbers), else a UsageError."""
    from ..ledger.codec import PLAIN
    from ..ledger.errors import UsageError

    if not PLAIN.fullmatch(text.strip()) or Decimal(text) <= 0:
        raise UsageError(f"harvest: {what} {text!r}: give a positive amount in plain notation (e.g. 43000.12)")
    return Decimal(text.strip())


def max_loss_amount(text: str | None) -> Decimal | None:
    """`gainlog harvest --max-loss AMOUNT` as a Decimal (None: no limit); a `UsageError` for a bad one."""
    return None if text is None else _amount(text, "--max-loss")


def parse_prices(given: Sequence[str]) -> dict[str, Decimal]:
    """`gainlog harvest --price ASSET=USD ...` as asset -> USD per unit (a `UsageError` for a bad one)."""
    from ..ledger.errors import UsageError

    asset_to_price: dict[str, Decimal] = {}
    for text in given:
        asset, sep, usd = text.partition("=")
        if not sep or not asset.strip():
            raise UsageError(f"harvest: --price {text!r}: give ASSET=USD (e.g. --price BTC=43000)")
        asset_to_price[asset.strip()] = _amount(usd, f"--price {asset.strip()}=")
    return asset_to_price


class Harvest(msgspec.Struct, frozen=True):
    """`harvest`: the lots on DATE valued, the loss candidates, the plan and what it saves.

    Attributes:
        day: DATE.
        valuation: every open lot on DATE valued; the candidates (`projections.harvest.Valuation`).
        plan: the candidates the plan sells, the largest loss first.
        sells: the plan's sell events, in the same order.
        before: the year's Schedule D from the log.
        after: the year's Schedule D from the log plus the plan.
        tax_before: R8 without the plan (None: no other income or no table for the year).
        tax_after: R8 with the plan.
        warnings: wash sales, unpriced assets, holding periods a repurchase resets, a missing estimate.
        timezone: the ledger's time zone.
    """

    day: date
    valuation: Valuation
    plan: list[ValuedLot]
    sells: list[Sell]
    before: ScheduleD
    after: ScheduleD
    tax_before: TaxEstimate | None
    tax_after: TaxEstimate | None
    warnings: list[str]
    timezone: ZoneInfo

    @property
    def year(self) -> int:
        return self.day.year

    def to_json(self) -> dict[str, Any]:
        """CONTRACT §4 `harvest --json`, plus the harvestable loss by term and the plan's carryover."""
        from ..projections.form8949 import money
        from .reports import schedule_d_json
        from .tax import savings_json

        candidates = [{**_lot_row(r), "wash_sale": _wash_json(r)} for r in self.valuation.candidates]
        plan_gain = _by_term(self.plan)
        out_before, out_after = self.before.carryover_out, self.after.carryover_out
        return {
            "on": self.day.isoformat(),
            "year": self.year,
            "lots": [_lot_row(r) for r in self.valuation.lots],
            "unpriced": list(self.valuation.unpriced),
            "candidates": candidates,
            "plan": {
                "sell": [_plan_row(r, self.day) for r in self.plan],
                "schedule_d": schedule_d_json(self.after),
                "gain": {"short_term": money(plan_gain["short"]), "long_term": money(plan_gain["long"])},
                "carryover": {  # what the plan adds to the carryover into next year: no saving this year
                    "short_term": money(out_after.short_term - out_before.short_term),
                    "long_term": money(out_after.long_term - out_before.long_term),
                },
            },
            "tax": savings_json(self.tax_before, self.tax_after),
            "harvestable": _harvestable(self.valuation.candidates),
            "warnings": list(self.warnings),
        }

    def plan_lines(self) -> list[str]:
        """The plan's sells as canonical event lines (`--write-plan`): sorted keys, UTC times,
        `lots` naming each lot by its full key."""
        from ..ledger import codec

        return [codec.canonical_body(sell).decode() for sell in self.sells]


def _lot_row(row: ValuedLot) -> dict[str, Any]:
    from ..projections.form8949 import money, plain

    lot = row.lot
    return {
        "asset": lot.asset, "wallet": lot.wallet, "lot": lot.lot, "qty": plain(lot.qty),
        "cost_basis": money(lot.basis), "price": None if row.price is None else plain(row.price),
        "value": None if row.value is None else money(row.value),
        "unrealized": None if row.unrealized is None else money(row.unrealized),
        "term": row.term, "long_term_on": row.long_term_on.isoformat(), "class": lot.asset_class,
        "date_acquired": lot.date_acquired.isoformat(),
    }


def _wash_json(row: ValuedLot) -> dict[str, Any] | None:
    if row.wash is None:
        return None
    return {"replacements": list(row.wash.replacements), "rebuy_after": row.wash.rebuy_after.isoformat()}


def _plan_row(row: ValuedLot, day: date) -> dict[str, Any]:
    from ..projections.form8949 import money, plain
    from ..projections.harvest import REBUY_AFTER

    assert row.value is not None and row.unrealized is not None  # the plan sells priced lots only
    return {
        "lot": row.lot.lot, "qty": plain(row.lot.qty), "proceeds": money(row.value), "gain": money(row.unrealized),
        "term": row.term, "asset": row.lot.asset, "wallet": row.lot.wallet,
        "rebuy_after": (day + REBUY_AFTER).isoformat() if row.washable else None,
    }


def _by_term(rows: Sequence[ValuedLot]) -> dict[str, Decimal]:
    total = {"short": Decimal(0), "long": Decimal(0)}
    for row in rows:
        if row.unrealized is not None:
            total[row.term] += row.unrealized
    return total


def _harvestable(candidates: Sequence[ValuedLot]) -> dict[str, str]:
    """The loss the candidates a sale on DATE would not see washed could realize, by term (negative)."""
    from ..projections.form8949 import money

    total = _by_term([r for r in candidates if r.wash is None])
    return {"short_term": money(total["short"]), "long_term": money(total["long"])}


def _sell_of(row: ValuedLot, at: datetime, day: date) -> Sell:
    from ..ledger.events import LotPick, Sell

    lot = row.lot
    assert row.price is not None
    return Sell(at=at, wallet=lot.wallet, asset=lot.asset, qty=lot.qty, price=row.price,
                lots=(LotPick(lot=lot.lot, qty=lot.qty),),
                note=f"gainlog harvest plan: sell lot {lot.lot} on {day.isoformat()}")


def harvest(
    db: Path, *, on: str | None = None, prices: Mapping[str, Decimal] | None = None,
    max_loss: Decimal | None = None, as_of: str | None = None, strict: bool = False,
) -> Harvest:
    """`harvest`: the open lots on `on` (YYYY-MM-DD; default today in the ledger's time zone) valued
    at `prices` (asset -> USD; else the latest `price` event at or before the end of the day), the
    loss candidates, and a plan that sells them by specific identification, skipping washed ones,
    up to `max_loss` (None: all); the year's Schedule D and R8 tax with and without the plan."""
    from collections import deque
    from itertools import chain

    from ..ledger.speed import gc_paused
    from ..projections.harvest import latest_prices, plan_lots, value_lots, with_replacements
    from ..projections.knowledge import live
    from ..projections.pipeline import replay
    from ..projections.rules.wash_sale import wash_sale_crypto_on
    from .audit import year_of
    from .lots import end_of_day
    from .reading import open_ledger, recorded_after
    from .reports import schedule_d
    from .tax import estimate_or_reason, other_income

    # each replay reads the log from the store and lets go of a trade once folded: never held whole
    with open_ledger(db, strict=strict) as store, gc_paused():
        seq = store.resolve(as_of)
        tz = store.timezone
        day = harvest_day(on, tz)
        year = day.year
        until = end_of_day(day, tz)
        known = live(store.iter_read(until=seq, types=("price", "policy", "profile", "retract")))
        on_day = replay(store.iter_read(until=seq, trail=False), tz=tz, until_seq=seq, until=until, keep_lots=True)
        deque(on_day.slices, maxlen=0)  # through the wash-sale pass, which marks the open lots; none kept
        open_lots, acquisitions = tuple(on_day.open_lots), on_day.acquisitions
        del on_day
        recorded = latest_prices(known, until=until)
        asset_to_price = {**{asset: usd for asset, (usd, _) in recorded.items()}, **(prices or {})}
        stale = {asset: at.astimezone(tz).date() for asset, (_, at) in recorded.items()
                 if asset not in (prices or {}) and (day - at.astimezone(tz).date()).days > STALE_DAYS}
        valuation = value_lots(open_lots, acquisitions, asset_to_price, day=day,
                               crypto_washes=wash_sale_crypto_on(known, day))
        del open_lots, acquisitions
        before = schedule_d(db, year, as_of=str(seq), check=False)  # from a checkpoint where one serves
        at = datetime.combine(day, time(23, 59, 59), tzinfo=tz).astimezone(UTC)  # after the day's trades
        pooled = {r.lot.lot for r in valuation.candidates if r.lot.wallet == "*"}  # a universal pool: no wallet
        while True:
            plan = plan_lots(valuation.candidates, max_loss=max_loss, skip=pooled)
            sells = [_sell_of(row, at, day) for row in plan]
            planned = recorded_after(store, seq, [(f"{PLAN_SOURCE}:sell-{i}", sell) for i, sell in enumerate(sells, 1)],
                                     source=PLAN_SOURCE)
            forked = chain(store.iter_read(until=seq, trail=False), planned)
            after, sold, _ = year_of(replay(forked, tz=tz), year, tz)  # the plan's sales are in the year
            plan_keys = {r.key: row.lot.lot for r, row in zip(planned, plan, strict=True)}
            lot_to_replacements: dict[str, list[str]] = {}
            for s in sold:  # R4 on the log plus the plan: a planned sale it washes
                if s.event_key in plan_keys and "W" in s.code:
                    found = lot_to_replacements.setdefault(plan_keys[s.event_key], [])
                    found += [w.replacement_lot for w in s.wash if w.loss_key == s.event_key]
            if not lot_to_replacements:
                break
            valuation = with_replacements(valuation, lot_to_replacements)
    income = other_income(known, year)
    tax_before, reason = estimate_or_reason(before, income)
    tax_after, _ = estimate_or_reason(after, income)
    warnings = _warnings(valuation, plan, pooled=pooled, reason=reason, stale=stale)
    return Harvest(day=day, valuation=valuation, plan=plan, sells=sells, before=before, after=after,
                   tax_before=tax_before, tax_after=tax_after, warnings=warnings, timezone=tz)


def _warnings(
    valuation: Valuation, plan: Sequence[ValuedLot], *, pooled: set[str], reason: str | None,
    stale: Mapping[str, date],
) -> list[str]:
    """What a person deciding on the plan must know (CONTRACT §4 Harvest: every warning)."""
    from ..projections.form8949 import money
    from ..projections.harvest import REBUY_AFTER

    day = valuation.day
    out: list[str] = []
    for asset in valuation.unpriced:
        out.append(f"no price for {asset} at or before {day}: its lots are not valued "
                   f"(give --price {asset}=USD or import a price)")
    held = {row.lot.asset for row in valuation.lots}
    for asset, when in sorted(stale.items()):
        if asset in held:
            out.append(f"the latest price of {asset} is from {when}, {(day - when).days} days before {day} "
                       f"(give --price {asset}=USD or import a newer price)")
    for row in valuation.candidates:
        if row.wash is not None and row.unrealized is not None:
            out.append(
                f"wash sale: {row.lot.asset} lot {row.lot.lot} ({row.lot.wallet}, loss {money(-row.unrealized)}) "
                f"would be washed by {', '.join(row.wash.replacements)} acquired within 30 days of {day}: "
                "left out of the plan"
            )
        elif row.lot.lot in pooled:
            out.append(f"{row.lot.asset} lot {row.lot.lot} sits in a universal pool (wallet *): left out of the plan, "
                       "sell it by naming the wallet yourself")
    for row in plan:
        lot = row.lot
        if row.washable:
            out.append(f"{lot.asset}: buying it back in any wallet before {day + REBUY_AFTER} would wash the loss "
                       f"of lot {lot.lot} (R4.1)")
        else:
            out.append(f"{lot.asset}: a lot bought back right away starts a new holding period: short-term until "
                       f"{_one_year_on(day)} (lot {lot.lot} was {row.term}-term)")
    if reason is not None:
        out.append(f"tax not estimated: {reason}")
    return out


def _one_year_on(day: date) -> date:
    from ..projections.rules.holding_period import long_term_from

    return long_term_from(day)
