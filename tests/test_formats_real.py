"""Exports as users download them (issue #12): every layout in fixtures/real/, field by field.

One fixture per layout, written to the vendor's column names and value formats (docs/formats.md
names where each layout was confirmed); each test checks the events a row becomes (qty, money,
fee, time with its zone), the import summary, and Form 8949 numbers where fees matter.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import Result
from gainlog.ledger import codec, formats
from gainlog.ledger.errors import InvalidEvent

REAL = Path(__file__).resolve().parent.parent / "fixtures" / "real"
UTC = ZoneInfo("UTC")


def events_of(name: str, path: Path, **kwargs: Any) -> dict[int, dict[str, Any]]:
    """CSV line -> canonical event dict."""
    conversion = formats.convert(name, path, tz=UTC, **kwargs)
    return {int(p.where.rsplit(":", 1)[1]): codec.canonical(p.event) for p in conversion.events}


def edited(tmp_path: Path, fixture: str, line: int, old: str, new: str) -> Path:
    lines = (REAL / fixture).read_text(encoding="utf-8").split("\n")
    assert old in lines[line - 1], lines[line - 1]
    lines[line - 1] = lines[line - 1].replace(old, new, 1)
    path = tmp_path / fixture
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


# -- rows gainlog does not know ----------------------------------------------------------------


def test_internal_moves_are_skipped_and_counted() -> None:
    path = REAL / "coinbase_internal.csv"
    conversion = formats.convert("coinbase", path, tz=UTC)
    events = {int(p.where.rsplit(":", 1)[1]): codec.canonical(p.event) for p in conversion.events}
    assert events == {
        4: {"type": "buy", "at": "2024-02-01T10:00:00Z", "wallet": "coinbase", "asset": "SOL", "qty": "20",
            "total": "2000", "fee": "20", "id": "65bb1c2d3e4f5a6b7c8d9e01", "txid": "65bb1c2d3e4f5a6b7c8d9e01",
            "note": "Bought 20 SOL for 2020 USD"},
        6: {"type": "income", "at": "2024-03-01T00:12:40Z", "wallet": "coinbase", "asset": "SOL", "qty": "0.05",
            "value": "6", "kind": "staking", "id": "65e11a2b3c4d5e6f70819203", "txid": "65e11a2b3c4d5e6f70819203"},
    }
    assert conversion.warnings == []
    assert conversion.notes == [
        f"{path}: skipped 6 internal move(s) inside the Coinbase account (no lot changes, not taxable): "
        "'Retail Staking Transfer' ×1 (line 5), 'Retail Unstaking Transfer' ×1 (line 7), "
        "'Vault Withdrawal' ×1 (line 8), 'Cash to Savings' ×1 (line 9), 'Retail Eth2 Deprecation' ×2 (lines 10, 11)"
    ]
    assert [(s.where.rsplit(":", 1)[1], s.reason) for s in conversion.skipped] == [
        ("5", "internal"), ("7", "internal"), ("8", "internal"), ("9", "internal"), ("10", "internal"),
        ("11", "internal")]


def test_unknown_types_are_listed_at_once(tmp_path: Path, gainlog: Callable[..., Result]) -> None:
    path = edited(tmp_path, "coinbase_internal.csv", 5, "Retail Staking Transfer", "Stake")
    text = path.read_text(encoding="utf-8").replace("Vault Withdrawal", "Stake").replace(
        "Cash to Savings", "Subscription")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidEvent) as err:
        formats.convert("coinbase", path, tz=UTC)
    assert str(err.value) == (
        f"{path}: 3 rows of 2 kind(s) gainlog does not map: column 'Transaction Type' 'Stake' ×2 (lines 5, 8); "
        "column 'Transaction Type' 'Subscription' ×1 (line 9); nothing imported: pass --skip-unknown to import "
        "the other rows (the skipped ones are listed), or enter them with `gainlog add`"
    )
    refused = gainlog("import", str(path), "--format", "coinbase")
    assert refused.code == 2 and refused.err == f"gainlog: {err.value}\n"
    assert gainlog("log", "--json").json() == []  # nothing appended
    done = gainlog("import", str(path), "--format", "coinbase", "--skip-unknown", "--json")
    assert done.code == 0
    out = done.json()
    assert out["added"] == 2
    assert out["warnings"] == [
        f"{path}: --skip-unknown: skipped 3 rows gainlog does not map ('Stake' ×2 (lines 5, 8), "
        "'Subscription' ×1 (line 9)): they are not in the ledger; enter them with `gainlog add` if they change "
        "what you hold"
    ]
    assert out["skipped"] == [
        {"line": f"{path}:7", "type": "Retail Unstaking Transfer", "reason": "internal"},
        {"line": f"{path}:10", "type": "Retail Eth2 Deprecation", "reason": "internal"},
        {"line": f"{path}:11", "type": "Retail Eth2 Deprecation", "reason": "internal"},
        {"line": f"{path}:5", "type": "Stake", "reason": "unknown"},
        {"line": f"{path}:8", "type": "Stake", "reason": "unknown"},
        {"line": f"{path}:9", "type": "Subscription", "reason": "unknown"},
    ]
    assert len(out["notes"]) == 1 and "skipped 3 internal move(s)" in out["notes"][0]
    assert "gainlog: warning: " in done.err


def test_notes_follow_the_summary_line(gainlog: Callable[..., Result]) -> None:
    path = REAL / "coinbase_internal.csv"
    result = gainlog("import", str(path), "--format", "coinbase")
    assert result.code == 0 and result.err == ""
    first, second = result.out.splitlines()
    assert first.startswith(f"{path}: 2 added, 0 duplicate(s)")
    assert second.startswith(f"{path}: skipped 6 internal move(s) inside the Coinbase account")


def test_skip_unknown_is_for_converted_exports_only(gainlog: Callable[..., Result]) -> None:
    result = gainlog("import", str(REAL.parent / "sample" / "events.jsonl"), "--skip-unknown")
    assert result.code == 2
    assert "--skip-unknown applies to a converted export" in result.err


# -- Coinbase layouts -----------------------------------------------------------------------------


def eight949(gainlog: Callable[..., Result], year: int) -> list[tuple[str, ...]]:
    rows = gainlog("report", "8949", "--year", str(year), "--json").json()
    return [(r["description"], r["date_acquired"], r["date_sold"], r["proceeds"], r["cost_basis"], r["gain"],
             r["term"]) for r in rows]


def test_coinbase_2018_layout_with_usd_columns(gainlog: Callable[..., Result]) -> None:
    path = REAL / "coinbase_2019.csv"
    conversion = formats.convert("coinbase", path, tz=UTC)
    events = {int(p.where.rsplit(":", 1)[1]): codec.canonical(p.event) for p in conversion.events}
    assert sorted(events) == [5, 6, 7, 8]
    buy, earn, sell = events[5], events[7], events[8]
    # a Receive is a transfer leg (R2.8): a deposit, id a hash of the row's cells (no ID column)
    assert {k: v for k, v in events[6].items() if k != "id"} == {
        "type": "deposit", "at": "2019-06-20T10:00:00Z", "wallet": "coinbase", "asset": "ETH", "qty": "2",
        "note": "Receive"}
    assert events[6]["id"].startswith("leg-")
    assert buy["id"].startswith("row-") and sell["id"].startswith("row-")
    assert {k: v for k, v in buy.items() if k != "id"} == {
        "type": "buy", "at": "2018-01-12T16:03:27Z", "wallet": "coinbase", "asset": "BTC", "qty": "0.1",
        "total": "1350", "fee": "50", "note": "Bought 0.1000 BTC for $1400.00 USD"}  # basis = USD Total 1400
    assert {k: earn[k] for k in ("type", "at", "asset", "qty", "value", "kind")} == {
        "type": "income", "at": "2020-02-03T14:00:00Z", "asset": "XLM", "qty": "10", "value": "0.8", "kind": "reward"}
    assert {k: sell[k] for k in ("type", "at", "asset", "qty", "total", "fee")} == {
        "type": "sell", "at": "2020-12-21T18:30:00Z", "asset": "BTC", "qty": "0.05", "total": "1150", "fee": "17.15"}
    assert conversion.warnings == [
        f"{path}: recorded 1 deposit(s) as transfer legs ('Receive' ×1 (line 6)): pair each with the other side of "
        "the move with `gainlog transfers` (until then reports warn: a withdrawal's units wait in transit, a "
        "deposit is a lot with zero basis)"]
    assert gainlog("import", str(path), "--format", "coinbase").code == 0
    # proceeds = USD Total 1132.85; basis = half of the USD Total 1400
    assert eight949(gainlog, 2020) == [("0.05 BTC", "2018-01-12", "2020-12-21", "1132.85", "700.00", "432.85", "long")]


def test_coinbase_2021_layout_with_total_inclusive_of_fees(gainlog: Callable[..., Result]) -> None:
    path = REAL / "coinbase_2021.csv"
    events = events_of("coinbase", path)
    assert sorted(events) == [4, 5, 6, 7, 8, 9]
    assert {k: events[9][k] for k in ("type", "at", "wallet", "asset", "qty")} == {  # a Send: a transfer leg
        "type": "withdrawal", "at": "2022-02-01T16:45:00Z", "wallet": "coinbase", "asset": "ETH", "qty": "1"}
    assert {k: events[4][k] for k in ("type", "at", "asset", "qty", "total", "fee")} == {
        "type": "buy", "at": "2021-03-02T14:43:11Z", "asset": "BTC", "qty": "0.02", "total": "1000", "fee": "14.9"}
    assert {k: events[7][k] for k in ("type", "at", "asset", "qty", "total", "fee")} == {
        "type": "sell", "at": "2021-11-08T20:05:00Z", "asset": "BTC", "qty": "0.01", "total": "660", "fee": "9.84"}
    assert {k: events[6][k] for k in ("type", "asset", "qty", "value", "kind")} == {
        "type": "income", "asset": "ALGO", "qty": "3.5", "value": "2.8", "kind": "reward"}
    convert = events[8]
    assert {k: convert.get(k) for k in ("type", "at", "give_asset", "give_qty", "get_asset", "get_qty", "value",
                                        "fee")} == {
        "type": "swap", "at": "2022-01-15T12:00:00Z", "give_asset": "ETH", "give_qty": "0.5", "get_asset": "USDC",
        "get_qty": "1630.2", "value": "1630.2", "fee": None}
    assert gainlog("import", str(path), "--format", "coinbase").code == 0
    assert eight949(gainlog, 2021) == [("0.01 BTC", "2021-03-02", "2021-11-08", "650.16", "507.45", "142.71", "short")]
    # the Convert: proceeds = Subtotal 1630.20 (net of the 19.80 spread, counted once); the USDC keeps that basis
    assert eight949(gainlog, 2022) == [
        ("0.5 ETH", "2021-05-10", "2022-01-15", "1630.20", "2029.85", "-399.65", "short")]
    usdc = [lot for lot in gainlog("lots", "--json").json() if lot["asset"] == "USDC"]
    assert [(lot["qty"], lot["cost_basis"], lot["date_acquired"]) for lot in usdc] == [
        ("1630.2", "1630.20", "2022-01-15")]


def test_bundled_convert_counts_the_spread_once(gainlog: Callable[..., Result]) -> None:
    # fixtures/real/coinbase.csv line 14: Total 3,000, Subtotal 2,970, Fees 30 (R2.3)
    assert gainlog("import", str(REAL / "coinbase.csv"), "--format", "coinbase").code == 0
    rows = [r for r in gainlog("report", "8949", "--year", "2024", "--json").json() if r["asset"] == "ETH"]
    assert [(r["qty"], r["date_sold"], r["proceeds"], r["cost_basis"]) for r in rows] == [
        ("1", "2024-06-21", "2970.00", "2261.25")]  # 1 of the 2 ETH bought for 4,522.50
    usdc = [lot for lot in gainlog("lots", "--json").json() if lot["asset"] == "USDC"]
    assert sorted((lot["qty"], lot["cost_basis"]) for lot in usdc) == [
        ("1.25", "1.25"), ("2970", "2970.00"), ("596.4", "596.40")]


def test_coinbase_2025_layout(gainlog: Callable[..., Result]) -> None:
    path = REAL / "coinbase_2025.csv"
    conversion = formats.convert("coinbase", path, tz=UTC)
    events = {int(p.where.rsplit(":", 1)[1]): codec.canonical(p.event) for p in conversion.events}
    assert sorted(events) == [5, 6, 7, 8, 10]
    # a timestamp without seconds
    assert (events[5]["at"], events[6]["at"]) == ("2025-01-06T15:30:00Z", "2025-01-06T15:31:00Z")
    assert (events[6]["total"], events[6]["fee"]) == ("1000", "15")
    # a row wrapped whole in quotes; an Advanced Trade quoted in USDC: the 6 USDC fee is inside the 1006 given
    assert events[7] == {
        "type": "swap", "at": "2025-02-10T08:15:42Z", "wallet": "coinbase", "give_asset": "USDC", "give_qty": "1006",
        "get_asset": "SOL", "get_qty": "5", "value": "1000", "id": "67a9b2c3d4e5f6a7b8c9d003",
        "txid": "67a9b2c3d4e5f6a7b8c9d003", "note": "Bought 5 SOL for 1006 USDC on SOL-USDC at 200 USDC/SOL"}
    # a Convert written as two rows (lines 8 and 9): one swap, valued at what was received
    assert events[8] == {
        "type": "swap", "at": "2025-03-18T11:49:00Z", "wallet": "coinbase", "give_asset": "ADA", "give_qty": "500",
        "get_asset": "USDC", "get_qty": "354.6", "value": "354.6", "id": "67d95e8f9a0b1c2d3e4f5a04",
        "txid": "67d95e8f9a0b1c2d3e4f5a04", "note": "Converted 500 ADA to 354.6 USDC"}
    assert {k: events[10][k] for k in ("type", "at", "asset", "qty", "total", "fee")} == {
        "type": "sell", "at": "2025-04-01T19:02:11Z", "asset": "SOL", "qty": "2", "total": "300", "fee": "2.4"}
    assert [(s.where.rsplit(":", 1)[1], s.label, s.reason) for s in conversion.skipped] == [
        ("11", "Retail Staking Transfer", "internal")]
    assert gainlog("import", str(path), "--format", "coinbase").code == 0
    assert eight949(gainlog, 2025) == [
        ("1006 USDC", "2025-01-06", "2025-02-10", "1000.00", "1006.00", "-6.00", "short"),
        ("500 ADA", "2025-01-06", "2025-03-18", "354.60", "507.50", "-152.90", "short"),
        ("2 SOL", "2025-02-10", "2025-04-01", "297.60", "400.00", "-102.40", "short"),
    ]


def test_two_row_convert_direction_from_notes(tmp_path: Path) -> None:
    path = tmp_path / "cb.csv"
    header = (REAL / "coinbase_2025.csv").read_text(encoding="utf-8").splitlines()[3]
    path.write_text(
        f"{header}\n"
        "c1,2025-05-01 09:00:00 UTC,Convert,BTC,0.01,USD,\"$95,000.00\",$950.00,$950.00,$0.00,"
        "Converted 0.01 BTC to 0.5 ETH2\n"
        "c1,2025-05-01 09:00:00 UTC,Convert,ETH,0.5,USD,\"$1,880.00\",$940.00,$950.00,$10.00,"
        "Converted 0.01 BTC to 0.5 ETH2\n",
        encoding="utf-8",
    )
    (event,) = events_of("coinbase", path).values()
    assert {k: event.get(k) for k in ("give_asset", "give_qty", "get_asset", "get_qty", "value", "fee")} == {
        "give_asset": "BTC", "give_qty": "0.01", "get_asset": "ETH", "get_qty": "0.5", "value": "940", "fee": None}


# -- Schwab ---------------------------------------------------------------------------------------


def test_schwab_as_of_dates_cash_in_lieu_and_cash_only_actions(gainlog: Callable[..., Result]) -> None:
    path = REAL / "schwab_2025.csv"
    conversion = formats.convert("schwab", path, tz=UTC)
    events = {int(p.where.rsplit(":", 1)[1]): codec.canonical(p.event) for p in conversion.events}
    assert sorted(events) == [6, 7, 10, 14, 15]
    # "01/02/2025 as of 12/31/2024": a trade dated 12/31/2024, the 1099-B's year; the id keeps the posting date
    sale = events[7]
    assert sale["id"].startswith("2025-01-02-Sell-MSFT-")
    assert {k: v for k, v in sale.items() if k != "id"} == {
        "type": "sell", "at": "2024-12-31T12:00:00Z", "wallet": "schwab", "asset": "MSFT", "qty": "10",
        "total": "4215", "fee": "0.07", "note": "MICROSOFT CORP"}
    # Cash In Lieu: the sale of the fractional share, not income
    assert {k: events[6][k] for k in ("type", "at", "asset", "qty", "total")} == {
        "type": "sell", "at": "2025-01-08T12:00:00Z", "asset": "NVDA", "qty": "0.375", "total": "52.13"}
    assert "fee" not in events[6]
    assert {k: events[10][k] for k in ("type", "asset", "qty", "total", "class")} == {
        "type": "buy", "asset": "VTI", "qty": "0.1374", "total": "41.2", "class": "stock"}
    assert conversion.warnings == [
        f"{path}:5: skipped 'Cash In Lieu' of XYZ for $7.10: the sale of a fractional share, but the row has no "
        "Quantity; record it with `gainlog add sell`"
    ]
    assert conversion.notes == [
        f"{path}: skipped 1 fee and tax row(s) (cash charged to the account: not part of any lot's basis): "
        "'Advisor Fee' ×1 (line 2)",
        f"{path}: skipped 1 other cash credit row(s) (cash, not a lot: the 1099 says how any of it is taxed): "
        "'Misc Credits' ×1 (line 3)",
        f"{path}: skipped 3 cash transfer row(s) (money moved into, out of or between accounts: not a taxable "
        "event): 'Internal Transfer' ×1 (line 4), 'Funds Received' ×1 (line 8), 'MoneyLink Transfer' ×1 (line 13)",
        f"{path}: skipped 3 dividend, interest and capital-gain distribution row(s) (cash income: report it from "
        "the 1099-DIV / 1099-INT; not a lot): 'Long Term Cap Gain Reinvest' ×1 (line 9), "
        "'Special Non Qual Div' ×1 (line 11), 'Div Adjustment' ×1 (line 12)",
    ]
    result = gainlog("import", str(path), "--format", "schwab", "--json")
    assert result.code == 0 and result.json()["added"] == 5
    assert len(result.json()["skipped"]) == 9
    rows = gainlog("report", "8949", "--year", "2024", "--json").json()
    assert [(r["description"], r["date_acquired"], r["date_sold"], r["proceeds"], r["cost_basis"], r["gain"])
            for r in rows] == [("10 MSFT", "2024-03-01", "2024-12-31", "4214.93", "4100.00", "114.93")]
    rows = gainlog("report", "8949", "--year", "2025", "--json").json()
    assert [(r["description"], r["proceeds"], r["cost_basis"], r["gain"], r["term"]) for r in rows] == [
        ("0.375 NVDA", "52.13", "45.00", "7.13", "short")]


# -- Kraken ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "asset"),
    [("XXBT", "BTC"), ("XBT.M", "BTC"), ("XETH", "ETH"), ("ETH2.S", "ETH"), ("ETH2", "ETH"), ("SOL.S", "SOL"),
     ("DOT.S", "DOT"), ("DOT28.S", "DOT"), ("DOT.P", "DOT"), ("USDC.M", "USDC"), ("USD.HOLD", "USD"),
     ("ZUSD", "USD"), ("ADA.S", "ADA"), ("FLOW.F", "FLOW"), ("SOL", "SOL")],
)
def test_kraken_asset_codes(code: str, asset: str) -> None:
    from gainlog.ledger.formats import kraken

    assert kraken.asset_code(code) == asset


def test_kraken_ledgers(gainlog: Callable[..., Result]) -> None:
    path = REAL / "kraken_ledgers.csv"
    conversion = formats.convert("kraken", path, tz=UTC)
    events = {int(p.where.rsplit(":", 1)[1]): codec.canonical(p.event) for p in conversion.events}
    assert sorted(events) == [4, 6, 8, 12, 13, 14, 16, 20, 22]
    # a trade's rows share its refid: one buy, the USD fee as the fee
    assert events[4] == {
        "type": "buy", "at": "2024-01-10T09:15:22Z", "wallet": "kraken", "asset": "BTC", "qty": "0.1",
        "total": "4200", "fee": "10.92", "id": "TKB4RC-6YHDZ-QX2M7P", "txid": "TKB4RC-6YHDZ-QX2M7P"}
    # a fee deducted in SOL: 9.98 SOL arrive for 1,000 + 2.60
    assert {k: events[8].get(k) for k in ("type", "asset", "qty", "total", "fee")} == {
        "type": "buy", "asset": "SOL", "qty": "9.98", "total": "1000", "fee": "2.6"}
    # an opt-in reward on USDC.M: staking income of USDC, valued at par
    assert events[13] == {
        "type": "income", "at": "2024-04-01T00:30:00Z", "wallet": "kraken", "asset": "USDC", "qty": "1.25",
        "value": "1.25", "kind": "staking", "id": "LST5EF-G6HIJ-7KLM8N", "txid": "STK8RT-5YUIO-P2AS4D"}
    # spend/receive (Buy Crypto button)
    assert {k: events[14].get(k) for k in ("type", "at", "asset", "qty", "total", "fee", "id")} == {
        "type": "buy", "at": "2024-05-20T18:02:44Z", "asset": "DOT", "qty": "15", "total": "98.51", "fee": "1.49",
        "id": "RSV5GH-1JKLZ-X4CV8B"}
    # ETH for USDC: the USDC fee is inside what arrives; value = what arrived, no `fee` (R2.3)
    assert {k: events[16].get(k) for k in ("type", "give_asset", "give_qty", "get_asset", "get_qty", "value",
                                           "fee")} == {
        "type": "swap", "give_asset": "ETH", "give_qty": "0.5", "get_asset": "USDC", "get_qty": "1547.02",
        "value": "1547.02", "fee": None}
    assert {k: events[20].get(k) for k in ("type", "at", "asset", "qty", "total", "fee")} == {
        "type": "sell", "at": "2025-02-14T11:20:05Z", "asset": "BTC", "qty": "0.05", "total": "3250", "fee": "8.45"}
    # a staking reward without a USD value is income without `value`, valued at replay from prices
    assert events[12] == {
        "type": "income", "at": "2024-03-11T01:14:30Z", "wallet": "kraken", "asset": "SOL", "qty": "0.0208",
        "kind": "staking", "id": "LER2CD-E4FGH-5IJK6L", "txid": "ERW3QZ-7TYUI-O1PA9S"}
    # a crypto withdrawal is a transfer leg: what left the balance (amount + fee), the fee named
    assert events[22] == {
        "type": "withdrawal", "at": "2025-03-01T15:45:00Z", "wallet": "kraken", "asset": "BTC", "qty": "0.0201",
        "fee_qty": "0.0001", "id": "LWD7KL-N8OPQ-9RST0U", "note": "withdrawal"}
    assert conversion.warnings == [
        f"{path}: recorded 1 withdrawal(s) as transfer legs ('withdrawal' ×1 (line 22)): pair each with the other "
        "side of the move with `gainlog transfers` (until then reports warn: a withdrawal's units wait in transit, "
        "a deposit is a lot with zero basis)",
    ]
    assert conversion.notes == [
        f"{path}: 1 income row(s) without a USD value (line(s) 12) are imported without `value`: each is valued at "
        "replay from the log's price events (`gainlog import PRICES.csv --format prices`); reports warn about any "
        "no price values",
        f"{path}: skipped 1 row(s) without a txid (pending entries Kraken lists again once completed): "
        "'deposit' ×1 (line 2)",
        f"{path}: skipped 2 cash deposit(s) and withdrawal(s) (cash is not a lot): 'deposit' ×1 (line 3), "
        "'withdrawal' ×1 (line 23)",
        f"{path}: skipped 4 move(s) between Kraken's spot, staking and earn wallets (no lot changes, not taxable): "
        "'earn (allocation)' ×2 (lines 10, 11), 'transfer (spottostaking)' ×1 (line 18), "
        "'transfer (stakingfromspot)' ×1 (line 19)",
    ]
    assert gainlog("import", str(path), "--format", "kraken").code == 0
    assert eight949(gainlog, 2024) == [
        ("0.5 ETH", "2024-02-14", "2024-08-05", "1547.02", "1152.99", "394.03", "short")]
    assert eight949(gainlog, 2025) == [
        ("0.05 BTC", "2024-01-10", "2025-02-14", "3241.55", "2105.46", "1136.09", "long")]
    lots = {(lot["asset"], lot["qty"], lot["cost_basis"]) for lot in gainlog("lots", "--json").json()}
    assert ("SOL", "9.98", "1002.60") in lots and ("DOT", "15", "100.00") in lots


def test_kraken_staking_reward_with_a_usd_value(tmp_path: Path) -> None:
    path = tmp_path / "ledgers.csv"
    text = (REAL / "kraken_ledgers.csv").read_text(encoding="utf-8").splitlines()
    path.write_text(f'{text[0]},"value_usd"\n{text[11]},"$2.13"\n', encoding="utf-8")
    (event,) = events_of("kraken", path).values()
    assert event == {
        "type": "income", "at": "2024-03-11T01:14:30Z", "wallet": "kraken", "asset": "SOL", "qty": "0.0208",
        "value": "2.13", "kind": "staking", "id": "LER2CD-E4FGH-5IJK6L", "txid": "ERW3QZ-7TYUI-O1PA9S"}


def test_kraken_staking_reward_without_a_usd_value_is_valued_from_prices(
    tmp_path: Path, gainlog: Callable[..., Result]
) -> None:
    path = tmp_path / "ledgers.csv"
    text = (REAL / "kraken_ledgers.csv").read_text(encoding="utf-8").splitlines()
    path.write_text(f"{text[0]}\n{text[11]}\n", encoding="utf-8")
    conversion = formats.convert("kraken", path, tz=UTC)
    assert [codec.canonical(p.event) for p in conversion.events] == [{
        "type": "income", "at": "2024-03-11T01:14:30Z", "wallet": "kraken", "asset": "SOL", "qty": "0.0208",
        "kind": "staking", "id": "LER2CD-E4FGH-5IJK6L", "txid": "ERW3QZ-7TYUI-O1PA9S"}]
    assert conversion.skipped == [] and conversion.warnings == []
    imported = gainlog("import", str(path), "--format", "kraken", "--json").json()
    assert imported["added"] == 1 and imported["skipped"] == []
    # no price yet: counted at 0 with a warning; a SOL price within 24 hours before values it
    unpriced = gainlog("report", "income", "--year", "2024", "--json").json()
    assert unpriced["total"] == "0.00" and "has no value and no SOL price" in unpriced["warnings"][0]
    prices = tmp_path / "sol.csv"
    prices.write_text("date_or_time,asset,usd\n2024-03-10T12:00:00Z,SOL,150\n", encoding="utf-8")
    assert gainlog("import", str(prices), "--format", "prices").code == 0
    priced = gainlog("report", "income", "--year", "2024", "--json").json()
    assert (priced["total"], priced["warnings"]) == ("3.12", [])  # 0.0208 x 150


def test_kraken_ledger_types_not_mapped(tmp_path: Path) -> None:
    path = edited(tmp_path, "kraken_ledgers.csv", 23, '"withdrawal","","currency"', '"margin","","currency"')
    with pytest.raises(InvalidEvent) as err:
        formats.convert("kraken", path, tz=UTC)
    assert str(err.value).startswith(
        f"{path}:23: column 'type': 'margin' is not a ledger type gainlog maps; nothing imported: pass --skip-unknown")


def test_kraken_trades_costusd_values_crypto_to_crypto() -> None:
    path = REAL / "kraken_trades_2024.csv"
    events = events_of("kraken", path)
    assert sorted(events) == [2, 3, 4]
    assert {k: events[2].get(k) for k in ("type", "at", "asset", "qty", "total", "fee")} == {
        "type": "buy", "at": "2024-02-14T16:42:07.551200Z", "asset": "ETH", "qty": "2", "total": "4600",
        "fee": "11.96"}
    # ETH/BTC sell: costusd is the USD value of cost (0.025 BTC); 0.02496 BTC arrive, worth 1,547.52
    assert {k: events[3].get(k) for k in ("type", "give_asset", "give_qty", "get_asset", "get_qty", "value",
                                          "fee")} == {
        "type": "swap", "give_asset": "ETH", "give_qty": "0.5", "get_asset": "BTC", "get_qty": "0.02496",
        "value": "1547.52", "fee": None}
    # SOL/ETH buy: the ETH fee is given up with the cost; value = costusd, the USD value of the SOL received
    assert {k: events[4].get(k) for k in ("type", "give_asset", "give_qty", "get_asset", "get_qty", "value",
                                          "fee")} == {
        "type": "swap", "give_asset": "ETH", "give_qty": "0.40104", "get_asset": "SOL", "get_qty": "10",
        "value": "1240", "fee": None}


# -- 1099-DA from 2025 ----------------------------------------------------------------------------


def test_coinbase_and_kraken_sales_default_to_1099_da_from_2025(gainlog: Callable[..., Result]) -> None:
    path = REAL / "coinbase_2025.csv"
    first = gainlog("import", str(path), "--format", "coinbase", "--json")
    assert first.code == 0
    out = first.json()
    assert out["added"] == 6  # the five trades and the `wallet` event
    assert out["notes"][-1] == (
        f"{path}: coinbase sales from 2025-01-01 on are taken as reported on Form 1099-DA (Form 8949 boxes G to L): "
        "added a `wallet` event (reports 1099-DA from 2025-01-01); if the account files no 1099-DA, "
        "`gainlog add wallet --wallet coinbase --from 2025-01-01 --reports none`"
    )
    settings = [r for r in gainlog("log", "--json").json() if r["type"] == "wallet"]
    assert [(r["key"], r["wallet"], r["from"], r["reports"]) for r in settings] == [
        ("coinbase_2025.csv:wallet-reports-1099-DA-2025", "coinbase", "2025-01-01", "1099-DA")]
    # 2025 1099-DA forms report gross proceeds only: noncovered, short-term -> box H (R6.1, R6.2)
    assert [r["box"] for r in gainlog("report", "8949", "--year", "2025", "--json").json()] == ["H", "H", "H"]
    again = gainlog("import", str(path), "--format", "coinbase", "--json").json()
    assert (again["added"], again["duplicates"]) == (0, 6)
    assert not any("1099-DA" in note for note in again["notes"])
    # Kraken: its own wallet, its own default; the long-term 2025 BTC sale -> box K
    kraken = gainlog("import", str(REAL / "kraken_ledgers.csv"), "--format", "kraken", "--json").json()
    assert kraken["added"] == 10 and "kraken sales from 2025-01-01 on" in kraken["notes"][-1]
    assert [r["box"] for r in gainlog("report", "8949", "--year", "2025", "--json").json() if r["wallet"] == "kraken"
            ] == ["K"]


def test_no_1099_da_default_when_the_user_said_otherwise_or_before_2025(gainlog: Callable[..., Result]) -> None:
    assert gainlog("add", "wallet", "--wallet", "coinbase", "--reports", "none").code == 0
    out = gainlog("import", str(REAL / "coinbase_2025.csv"), "--format", "coinbase", "--json").json()
    assert out["added"] == 5 and not any("1099-DA" in note for note in out["notes"])
    assert [r["box"] for r in gainlog("report", "8949", "--year", "2025", "--json").json()] == ["I", "I", "I"]
    # a 2024 export sells nothing in 2025: no `wallet` event
    out = gainlog("import", str(REAL / "coinbase.csv"), "--format", "coinbase", "--wallet", "cb2", "--json").json()
    assert out["added"] == 11  # 9 trades and income, 2 transfer legs
    assert [r for r in gainlog("log", "--json").json() if r["type"] == "wallet" and r["wallet"] == "cb2"] == []


def test_kraken_staking_row_that_takes_from_the_balance_is_not_income(tmp_path: Path) -> None:
    path = edited(tmp_path, "kraken_ledgers.csv", 13, "1.25000000,0", "-1.25000000,0")
    with pytest.raises(InvalidEvent) as err:
        formats.convert("kraken", path, tz=UTC)
    assert str(err.value).startswith(
        f"{path}:13: column 'amount': a staking row that does not add to the balance (amount − fee is -1.25) is not "
        "income; nothing imported")
    conversion = formats.convert("kraken", path, tz=UTC, skip_unknown=True)
    assert [(s.where, s.label, s.reason) for s in conversion.skipped if s.reason == "unknown"] == [
        (f"{path}:13", "staking", "unknown")]
