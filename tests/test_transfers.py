"""Transfer legs and `gainlog transfers` (R2.8, issue #12): a Coinbase Send paired with a Kraken
deposit keeps its basis and acquisition date; unpaired legs warn; ambiguous candidates are never
confirmed on their own; a different txid keeps two legs apart."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from conftest import Result, write_jsonl

Gainlog = Callable[..., Result]

COINBASE = """ID,Timestamp,Transaction Type,Asset,Quantity Transacted,Price Currency,Price at Transaction,\
Subtotal,Total (inclusive of fees and/or spread),Fees and/or Spread,Notes
cb-buy-1,2023-01-10 10:00:00 UTC,Buy,BTC,0.5,USD,$20000.00,$10000.00,$10100.00,$100.00,Bought 0.5 BTC for $10100.00
cb-send-1,2025-03-20 20:00:00 UTC,Send,BTC,-0.5,USD,$65000.00,$32500.00,$32500.00,$0.00,Sent 0.5 BTC to bc1qxyz
"""
KRAKEN = """"txid","refid","time","type","subtype","aclass","asset","wallet","amount","fee","balance"
"LDEP01-AAAAA-BBBBBB","FDEP01-CCCCC-DDDDDD","2025-03-20 21:10:00","deposit","","currency","XXBT","spot / main",\
0.4995000000,0.0000000000,0.4995000000
"LSEL01-AAAAA-BBBBBB","TSEL01-CCCCC-DDDDDD","2025-06-01 12:00:00","trade","tradespot","currency","XXBT",\
"spot / main",-0.4995000000,0.0000000000,0.0000000000
"LSEL02-AAAAA-BBBBBB","TSEL01-CCCCC-DDDDDD","2025-06-01 12:00:00","trade","tradespot","currency","ZUSD",\
"spot / main",34965.0000,0.0000,34965.0000
"""
PRICES = "date_or_time,asset,usd\n2025-03-20T19:00:00Z,BTC,65000\n"
SEND, DEPOSIT = "coinbase.csv:cb-send-1", "ledgers.csv:LDEP01-AAAAA-BBBBBB"


def _files(tmp_path: Path) -> tuple[Path, Path, Path]:
    paths = (tmp_path / "coinbase.csv", tmp_path / "ledgers.csv", tmp_path / "prices.csv")
    for path, text in zip(paths, (COINBASE, KRAKEN, PRICES), strict=True):
        path.write_text(text, encoding="utf-8")
    return paths


def _sale(gainlog: Gainlog) -> list[tuple[str, ...]]:
    rows = gainlog("report", "8949", "--year", "2025", "--json").json()
    return [(r["description"], r["wallet"], r["lot"], r["date_acquired"], r["proceeds"], r["cost_basis"], r["term"])
            for r in rows]


def _warnings(gainlog: Gainlog, year: str = "2025") -> list[str]:
    return gainlog("report", "schedule-d", "--year", year, "--json").json()["warnings"]  # type: ignore[no-any-return]


def test_a_coinbase_send_paired_with_a_kraken_deposit_keeps_basis_and_date(tmp_path: Path, gainlog: Gainlog) -> None:
    coinbase, kraken, prices = _files(tmp_path)
    for path, fmt in ((coinbase, "coinbase"), (kraken, "kraken"), (prices, "prices")):
        assert gainlog("import", str(path), "--format", fmt).code == 0
    before = gainlog("log", "--json").json()[-1]["seq"]
    legs = {r["key"]: r for r in gainlog("log", "--json").json() if r["type"] in ("withdrawal", "deposit")}
    assert legs[SEND] | {"recorded_at": None, "batch": None, "seq": None} == {
        "type": "withdrawal", "at": "2025-03-20T20:00:00Z", "wallet": "coinbase", "asset": "BTC", "qty": "0.5",
        "id": "cb-send-1", "note": "Send", "key": SEND, "source": "coinbase.csv", "recorded_at": None, "batch": None,
        "seq": None}
    assert legs[DEPOSIT]["qty"] == "0.4995" and legs[DEPOSIT]["wallet"] == "kraken"

    # unpaired: the Kraken sale draws on the deposit's zero-basis lot (wallet pools in 2025), with warnings
    assert _sale(gainlog) == [("0.4995 BTC", "kraken", DEPOSIT, "2025-03-20", "34965.00", "0.00", "short")]
    unpaired = _warnings(gainlog)
    assert (
        f"{DEPOSIT}: deposit of 0.4995 BTC into 'kraken' on 2025-03-20 is not paired with a withdrawal: counted as a "
        "lot with zero basis acquired on 2025-03-20 (R2.8)" in unpaired
    )
    assert (
        f"{SEND}: withdrawal of 0.5 BTC from 'coinbase' on 2025-03-20 is not paired with a deposit: its lots wait in "
        "'in transit from coinbase', not disposed of (R2.8)" in unpaired
    )
    assert any("deposit of 0.4995 BTC" in w for w in _warnings(gainlog, "2023"))  # every year's reports
    lots = gainlog("lots", "--on", "2025-04-01", "--json")
    assert {(r["wallet"], r["qty"], r["cost_basis"], r["date_acquired"]) for r in lots.json()} == {
        ("in transit from coinbase", "0.5", "10100.00", "2023-01-10"), ("kraken", "0.4995", "0.00", "2025-03-20")}
    assert "is not paired with a withdrawal" in lots.err

    listed = gainlog("transfers", "--json").json()
    assert [(m["withdrawal"]["key"], m["deposit"]["key"], m["fee_qty"], m["fee_value"]) for m in listed["matched"]] \
        == [(SEND, DEPOSIT, "0.0005", "32.50")]
    assert (listed["ambiguous"], listed["unmatched"], listed["paired"]) == ([], [], [])
    assert (listed["window_hours"], listed["tolerance"]) == ("72", "0.01")

    confirmed = gainlog("transfers", "--confirm", "--json")
    assert confirmed.code == 0
    added = confirmed.json()["added"]
    assert len(added) == 1 and added[0].startswith("cli:transfer-")
    transfer = next(r for r in gainlog("log", "--json").json() if r["key"] == added[0])
    assert {k: transfer[k] for k in ("type", "at", "from", "to", "asset", "qty", "fee_qty", "fee_value", "legs")} == {
        "type": "transfer", "at": "2025-03-20T20:00:00Z", "from": "coinbase", "to": "kraken", "asset": "BTC",
        "qty": "0.5", "fee_qty": "0.0005", "fee_value": "32.5", "legs": [SEND, DEPOSIT]}

    # paired: the sale has the Coinbase lot's basis (10,100 x 0.4995 / 0.5) and acquisition date
    sale = ("0.4995 BTC", "kraken", "coinbase.csv:cb-buy-1", "2023-01-10", "34965.00", "10089.90", "long")
    fee = ("0.0005 BTC", "coinbase", "coinbase.csv:cb-buy-1", "2023-01-10", "32.50", "10.10", "long")
    assert _sale(gainlog) == [fee, sale]
    assert not [w for w in _warnings(gainlog) if "not paired" in w]
    assert gainlog("transfers", "--json").json()["paired"] == [{"transfer": added[0], "legs": [SEND, DEPOSIT]}]

    # re-importing the exports adds nothing and keeps the pair; confirming again adds nothing
    for path, fmt in ((coinbase, "coinbase"), (kraken, "kraken")):
        again = gainlog("import", str(path), "--format", fmt, "--json").json()
        assert again["added"] == 0
    assert gainlog("transfers", "--confirm", "--json").json()["added"] == []
    assert _sale(gainlog) == [fee, sale]

    # as of before the pairing: the unpaired state
    old = gainlog("report", "8949", "--year", "2025", "--as-of", str(before), "--json").json()
    assert [(r["lot"], r["cost_basis"]) for r in old] == [(DEPOSIT, "0.00")]
    assert gainlog("transfers", "--as-of", str(before), "--json").json()["matched"][0]["deposit"]["key"] == DEPOSIT

    # retracting the transfer unpairs the legs
    assert gainlog("retract", added[0]).code == 0
    assert _sale(gainlog) == [("0.4995 BTC", "kraken", DEPOSIT, "2025-03-20", "34965.00", "0.00", "short")]
    assert len(gainlog("transfers", "--json").json()["matched"]) == 1


def _leg(kind: str, leg_id: str, at: str, wallet: str, qty: str, **extra: Any) -> dict[str, Any]:
    return {"type": kind, "id": leg_id, "at": at, "wallet": wallet, "asset": "ETH", "qty": qty, **extra}


def test_an_unmatched_deposit_warns_and_a_txid_mismatch_prevents_a_match(tmp_path: Path, gainlog: Gainlog) -> None:
    path = write_jsonl(tmp_path / "legs.jsonl", [
        _leg("withdrawal", "w1", "2024-05-01T10:00:00Z", "ledger", "2", txid="0xaaa"),
        _leg("deposit", "d1", "2024-05-01T10:30:00Z", "kraken", "1.999", txid="0xbbb"),
    ])
    assert gainlog("import", str(path)).code == 0
    listed = gainlog("transfers", "--json").json()
    assert listed["matched"] == [] and listed["ambiguous"] == []
    assert [(leg["key"], leg["txid"]) for leg in listed["unmatched"]] == [
        ("legs.jsonl:w1", "0xaaa"), ("legs.jsonl:d1", "0xbbb")]
    assert gainlog("transfers", "--confirm", "--json").json()["added"] == []
    assert any(w.startswith("legs.jsonl:d1: deposit of 1.999 ETH into 'kraken' on 2024-05-01 is not paired")
               for w in _warnings(gainlog, "2024"))
    human = gainlog("transfers")
    assert human.code == 0 and "Unmatched: 2 leg(s)" in human.out and "legs.jsonl:d1" in human.out
    # the same legs without txids match
    path = write_jsonl(tmp_path / "more.jsonl", [
        _leg("withdrawal", "w2", "2024-06-01T10:00:00Z", "ledger", "2"),
        _leg("deposit", "d2", "2024-06-01T10:30:00Z", "kraken", "1.999"),
    ])
    assert gainlog("import", str(path)).code == 0
    matched = gainlog("transfers", "--json").json()["matched"]
    assert [(m["withdrawal"]["key"], m["deposit"]["key"], m["fee_value"]) for m in matched] == [
        ("more.jsonl:w2", "more.jsonl:d2", None)]  # no ETH price: the fee has no value yet
    # --confirm leaves a fee without a price, saying how to pair it
    result = gainlog("transfers", "--confirm", "--json")
    assert result.json()["added"] == [] and result.json()["not_confirmed"][0]["withdrawal"] == "more.jsonl:w2"
    assert "gainlog transfers pair more.jsonl:w2 more.jsonl:d2 --fee-value USD" in result.err
    refused = gainlog("transfers", "pair", "more.jsonl:w2", "more.jsonl:d2")
    assert refused.code == 2 and "the fee of 0.001 ETH needs a USD value" in refused.err
    paired = gainlog("transfers", "pair", "more.jsonl:w2", "more.jsonl:d2", "--fee-value", "3", "--json")
    assert paired.code == 0 and len(paired.json()["added"]) == 1
    # pairing by hand overrides the txid rule only by naming both legs; a wrong type is refused
    wrong = gainlog("transfers", "pair", "legs.jsonl:d1", "legs.jsonl:w1")
    assert (wrong.code, wrong.err) == (2, "gainlog: transfers pair: legs.jsonl:d1 is a deposit, not a withdrawal\n")


def test_two_candidates_are_ambiguous_and_not_confirmed(tmp_path: Path, gainlog: Gainlog) -> None:
    path = write_jsonl(tmp_path / "legs.jsonl", [
        _leg("withdrawal", "w1", "2024-05-01T10:00:00Z", "ledger", "2"),
        _leg("deposit", "d1", "2024-05-01T10:30:00Z", "kraken", "2"),
        _leg("deposit", "d2", "2024-05-02T09:00:00Z", "coinbase", "1.99"),
        _leg("deposit", "late", "2024-05-05T10:00:01Z", "gemini", "2"),  # after the 72-hour window
    ])
    assert gainlog("import", str(path)).code == 0
    listed = gainlog("transfers", "--json").json()
    assert listed["matched"] == []
    assert [(a["key"], a["candidates"]) for a in listed["ambiguous"]] == [
        ("legs.jsonl:w1", ["legs.jsonl:d1", "legs.jsonl:d2"]),
        ("legs.jsonl:d1", ["legs.jsonl:w1"]),
        ("legs.jsonl:d2", ["legs.jsonl:w1"]),
    ]
    assert [leg["key"] for leg in listed["unmatched"]] == ["legs.jsonl:late"]
    assert gainlog("transfers", "--confirm", "--json").json()["added"] == []
    wider = gainlog("transfers", "--window", "100", "--json").json()
    assert [a["key"] for a in wider["ambiguous"]][0] == "legs.jsonl:w1" and wider["unmatched"] == []
    assert gainlog("transfers", "pair", "legs.jsonl:w1", "legs.jsonl:d1", "--json").code == 0
    after = gainlog("transfers", "--json").json()
    assert after["ambiguous"] == [] and [leg["key"] for leg in after["unmatched"]] == [
        "legs.jsonl:d2", "legs.jsonl:late"]


def test_every_report_warns_about_an_unpaired_deposit(tmp_path: Path, gainlog: Gainlog) -> None:
    path = write_jsonl(tmp_path / "legs.jsonl", [
        {"type": "buy", "at": "2024-01-02T10:00:00Z", "wallet": "kraken", "asset": "ETH", "qty": "1", "total": "100"},
        _leg("deposit", "d1", "2024-05-01T10:30:00Z", "kraken", "1"),
        {"type": "sell", "at": "2024-07-01T10:00:00Z", "wallet": "kraken", "asset": "ETH", "qty": "2", "total": "500"},
    ])
    assert gainlog("import", str(path)).code == 0
    message = ("legs.jsonl:d1: deposit of 1 ETH into 'kraken' on 2024-05-01 is not paired with a withdrawal: "
               "counted as a lot with zero basis acquired on 2024-05-01 (R2.8)")
    assert message in _warnings(gainlog, "2024")
    assert message in gainlog("report", "income", "--year", "2024", "--json").json()["warnings"]
    form = gainlog("report", "8949", "--year", "2024", "--json")
    rows = form.json()
    assert [r["cost_basis"] for r in rows] == ["100.00", "0.00"] and rows[1]["lot"] == "legs.jsonl:d1"
    assert f"gainlog: warning: {message}" in form.err
    assert message in gainlog("lots", "--on", "2024-06-01").err


def test_a_checkpoint_before_the_pairing_is_not_used_after_it(tmp_path: Path, gainlog: Gainlog) -> None:
    coinbase, kraken, prices = _files(tmp_path)
    for path, fmt in ((coinbase, "coinbase"), (kraken, "kraken"), (prices, "prices")):
        assert gainlog("import", str(path), "--format", fmt).code == 0
    assert gainlog("checkpoint").code == 0
    unpaired = gainlog("report", "schedule-d", "--year", "2025", "--json").json()
    assert unpaired["long_term"]["gain"] == "0.00" and unpaired["short_term"]["gain"] == "34965.00"
    assert gainlog("transfers", "--confirm").code == 0
    paired = gainlog("report", "schedule-d", "--year", "2025", "--json").json()
    assert (paired["short_term"]["gain"], paired["long_term"]["gain"]) == ("0.00", "24897.50")  # 24875.10 + 22.40
    assert not [w for w in paired["warnings"] if "not paired" in w]


def test_a_leg_paired_by_two_transfers_is_warned_and_not_paired_again(tmp_path: Path, gainlog: Gainlog) -> None:
    base = {"type": "transfer", "at": "2024-05-01T10:00:00Z", "from": "ledger", "to": "kraken", "asset": "ETH",
            "qty": "2", "legs": ["legs.jsonl:w1", "legs.jsonl:d1"]}
    write_jsonl(tmp_path / "legs.jsonl", [
        {"type": "buy", "at": "2024-01-02T10:00:00Z", "wallet": "ledger", "asset": "ETH", "qty": "4", "total": "400"},
        _leg("withdrawal", "w1", "2024-05-01T10:00:00Z", "ledger", "2"),
        _leg("deposit", "d1", "2024-05-01T10:30:00Z", "kraken", "2"),
        base | {"id": "t1"}, base | {"id": "t2"},
    ])
    assert gainlog("import", str(tmp_path / "legs.jsonl")).code == 0
    assert ("legs.jsonl:w1: paired by 2 live transfers (legs.jsonl:t1, legs.jsonl:t2): each moves its units (R2.8)"
            in _warnings(gainlog, "2024"))
    refused = gainlog("transfers", "pair", "legs.jsonl:w1", "legs.jsonl:d1")
    assert refused.code == 2 and "no unpaired live leg has key 'legs.jsonl:w1'" in refused.err


def test_a_converter_that_gives_no_time_keeps_the_skipped_row_and_warning(tmp_path: Path) -> None:
    from decimal import Decimal
    from zoneinfo import ZoneInfo

    from gainlog.ledger.formats.table import Conversion, Row

    conversion = Conversion()
    row = Row("x.csv:4", {"Type": "Send"}, ("Type",))
    conversion.transfer_leg(row, "Send", "out", "BTC", Decimal("0.5"), fee_qty=Decimal("0.001"))
    conversion.emit_legs(Path("x.csv"), tz=ZoneInfo("UTC"), wallet="w")
    assert conversion.events == [] and [(s.where, s.reason) for s in conversion.skipped] == [("x.csv:4", "transfer")]
    assert conversion.warnings[0].startswith("x.csv:4: skipped 'Send' of 0.5 BTC (fee 0.001 BTC): a transfer")
    # with a time: a withdrawal of what left the balance, its fee named, id a hash of the cells
    conversion = Conversion()
    conversion.transfer_leg(row, "Send", "out", "BTC", Decimal("0.5"), fee_qty=Decimal("0.001"),
                            at="2024-01-01T00:00:00Z", txid="0xabc")
    conversion.emit_legs(Path("x.csv"), tz=ZoneInfo("UTC"), wallet="w")
    (parsed,) = conversion.events
    event = parsed.event
    assert (type(event).__name__, event.qty, event.fee_qty, event.txid, event.wallet) == (  # type: ignore[union-attr]
        "Withdrawal", Decimal("0.501"), Decimal("0.001"), "0xabc", "w")
    assert event.id is not None and event.id.startswith("leg-")


POOLED = [
    {"type": "buy", "id": "b1", "at": "2024-01-10", "wallet": "cb", "asset": "BTC", "qty": "1", "price": "100"},
    {"type": "buy", "id": "b2", "at": "2024-02-10", "wallet": "kr", "asset": "BTC", "qty": "1", "price": "200"},
    {"type": "withdrawal", "id": "w1", "at": "2024-03-01", "wallet": "cb", "asset": "BTC", "qty": "1"},
    {"type": "sell", "id": "s1", "at": "2024-04-01", "wallet": "kr", "asset": "BTC", "qty": "1", "price": "300"},
]


def test_an_unpaired_withdrawal_from_a_universal_pool_leaves_its_lots_in_the_pool(
    tmp_path: Path, gainlog: Gainlog
) -> None:
    # R2.8, R3.3, R3.4: before 2025 crypto is one universal pool; an unpaired withdrawal moves only the
    # wallet's holding: the lots stay pooled (kr's sale takes cb's b1, FIFO) and the transit wallet gets
    # lots from the 2025-01-01 allocation. The warning says so, in every report.
    assert gainlog("import", str(write_jsonl(tmp_path / "pooled.jsonl", POOLED))).code == 0
    message = ("pooled.jsonl:w1: withdrawal of 1 BTC from 'cb' on 2024-03-01 is not paired with a deposit: not "
               "disposed of; BTC is one universal pool then (R3.3), so its lots stay in the pool, where a sale from "
               "any wallet may draw on them, and 'in transit from cb' holds the 1 BTC until the pool is allocated to "
               "wallets (R3.4) (R2.8)")
    assert message in _warnings(gainlog, "2024")
    assert message in gainlog("report", "income", "--year", "2024", "--json").json()["warnings"]
    assert [(r["wallet"], r["lot"]) for r in gainlog("report", "8949", "--year", "2024", "--json").json()] == [
        ("kr", "pooled.jsonl:b1")]
    assert [(r["wallet"], r["lot"]) for r in gainlog("lots", "--on", "2024-12-31", "--json").json()] == [
        ("*", "pooled.jsonl:b2")]
    assert [(r["wallet"], r["lot"]) for r in gainlog("lots", "--on", "2025-01-02", "--json").json()] == [
        ("in transit from cb", "pooled.jsonl:b2")]


def test_an_unpaired_withdrawal_from_a_wallet_pool_moves_its_lots_in_transit(tmp_path: Path, gainlog: Gainlog) -> None:
    # R2.8, R3.3: with scope wallet elected (as from 2025, and for stocks always) the lots themselves move
    events = [{"type": "method", "method": "FIFO", "from": "2024-01-01", "scope": "wallet", "asset": "BTC"}, *POOLED]
    assert gainlog("import", str(write_jsonl(tmp_path / "wallets.jsonl", events))).code == 0
    message = ("wallets.jsonl:w1: withdrawal of 1 BTC from 'cb' on 2024-03-01 is not paired with a deposit: its lots "
               "wait in 'in transit from cb', not disposed of (R2.8)")
    assert message in _warnings(gainlog, "2024")
    assert message in gainlog("report", "income", "--year", "2024", "--json").json()["warnings"]
    assert [(r["wallet"], r["lot"]) for r in gainlog("report", "8949", "--year", "2024", "--json").json()] == [
        ("kr", "wallets.jsonl:b2")]
    assert [(r["wallet"], r["lot"]) for r in gainlog("lots", "--on", "2024-12-31", "--json").json()] == [
        ("in transit from cb", "wallets.jsonl:b1")]
