"""Edits made behind gainlog's back with sqlite3, for the tamper-evidence tests (issue #18)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from conftest import REPO, Result
from gainlog.ledger import chain

SAMPLE = REPO / "fixtures" / "sample" / "events.jsonl"  # 51 events, 2022-2025
Gainlog = Callable[..., Result]


@contextmanager
def behind_the_back(db: Path) -> Iterator[sqlite3.Connection]:
    """A raw connection with gainlog's triggers dropped, put back (same SQL) afterwards."""
    conn = sqlite3.connect(db)
    triggers = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall()
    for name, _ in triggers:
        conn.execute(f"DROP TRIGGER {name}")
    yield conn
    for _, sql in triggers:
        conn.execute(sql)
    conn.commit()
    conn.close()


def recompute_chain(conn: sqlite3.Connection, *, genesis: str) -> str:
    """What a careful attacker does after an edit: rehash every event, then make the tags and the
    `verified` record agree. Returns the new head hash."""
    prev, head = genesis, 0
    rows = conn.execute("SELECT seq, key, source, batch, recorded_at, body FROM events ORDER BY seq").fetchall()
    for seq, key, source, batch, recorded, body in rows:
        digest = chain.link(prev, seq, key, source, batch, recorded, body)
        conn.execute("UPDATE events SET prev_hash = ?, hash = ? WHERE seq = ?", (prev, digest, seq))
        prev, head = digest, seq
    conn.execute("UPDATE tags SET hash = (SELECT hash FROM events e WHERE e.seq = tags.seq) WHERE seq > 0")
    conn.execute("UPDATE meta SET value = ? WHERE name = 'verified'",
                 (chain.verified_text(head, prev, "UTC", "1"),))
    return prev


def edit_price(conn: sqlite3.Connection, seq: int, price: str) -> None:
    """Change the `price` of the event at `seq` (a valid canonical body afterwards)."""
    body = json.loads(conn.execute("SELECT body FROM events WHERE seq = ?", (seq,)).fetchone()[0])
    body["price"] = price
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    conn.execute("UPDATE events SET body = ? WHERE seq = ?", (text, seq))
