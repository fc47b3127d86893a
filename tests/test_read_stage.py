"""Reading a log for a replay (issue 19): the shortcuts of the read stage give exactly what the
general path gives: names shared by the decoder, first sells noted by `live`, a UTC ledger's dates
without a zone conversion, year ends compared in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import msgspec
from gainlog.ledger import codec
from gainlog.ledger.events import TRADES
from gainlog.projections.engine import LotBookState
from gainlog.projections.knowledge import live
from gainlog.projections.rules.holding_period import local_date
from gainlog.projections.rules.late_identification import late_lot_corrections
from gainlog.projections.year_end import YearEnds, year_end_lots
from helpers import records

SELL = {"type": "sell", "at": "2025-02-01T00:00:00Z", "wallet": "w", "asset": "BTC", "qty": "1", "price": "2"}
BUY = {"type": "buy", "at": "2025-01-01T00:00:00Z", "wallet": "w", "asset": "BTC", "qty": "1", "price": "1"}


def test_the_body_decoder_shares_each_name_and_decodes_as_decode_body() -> None:
    bodies = [b'{"asset":"BTC","at":"2025-01-01T00:00:00Z","price":"1","qty":"1","type":"buy","wallet":"w"}',
              b'{"asset":"BTC","at":"2025-02-01T00:00:00Z","price":"2","qty":"1","type":"sell","wallet":"w"}']
    decode = codec.body_decoder()
    first, second = (decode(b) for b in bodies)
    assert [first, second] == [codec.decode_body(b) for b in bodies]
    assert first.asset is second.asset and first.wallet is second.wallet  # type: ignore[union-attr]
    assert codec.decode_body(bodies[0]).asset is not first.asset  # type: ignore[union-attr]


def test_live_without_retractions_keeps_each_record_up_to_the_point_as_without_targets() -> None:
    """Empty `targets` (no retraction in the log) takes a shortcut: the same records, no sell noted."""
    log = records([{**BUY, "id": "b"}, {**SELL, "id": "s"}, {**SELL, "id": "t", "qty": "0.5"}])
    first: dict[str, object] = {}
    assert live(log, until_seq=2, targets=set(), first_sells=first) == live(log, until_seq=2) == log[:2]  # type: ignore[arg-type]
    assert first == {}


def test_live_notes_each_sell_keys_first_recording_retracted_or_not() -> None:
    log = records([{**SELL, "id": "s"}, {"type": "retract", "target": "test:s"},
                   {**SELL, "id": "s", "qty": "0.5"}, {**BUY, "id": "b"}])
    first: dict[str, object] = {}
    known = live(log, first_sells=first)  # type: ignore[arg-type]
    assert [r.seq for r in known] == [3, 4]
    assert first == {"test:s": log[0]}
    only: dict[str, object] = {}
    live(log, targets={"test:b"}, first_sells=only)  # type: ignore[arg-type]
    assert only == {}  # with targets, only their keys (a buy is no sell)
    cut: dict[str, object] = {}
    live(log[2:], until_seq=2, first_sells=cut)  # type: ignore[arg-type]
    assert cut == {}


def test_late_lot_corrections_reads_the_first_recording_through_live() -> None:
    buy_a, buy_b = {**BUY, "id": "a"}, {**BUY, "id": "b"}
    log = records([buy_a, buy_b, {**SELL, "id": "s"}, {"type": "retract", "target": "test:s"},
                   {**SELL, "id": "s", "lots": [{"lot": "b", "qty": "1"}]}])
    assert [(p.code, p.seq) for p in late_lot_corrections(log)] == [("late-identification", 5)]
    assert late_lot_corrections(log, until_seq=4) == []


def test_local_date_of_a_utc_ledger_is_the_utc_date_and_other_zones_convert() -> None:
    utc_zone, new_york = ZoneInfo("UTC"), ZoneInfo("America/New_York")
    at = datetime(2024, 12, 31, 23, 30, tzinfo=UTC)
    for minutes in range(0, 48 * 60, 17):
        t = at + timedelta(minutes=minutes)
        assert local_date(t, utc_zone) == t.astimezone(utc_zone).date() == t.date()
        assert local_date(t, new_york) == t.astimezone(new_york).date()
    assert local_date(at, new_york) == date(2024, 12, 31)
    assert local_date(datetime(2025, 1, 1, 1, tzinfo=new_york), utc_zone) == date(2025, 1, 1)


def test_year_ends_fall_at_midnight_of_the_ledgers_zone() -> None:
    # 2025-01-01T03:00Z is still 2024 in New York: the year ends only before the trade at 06:00Z.
    tz = ZoneInfo("America/New_York")
    log = records([{**BUY, "id": "a", "at": "2024-06-01T12:00:00Z"}, {**BUY, "id": "b", "at": "2025-01-01T03:00:00Z"},
                   {**BUY, "id": "c", "at": "2025-01-01T06:00:00Z"}], tz="America/New_York")
    state = LotBookState(log, tz=tz)
    ends = YearEnds(state, {})
    seen = []
    for record in log:
        if record.event.at >= ends.next_year_at:  # type: ignore[union-attr]
            ends.reach(record.event.at)  # type: ignore[union-attr]
        seen.append(ends.year)
    assert seen == [2024, 2024, 2025]
    assert ends.next_year_at == datetime(2026, 1, 1, 5, tzinfo=UTC) and ends.next_year_at.tzinfo is UTC
    out: dict[int, object] = {}
    assert list(year_end_lots(log, LotBookState(log, tz=tz), out)) == log  # type: ignore[arg-type]
    assert sorted(out) == [2024, 2025]


def test_the_body_decoder_without_trail_leaves_out_only_the_trades_audit_fields() -> None:
    """`trail=False` (a replay's read, issue #19): a trade decodes without `id`, `note` and `txid` (never
    part of the math), every other field and every other event as `decode_body` decodes it."""
    bodies = [
        b'{"asset":"BTC","at":"2025-01-01T00:00:00Z","id":"b1","note":"n","price":"1.50","qty":"1","txid":"0xab",'
        b'"type":"buy","wallet":"w"}',
        b'{"asset":"BTC","at":"2025-02-01T00:00:00Z","fee":"0.1","id":"s1","price":"2","qty":"1","type":"sell",'
        b'"wallet":"w"}',
        b'{"asset":"BTC","at":"2025-02-02T00:00:00Z","id":"t1","qty":"0.5","to":"v","txid":"0xcd",'
        b'"type":"transfer","from":"w"}',
        b'{"asset":"BTC","at":"2025-02-03T00:00:00Z","qty":"0.5","type":"deposit","wallet":"v","txid":"0xef"}',
        b'{"id":"w-1","note":"broker","reports":"1099-B","type":"wallet","wallet":"w"}',
        b'{"id":"p1","reason":"typo","target":"test:b1","type":"retract"}',
    ]
    decode, keep = codec.body_decoder(trail=False), codec.body_decoder()
    for body in bodies:
        plain = codec.decode_body(body)
        assert keep(body) == plain
        if isinstance(plain, TRADES):
            assert decode(body) == msgspec.structs.replace(plain, id=None, note=None, txid=None)
        else:
            assert decode(body) == plain and decode(body).id is not None
    assert [codec.decode_body(b).id for b in bodies[:2]] == ["b1", "s1"]
