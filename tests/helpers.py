"""Build in-memory logs for projection tests, without a database.

`records("...jsonl lines...")` validates each line exactly as `import` does and wraps it as a
`Recorded` with seq from 1, key `test:ID` or `test:sha#rank`, and a recording time one second apart.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ledger import codec
from ledger.events import Recorded

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
