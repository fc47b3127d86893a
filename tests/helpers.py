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
