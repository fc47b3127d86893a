"""`explain`'s transfers window (projections/explain.py `Transfers`): the same transfers, in the
same order, as a scan of every live transfer, found without one."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from gainlog.ledger.events import Transfer
from gainlog.projections.explain import Transfers
from helpers import records


def test_transfers_between_equals_a_full_scan() -> None:
    rng = random.Random(5)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    lines = [
        {"type": "transfer", "at": (start + timedelta(days=rng.randrange(60))).isoformat(), "from": "A",
         "to": "B", "asset": rng.choice(["BTC", "ETH"]), "qty": "1"}
        for _ in range(80)
    ]
    known = records(lines)
    index = Transfers(known)
    for _ in range(50):
        a, b = sorted(start + timedelta(days=rng.randrange(-5, 65)) for _ in range(2))
        for asset in ("BTC", "ETH", "SOL"):
            scanned = [r for r in known if isinstance(r.event, Transfer) and r.event.asset == asset
                       and a <= r.event.at <= b]
            assert index.between(asset, a, b) == scanned
