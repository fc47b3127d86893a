"""R2.8 Transfer legs: a `withdrawal` and a `deposit` an export records one side at a time.

Source: R2.5 (a move between one's own wallets is not a sale; basis and dates travel) applied to
exports that see only their own side of the move (Coinbase Send / Receive, Kraken withdrawal /
deposit). `gainlog transfers` pairs the two sides into one `transfer` whose `legs` name them; while
that transfer is live the lot engine books it (at the withdrawal's time) and skips both legs, so the
lots keep their basis and acquisition dates as with any transfer. Until then:

- **unpaired withdrawal [choice]**: the units leave the sending wallet with no disposal (no gain or
  loss: nothing says they were sold). They go to the wallet `in transit from WALLET` exactly as a
  transfer to that wallet would move them; the withdrawal's own `fee_qty` stays in transit too
  (a pairing `transfer` decides the fee). Warning `unpaired-withdrawal`, whose text says which of two
  things that is on the withdrawal's date:
  - the asset pooled per wallet (a stock always; crypto from 2025-01-01, or earlier with scope
    `wallet` elected, R3.2, R3.3): the lots move, basis and dates kept (shown by `lots`, never drawn
    on by a sale in another wallet);
  - crypto in the universal pool (before 2025, by default): a transfer moves only the wallet's
    holding, so the lots stay in the pool (wallet `*`), where a sale from any wallet may draw on
    them, and the transit wallet counts the units as held until the pool is allocated to wallets
    (R3.4, on 2025-01-01 or when scope `wallet` is elected), when it gets lots like any wallet.
- **unpaired deposit**: the units are a new lot with zero basis acquired at the deposit (the date
  the deposit shows), never silently: warning `unpaired-deposit`.

Both warnings are about no one year (seq 0), so every report of every year lists them until the
legs are paired or retracted: a zero basis or a lot in transit can change any later year.

Example: withdrawal of 0.5 BTC from coinbase on 2024-03-20, unpaired: `lots` shows the 0.5 BTC of
its lots in `in transit from coinbase`; a deposit of 0.4995 BTC into kraken the same day, unpaired:
a kraken lot of 0.4995 BTC with basis 0.00 acquired 2024-03-20. Paired (`gainlog transfers
--confirm`), kraken holds the coinbase lots' units with their basis and dates, and a fee of 0.0005.

Problems: `unpaired-withdrawal`, `unpaired-deposit`, `leg-paired-twice` (two live transfers name
one leg: both book their move).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from zoneinfo import ZoneInfo

from ...ledger.events import WALLET_SCOPE_FROM, Deposit, Recorded, Transfer, Withdrawal
from ..model import Problem
from .holding_period import local_date

TRANSIT = "in transit from {wallet}"
CODES = ("unpaired-withdrawal", "unpaired-deposit")


def transit_wallet(wallet: str) -> str:
    """The wallet an unpaired withdrawal's lots wait in."""
    return TRANSIT.format(wallet=wallet)


def paired_legs(records: Iterable[Recorded]) -> dict[str, str]:
    """Leg key -> the key of the live `transfer` naming it in `legs` (records: the live events)."""
    leg_to_transfer: dict[str, str] = {}
    for record in records:
        event = record.event
        if type(event) is Transfer and event.legs:
            for leg in event.legs:
                leg_to_transfer.setdefault(leg, record.key)
    return leg_to_transfer


def paired_twice(records: Iterable[Recorded]) -> list[Problem]:
    """A `leg-paired-twice` problem for each leg that two live transfers name: both book their move."""
    leg_to_transfers: dict[str, list[Recorded]] = {}
    for record in records:
        event = record.event
        if type(event) is Transfer and event.legs:
            for leg in dict.fromkeys(event.legs):
                leg_to_transfers.setdefault(leg, []).append(record)
    return [
        Problem(
            code="leg-paired-twice",
            seq=named[1].seq,
            message=f"{leg}: paired by {len(named)} live transfers ({', '.join(r.key for r in named)}): each moves "
            "its units (R2.8)",
            hint="retract all but one of them (`gainlog retract KEY`)",
        )
        for leg, named in leg_to_transfers.items()
        if len(named) > 1
    ]


def _qty(value: object) -> str:
    return format(value.normalize(), "f")  # type: ignore[attr-defined]


Pooled = Callable[[str, date], bool]
"""Whether an asset is in the universal pool on a local date (R3.3): `LotBookState.pooled`, or
`engine.pooled_on` built from the settings and class-naming events alone."""


def unpaired_problem(record: Recorded, day: date, *, pooled: bool = False) -> Problem:
    """The warning for a leg no live transfer pairs (`day`: its local date; `pooled`: a withdrawal's
    asset is in the universal pool that day, so only the wallet's holding moves, not the lots)."""
    event = record.event
    if isinstance(event, Withdrawal):
        transit = transit_wallet(event.wallet)
        what = (
            f"not disposed of; {event.asset} is one universal pool then (R3.3), so its lots stay in the pool, "
            f"where a sale from any wallet may draw on them, and {transit!r} holds the {_qty(event.qty)} "
            f"{event.asset} until the pool is allocated to wallets (R3.4)"
            if pooled else f"its lots wait in {transit!r}, not disposed of"
        )
        return Problem(
            code="unpaired-withdrawal",
            message=f"{record.key}: withdrawal of {_qty(event.qty)} {event.asset} from {event.wallet!r} on {day} "
            f"is not paired with a deposit: {what} (R2.8)",
            hint="pair it with `gainlog transfers`; if the coins went to someone else, retract it and record "
            "what happened (a sell, fee or gift)",
        )
    assert isinstance(event, Deposit)
    return Problem(
        code="unpaired-deposit",
        message=f"{record.key}: deposit of {_qty(event.qty)} {event.asset} into {event.wallet!r} on {day} is not "
        f"paired with a withdrawal: counted as a lot with zero basis acquired on {day} (R2.8)",
        hint="pair it with `gainlog transfers`; if the coins came from someone else, retract it and record an "
        "`income` or `buy`",
    )


def unpaired_problems(known: Sequence[Recorded], *, tz: ZoneInfo, pooled: Pooled | None = None) -> list[Problem]:
    """The warnings of every live leg no live transfer pairs, in (event time, seq) order, without the
    lot engine (`report income` reads them so; the fold adds the same ones as it books the legs).
    `pooled`: needed only when a withdrawal is dated before 2025 (`early_withdrawal`), when crypto may
    be in the universal pool (R3.3); None: no asset is."""
    paired = paired_legs(known)
    legs = [r for r in known if isinstance(r.event, Withdrawal | Deposit) and r.key not in paired]
    legs.sort(key=lambda r: (r.event.at, r.seq))  # type: ignore[union-attr]
    problems = []
    for record in legs:
        event: Withdrawal | Deposit = record.event  # type: ignore[assignment]
        day = local_date(event.at, tz)
        universal = pooled is not None and type(event) is Withdrawal and pooled(event.asset, day)
        problems.append(unpaired_problem(record, day, pooled=universal))
    return problems


def early_withdrawal(known: Iterable[Recorded], *, tz: ZoneInfo) -> bool:
    """Whether a `withdrawal` falls before 2025-01-01 (local date), when its asset may be pooled
    universally: only then does `unpaired_problems` need `pooled`."""
    return any(type(r.event) is Withdrawal and local_date(r.event.at, tz) < WALLET_SCOPE_FROM for r in known)
