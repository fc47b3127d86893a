"""Build in-memory logs for projection tests, without a database.

`records("...jsonl lines...")` validates each line exactly as `import` does and wraps it as a
`Recorded` with seq from 1, key `test:ID` or `test:sha#rank`, and a recording time one second apart.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from decimal import Decimal as D
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from gainlog.ledger import codec
from gainlog.ledger.events import Buy, Event, Fee, Income, Recorded, Sell, Swap, Transfer
from gainlog.projections.model import Slice

T0 = datetime(2030, 1, 1, tzinfo=UTC)

# R-E5: open universal lots 10 @ 1 (2019) and 14 @ 5 (2020), HIFO; on 2024-12-31 wallet XYZ holds 4, GHI 20
R_E5: list[dict[str, Any]] = [
    {"type": "method", "method": "HIFO", "from": "2019-01-01"},
    {"type": "buy", "id": "l2019", "at": "2019-05-01", "wallet": "GHI", "asset": "XYZ", "qty": "10", "price": "1"},
    {"type": "buy", "id": "l2020", "at": "2020-05-01", "wallet": "GHI", "asset": "XYZ", "qty": "14", "price": "5"},
    {"type": "transfer", "at": "2024-06-01", "from": "GHI", "to": "XYZ", "asset": "XYZ", "qty": "4"},
]


def records(
    lines: str | Iterable[str | dict[str, Any]],
    *,
    tz: str = "UTC",
    source: str = "test",
    start_seq: int = 1,
    recorded_at: datetime = T0,
) -> list[Recorded]:
    """Validated `Recorded` events from jsonl text, a list of lines, or a list of dicts."""
    if isinstance(lines, str):
        items: list[str | dict[str, Any]] = [ln for ln in lines.splitlines() if ln.strip()]
    else:
        items = list(lines)
    zone = ZoneInfo(tz)
    out: list[Recorded] = []
    ranks: Counter[bytes] = Counter()
    for i, item in enumerate(items):
        text = json.dumps(item) if isinstance(item, dict) else item
        event = codec.decode_line(text, tz=zone, where=f"test:{i + 1}")
        body = codec.canonical_body(event)
        if event.id is not None:
            key = f"{source}:{event.id}"
        else:
            ranks[body] += 1
            key = f"{source}:{codec.body_digest(body)}#{ranks[body]}"
        seq = start_seq + i
        out.append(
            Recorded(seq=seq, key=key, source=source, batch=1, event=event,
                     recorded_at=recorded_at + timedelta(seconds=seq))
        )
    return out


def negative_balances(events: Iterable[Event]) -> list[str]:
    """Replay trades in event-time order (ties in file order); every moment a (wallet, asset) < 0."""
    trades = sorted(
        (e for e in events if isinstance(e, Buy | Sell | Swap | Transfer | Fee | Income)), key=lambda e: e.at
    )
    balance: defaultdict[tuple[str, str], Decimal] = defaultdict(Decimal)
    bad: list[str] = []

    def move(wallet: str, asset: str, qty: Decimal) -> None:
        balance[wallet, asset] += qty
        if balance[wallet, asset] < 0:
            bad.append(f"{wallet} {asset} {balance[wallet, asset]} at {event.at} ({event.id})")

    for event in trades:
        match event:
            case Buy() | Income():
                move(event.wallet, event.asset, event.qty)
            case Sell() | Fee():
                move(event.wallet, event.asset, -event.qty)
            case Swap():
                move(event.wallet, event.give_asset, -event.give_qty)
                move(event.wallet, event.get_asset, event.get_qty)
            case Transfer():
                move(event.from_, event.asset, -event.qty)
                move(event.to, event.asset, event.qty - (event.fee_qty or 0))
    return bad


def make_slice(**kw: Any) -> Slice:
    """A slice with sensible defaults: 1 BTC bought 2024-01-02, sold 2024-02-01, short, crypto."""
    sold = kw.pop("date_sold", date(2024, 2, 1))
    acquired = kw.pop("date_acquired", date(2024, 1, 2))
    fields: dict[str, Any] = {
        "seq": 2,
        "event_key": "t:sell",
        "kind": "sell",
        "order": 0,
        "asset": "BTC",
        "asset_class": "crypto",
        "wallet": "cb",
        "lot": "t:buy",
        "qty": D(1),
        "acquired_at": datetime(acquired.year, acquired.month, acquired.day, 12, tzinfo=UTC),
        "date_acquired": acquired,
        "sold_at": datetime(sold.year, sold.month, sold.day, 12, tzinfo=UTC),
        "date_sold": sold,
        "proceeds": D(0),
        "basis": D(0),
        "term": "short",
        "covered": False,
    }
    fields.update(kw)
    return Slice(**fields)


def matches(expected: Any, actual: Any) -> bool:
    """`actual` has every value of `expected`; amounts as decimals to the cent."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            k in actual and matches(v, actual[k]) for k, v in expected.items()
        )
    if isinstance(expected, list):
        return isinstance(actual, list) and all(any(matches(e, a) for a in actual) for e in expected)
    if isinstance(expected, str) and isinstance(actual, str):
        try:
            return Decimal(expected).quantize(Decimal("0.01")) == Decimal(actual).quantize(Decimal("0.01"))
        except ArithmeticError:
            return expected == actual
    return bool(expected == actual)


def root_command() -> Any:
    """The click command behind `gainlog`, every command module registered."""
    import typer
    from gainlog.cli.main import _register

    _register()
    from gainlog.cli.app import app

    return typer.main.get_command(app)


def walk_commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
    """(`report schedule-d`, click command) for every command and subcommand, groups included."""
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        if getattr(sub, "hidden", False):
            continue  # another spelling of a listed command (`add gift_in` for `add gift-in`)
        sub_path = (*path, name)
        yield " ".join(sub_path), sub
        yield from walk_commands(sub, sub_path)


def answered(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> list[bool]:
    """Whether each call of `owner.name` answered (True: not None) or declined (False)."""
    answers: list[bool] = []
    original = getattr(owner, name)

    def spy(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        answers.append(result is not None)
        return result

    monkeypatch.setattr(owner, name, spy)
    return answers


def served_by_checkpoint(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each call of `schedule_d_after` answered (True) or declined (False)."""
    from gainlog.projections import year_checkpoint

    return answered(monkeypatch, year_checkpoint, "schedule_d_after")
