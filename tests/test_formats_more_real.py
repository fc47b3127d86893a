"""Issue #13 (part b): Gemini, Binance.US, Koinly and CoinTracker exports, field by field.

Each fixture in fixtures/real/ is written to the vendor's published column names and value formats
(docs/formats.md names where each layout was confirmed); each test checks the events its rows
become (qty, total or value, fee, time zone), the rows skipped and why, and Form 8949 numbers.
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


def lines(conversion: formats.Conversion) -> list[tuple[int, str, str]]:
    return [(int(s.where.rsplit(":", 1)[1]), s.label, s.reason) for s in conversion.skipped]


def eight949(gainlog: Callable[..., Result], year: int) -> list[tuple[str, ...]]:
    rows = gainlog("report", "8949", "--year", str(year), "--json").json()
    return [(r["description"], r["date_acquired"], r["date_sold"], r["proceeds"], r["cost_basis"], r["gain"])
            for r in rows]


def rewritten(tmp_path: Path, fixture: str, line: int, old: str, new: str) -> Path:
    text = (REAL / fixture).read_text(encoding="utf-8").split("\n")
    assert old in text[line - 1], text[line - 1]
    text[line - 1] = text[line - 1].replace(old, new, 1)
    path = tmp_path / fixture
    path.write_text("\n".join(text), encoding="utf-8")
    return path


# -- Gemini ---------------------------------------------------------------------------------------


def test_gemini_rows_field_by_field() -> None:
    path = REAL / "gemini.csv"
    conversion = formats.convert("gemini", path, tz=UTC)
    events = {int(p.where.rsplit(":", 1)[1]): codec.canonical(p.event) for p in conversion.events}
    assert sorted(events) == [3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
    # a USD buy: USD Amount is before the fee, which is the event's fee (basis 4,208.40); Date + Time (UTC)
    assert events[3] == {
        "type": "buy", "at": "2024-01-04T10:15:22.481000Z", "wallet": "gemini", "asset": "BTC", "qty": "0.1",
        "total": "4200", "fee": "8.4", "id": "41870230561", "txid": "41870230561", "note": "order 41870229874 Limit"}
    # ETHBTC: the BTC fee is given up with the BTC paid; no USD in the row: value left out (priced at replay)
    assert events[6] == {
        "type": "swap", "at": "2024-03-01T19:00:00Z", "wallet": "gemini", "give_asset": "BTC", "give_qty": "0.05511",
        "get_asset": "ETH", "get_qty": "1", "id": "43307719920", "txid": "43307719920",
        "note": "order 43307719001 Limit"}
    # Earn interest in GUSD (a USD stablecoin: valued at par); a staking reward in ETH: value left out
    assert {k: events[7].get(k) for k in ("type", "at", "asset", "qty", "value", "kind")} == {
        "type": "income", "at": "2024-04-15T00:00:00Z", "asset": "GUSD", "qty": "12.5", "value": "12.5",
        "kind": "interest"}
    assert events[7]["id"].startswith("row-")
    assert {k: events[8].get(k) for k in ("type", "asset", "qty", "value", "kind")} == {
        "type": "income", "asset": "ETH", "qty": "0.004", "value": None, "kind": "staking"}
    # a USD sell: proceeds = USD Amount − fee
    assert {k: events[9][k] for k in ("type", "at", "asset", "qty", "total", "fee")} == {
        "type": "sell", "at": "2024-06-12T14:10:45.900000Z", "asset": "ETH", "qty": "1", "total": "3500", "fee": "7"}
    # BTCGUSD sell: the GUSD fee never arrives; value = the GUSD that did, at par; no `fee`
    assert {k: events[10].get(k) for k in ("type", "give_asset", "give_qty", "get_asset", "get_qty", "value",
                                           "fee")} == {
        "type": "swap", "give_asset": "BTC", "give_qty": "0.02", "get_asset": "GUSD", "get_qty": "1235.04",
        "value": "1235.04", "fee": None}
    assert (events[12]["total"], events[12]["fee"]) == ("1200", "2.4")
    # a crypto Credit / Debit: a transfer leg (R2.8) of the asset's Amount; the asset's Fee column (0 here) would
    # be charged on top of a withdrawal, as a trade's fee is (the balance drops by both); the Tx Hash is on-chain
    assert events[5]["id"].startswith("leg-") and events[11]["id"].startswith("leg-")
    assert {k: v for k, v in events[5].items() if k != "id"} == {
        "type": "deposit", "at": "2024-02-10T18:30:00Z", "wallet": "gemini", "asset": "BTC", "qty": "0.05",
        "txid": "5d1e0b7f2c9a4e3b8f6a0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f", "note": "Credit (Deposit (BTC))"}
    assert {k: v for k, v in events[11].items() if k != "id"} == {
        "type": "withdrawal", "at": "2024-08-20T08:00:00Z", "wallet": "gemini", "asset": "BTC", "qty": "0.01",
        "txid": "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b", "note": "Debit (Withdrawal (BTC))"}
    assert lines(conversion) == [
        (2, "Credit (Deposit (ACH Transfer))", "cash"), (13, "Debit (Withdrawal (ACH Transfer))", "cash"),
        (14, "(no date)", "internal")]
    assert conversion.warnings == [
        f"{path}: recorded 1 withdrawal(s) and 1 deposit(s) as transfer legs ('Credit (Deposit (BTC))' ×1 (line 5), "
        "'Debit (Withdrawal (BTC))' ×1 (line 11)): pair each with the other side of the move with `gainlog "
        "transfers` (until then reports warn: a withdrawal's units wait in transit, a deposit is a lot with zero "
        "basis)"]
    assert conversion.notes == [
        f"{path}: skipped 2 cash deposit(s) and withdrawal(s) (cash is not a lot): "
        "'Credit (Deposit (ACH Transfer))' ×1 (line 2), 'Debit (Withdrawal (ACH Transfer))' ×1 (line 13)",
        f"{path}: skipped 1 row(s) without a date (the balance totals Gemini writes last): '(no date)' ×1 (line 14)"]


def test_gemini_transfers_go_through_the_transfer_leg_seam(monkeypatch: pytest.MonkeyPatch) -> None:
    legs: list[tuple[Any, ...]] = []

    def record(self: formats.Conversion, row: Any, label: str, direction: str, asset: str, qty: Any, *,
               fee_qty: Any = 0, txid: str | None = None, at: str | None = None, event_id: str | None = None,
               wallet: str | None = None) -> None:
        legs.append((int(row.where.rsplit(":", 1)[1]), label, direction, asset, str(qty), str(fee_qty), txid, at,
                     event_id, wallet))

    monkeypatch.setattr(formats.Conversion, "transfer_leg", record)
    formats.convert("gemini", REAL / "gemini.csv", tz=UTC)
    formats.convert("binanceus", REAL / "binanceus.csv", tz=UTC)
    formats.convert("koinly", REAL / "koinly.csv", tz=UTC)
    formats.convert("cointracker", REAL / "cointracker.csv", tz=UTC)
    # qty = what the row says was sent or received, fee_qty = the same asset's fee on top of it
    assert legs == [
        (5, "Credit (Deposit (BTC))", "in", "BTC", "0.05", "0",
         "5d1e0b7f2c9a4e3b8f6a0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f", "2024-02-10T18:30:00.000Z", None, None),
        (11, "Debit (Withdrawal (BTC))", "out", "BTC", "0.01", "0",
         "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b", "2024-08-20T08:00:00.000Z", None, None),
        # Binance.US: Primary is what was sent (its fee in Fee Asset, on top), Transaction_Id the export's id
        (9, "Withdrawal (Crypto Withdrawal)", "out", "ETH", "0.50000000", "0.00080000", None,
         "2024-03-03T19:12:30.500Z", "7a1b2c3d4e5f60718293a4b5c6d7e8f9", None),
        (10, "Deposit (Crypto Deposit)", "in", "BTC", "0.01000000", "0", None, "2024-03-10T07:07:07.007Z",
         "8b2c3d4e5f60718293a4b5c6d7e8f90a", None),
        # Koinly: the TxHash is on-chain; CoinTracker has none
        (5, "send", "out", "ETH", "0.1", "0.0005", "0x5f2a1d8b0c3e4f6071829304b5c6d7e8f90a1b2c3d4e5f6a7b8c9d0e1f2a3b4c",
         "2024-03-01T18:30:00Z", None, None),
        (11, "receive", "in", "BTC", "0.02", "0", None, "2024-07-04T16:20:00Z", None, None),
        (5, "send", "out", "BTC", "0.005", "0.0001", None, "2024-03-20T11:00:00Z", None, None),
        (6, "receive", "in", "ETH", "0.3", "0", None, "2024-04-10T16:45:00Z", None, None),
    ]


def test_gemini_imports_detected_and_priced(gainlog: Callable[..., Result]) -> None:
    assert gainlog("import", str(REAL / "prices.csv"), "--format", "prices").code == 0
    result = gainlog("import", str(REAL / "gemini.csv"))
    assert result.code == 0
    assert "read as --format gemini (detected from its header, line 1)" in result.err
    # the ETHBTC swap is valued at ETH's 18:00 price (3,441.07 × 1 ETH); basis 0.5511 of 4,208.40
    assert eight949(gainlog, 2024) == [
        ("0.05511 BTC", "2024-01-04", "2024-03-01", "3441.07", "2319.25", "1121.82"),
        ("1 ETH", "2024-01-20", "2024-06-12", "3493.00", "2510.00", "983.00"),
        ("0.02 BTC", "2024-01-04", "2024-07-01", "1235.04", "841.68", "393.36"),
        ("0.02 BTC", "2024-01-04", "2024-09-05", "1197.60", "841.68", "355.92"),
    ]


def test_gemini_unknown_rows_listed_at_once_and_other_fiat(tmp_path: Path) -> None:
    path = rewritten(tmp_path, "gemini.csv", 7, "Earn Interest Credit", "Earn Redemption")
    text = path.read_text(encoding="utf-8").replace(",Buy,ETHBTC,", ",Buy,ETHSGD,").replace(
        "Sell,BTCUSD,Limit", "Borrow,BTCUSD,Limit")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidEvent) as err:
        formats.convert("gemini", path, tz=UTC)
    assert str(err.value) == (
        f"{path}: 3 rows of 3 kind(s) gainlog does not map: column 'Symbol' 'Buy (Limit)' ×1 (line 6); "
        "column 'Specification' 'Credit (Earn Redemption)' ×1 (line 7); column 'Type' 'Borrow (Limit)' ×1 "
        "(line 12); nothing imported: pass --skip-unknown to import the other rows (the skipped ones are listed), "
        "or enter them with `gainlog add`")
    conversion = formats.convert("gemini", path, tz=UTC, skip_unknown=True)
    # lines 3, 4, 8, 9, 10 and the two transfer legs (lines 5 and 11)
    assert [int(p.where.rsplit(":", 1)[1]) for p in conversion.events] == [3, 4, 8, 9, 10, 5, 11]


def test_gemini_cells_and_times(tmp_path: Path) -> None:
    path = rewritten(tmp_path, "gemini.csv", 3, "2024-01-04,10:15:22.481", "01/04/2024,10:15:22")
    assert events_of("gemini", path)[3]["at"] == "2024-01-04T10:15:22Z"
    bad = rewritten(tmp_path, "gemini.csv", 3, "2024-01-04,10:15:22.481", "2024-01-04,15:22.5")
    with pytest.raises(InvalidEvent) as err:
        formats.convert("gemini", bad, tz=UTC)
    assert str(err.value) == f"{bad}:3: column 'Time (UTC)': '15:22.5' is not a time of day HH:MM:SS"
    bad = rewritten(tmp_path, "gemini.csv", 3, "($8.40)", '"(8,40 USD)"')
    with pytest.raises(InvalidEvent) as err:
        formats.convert("gemini", bad, tz=UTC)
    assert str(err.value) == f"{bad}:3: column 'Fee (USD) USD': '(8,40 USD)' is not an amount"


# -- Binance.US -----------------------------------------------------------------------------------


def test_binanceus_rows_field_by_field() -> None:
    path = REAL / "binanceus.csv"
    conversion = formats.convert("binanceus", path, tz=UTC)
    events = {int(p.where.rsplit(":", 1)[1]): codec.canonical(p.event) for p in conversion.events}
    assert sorted(events) == [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]
    # Spot Trading against USD: the USD fee is the event's fee; Time is UTC
    assert events[3] == {
        "type": "buy", "at": "2024-01-05T09:30:12.345000Z", "wallet": "binanceus", "asset": "BTC", "qty": "0.05",
        "total": "2150", "fee": "2.15", "id": "301455872", "txid": "301455872"}
    # a fee charged in the asset bought arrives less: 0.999 ETH for 2,300 (no `fee`)
    assert {k: events[4].get(k) for k in ("type", "asset", "qty", "total", "fee")} == {
        "type": "buy", "asset": "ETH", "qty": "0.999", "total": "2300", "fee": None}
    # Quick Buy: Base is the USD paid, fee included (basis 500); Quote the USDT received
    assert {k: events[5].get(k) for k in ("type", "asset", "qty", "total", "fee")} == {
        "type": "buy", "asset": "USDT", "qty": "497.5", "total": "497.5", "fee": "2.5"}
    # SOL bought with USDT, the fee in SOL: 3.996 SOL arrive, valued at 400 × 3.996 / 4
    assert {k: events[6].get(k) for k in ("type", "give_asset", "give_qty", "get_asset", "get_qty", "value",
                                          "fee")} == {
        "type": "swap", "give_asset": "USDT", "give_qty": "397.6", "get_asset": "SOL", "get_qty": "3.996",
        "value": "399.6", "fee": None}
    assert {k: events[7][k] for k in ("type", "at", "asset", "qty", "value", "kind")} == {
        "type": "income", "at": "2024-02-15T00:00:00Z", "asset": "SOL", "qty": "0.05", "value": "5.25",
        "kind": "staking"}
    assert (events[8]["type"], events[8]["kind"], events[8]["value"]) == ("income", "reward", "1.2")
    assert {k: events[11][k] for k in ("type", "asset", "qty", "total", "fee")} == {
        "type": "sell", "asset": "BTC", "qty": "0.03", "total": "1950", "fee": "1.95"}
    # Convert: value = the USD value Binance.US gives for the USDT received
    assert {k: events[12].get(k) for k in ("type", "give_asset", "give_qty", "get_asset", "get_qty", "value")} == {
        "type": "swap", "give_asset": "ETH", "give_qty": "0.2", "get_asset": "USDT", "get_qty": "698.6",
        "value": "698.5"}
    # a negative staking reward is Binance.US's service fee: a disposal of the units
    assert {k: events[13][k] for k in ("type", "asset", "qty", "value")} == {
        "type": "fee", "asset": "SOL", "qty": "0.001", "value": "0.12"}
    # the USDT fee never arrives: 299.70 USDT, worth 299.94 × 299.7 / 300
    assert {k: events[14].get(k) for k in ("give_qty", "get_qty", "value")} == {
        "give_qty": "2", "get_qty": "299.7", "value": "299.64"}
    # a crypto withdrawal: a transfer leg (R2.8). Primary is what was sent and the fee in the same asset is
    # charged on top (the balance drops by 0.5008 ETH: what the withdrawal takes, its fee named); the id is the
    # export's Transaction_Id, which is Binance.US's own, not an on-chain hash: no txid
    assert events[9] == {
        "type": "withdrawal", "at": "2024-03-03T19:12:30.500000Z", "wallet": "binanceus", "asset": "ETH",
        "qty": "0.5008", "fee_qty": "0.0008", "id": "7a1b2c3d4e5f60718293a4b5c6d7e8f9",
        "note": "Withdrawal (Crypto Withdrawal)"}
    assert events[10] == {
        "type": "deposit", "at": "2024-03-10T07:07:07.007000Z", "wallet": "binanceus", "asset": "BTC", "qty": "0.01",
        "id": "8b2c3d4e5f60718293a4b5c6d7e8f90a", "note": "Deposit (Crypto Deposit)"}
    assert lines(conversion) == [(2, "Deposit (USD Deposit)", "cash"), (15, "Withdrawal (USD Withdrawal)", "cash")]
    assert conversion.warnings == [
        f"{path}: recorded 1 withdrawal(s) and 1 deposit(s) as transfer legs ('Withdrawal (Crypto Withdrawal)' ×1 "
        "(line 9), 'Deposit (Crypto Deposit)' ×1 (line 10)): pair each with the other side of the move with `gainlog "
        "transfers` (until then reports warn: a withdrawal's units wait in transit, a deposit is a lot with zero "
        "basis)"]


def test_binanceus_imports_and_reports(gainlog: Callable[..., Result]) -> None:
    """The two transfer legs (R2.8) change no sale: FIFO sells the BTC bought on 2024-01-05 before the zero-basis
    BTC deposit of 2024-03-10, and in 2024 crypto is one universal pool (R3.3), where the unpaired ETH withdrawal
    of 2024-03-03 moves only the wallet's holding (0.999 − 0.5008 = 0.4982 ETH left, enough for the 0.2 ETH
    Convert), not the lots."""
    result = gainlog("import", str(REAL / "binanceus.csv"), "--json")
    assert result.code == 0 and result.json()["format"] == "binanceus" and result.json()["added"] == 12
    assert eight949(gainlog, 2024) == [
        ("397.6 USDT", "2024-01-15", "2024-02-01", "399.60", "399.60", "0.00"),  # basis 397.6/497.5 of 500
        ("0.03 BTC", "2024-01-05", "2024-04-02", "1948.05", "1291.29", "656.76"),
        ("0.2 ETH", "2024-01-09", "2024-05-06", "698.50", "460.46", "238.04"),
        ("0.001 SOL", "2024-02-01", "2024-06-01", "0.12", "0.10", "0.02"),
        ("2 SOL", "2024-02-01", "2024-07-19", "299.64", "200.00", "99.64"),
    ]
    assert gainlog("report", "schedule-d", "--year", "2024", "--json").json()["warnings"] == [
        "binanceus.csv:7a1b2c3d4e5f60718293a4b5c6d7e8f9: withdrawal of 0.5008 ETH from 'binanceus' on 2024-03-03 is "
        "not paired with a deposit: not disposed of; ETH is one universal pool then (R3.3), so its lots stay in the "
        "pool, where a sale from any wallet may draw on them, and 'in transit from binanceus' holds the 0.5008 ETH "
        "until the pool is allocated to wallets (R3.4) (R2.8)",
        "binanceus.csv:8b2c3d4e5f60718293a4b5c6d7e8f90a: deposit of 0.01 BTC into 'binanceus' on 2024-03-10 is not "
        "paired with a withdrawal: counted as a lot with zero basis acquired on 2024-03-10 (R2.8)"]
    again = gainlog("import", str(REAL / "binanceus.csv"), "--json").json()
    assert (again["added"], again["duplicates"]) == (0, 12)


def test_binanceus_withdrawal_fee_in_another_crypto_is_a_fee_event(tmp_path: Path) -> None:
    """A withdrawal whose fee is paid in BNB: the leg is the ETH sent (no `fee_qty`: none of it was ETH) and
    the BNB units are a disposal of their own at the USD value the row gives, as a trade's BNB fee is; a
    fee in the asset withdrawn stays the leg's `fee_qty`."""
    path = rewritten(tmp_path, "binanceus.csv", 9, "ETH,0.00080000,2.56000000", "BNB,0.00200000,0.60000000")
    events = {p.event.id: codec.canonical(p.event)
              for p in formats.convert("binanceus", path, tz=UTC).events}
    assert events["7a1b2c3d4e5f60718293a4b5c6d7e8f9"] == {
        "type": "withdrawal", "at": "2024-03-03T19:12:30.500000Z", "wallet": "binanceus", "asset": "ETH",
        "qty": "0.5", "id": "7a1b2c3d4e5f60718293a4b5c6d7e8f9", "note": "Withdrawal (Crypto Withdrawal)"}
    assert events["7a1b2c3d4e5f60718293a4b5c6d7e8f9-fee"] == {
        "type": "fee", "at": "2024-03-03T19:12:30.500000Z", "wallet": "binanceus", "asset": "BNB", "qty": "0.002",
        "value": "0.6", "id": "7a1b2c3d4e5f60718293a4b5c6d7e8f9-fee", "txid": "7a1b2c3d4e5f60718293a4b5c6d7e8f9"}


def test_binanceus_newer_spelling_a_bnb_fee_and_unknown_rows(tmp_path: Path) -> None:
    text = (REAL / "binanceus.csv").read_text(encoding="utf-8").split("\n")
    header = ("User ID,Time,Category,Operation,Order ID,Transaction ID,Primary Asset,Realized Amount For Primary "
              "Asset,Realized Amount for Primary Asset in USD,Base Asset,Realized Amount For Base Asset,Realized "
              "Amount For Base Asset In USD,Quote Asset,Realized Amount for Quote Asset,Realized Amount for Quote "
              "Asset in USD,Fee Asset,Realized Amount for Fee Asset,Realized Amount for Fee Asset in USD,Payment "
              "Method,Withdraw Method,Additional Note")
    bnb = text[2].replace("USD,2.15000000,2.15000000", "BNB,0.00500000,1.50000000")
    staking = text[6].replace("Distribution,Staking Rewards", "Staking,Stake")
    path = tmp_path / "tax.csv"
    path.write_text("\n".join([header, bnb, staking, text[10].replace("Spot Trading,Sell", "Spot Trading,Margin")]),
                    encoding="utf-8")
    with pytest.raises(InvalidEvent) as err:
        formats.convert("binanceus", path, tz=UTC)
    assert str(err.value) == (
        f"{path}: 2 rows of 2 kind(s) gainlog does not map: column 'Category' 'Staking (Stake)' ×1 (line 3); "
        "column 'Category' 'Spot Trading (Margin)' ×1 (line 4); nothing imported: pass --skip-unknown to import "
        "the other rows (the skipped ones are listed), or enter them with `gainlog add`")
    events = {p.event.id: codec.canonical(p.event)
              for p in formats.convert("binanceus", path, tz=UTC, skip_unknown=True).events}
    # a fee in BNB: the BNB units are a disposal at their USD value, which is also the purchase fee
    assert {k: events["301455872"].get(k) for k in ("type", "qty", "total", "fee")} == {
        "type": "buy", "qty": "0.05", "total": "2150", "fee": "1.5"}
    assert {k: events["301455872-fee"][k] for k in ("type", "at", "asset", "qty", "value")} == {
        "type": "fee", "at": "2024-01-05T09:30:12.345000Z", "asset": "BNB", "qty": "0.005", "value": "1.5"}


# -- Koinly and CoinTracker templates -------------------------------------------------------------


def test_koinly_rows_by_their_sides_and_label() -> None:
    path = REAL / "koinly.csv"
    conversion = formats.convert("koinly", path, tz=UTC)
    events = {int(p.where.rsplit(":", 1)[1]): codec.canonical(p.event) for p in conversion.events}
    assert sorted(events) == [3, 4, 5, 6, 7, 8, 9, 10, 11]
    assert all(e["id"].startswith("leg-" if line in (5, 11) else "row-") and e["wallet"] == "koinly"
               for line, e in events.items())
    # sent USD, received ETH: a buy; the USD fee is the event's fee (basis 1,504.50); "... UTC" times
    assert {k: events[3].get(k) for k in ("type", "at", "asset", "qty", "total", "fee", "note")} == {
        "type": "buy", "at": "2024-01-10T15:30:00Z", "asset": "ETH", "qty": "0.6", "total": "1500", "fee": "4.5",
        "note": "Bought ETH"}
    # ETH for SOL: the ETH fee leaves with the ETH sent; value = Net Worth (USD); no `fee`; TxHash is the txid
    assert {k: events[4].get(k) for k in ("type", "give_asset", "give_qty", "get_asset", "get_qty", "value", "fee",
                                          "txid")} == {
        "type": "swap", "give_asset": "ETH", "give_qty": "0.301", "get_asset": "SOL", "get_qty": "2.5",
        "value": "780", "fee": None, "txid": "0x4e1f0c7a9b2d3e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6a7b8c9d0e1f2a3b"}
    # a fee with no sides: a `fee` event, value left out (valued at replay from a price event)
    assert {k: events[6].get(k) for k in ("type", "at", "asset", "qty", "value")} == {
        "type": "fee", "at": "2024-03-01T20:00:00Z", "asset": "ETH", "qty": "0.0021", "value": None}
    assert {k: events[7][k] for k in ("type", "asset", "qty", "value", "kind")} == {
        "type": "income", "asset": "SOL", "qty": "0.12", "value": "16.8", "kind": "staking"}
    assert (events[8]["kind"], events[8]["asset"], events[8]["value"]) == ("airdrop", "USDC", "15")
    assert {k: events[9][k] for k in ("type", "at", "asset", "qty", "total", "fee")} == {
        "type": "sell", "at": "2024-05-20T12:45:30Z", "asset": "SOL", "qty": "1.5", "total": "255", "fee": "0.5"}
    # label 'cost': the ETH spent is a disposal at its Net Worth
    assert {k: events[10][k] for k in ("type", "asset", "qty", "value")} == {
        "type": "fee", "asset": "ETH", "qty": "0.04", "value": "150"}
    # sent only, no label: a withdrawal leg (R2.8); the template's fee is outside the amount, so what left the
    # balance is 0.1 + 0.0005 ETH, the fee named; TxHash is the on-chain id. Received only: a deposit leg
    assert {k: v for k, v in events[5].items() if k != "id"} == {
        "type": "withdrawal", "at": "2024-03-01T18:30:00Z", "wallet": "koinly", "asset": "ETH", "qty": "0.1005",
        "fee_qty": "0.0005", "txid": "0x5f2a1d8b0c3e4f6071829304b5c6d7e8f90a1b2c3d4e5f6a7b8c9d0e1f2a3b4c",
        "note": "send"}
    assert {k: v for k, v in events[11].items() if k != "id"} == {
        "type": "deposit", "at": "2024-07-04T16:20:00Z", "wallet": "koinly", "asset": "BTC", "qty": "0.02",
        "note": "receive"}
    assert lines(conversion) == [(2, "receive", "cash"), (12, "send", "cash")]
    assert conversion.warnings == [
        f"{path}: recorded 1 withdrawal(s) and 1 deposit(s) as transfer legs ('send' ×1 (line 5), 'receive' ×1 "
        "(line 11)): pair each with the other side of the move with `gainlog transfers` (until then reports warn: "
        "a withdrawal's units wait in transit, a deposit is a lot with zero basis)"]


def test_cointracker_rows_by_their_sides_and_tag() -> None:
    path = REAL / "cointracker.csv"
    conversion = formats.convert("cointracker", path, tz=UTC)
    events = {int(p.where.rsplit(":", 1)[1]): codec.canonical(p.event) for p in conversion.events}
    assert sorted(events) == [2, 3, 4, 5, 6, 7, 8, 10]
    # MM/DD/YYYY HH:MM:SS in UTC
    assert {k: events[2].get(k) for k in ("type", "at", "asset", "qty", "total", "fee")} == {
        "type": "buy", "at": "2024-01-12T09:15:00Z", "asset": "BTC", "qty": "0.04", "total": "1720", "fee": "3.44"}
    # the template has no USD value: the swap and the income leave `value` out (valued at replay)
    assert {k: events[3].get(k) for k in ("type", "give_asset", "give_qty", "get_asset", "get_qty", "value")} == {
        "type": "swap", "give_asset": "BTC", "give_qty": "0.01", "get_asset": "ADA", "get_qty": "1200", "value": None}
    assert {k: events[4].get(k) for k in ("type", "asset", "qty", "value", "kind")} == {
        "type": "income", "asset": "ADA", "qty": "15.5", "value": None, "kind": "staking"}
    assert {k: events[7][k] for k in ("type", "asset", "qty", "total", "fee")} == {
        "type": "sell", "asset": "ADA", "qty": "1000", "total": "480", "fee": "1"}
    assert (events[8]["type"], events[8]["kind"]) == ("income", "mining")
    # a send and a receive without a tag: transfer legs (R2.8); the BTC fee is on top of the 0.005 BTC sent
    # (0.0051 leave the balance); the template has no transaction hash, so no txid
    assert {k: v for k, v in events[5].items() if k != "id"} == {
        "type": "withdrawal", "at": "2024-03-20T11:00:00Z", "wallet": "cointracker", "asset": "BTC", "qty": "0.0051",
        "fee_qty": "0.0001", "note": "send"}
    assert {k: v for k, v in events[6].items() if k != "id"} == {
        "type": "deposit", "at": "2024-04-10T16:45:00Z", "wallet": "cointracker", "asset": "ETH", "qty": "0.3",
        "note": "receive"}
    assert events[5]["id"].startswith("leg-") and events[6]["id"].startswith("leg-")
    assert lines(conversion) == [(9, "receive", "cash")]
    assert conversion.warnings == [
        f"{path}: recorded 1 withdrawal(s) and 1 deposit(s) as transfer legs ('send' ×1 (line 5), 'receive' ×1 "
        "(line 6)): pair each with the other side of the move with `gainlog transfers` (until then reports warn: "
        "a withdrawal's units wait in transit, a deposit is a lot with zero basis)"]


def test_template_labels_gainlog_does_not_map_are_listed_at_once(tmp_path: Path) -> None:
    path = tmp_path / "ct.csv"
    text = (REAL / "cointracker.csv").read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([text[0], text[1], "04/11/2024 10:00:00,,,0.001,BTC,,,gift",
                               "04/12/2024 10:00:00,10,ADA,0.0001,BTC,,,stake", "04/13/2024 10:00:00,,,,,,,"]),
                    encoding="utf-8")
    with pytest.raises(InvalidEvent) as err:
        formats.convert("cointracker", path, tz=UTC)
    assert str(err.value) == (
        f"{path}: 3 rows of 3 kind(s) gainlog does not map: column 'Tag' 'gift' ×1 (line 3); column 'Tag' 'stake' "
        "×1 (line 4); column 'Sent Quantity' 'fee' ×1 (line 5); nothing imported: pass --skip-unknown to import the "
        "other rows (the skipped ones are listed), or enter them with `gainlog add`")
    assert len(formats.convert("cointracker", path, tz=UTC, skip_unknown=True).events) == 1
    bad = tmp_path / "k.csv"
    koinly = (REAL / "koinly.csv").read_text(encoding="utf-8").splitlines()
    bad.write_text("\n".join([koinly[0], koinly[2].replace("2024-01-10 15:30 UTC", "10.01.2024 15:30")]),
                   encoding="utf-8")
    with pytest.raises(InvalidEvent) as err:
        formats.convert("koinly", bad, tz=UTC)
    assert str(err.value) == (
        f"{bad}:2: column 'Date': '10.01.2024 15:30' is not a time this format knows (e.g. 2024-03-01 14:22:41)")


# -- every format of this part in one ledger --------------------------------------------------------


def test_all_four_formats_in_one_ledger_reconcile_with_schedule_d(gainlog: Callable[..., Result]) -> None:
    """One ledger, each export in its own wallet (each wallet its own lot pool, by a `method` event), so
    the year's Schedule D is the sum of the four files' short-term sales (FIFO, every sale in 2024;
    8949 rows are rounded to cents and summed):

    gemini (prices.csv values the ETHBTC swap: 1 ETH × 3,441.07; BTC bought 0.1 for 4,200 + 8.40):
      0.05511 BTC  3441.07 − 2319.25 (0.5511 × 4208.40)      = 1121.82
      1 ETH        3500 − 7 = 3493.00 − 2510.00 (5020 / 2)     =  983.00
      0.02 BTC     1235.04 (GUSD received, at par) − 841.68   =  393.36
      the 0.05 BTC deposit of 2024-02-10 (a transfer leg, unpaired: a lot with zero basis, R2.8), and the
      0.01 BTC withdrawal of 2024-08-20 (unpaired: FIFO moves 0.01 of the 2024-01-04 lot, 0.02489 BTC left of
      it, into 'in transit from gemini'), leave the wallet 0.01489 of the 2024-01-04 lot and the deposit's
      0.05 for the last sale (1200 − 2.40 = 1197.60, split by quantity):
      0.01489 BTC  891.61 (1197.60 × 0.01489 / 0.02) − 626.63 (42,084 a BTC) = 264.98
      0.00511 BTC  305.99 (1197.60 × 0.00511 / 0.02) − 0.00 (the deposit)    = 305.99
                   proceeds 9366.71, basis 6297.56, gain 3069.15
      (when transfers were skipped rows, the last sale was 0.02 of the 2024-01-04 lot: basis 841.68, gain
      355.92; the legs lower the year's basis by 841.68 − 626.63 = 215.05)
    binanceus (the 0.5008 ETH withdrawal leaves 0.4982 of the one ETH lot, the 0.01 BTC deposit comes after
    the BTC bought on 2024-01-05 that FIFO sells: no sale's basis changes):
      397.6 USDT   399.60 (400 × 3.996 / 4 SOL) − 399.60 (397.6 / 497.5 × 500) = 0.00
      0.03 BTC     1950 − 1.95 = 1948.05 − 1291.29 (0.6 × 2152.15)             = 656.76
      0.2 ETH      698.50 − 460.46 (0.2 / 0.999 × 2300)                         = 238.04
      0.001 SOL    0.12 (service fee) − 0.10 (399.60 / 3.996 a SOL)             = 0.02
      2 SOL        299.64 (299.94 × 299.7 / 300) − 200.00                       = 99.64
                   proceeds 3345.91, basis 2351.45, gain 994.46
    koinly (ETH bought 0.6 for 1,500 + 4.50 = 2,507.50 an ETH):
      0.301 ETH    780 (Net Worth) − 754.76                   =   25.24
      (the 0.1 ETH send + 0.0005 fee of 2024-03-01 goes in transit from that one lot, and the 0.02 BTC
      received on 2024-07-04 is never sold: no sale's basis changes)
      0.0021 ETH   7.23 (× 3,441.07, prices.csv) − 5.27       =    1.96
      1.5 SOL      255 − 0.50 = 254.50 − 468.00 (780 / 2.5 × 1.5) = −213.50
      0.04 ETH     150 (cost, Net Worth) − 100.30             =   49.70
                   proceeds 1191.73, basis 1328.33, gain −136.60
    cointracker (prices_2024.csv values the ADA received at 0.52; BTC 0.04 for 1,720 + 3.44; the send of
    0.005 + 0.0001 BTC moves part of that one lot in transit and the 0.3 ETH received is never sold):
      0.01 BTC     624.00 (1200 × 0.52) − 430.86              =  193.14
      1000 ADA     480 − 1 = 479.00 − 520.00                  =  −41.00
      0.015 BTC    950 − 0.95 = 949.05 − 646.29               =  302.76
                   proceeds 2052.05, basis 1597.15, gain 454.90
    total: proceeds 15956.40, basis 11574.49, gain 4381.91 (all short term; nothing long term)
    The eight unpaired legs are warned about in the report.
    """
    assert gainlog("add", "method", "--method", "FIFO", "--from", "2024-01-01", "--scope", "wallet").code == 0
    for name in ("prices.csv", "prices_2024.csv", "gemini.csv", "binanceus.csv", "koinly.csv", "cointracker.csv"):
        result = gainlog("import", str(REAL / name))
        assert result.code == 0, result.err
    report = gainlog("report", "schedule-d", "--year", "2024", "--json").json()
    assert report["short_term"] == {
        "proceeds": "15956.40", "cost_basis": "11574.49", "adjustments": "0.00", "gain": "4381.91"}
    assert report["long_term"] == {"proceeds": "0.00", "cost_basis": "0.00", "adjustments": "0.00", "gain": "0.00"}
    assert (report["net_short_term"], report["net"]) == ("4381.91", "4381.91")
    assert [w.split(" is not paired")[0].split(": ", 1)[1] for w in report["warnings"] if "not paired" in w] == [
        "deposit of 0.05 BTC into 'gemini' on 2024-02-10", "withdrawal of 0.1005 ETH from 'koinly' on 2024-03-01",
        "withdrawal of 0.5008 ETH from 'binanceus' on 2024-03-03", "deposit of 0.01 BTC into 'binanceus' on 2024-03-10",
        "withdrawal of 0.0051 BTC from 'cointracker' on 2024-03-20",
        "deposit of 0.3 ETH into 'cointracker' on 2024-04-10",
        "deposit of 0.02 BTC into 'koinly' on 2024-07-04", "withdrawal of 0.01 BTC from 'gemini' on 2024-08-20"]
    by_wallet: dict[str, list[str]] = {}
    rows = gainlog("report", "8949", "--year", "2024", "--json").json()
    for row in rows:
        by_wallet.setdefault(row["wallet"], []).append(row["gain"])
    deposit = next(codec.canonical(p.event)["id"] for p in formats.convert("gemini", REAL / "gemini.csv", tz=UTC).events
                   if codec.canonical(p.event)["type"] == "deposit")
    assert [(r["description"], r["lot"], r["date_acquired"], r["proceeds"], r["cost_basis"]) for r in rows
            if r["wallet"] == "gemini" and r["date_sold"] == "2024-09-05"] == [
        ("0.01489 BTC", "gemini.csv:41870230561", "2024-01-04", "891.61", "626.63"),
        ("0.00511 BTC", f"gemini.csv:{deposit}", "2024-02-10", "305.99", "0.00")]
    assert by_wallet == {
        "gemini": ["1121.82", "983.00", "393.36", "264.98", "305.99"],
        "binanceus": ["0.00", "656.76", "238.04", "0.02", "99.64"],
        "koinly": ["25.24", "1.96", "-213.50", "49.70"],
        "cointracker": ["193.14", "-41.00", "302.76"],
    }


def test_a_fee_in_a_third_asset_is_its_own_fee_event(tmp_path: Path) -> None:
    path = tmp_path / "koinly.csv"
    header = (REAL / "koinly.csv").read_text(encoding="utf-8").splitlines()[0]
    path.write_text(f"{header}\n2024-02-03 08:12 UTC,0.3,ETH,2.5,SOL,0.25,MATIC,780,USD,,,\n"
                    "2024-02-04 08:00 UTC,100,USD,,,0.01,MATIC,,,,,\n", encoding="utf-8")
    conversion = formats.convert("koinly", path, tz=UTC)
    made = [(p.where.rsplit(":", 1)[1], codec.canonical(p.event)) for p in conversion.events]
    assert [(line, e["type"], e["id"].endswith("-fee"), e.get("give_qty") or e.get("qty")) for line, e in made] == [
        ("2", "swap", False, "0.3"), ("2", "fee", True, "0.25"), ("3", "fee", True, "0.01")]
    assert "value" not in made[1][1] and made[1][1]["asset"] == "MATIC"
    assert lines(conversion) == [(3, "send", "cash")]


def test_binanceus_instant_trades_take_their_direction_from_the_operation(tmp_path: Path) -> None:
    text = (REAL / "binanceus.csv").read_text(encoding="utf-8").split("\n")
    quick = text[4]  # Quick Buy: Base USD 500 (fee included), Quote USDT 497.50
    swapped = quick.replace("USD,500.00000000,500.00000000,USDT,497.50000000,497.40000000",
                            "USDT,497.50000000,497.40000000,USD,500.00000000,500.00000000")
    sale = ("38125004,2024-03-01 10:00:00.000,Sell,Sell,f0,309999001,,,,BTC,0.01000000,600.00000000,USD,"
            "594.00000000,594.00000000,USD,6.00000000,6.00000000,Wallet,,")
    path = tmp_path / "b.csv"
    path.write_text("\n".join([text[0], quick, swapped.replace("302311540", "302311541"), sale]), encoding="utf-8")
    events = {p.event.id: codec.canonical(p.event) for p in formats.convert("binanceus", path, tz=UTC).events}
    wanted = {"type": "buy", "asset": "USDT", "qty": "497.5", "total": "497.5", "fee": "2.5"}  # basis 500
    assert {k: events["302311540"].get(k) for k in wanted} == wanted
    assert {k: events["302311541"].get(k) for k in wanted} == wanted
    # an instant sale: the USD received is net of the fee (proceeds 594)
    assert {k: events["309999001"].get(k) for k in ("type", "asset", "qty", "total", "fee")} == {
        "type": "sell", "asset": "BTC", "qty": "0.01", "total": "600", "fee": "6"}


def test_gemini_and_binanceus_sales_from_2025_default_to_1099_da(tmp_path: Path) -> None:
    gemini = rewritten(tmp_path, "gemini.csv", 12, "2024-09-05,20:20:20.020", "2025-01-06,20:20:20.020")
    assert formats.convert("gemini", gemini, tz=UTC).reports_wallet == "gemini"
    assert formats.convert("gemini", REAL / "gemini.csv", tz=UTC).reports_wallet is None
    binance = rewritten(tmp_path, "binanceus.csv", 11, "2024-04-02 13:31:44.271", "2025-04-02 13:31:44.271")
    assert formats.convert("binanceus", binance, tz=UTC, wallet="bus").reports_wallet == "bus"
    koinly = rewritten(tmp_path, "koinly.csv", 9, "2024-05-20 12:45:30 UTC", "2025-05-20 12:45:30 UTC")
    assert formats.convert("koinly", koinly, tz=UTC).reports_wallet is None


def test_gemini_interest_paid_in_usd_is_cash(tmp_path: Path) -> None:
    path = rewritten(tmp_path, "gemini.csv", 2, "Deposit (ACH Transfer)", "Interest Credit")
    conversion = formats.convert("gemini", path, tz=UTC)
    assert lines(conversion)[0] == (2, "Credit (Interest Credit)", "cash")
    assert conversion.notes[0] == (
        f"{path}: skipped 1 cash credit(s) (cash is not a lot): 'Credit (Interest Credit)' ×1 (line 2)")


def test_koinly_date_column_named_koinly_date_is_detected(tmp_path: Path, gainlog: Callable[..., Result]) -> None:
    text = (REAL / "koinly.csv").read_text(encoding="utf-8").replace("Date,Sent Amount", "Koinly Date,Sent Amount", 1)
    path = tmp_path / "koinly_export.csv"
    path.write_text(text, encoding="utf-8")
    result = gainlog("import", str(path), "--json")
    assert result.code == 0, result.err
    assert (result.json()["format"], result.json()["added"]) == ("koinly", 9)  # 7 rows and the 2 transfer legs
