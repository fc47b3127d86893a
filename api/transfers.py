"""`gainlog transfers` as a library: list, confirm and pair transfer legs (R2.8, docs/cli.md).

`transfers(db)` reads the live events as of a knowledge point and matches the unpaired `withdrawal`
and `deposit` legs (`projections.transfers.match`). `confirm(db)` appends one `transfer` per
unambiguous proposal; `pair(db, w, d)` one for the two legs named. Each `transfer` takes the
withdrawal's time, wallets, asset and qty, `fee_qty` = withdrawal qty − deposit qty (when above
zero) with its `fee_value` from the latest price of the asset within 24 hours before the withdrawal
(CONTRACT §4 Prices) or the `fee_value` given, and `legs` = [withdrawal key, deposit key]. It is
appended under source `cli` with the id `transfer-` + a digest of the two keys, so pairing the same
legs again adds nothing; the legs stay in the log (a re-import adds nothing and keeps them paired),
and `gainlog retract` of the transfer unpairs them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

if TYPE_CHECKING:
    from ..ledger.events import Recorded
    from ..ledger.store import Store
    from ..projections.transfers import Leg, Matching, Proposal

SOURCE = "cli"
ZERO = Decimal(0)


def _text(value: Decimal) -> str:
    return format(value.normalize(), "f")


def leg_json(leg: Leg) -> dict[str, Any]:
    """One leg as `transfers --json` shows it."""
    return {
        "key": leg.key, "type": leg.type, "at": leg.at.isoformat().replace("+00:00", "Z"), "wallet": leg.wallet,
        "asset": leg.asset, "qty": _text(leg.qty), "fee_qty": _text(leg.fee_qty) if leg.fee_qty else None,
        "txid": leg.txid, "source": leg.source,
    }


class Transfers(msgspec.Struct, frozen=True):
    """The legs as of one knowledge point.

    Attributes:
        seq: the knowledge point.
        matching: matched (proposed), ambiguous, unmatched and paired legs.
        fee_values: proposal (withdrawal key) -> the USD value of its fee from a price event (None:
            no price; absent: no fee).
        window: the time window used.
        tolerance: the quantity tolerance used.
    """

    seq: int
    matching: Matching
    fee_values: dict[str, Decimal | None]
    window: timedelta
    tolerance: Decimal

    def to_json(self) -> dict[str, Any]:
        """`transfers --json`."""
        m = self.matching
        return {
            "as_of": self.seq,
            "window_hours": _text(Decimal(int(self.window.total_seconds())) / 3600),
            "tolerance": _text(self.tolerance),
            "matched": [
                {"withdrawal": leg_json(p.withdrawal), "deposit": leg_json(p.deposit), "fee_qty": _text(p.fee_qty),
                 "fee_value": _fee_text(self.fee_values.get(p.withdrawal.key), p.fee_qty)}
                for p in m.matched
            ],
            "ambiguous": [
                {**leg_json(a.leg), "candidates": [c.key for c in a.candidates]} for a in m.ambiguous
            ],
            "unmatched": [leg_json(leg) for leg in m.unmatched],
            "paired": [{"transfer": p.transfer, "legs": list(p.legs)} for p in m.paired],
        }


def _fee_text(value: Decimal | None, fee_qty: Decimal) -> str | None:
    if not fee_qty:
        return "0.00"
    return None if value is None else str(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _read(store: Store, seq: int) -> list[Recorded]:
    from ..projections.knowledge import live

    types = ("withdrawal", "deposit", "transfer", "price", "retract")
    return live(store.iter_read(until=seq, types=types), until_seq=seq)


def _fee_values(known: Sequence[Recorded], proposals: Sequence[Proposal]) -> dict[str, Decimal | None]:
    from ..projections.exact import exact_context
    from ..projections.rules.prices import PriceIndex

    prices = PriceIndex(known)
    out: dict[str, Decimal | None] = {}
    with exact_context():
        for p in proposals:
            if p.fee_qty:
                quote = prices.quote(p.withdrawal.asset, p.withdrawal.at)
                out[p.withdrawal.key] = None if quote is None else p.fee_qty * quote.usd
    return out


def transfers(
    db: Path, *, as_of: str | None = None, window: timedelta | None = None, tolerance: Decimal | None = None,
    strict: bool = False,
) -> Transfers:
    """`gainlog transfers`: the live legs as of `as_of`, matched by `projections.transfers.match`."""
    from ..projections.transfers import TOLERANCE, WINDOW, match
    from .reading import open_ledger

    window = WINDOW if window is None else window
    tolerance = TOLERANCE if tolerance is None else tolerance
    with open_ledger(db, strict=strict) as store:
        seq = store.resolve(as_of)
        known = _read(store, seq)
    matching = match(known, window=window, tolerance=tolerance)
    return Transfers(seq=seq, matching=matching, fee_values=_fee_values(known, matching.matched), window=window,
                     tolerance=tolerance)


class Written(msgspec.Struct, frozen=True):
    """What `confirm` or `pair` appended.

    Attributes:
        added: key of each `transfer` appended, in order.
        duplicates: keys already live (the same pairing again).
        first_seq: the first seq written (None when nothing).
        last_seq: the last seq written.
        left: proposals not confirmed, each with the reason (a fee without a price).
    """

    added: list[str] = msgspec.field(default_factory=list)
    duplicates: list[str] = msgspec.field(default_factory=list)
    first_seq: int | None = None
    last_seq: int | None = None
    left: list[tuple[Proposal, str]] = msgspec.field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "added": self.added, "duplicates": self.duplicates, "first_seq": self.first_seq,
            "last_seq": self.last_seq,
            "not_confirmed": [
                {"withdrawal": p.withdrawal.key, "deposit": p.deposit.key, "reason": reason} for p, reason in self.left
            ],
        }


def _transfer_id(withdrawal: str, deposit: str) -> str:
    return "transfer-" + hashlib.sha256(f"{withdrawal}\x1f{deposit}".encode()).hexdigest()[:16]


def _no_price(p: Proposal) -> str:
    w = p.withdrawal
    return (
        f"the fee of {_text(p.fee_qty)} {w.asset} needs a USD value and no {w.asset} price is within the 24 hours "
        f"before {w.at.isoformat().replace('+00:00', 'Z')}: `gainlog transfers pair {w.key} {p.deposit.key} "
        "--fee-value USD`, or import a price"
    )


def _event(store: Store, p: Proposal, fee_value: Decimal | None) -> Any:
    from ..ledger import codec

    w, d = p.withdrawal, p.deposit
    raw: dict[str, Any] = {
        "type": "transfer", "id": _transfer_id(w.key, d.key), "at": w.at.isoformat(), "from": w.wallet,
        "to": d.wallet, "asset": w.asset, "qty": _text(w.qty), "legs": [w.key, d.key],
        "txid": w.txid or d.txid,
    }
    if p.fee_qty > 0:
        assert fee_value is not None
        cents = fee_value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)  # a USD amount
        raw |= {"fee_qty": _text(p.fee_qty), "fee_value": format(cents, "f")}
    raw = {k: v for k, v in raw.items() if v is not None}
    return codec.parse_event(raw, tz=store.timezone, where="transfers")


def _append(store: Store, events: list[Any], seq: int, left: list[tuple[Proposal, str]]) -> Written:
    if not events:
        return Written(left=left)
    result = store.append_all(events, source=SOURCE, where="transfers", expect_last_seq=seq)
    return Written(added=list(result.added), duplicates=list(result.duplicates), first_seq=result.first_seq,
                   last_seq=result.last_seq, left=left)


def confirm(db: Path, *, window: timedelta | None = None, tolerance: Decimal | None = None) -> Written:
    """`gainlog transfers --confirm`: a `transfer` for every matched (unambiguous) proposal at the head;
    one whose fee has no price is left, with the reason."""
    from ..ledger.store import Store
    from ..projections.transfers import TOLERANCE, WINDOW, match

    with Store.open(db) as store:
        seq = store.last_seq()
        known = _read(store, seq)
        matching = match(known, window=WINDOW if window is None else window,
                         tolerance=TOLERANCE if tolerance is None else tolerance)
        fee_values = _fee_values(known, matching.matched)
        events, left = [], []
        for p in matching.matched:
            value = fee_values.get(p.withdrawal.key)
            if p.fee_qty and value is None:
                left.append((p, _no_price(p)))
                continue
            events.append(_event(store, p, value))
        return _append(store, events, seq, left)


def _find(legs: Sequence[Leg], text: str, kind: str) -> Leg:
    from ..ledger.errors import InvalidEvent

    exact = [leg for leg in legs if leg.key == text]
    found = exact or [leg for leg in legs if leg.key.startswith(text)]
    if len(found) == 1 and found[0].type == kind:
        return found[0]
    if not found:
        raise InvalidEvent(
            f"transfers pair: no unpaired live leg has key {text!r} or a key starting with it (see `gainlog transfers`)"
        )
    if len(found) > 1:
        raise InvalidEvent(f"transfers pair: {text!r} starts the keys of {len(found)} legs; give more of it")
    raise InvalidEvent(f"transfers pair: {found[0].key} is a {found[0].type}, not a {kind}")


def pair(db: Path, withdrawal: str, deposit: str, *, fee_value: Decimal | None = None) -> Written:
    """`gainlog transfers pair W D`: a `transfer` pairing the unpaired withdrawal `W` with the unpaired
    deposit `D` (full keys, or unambiguous starts of them), whatever the window and tolerance.
    InvalidEvent (exit 2) when they are not such legs, differ in asset, share a wallet, the deposit is
    before the withdrawal or larger than it, or the fee has neither a price nor `fee_value`."""
    from ..ledger.errors import InvalidEvent
    from ..ledger.store import Store
    from ..projections.transfers import Proposal, match

    with Store.open(db) as store:
        seq = store.last_seq()
        known = _read(store, seq)
        m = match(known)
        legs = [*(x for p in m.matched for x in (p.withdrawal, p.deposit)), *(a.leg for a in m.ambiguous),
                *m.unmatched]
        w, d = _find(legs, withdrawal, "withdrawal"), _find(legs, deposit, "deposit")
        problem = (
            f"they are of different assets ({w.asset}, {d.asset})" if w.asset != d.asset
            else f"both are in wallet {w.wallet!r}" if w.wallet == d.wallet
            else "the deposit is before the withdrawal" if d.at < w.at
            else f"the deposit ({_text(d.qty)}) is more than the withdrawal ({_text(w.qty)})" if d.qty > w.qty
            else None
        )
        if problem is not None:
            raise InvalidEvent(f"transfers pair: {w.key} and {d.key} cannot be one move: {problem}")
        proposal = Proposal(withdrawal=w, deposit=d, fee_qty=w.qty - d.qty)
        value = fee_value
        if proposal.fee_qty and value is None:
            value = _fee_values(known, [proposal]).get(w.key)
            if value is None:
                raise InvalidEvent(f"transfers pair: {_no_price(proposal)}")
        return _append(store, [_event(store, proposal, value)], seq, [])
