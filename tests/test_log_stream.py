"""`gainlog log` streamed (api.ledger_ops.read_log): the retracted events come from the indexes,
`--limit` and `--tail` read only the events they show, and the rows are those of the whole log's
replay of retractions (the reference below, the former implementation over every record)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from gainlog.api import ledger_ops
from gainlog.ledger import chain, codec
from gainlog.ledger.errors import DuplicateEvent, InvalidEvent
from gainlog.ledger.events import Buy, Retract
from gainlog.ledger.store import Store
from hypothesis import given, settings
from hypothesis import strategies as st

OPS = st.lists(st.tuples(st.sampled_from(["add", "retract"]), st.sampled_from("abcd")), max_size=14)


def reference(store: Store, until: int, *, show_all: bool) -> list[dict[str, Any]]:
    """Every record read and decoded, the retractions replayed in seq order."""
    records = store.read(until=until)
    key_to_live_seq: dict[str, int] = {}
    seq_to_retractor: dict[int, int] = {}
    for r in records:
        if isinstance(r.event, Retract):
            target = key_to_live_seq.pop(r.event.target, None)
            if target is not None:
                seq_to_retractor[target] = r.seq
        else:
            key_to_live_seq[r.key] = r.seq
    rows = []
    for r in records:
        by = seq_to_retractor.get(r.seq)
        if not show_all and (by is not None or isinstance(r.event, Retract)):
            continue
        row = codec.canonical(r.event)
        row.update(key=r.key, seq=r.seq, recorded_at=chain.time_text(r.recorded_at), source=r.source, batch=r.batch)
        if show_all:
            row.update(retracted=by is not None, retracted_by=by)
        rows.append(row)
    return rows


def build(db: Path, ops: list[tuple[str, str]]) -> None:
    with Store.create(db) as store:
        for n, (op, name) in enumerate(ops):
            try:
                if op == "add":
                    at = datetime(2024, 1, 1 + n, tzinfo=UTC)
                    store.append(Buy(id=name, at=at, wallet="w", asset="BTC", qty=Decimal(1), price=Decimal(n + 1)))
                else:
                    store.retract(f"cli:{name}")
            except (DuplicateEvent, InvalidEvent):
                pass  # a second live `a`, or a retraction of no live `a`: refused, as the CLI refuses it


@settings(max_examples=60, deadline=None)
@given(ops=OPS, show_all=st.booleans(), count=st.integers(0, 6), cut=st.integers(0, 20))
def test_read_log_equals_the_replay_of_every_record(
    tmp_path_factory: Any, ops: list[tuple[str, str]], show_all: bool, count: int, cut: int
) -> None:
    db = tmp_path_factory.mktemp("log") / "l.db"
    build(db, ops)
    with Store.open(db) as store:
        until = min(cut, store.last_seq())
        whole = reference(store, until, show_all=show_all)
    as_of = str(until)
    with ledger_ops.read_log(db, as_of, show_all=show_all) as log:
        assert list(log.rows) == whole and log.last_seq == until
    with ledger_ops.read_log(db, as_of, show_all=show_all, limit=count) as log:
        assert list(log.rows) == whole[:count]
    with ledger_ops.read_log(db, as_of, show_all=show_all, tail=count) as log:
        assert list(log.rows) == (whole[-count:] if count else [])


def test_tail_and_limit_decode_only_what_they_show(tmp_path: Path, monkeypatch: Any) -> None:
    db = tmp_path / "l.db"
    build(db, [("add", "a"), ("add", "b"), ("retract", "b"), ("add", "c"), ("add", "d"), ("retract", "d")])
    decoded: list[bytes] = []
    real = codec.body_decoder

    def counting(**kwargs: Any) -> Any:
        decode = real(**kwargs)

        def each(body: bytes) -> Any:
            decoded.append(body)
            return decode(body)

        return each

    monkeypatch.setattr(codec, "body_decoder", counting)
    with ledger_ops.read_log(db, tail=1) as log:  # seqs 1 a, 2 b, 3 retract b, 4 c, 5 d, 6 retract d
        assert [row["seq"] for row in log.rows] == [4]
    assert len(decoded) == 3  # c and the two after it, hidden
    decoded.clear()
    with ledger_ops.read_log(db, limit=1) as log:
        assert [(row["seq"], row["id"]) for row in log.rows] == [(1, "a")]
    assert len(decoded) == 1
