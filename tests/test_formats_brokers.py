"""More exports (issue #13, part a): Fidelity, Robinhood, Coinbase Pro, broker 1099-B CSVs.

One fixture per layout in fixtures/real/, written to the vendor's column names and value formats
(docs/formats.md names where each layout was confirmed); each test checks the events rows become
field by field (qty, money, fee, time with its zone), the summary of skipped rows, and Form 8949
numbers where fees matter.
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
from gainlog.ledger.formats import detect

REAL = Path(__file__).resolve().parent.parent / "fixtures" / "real"
UTC = ZoneInfo("UTC")


def converted(name: str, path: Path, **kwargs: Any) -> tuple[dict[int, dict[str, Any]], formats.Conversion]:
    """CSV line -> canonical event dict, and the conversion (warnings, notes, skipped)."""
    conversion = formats.convert(name, path, tz=UTC, **kwargs)
    return {int(p.where.rsplit(":", 1)[1]): codec.canonical(p.event) for p in conversion.events}, conversion


def eight949(gainlog: Callable[..., Result], year: int) -> list[tuple[str, ...]]:
    rows = gainlog("report", "8949", "--year", str(year), "--json").json()
    return [(r["description"], r["date_acquired"], r["date_sold"], r["proceeds"], r["cost_basis"], r["gain"],
             r["term"]) for r in rows]


def without_id(event: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in event.items() if k != "id"}


# -- Fidelity -------------------------------------------------------------------------------------


def test_fidelity_single_account_history(gainlog: Callable[..., Result]) -> None:
    path = REAL / "fidelity.csv"
    events, conversion = converted("fidelity", path)
    assert sorted(events) == [4, 8, 10, 11, 12]
    # a sale: Quantity negative, Amount net of the fee; total = Amount + Commission + Fees
    assert events[4]["id"].startswith("2024-12-16-AAPL-")
    assert without_id(events[4]) == {
        "type": "sell", "at": "2024-12-16T12:00:00Z", "wallet": "fidelity", "asset": "AAPL", "qty": "10",
        "total": "2501", "fee": "0.04", "note": "YOU SOLD APPLE INC (AAPL) (Cash): APPLE INC"}
    # a dividend reinvested in the fund: a buy at the cash that moved (Amount), not Price x Quantity
    assert {k: events[8][k] for k in ("type", "at", "asset", "qty", "total", "class")} == {
        "type": "buy", "at": "2024-08-15T12:00:00Z", "asset": "VTI", "qty": "0.037", "total": "10", "class": "stock"}
    assert "fee" not in events[8]
    assert {k: events[11][k] for k in ("type", "asset", "qty", "total")} == {
        "type": "buy", "asset": "AAPL", "qty": "10", "total": "1800"}
    # shares moved in from another account: a transfer leg (R2.8), a deposit of the shares the row says
    # arrived, on the row's date, into this account's wallet; no fee, no on-chain id; id a hash of the cells
    assert events[12]["id"].startswith("leg-")
    assert without_id(events[12]) == {
        "type": "deposit", "at": "2024-02-15T12:00:00Z", "wallet": "fidelity", "asset": "NVDA", "qty": "10",
        "note": "TRANSFERRED FROM"}
    assert conversion.warnings == [
        f"{path}: recorded 1 deposit(s) as transfer legs ('TRANSFERRED FROM' ×1 (line 12)): pair each with the "
        "other side of the move with `gainlog transfers` (until then reports warn: a withdrawal's units wait in "
        "transit, a deposit is a lot with zero basis)",
    ]
    # DISTRIBUTION of shares without cash: a forward split by the shares added (tests/test_share_action_rows.py)
    assert events[10]["id"].startswith("split-2024-06-10-NVDA-")
    assert without_id(events[10]) == {
        "type": "split", "at": "2024-06-10T00:00:00Z", "wallet": "fidelity", "asset": "NVDA", "added_qty": "90",
        "note": "DISTRIBUTION"}
    assert conversion.notes == [
        f"{path}: skipped 3 dividend, interest and capital-gain distribution row(s) (cash income: report it from "
        "the 1099-DIV / 1099-INT; a reinvestment is its own REINVESTMENT row): 'DIVIDEND RECEIVED' ×3 "
        "(lines 5, 7, 9)",
        f"{path}: skipped 1 core money-market row(s) (the account's cash, always $1 a share: not a lot): "
        "'REINVESTMENT SPAXX' ×1 (line 6)",
        f"{path}: skipped 1 cash transfer row(s) (money moved into, out of or between accounts: not a taxable "
        "event): 'ELECTRONIC FUNDS TRANSFER' ×1 (line 13)",
        f"{path}: skipped 1 fee and tax row(s) (cash charged to the account: not part of any lot's basis): "
        "'FOREIGN TAX PAID' ×1 (line 14)",
    ]
    assert [(s.where.rsplit(":", 1)[1], s.reason) for s in conversion.skipped] == [
        ("5", "cash"), ("6", "cash"), ("7", "cash"), ("9", "cash"), ("13", "cash"), ("14", "cash")]
    result = gainlog("import", str(path), "--json")  # detected from the header below two blank rows
    assert result.code == 0 and result.json()["added"] == 5
    assert "read as --format fidelity (detected from its header, line 3)" in result.err
    # the NVDA deposit is a zero-basis lot until paired; it is not sold, so Form 8949 is the AAPL sale alone
    assert eight949(gainlog, 2024) == [
        ("10 AAPL", "2024-03-01", "2024-12-16", "2500.96", "1800.00", "700.96", "short")]
    key = f"fidelity.csv:{events[12]['id']}"
    assert gainlog("report", "schedule-d", "--year", "2024", "--json").json()["warnings"] == [
        f"{key}: deposit of 10 NVDA into 'fidelity' on 2024-02-15 is not paired with a withdrawal: counted as a lot "
        "with zero basis acquired on 2024-02-15 (R2.8)"]
    again = gainlog("import", str(path), "--json").json()  # the leg's id is stable: a re-import adds nothing
    assert (again["added"], again["duplicates"]) == (0, 5)


def test_fidelity_all_accounts_one_wallet_per_account(gainlog: Callable[..., Result]) -> None:
    path = REAL / "fidelity_accounts.csv"
    events, conversion = converted("fidelity", path)
    assert sorted(events) == [2, 3, 5, 6]
    assert without_id(events[2]) == {
        "type": "sell", "at": "2025-01-10T12:00:00Z", "wallet": "fidelity-X12345678", "asset": "MSFT", "qty": "5",
        "total": "2100", "fee": "0.03", "note": "YOU SOLD MICROSOFT CORP (MSFT) (Cash): MICROSOFT CORP"}
    assert [(events[line]["wallet"], events[line]["asset"], events[line]["qty"], events[line]["total"])
            for line in (3, 5, 6)] == [
        ("fidelity-Y87654321", "MSFT", "2", "830"), ("fidelity-X12345678", "FCNTX", "2.272", "45.1"),
        ("fidelity-X12345678", "MSFT", "5", "2000")]
    assert conversion.warnings == [
        # one half of a reverse split (the new shares' row is not in the file): not enough for a `split`
        f"{path}:8: skipped the reverse split row(s) of 2024-03-15 (line(s) 8): write it as a `split` event "
        "(gainlog add split --ratio, or --removed-qty), and a `rename` when the symbol changes: the rows do not "
        "pair into the old shares out and the new shares in",
        f"{path}: skipped 1 return-of-capital row(s): each lowers the basis of the shares it was paid on, which "
        "gainlog cannot infer; lower the `total` of those buys by hand (`gainlog add` / a corrected .jsonl): "
        "'RETURN OF CAPITAL' ×1 (line 9)",
    ]
    assert len(conversion.notes) == 2
    assert gainlog("import", str(path), "--format", "Fidelity").code == 0
    # the sale in X12345678 takes that account's lot, not the cheaper Roth IRA shares bought later
    assert eight949(gainlog, 2025) == [
        ("5 MSFT", "2024-06-03", "2025-01-10", "2099.97", "2000.00", "99.97", "short")]
    with_wallet = formats.convert("fidelity", path, tz=UTC, wallet="fid")
    assert {p.event.wallet for p in with_wallet.events} == {"fid-X12345678", "fid-Y87654321"}  # type: ignore[union-attr]


def test_fidelity_unknown_actions_listed_at_once(tmp_path: Path) -> None:
    text = (REAL / "fidelity_accounts.csv").read_text(encoding="utf-8")
    text = text.replace('"CASH CONTRIBUTION CURRENT YEAR (Cash)"', '"YOU SOLD SHORT XYZ CORP (XYZ) (Margin)"')
    text = text.replace('"REINVESTMENT FIDELITY CONTRAFUND (FCNTX) (Cash)",FCNTX', '"ASSIGNED as of 12/20/2024",FCNTX')
    path = tmp_path / "Accounts_History.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidEvent) as err:
        formats.convert("fidelity", path, tz=UTC)
    assert str(err.value).startswith(
        f"{path}: 2 rows of 2 kind(s) gainlog does not map: column 'Action' 'ASSIGNED as of 12/20/2024' ×1 (line 5); "
        "column 'Action' 'YOU SOLD SHORT XYZ CORP (XYZ) (Margin)' ×1 (line 7); nothing imported")
    done = formats.convert("fidelity", path, tz=UTC, skip_unknown=True)
    assert len(done.events) == 3


def test_fidelity_newest_layout_cash_in_lieu_and_shares_leaving(tmp_path: Path,
                                                               gainlog: Callable[..., Result]) -> None:
    path = tmp_path / "History_for_Account_Z38367298.csv"
    path.write_text(
        "Date,Action,Symbol,Description,Type,Price ($),Quantity,Commission ($),Fees ($),Accrued Interest ($),"
        "Amount ($),Cash Balance ($),Settlement Date\n"
        '03/31/2026,"IN LIEU OF FRX SHARE SPINCO INC (SPNC) (Cash)",SPNC,"SPINCO INC",Cash,,-0.375,,,,12.19,'
        "33554.84,\n"
        '03/30/2026,"IN LIEU OF FRX SHARE OTHERCO (OTHR) (Cash)",OTHR,"OTHERCO",Cash,,0.000,,,,4.02,33542.65,\n'
        '03/27/2026,"TRANSFERRED TO VS Z12-345678-9 APPLE INC (AAPL) (Cash)",AAPL,"APPLE INC",Cash,,-4,,,,,'
        "33538.63,\n"
        '03/26/2026,"YOU BOUGHT APPLE INC (AAPL) (Cash)",AAPL,"APPLE INC",Cash,250.00,4,0.00,0.02,,-1000.02,'
        "33538.63,03/27/2026\n",
        encoding="utf-8",
    )
    assert detect.detect(path, names=formats.NAMES) == detect.Detected("fidelity", 1)
    events, conversion = converted("fidelity", path)
    assert {k: events[2][k] for k in ("type", "at", "asset", "qty", "total")} == {
        "type": "sell", "at": "2026-03-31T12:00:00Z", "asset": "SPNC", "qty": "0.375", "total": "12.19"}
    assert {k: events[5][k] for k in ("type", "asset", "qty", "total", "fee")} == {
        "type": "buy", "asset": "AAPL", "qty": "4", "total": "1000", "fee": "0.02"}
    # a one-account download named for its account: the wallet the all-accounts file gives that account
    assert {events[2]["wallet"], events[5]["wallet"]} == {"fidelity-Z38367298"}
    assert {p.event.wallet for p in formats.convert("fidelity", path, tz=UTC, wallet="ira").events} == {  # type: ignore[union-attr]
        "ira"}
    # shares leaving: a withdrawal leg from the account the file is named for (the wallet its buy went to, so
    # the lots that leave are that account's), of the 4 shares the row moved; no fee, no on-chain id
    assert events[4]["id"].startswith("leg-")
    assert without_id(events[4]) == {
        "type": "withdrawal", "at": "2026-03-27T12:00:00Z", "wallet": "fidelity-Z38367298", "asset": "AAPL",
        "qty": "4", "note": "TRANSFERRED TO"}
    assert conversion.warnings == [
        f"{path}:3: skipped 'IN LIEU OF FRX SHARE' of OTHR for 4.02: the sale of a fractional share, but the row has "
        "no Quantity; record it with `gainlog add sell`",
        f"{path}: recorded 1 withdrawal(s) as transfer legs ('TRANSFERRED TO' ×1 (line 4)): pair each with the other "
        "side of the move with `gainlog transfers` (until then reports warn: a withdrawal's units wait in transit, a "
        "deposit is a lot with zero basis)"]
    # unpaired, the bought lot (1,000 + 0.02 fee) waits in transit from that account with its basis and date
    assert gainlog("import", str(path)).code == 0
    lots = gainlog("lots", "--json").json()
    assert [(r["wallet"], r["asset"], r["qty"], r["cost_basis"], r["date_acquired"]) for r in lots] == [
        ("in transit from fidelity-Z38367298", "AAPL", "4", "1000.02", "2026-03-26")]


def test_fidelity_detected_from_its_header() -> None:
    names = formats.NAMES
    assert detect.detect(REAL / "fidelity.csv", names=names) == detect.Detected("fidelity", 3)
    assert detect.detect(REAL / "fidelity_accounts.csv", names=names) == detect.Detected("fidelity", 1)


# -- Robinhood ------------------------------------------------------------------------------------


def test_robinhood_activity_report_stocks_and_crypto(gainlog: Callable[..., Result]) -> None:
    path = REAL / "robinhood.csv"
    events, conversion = converted("robinhood", path)
    assert sorted(events) == [2, 3, 7, 8, 11, 13, 15]
    # crypto: its own wallet (Robinhood Crypto is an account of its own), class crypto
    assert events[7]["id"].startswith("2024-09-03-DOGE-")
    assert without_id(events[7]) == {
        "type": "buy", "at": "2024-09-03T12:00:00Z", "wallet": "robinhood-crypto", "asset": "DOGE", "qty": "1000",
        "total": "100", "class": "crypto", "note": "Dogecoin"}
    assert without_id(events[2]) == {
        "type": "sell", "at": "2024-12-05T12:00:00Z", "wallet": "robinhood-crypto", "asset": "DOGE", "qty": "400",
        "total": "160", "note": "Dogecoin"}
    # a stock sale: the cash received ($1,139.96, net of the regulatory fees) is the proceeds; no fee twice
    assert without_id(events[3]) == {
        "type": "sell", "at": "2024-11-20T12:00:00Z", "wallet": "robinhood", "asset": "AAPL", "qty": "5",
        "total": "1139.96", "note": "Apple CUSIP: 037833100"}
    # "($1,800.00)": cash paid, in parentheses
    assert {k: events[13][k] for k in ("type", "asset", "qty", "total", "class", "wallet")} == {
        "type": "buy", "asset": "AAPL", "qty": "10", "total": "1800", "class": "stock", "wallet": "robinhood"}
    # shares arriving by ACATS from another broker: a deposit leg (R2.8) into the stock account's wallet
    assert events[15]["id"].startswith("leg-")
    assert without_id(events[15]) == {
        "type": "deposit", "at": "2024-02-15T12:00:00Z", "wallet": "robinhood", "asset": "TSLA", "qty": "3",
        "note": "ACATI"}
    assert conversion.warnings == [
        f"{path}: recorded 1 deposit(s) as transfer legs ('ACATI' ×1 (line 15)): pair each with the other side of "
        "the move with `gainlog transfers` (until then reports warn: a withdrawal's units wait in transit, a deposit "
        "is a lot with zero basis)",
    ]
    # SPL "9S": the 9 shares a 10-for-1 split added to the 1 NVDA bought on 6/3
    assert without_id(events[8]) == {
        "type": "split", "at": "2024-06-10T00:00:00Z", "wallet": "robinhood", "asset": "NVDA", "added_qty": "9",
        "note": "SPL"}
    assert conversion.notes == [
        f"{path}: skipped 2 dividend, interest and stock-lending income row(s) (cash income: report it from the "
        "1099-DIV / 1099-INT / 1099-MISC; not a lot): 'CDIV' ×1 (line 5), 'INT' ×1 (line 17)",
        f"{path}: skipped 1 cash transfer row(s) (money moved into or out of the account: not a taxable event): "
        "'ACH' ×1 (line 6)",
        f"{path}: skipped 1 fee and tax row(s) (cash charged to the account: not part of any lot's basis): "
        "'GOLD' ×1 (line 18)",
    ]
    result = gainlog("import", str(path), "--json")
    assert result.code == 0 and result.json()["added"] == 7
    assert "read as --format robinhood (detected from its header, line 1)" in result.err
    assert len(result.json()["skipped"]) == 4  # CDIV, ACH, INT, GOLD: the ACATI and SPL rows are events now
    nvda = [lot for lot in gainlog("lots", "--json").json() if lot["asset"] == "NVDA"]
    assert [(lot["qty"], lot["cost_basis"], lot["date_acquired"]) for lot in nvda] == [("10", "1150.00", "2024-06-03")]
    rows = gainlog("report", "8949", "--year", "2024", "--json").json()
    assert [(r["description"], r["wallet"], r["proceeds"], r["cost_basis"], r["gain"], r["box"]) for r in rows] == [
        ("5 AAPL", "robinhood", "1139.96", "900.00", "239.96", "A"),
        ("400 DOGE", "robinhood-crypto", "160.00", "40.00", "120.00", "C"),
    ]
    # the TSLA deposit is never sold: no 8949 row, but every report warns until it is paired
    assert gainlog("report", "schedule-d", "--year", "2024", "--json").json()["warnings"] == [
        f"robinhood.csv:{events[15]['id']}: deposit of 3 TSLA into 'robinhood' on 2024-02-15 is not paired with a "
        "withdrawal: counted as a lot with zero basis acquired on 2024-02-15 (R2.8)"]
    assert gainlog("import", str(path), "--json").json()["added"] == 0  # stable ids: nothing new


def test_robinhood_options_and_unknown_codes_listed_at_once(tmp_path: Path) -> None:
    header = (REAL / "robinhood.csv").read_text(encoding="utf-8").splitlines()[0]
    path = tmp_path / "activity.csv"
    path.write_text(
        f"{header}\n"
        '"4/24/2025","4/24/2025","4/25/2025","SPY","SPY 4/26/2025 Call $500.00","BTO","1","$5.00","($500.00)"\n'
        '"4/26/2025","4/26/2025","4/27/2025","SPY","SPY 4/26/2025 Call $500.00","STC","1","$8.00","$800.00"\n'
        '"4/28/2025","4/28/2025","4/29/2025","XYZ","XYZ Spin-off","SOFF","5","",""\n'
        '"4/29/2025","4/29/2025","4/30/2025","AAPL","Apple","Buy","1.5","$200.00","($300.00)"\n',
        encoding="utf-8",
    )
    with pytest.raises(InvalidEvent) as err:
        formats.convert("robinhood", path, tz=UTC)
    assert str(err.value).startswith(
        f"{path}: 3 rows of 3 kind(s) gainlog does not map: column 'Trans Code' 'BTO' ×1 (line 2); column 'Trans "
        "Code' 'STC' ×1 (line 3); column 'Trans Code' 'SOFF' ×1 (line 4); nothing imported")
    events, conversion = converted("robinhood", path, skip_unknown=True)
    assert list(events) == [5] and events[5]["total"] == "300"
    assert [(s.label, s.reason) for s in conversion.skipped] == [("BTO", "unknown"), ("STC", "unknown"),
                                                                 ("SOFF", "unknown")]


def test_robinhood_legs_go_to_the_rows_own_account(tmp_path: Path) -> None:
    """Shares leaving by ACATS are a withdrawal from the stock account; a row of a crypto Robinhood lists
    (Instrument DOGE, Description "Dogecoin") is Robinhood Crypto's, an account of its own: its leg is in
    `robinhood-crypto` (`W-crypto` with `--wallet W`), where its buys are."""
    header = (REAL / "robinhood.csv").read_text(encoding="utf-8").splitlines()[0]
    path = tmp_path / "activity.csv"
    path.write_text(
        f"{header}\n"
        '"5/2/2025","5/2/2025","5/2/2025","DOGE","Dogecoin","REC","250","",""\n'
        '"5/1/2025","5/1/2025","5/1/2025","AAPL","Apple\nCUSIP: 037833100","ACATO","2S","",""\n',
        encoding="utf-8",
    )
    events, _ = converted("robinhood", path)
    assert {line: without_id(e) for line, e in events.items()} == {
        2: {"type": "deposit", "at": "2025-05-02T12:00:00Z", "wallet": "robinhood-crypto", "asset": "DOGE",
            "qty": "250", "note": "REC"},
        3: {"type": "withdrawal", "at": "2025-05-01T12:00:00Z", "wallet": "robinhood", "asset": "AAPL", "qty": "2",
            "note": "ACATO"}}
    assert {p.event.wallet for p in formats.convert("robinhood", path, tz=UTC, wallet="rh").events} == {  # type: ignore[union-attr]
        "rh-crypto", "rh"}


def test_robinhood_amount_that_is_not_money(tmp_path: Path) -> None:
    header = (REAL / "robinhood.csv").read_text(encoding="utf-8").splitlines()[0]
    path = tmp_path / "activity.csv"
    path.write_text(f'{header}\n"4/29/2025","4/29/2025","4/30/2025","AAPL","Apple","Buy","1","$200.00","(1,5)"\n',
                    encoding="utf-8")
    with pytest.raises(InvalidEvent) as err:
        formats.convert("robinhood", path, tz=UTC)
    assert str(err.value) == f"{path}:2: column 'Amount': '1,5' is not a USD amount"


# -- Coinbase Pro / Exchange ----------------------------------------------------------------------


def test_coinbase_pro_fills(gainlog: Callable[..., Result]) -> None:
    path = REAL / "coinbase_pro_fills.csv"
    events, conversion = converted("coinbase-pro", path)
    assert sorted(events) == [2, 3, 4, 5, 6]
    # BUY: total is the cash paid, fee included (-2412 = -(0.05 x 48000 + 12)): total 2400, fee 12
    assert events[3] == {
        "type": "buy", "at": "2021-03-01T14:22:41.456000Z", "wallet": "coinbase-pro", "asset": "BTC", "qty": "0.05",
        "total": "2400", "fee": "12", "id": "BTC-USD-112345678", "txid": "112345678"}
    # SELL: total is the cash received net of the fee (1333.30 = 0.02 x 67000 - 6.70)
    assert {k: events[5][k] for k in ("type", "at", "asset", "qty", "total", "fee")} == {
        "type": "sell", "at": "2021-11-09T16:05:12.789000Z", "asset": "BTC", "qty": "0.02", "total": "1340",
        "fee": "6.7"}
    # quoted in USDC: a swap, the fee inside the quantities (no `fee`), value = what was received
    assert events[4] == {
        "type": "swap", "at": "2021-04-02T09:30:00Z", "wallet": "coinbase-pro", "give_asset": "ETH", "give_qty": "0.4",
        "get_asset": "USDC", "get_qty": "1034.8", "value": "1034.8", "id": "ETH-USDC-4567890", "txid": "4567890"}
    assert {k: events[6].get(k) for k in ("give_asset", "give_qty", "get_asset", "get_qty", "value", "fee")} == {
        "give_asset": "USDC", "give_qty": "603", "get_asset": "BTC", "get_qty": "0.01", "value": "600", "fee": None}
    assert conversion.warnings == [] and conversion.notes == [] and conversion.skipped == []
    result = gainlog("import", str(path), "--json")
    assert result.code == 0 and result.json()["added"] == 5
    assert "read as --format coinbase-pro (detected from its header, line 1)" in result.err
    assert eight949(gainlog, 2021) == [
        ("0.4 ETH", "2021-02-10", "2021-04-02", "1034.80", "723.60", "311.20", "short"),
        ("0.02 BTC", "2021-03-01", "2021-11-09", "1333.30", "964.80", "368.50", "short"),
        ("603 USDC", "2021-04-02", "2021-11-10", "600.00", "603.00", "-3.00", "short"),
    ]


def test_coinbase_pro_account_statement(gainlog: Callable[..., Result]) -> None:
    path = REAL / "coinbase_pro_account.csv"
    events, conversion = converted("coinbase-pro", path)
    assert sorted(events) == [3, 6, 7, 11, 12, 15]
    # a trade's match rows are the gross amounts, its fee a row of its own
    assert events[3] == {
        "type": "buy", "at": "2022-01-04T10:11:12.345000Z", "wallet": "coinbase-pro", "asset": "LTC", "qty": "10",
        "total": "1400", "fee": "7", "id": "34567890-b1c2d3e4-5f6a-4f5a-8b6c-7d8e9f0a1b2c", "txid": "34567890"}
    assert {k: events[7][k] for k in ("type", "at", "asset", "qty", "total", "fee")} == {
        "type": "sell", "at": "2022-03-15T12:00:00Z", "asset": "LTC", "qty": "4", "total": "480", "fee": "2.4"}
    # USD -> USDC conversion: the USDC side is a buy at par
    assert events[11] == {
        "type": "buy", "at": "2022-04-01T09:00:00Z", "wallet": "coinbase-pro", "asset": "USDC", "qty": "500",
        "total": "500", "id": "d4e5f6a7-8b9c-4d0e-9f1a-2b3c4d5e6f7a", "note": "conversion at par"}
    # LTC for USDC, the fee paid in USDC: 260 - 1.30 arrive, value = what arrived
    assert {k: events[12].get(k) for k in ("type", "give_asset", "give_qty", "get_asset", "get_qty", "value",
                                           "fee")} == {
        "type": "swap", "give_asset": "LTC", "give_qty": "2", "get_asset": "USDC", "get_qty": "258.7",
        "value": "258.7", "fee": None}
    # crypto in and out: transfer legs (R2.8), the balance change the row records (nothing is charged apart
    # from it: a withdrawal's network fee shows as the other side arriving less), id the `transfer id`.
    # That id is Coinbase's own, not an on-chain hash: it is not the `txid` (the other side never carries it,
    # and two different txids would keep the legs from pairing)
    assert events[6] == {
        "type": "deposit", "at": "2022-02-01T08:00:00Z", "wallet": "coinbase-pro", "asset": "ETH", "qty": "2",
        "id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d", "note": "deposit"}
    assert events[15] == {
        "type": "withdrawal", "at": "2022-06-30T22:10:00Z", "wallet": "coinbase-pro", "asset": "LTC", "qty": "1",
        "id": "f6a7b8c9-0d1e-4f2a-9b3c-4d5e6f7a8b9c", "note": "withdrawal"}
    assert conversion.warnings == [
        f"{path}: recorded 1 withdrawal(s) and 1 deposit(s) as transfer legs ('deposit' ×1 (line 6), 'withdrawal' ×1 "
        "(line 15)): pair each with the other side of the move with `gainlog transfers` (until then reports warn: a "
        "withdrawal's units wait in transit, a deposit is a lot with zero basis)"]
    assert conversion.notes == [
        f"{path}: skipped 2 USD deposit(s) and withdrawal(s) (cash is not a lot): 'deposit' ×1 (line 2), "
        "'withdrawal' ×1 (line 16)",
        f"{path}: skipped 1 USD side(s) of USD/USDC conversions (cash is not a lot; the USDC side is a buy or sell): "
        "'conversion' ×1 (line 10)",
    ]
    assert gainlog("import", str(path), "--format", "coinbase-pro").code == 0
    # both sales come before the withdrawal: Form 8949 is what it was when the legs were skipped rows
    assert eight949(gainlog, 2022) == [
        ("4 LTC", "2022-01-04", "2022-03-15", "477.60", "562.80", "-85.20", "short"),
        ("2 LTC", "2022-01-04", "2022-05-02", "258.70", "281.40", "-22.70", "short"),
    ]
    # the ETH deposit is a lot of zero basis acquired at the deposit. Of the 10 LTC (1,407: 140.70 each) 4 are
    # left, the withdrawal's 1 among them: in 2022 crypto is one universal pool (R3.3), where an unpaired
    # withdrawal moves only the wallet's holding, not the lots (R2.8), so the pool still lists 4
    lots = gainlog("lots", "--on", "2022-12-31", "--json").json()
    assert [(r["wallet"], r["asset"], r["qty"], r["cost_basis"], r["date_acquired"]) for r in lots] == [
        ("*", "ETH", "2", "0.00", "2022-02-01"), ("*", "LTC", "4", "562.80", "2022-01-04"),
        ("*", "USDC", "500", "500.00", "2022-04-01"), ("*", "USDC", "258.7", "258.70", "2022-05-02")]
    assert gainlog("report", "schedule-d", "--year", "2022", "--json").json()["warnings"] == [
        "coinbase_pro_account.csv:9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d: deposit of 2 ETH into 'coinbase-pro' on "
        "2022-02-01 is not paired with a withdrawal: counted as a lot with zero basis acquired on 2022-02-01 (R2.8)",
        "coinbase_pro_account.csv:f6a7b8c9-0d1e-4f2a-9b3c-4d5e6f7a8b9c: withdrawal of 1 LTC from 'coinbase-pro' on "
        "2022-06-30 is not paired with a deposit: not disposed of; LTC is one universal pool then (R3.3), so its "
        "lots stay in the pool, where a sale from any wallet may draw on them, and 'in transit from coinbase-pro' "
        "holds the 1 LTC until the pool is allocated to wallets (R3.4) (R2.8)"]
    again = gainlog("import", str(path), "--format", "coinbase-pro", "--json").json()
    assert (again["added"], again["duplicates"]) == (0, 6)  # the legs' ids are the transfer ids: stable


def test_coinbase_pro_2018_fills_crypto_quote_and_euro(tmp_path: Path) -> None:
    """2018 exports have no `portfolio`; a BTC-quoted fill has no USD value (valued from prices, with a
    warning); a EUR-quoted fill is not mapped."""
    path = tmp_path / "fills.csv"
    path.write_text(
        "trade id,product,side,created at,size,size unit,price,fee,total,price/fee/total unit\n"
        "3456789,ETH-BTC,BUY,2018-05-10T09:30:00.000Z,1.5,ETH,0.07,0.000525,-0.105525,BTC\n"
        "3456790,ETH-BTC,SELL,2018-05-11T09:30:00.000Z,0.5,ETH,0.08,0.0002,0.0398,BTC\n"
        "1122334,BTC-EUR,BUY,2018-05-12T10:00:00.000Z,0.01,BTC,7500.00,0.00,-75.00,EUR\n",
        encoding="utf-8",
    )
    with pytest.raises(InvalidEvent) as err:
        formats.convert("coinbase-pro", path, tz=UTC)
    assert str(err.value).startswith(
        f"{path}:4: column 'price/fee/total unit': BTC-EUR is quoted in EUR; gainlog's money is USD; nothing imported")
    events, conversion = converted("coinbase-pro", path, skip_unknown=True)
    assert {k: events[2].get(k) for k in ("give_asset", "give_qty", "get_asset", "get_qty", "value", "fee")} == {
        "give_asset": "BTC", "give_qty": "0.105525", "get_asset": "ETH", "get_qty": "1.5", "value": None, "fee": None}
    assert {k: events[3].get(k) for k in ("give_asset", "give_qty", "get_asset", "get_qty", "value")} == {
        "give_asset": "ETH", "give_qty": "0.5", "get_asset": "BTC", "get_qty": "0.0398", "value": None}
    assert conversion.warnings[0] == (
        f"{path}: 2 swap(s) quoted in a crypto that the export gives no USD value for: each is valued from the "
        "latest `price` of what it received (import a price history: `--format prices`); `import --require-values` "
        "refuses them instead (lines 2, 3)")


# -- broker 1099-B --------------------------------------------------------------------------------


def test_1099b_rows_become_closed_positions(gainlog: Callable[..., Result]) -> None:
    path = REAL / "broker_1099b.csv"
    conversion = formats.convert("1099-b", path, tz=UTC)
    pairs = [codec.canonical(p.event) for p in conversion.events]
    assert [p.where.rsplit(":", 1)[1] for p in conversion.events] == ["2", "2", "3", "3", "4", "4", "5", "5", "6", "6"]
    buy, sell = pairs[4], pairs[5]  # the wash sale: PFE, loss 300 all disallowed
    ident = buy["id"].removesuffix("-buy")
    assert ident.startswith("row-") and sell["id"] == f"{ident}-sell"
    note = "1099-B: PFIZER INC (proceeds 2700.00, cost basis 3000.00, wash sale 300.00, box A)"
    assert without_id(buy) == {
        "type": "buy", "at": "2024-02-01T12:00:00Z", "wallet": "1099-b", "asset": "PFE", "qty": "100",
        "total": "3000", "class": "stock", "note": note}
    # the sale takes the row's own buy (specific identification), so its basis and dates hold; box 1g is
    # the broker's figure on it (R4.6)
    assert without_id(sell) == {
        "type": "sell", "at": "2024-06-03T12:00:00Z", "wallet": "1099-b", "asset": "PFE", "qty": "100",
        "total": "2700", "lots": [{"lot": f"{ident}-buy", "qty": "100"}], "wash_disallowed": "300", "note": note}
    assert {k: pairs[8][k] for k in ("at", "asset", "qty", "total", "note")} == {
        "at": "2008-05-01T12:00:00Z", "asset": "GE", "qty": "20", "total": "1200",
        "note": "1099-B: GENERAL ELECTRIC CO (proceeds 3400.00, cost basis 1200.00, box E)"}
    assert conversion.warnings == [
        f"{path}: 1 row(s) with a wash sale loss disallowed (box 1g): recorded on the sale (`wash_disallowed`), so "
        "Form 8949 shows the cost basis, code W and the amount as the 1099-B does; gainlog washes the rest of a loss "
        "only against purchases in other wallets: check `gainlog report 8949` (line 4)"]
    result = gainlog("import", str(path), "--json")
    assert result.code == 0 and result.json()["added"] == 10
    assert "read as --format 1099-b (detected from its header, line 1)" in result.err
    rows = gainlog("report", "8949", "--year", "2024", "--json").json()
    # each row's numbers as the 1099-B shows them: proceeds, basis, code W and the wash sale, gain = P - C + W,
    # the broker's box; the replacement PFE shares (bought 2024-06-20, in the window) are not washed again
    assert [(r["description"], r["date_acquired"], r["date_sold"], r["proceeds"], r["cost_basis"], r["code"],
             r["adjustment"], r["gain"], r["box"]) for r in rows] == [
        ("10 AMZN", "2024-01-10", "2024-04-15", "1800.00", "1500.00", "", "0.00", "300.00", "A"),
        ("100 PFE", "2024-02-01", "2024-06-03", "2700.00", "3000.00", "W", "300.00", "0.00", "A"),
        ("50 INTC", "2023-03-15", "2024-08-02", "1050.00", "1750.00", "", "0.00", "-700.00", "D"),
        ("20 GE", "2008-05-01", "2024-09-09", "3400.00", "1200.00", "", "0.00", "2200.00", "E"),
        ("100 PFE", "2024-06-20", "2024-11-12", "2900.00", "3000.00", "", "0.00", "-100.00", "A"),
    ]
    sd = gainlog("report", "schedule-d", "--year", "2024", "--json").json()
    assert (sd["short_term"], sd["long_term"], sd["net"]) == (
        {"proceeds": "7400.00", "cost_basis": "7500.00", "adjustments": "300.00", "gain": "200.00"},
        {"proceeds": "4450.00", "cost_basis": "2950.00", "adjustments": "0.00", "gain": "1500.00"},
        "1700.00")
    assert gainlog("lots", "--json").json() == []  # closed positions: nothing left open
    again = gainlog("import", str(path), "--json").json()
    assert (again["added"], again["duplicates"]) == (0, 10)


def test_1099b_sections_box_prefixes_and_description_quantities(tmp_path: Path) -> None:
    """Schwab-style sections set the term and covered status; '1a-' box prefixes; the quantity and
    symbol read from the description when there are no such columns."""
    path = tmp_path / "1099b.csv"
    path.write_text(
        "Form 1099-B Proceeds From Broker and Barter Exchange Transactions,,,,,,\n"
        "1a- Description of property/CUSIP/Symbol,1b- Date acquired,1c- Date sold or disposed,1d- Proceeds,"
        "1e- Cost or other basis,1g- Wash sale loss disallowed,Gain or loss(-)\n"
        "Short Term - Covered,,,,,,\n"
        "10 SH APPLE INC (AAPL),01/10/24,03/01/24,1800.00,1700.00,0.00,100.00\n"
        "Total Short Term,,,,,,\n"
        "Long Term - Covered,,,,,,\n"
        "5 SHARES OF MICROSOFT CORP (MSFT),2024-02-01,2024-09-01,2100.00,2000.00,,100.00\n"
        "Long Term - Noncovered,,,,,,\n"
        "7 SH XYZ HOLDINGS,VARIOUS,05/05/2024,70.00,90.00,,-20.00\n",
        encoding="utf-8",
    )
    assert detect.detect(path, names=formats.NAMES) == detect.Detected("1099-b", 2)
    with pytest.raises(InvalidEvent) as err:
        formats.convert("1099-b", path, tz=UTC)
    assert str(err.value).startswith(
        f"{path}:9: column '1b- Date acquired': 'VARIOUS': the row covers lots gainlog cannot date; record each "
        "purchase with `gainlog add buy` and the sale with `gainlog add sell`; nothing imported")
    events, conversion = converted("1099-b", path, skip_unknown=True)
    assert [(e["type"], e["at"][:10], e["asset"], e["qty"], e["total"]) for e in
            (codec.canonical(p.event) for p in conversion.events)] == [
        ("buy", "2024-01-10", "AAPL", "10", "1700"), ("sell", "2024-03-01", "AAPL", "10", "1800"),
        ("buy", "2024-02-01", "MSFT", "5", "2000"), ("sell", "2024-09-01", "MSFT", "5", "2100")]
    # the MSFT row sits under "Long Term" but was held seven months
    assert conversion.warnings[0] == (
        f"{path}: 1 row(s) whose term on the 1099-B is not the one their dates give (a wash sale can move the date "
        "acquired): gainlog's Form 8949 follows the dates (line 7)")
    assert [(s.label, s.reason) for s in conversion.skipped] == [("VARIOUS", "unknown")]


def test_1099b_box_that_disagrees_with_the_dates(tmp_path: Path) -> None:
    path = tmp_path / "1099b.csv"
    path.write_text(
        "Description,Quantity,DateAcquired,DateSold,Proceeds,CostBasis,WashSaleLoss,Term,Box,Gain/Loss\n"
        "ACME CORP (ACME),3,06/01/2015,06/02/2024,$300.00,$150.00,,Long,Box E,$150.00\n"
        "ACME CORP (ACME),2,06/01/2023,06/03/2024,$200.00,$150.00,,Long,Box D,$60.00\n",
        encoding="utf-8",
    )
    events, conversion = converted("1099-b", path)
    assert [(e["asset"], e["note"]) for e in events.values()] == [
        ("ACME", "1099-B: ACME CORP (ACME) (proceeds 300.00, cost basis 150.00, box E)"),
        ("ACME", "1099-B: ACME CORP (ACME) (proceeds 200.00, cost basis 150.00, box D)")]
    assert conversion.warnings == [
        f"{path}: 1 row(s) whose gain or loss is neither proceeds - cost basis + wash sale loss disallowed nor "
        "proceeds - cost basis: gainlog records the proceeds and the basis; check the row against the form (line 3)",
        f"{path}: 1 row(s) whose box (covered or not) is not the one gainlog gives a stock acquired then (covered "
        "from 2011): gainlog's Form 8949 puts them in its own box (line 2)"]


# -- every format of part a in one ledger ---------------------------------------------------------


def test_every_format_in_one_ledger_reconciles_with_schedule_d(gainlog: Callable[..., Result]) -> None:
    """One fixture of each format, imported into one ledger (formats detected from the headers).

    2021, Coinbase Pro fills (short-term, crypto):
      0.4 ETH for 1,034.80 USDC: basis 0.4 x (1,800 + 9) = 723.60 -> 311.20
      0.02 BTC for 1,333.30 net: basis 0.02/0.05 x 2,412 = 964.80 -> 368.50
      603 USDC (fee included) for 0.01 BTC worth 600: basis 603 -> -3.00
      short: proceeds 2,968.10, basis 2,291.40, gain 676.70
    2022, Coinbase Pro account (short-term, crypto):
      4 LTC for 480 - 2.40: basis 4/10 x 1,407 = 562.80 -> -85.20
      2 LTC for 258.70 USDC (260 - 1.30 fee): basis 281.40 -> -22.70
      short: proceeds 736.30, basis 844.20, gain -107.90
    2024:
      Fidelity 10 AAPL: 2,500.96 - 1,800.00 = 700.96 (short)
      Robinhood 5 AAPL: 1,139.96 - 900.00 = 239.96; 400 DOGE: 160.00 - 40.00 = 120.00 (short)
      1099-B AMZN 1,800 - 1,500 = 300; PFE 2,700 - 3,000 + 300 (W) = 0; PFE 2,900 - 3,000 = -100 (short)
      1099-B INTC 1,050 - 1,750 = -700; GE 3,400 - 1,200 = 2,200 (long)
      short: proceeds 11,200.92, basis 10,240.00, adjustments 300.00, gain 1,260.92; long: 4,450.00, 2,950.00,
      1,500.00
      net 2,760.92
    Transfer legs (R2.8) change none of these: the Coinbase Pro ETH deposit (2022-02-01), the Fidelity NVDA
    and Robinhood TSLA deposits (2024-02-15) are zero-basis lots never sold, and the Coinbase Pro withdrawal
    of 1 LTC (2022-06-30) comes after both LTC sales. Unpaired, each is warned about in every year's report.
    """
    for name in ("fidelity.csv", "robinhood.csv", "coinbase_pro_fills.csv", "coinbase_pro_account.csv",
                 "broker_1099b.csv"):
        assert gainlog("import", str(REAL / name)).code == 0, name

    legs = [
        "coinbase_pro_account.csv:9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d: deposit of 2 ETH into 'coinbase-pro' on "
        "2022-02-01 is not paired with a withdrawal: counted as a lot with zero basis acquired on 2022-02-01 (R2.8)",
        "coinbase_pro_account.csv:f6a7b8c9-0d1e-4f2a-9b3c-4d5e6f7a8b9c: withdrawal of 1 LTC from 'coinbase-pro' on "
        "2022-06-30 is not paired with a deposit: not disposed of; LTC is one universal pool then (R3.3), so its "
        "lots stay in the pool, where a sale from any wallet may draw on them, and 'in transit from coinbase-pro' "
        "holds the 1 LTC until the pool is allocated to wallets (R3.4) (R2.8)",
        "fidelity.csv:leg-3923e961a4ad5e6b: deposit of 10 NVDA into 'fidelity' on 2024-02-15 is not paired with a "
        "withdrawal: counted as a lot with zero basis acquired on 2024-02-15 (R2.8)",
        "robinhood.csv:leg-680c7fac5b4af684: deposit of 3 TSLA into 'robinhood' on 2024-02-15 is not paired with a "
        "withdrawal: counted as a lot with zero basis acquired on 2024-02-15 (R2.8)",
    ]

    def totals(year: int) -> tuple[Any, ...]:
        sd = gainlog("report", "schedule-d", "--year", str(year), "--json").json()
        assert sd["warnings"] == legs, year
        return sd["short_term"], sd["long_term"], sd["net"]

    zero = {"proceeds": "0.00", "cost_basis": "0.00", "adjustments": "0.00", "gain": "0.00"}
    assert totals(2021) == (
        {"proceeds": "2968.10", "cost_basis": "2291.40", "adjustments": "0.00", "gain": "676.70"}, zero, "676.70")
    assert totals(2022) == (
        {"proceeds": "736.30", "cost_basis": "844.20", "adjustments": "0.00", "gain": "-107.90"}, zero, "-107.90")
    assert totals(2024) == (
        {"proceeds": "11200.92", "cost_basis": "10240.00", "adjustments": "300.00", "gain": "1260.92"},
        {"proceeds": "4450.00", "cost_basis": "2950.00", "adjustments": "0.00", "gain": "1500.00"},
        "2760.92")


def test_transfers_of_shares_and_coins_go_through_the_leg_seam(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every converter records coins or shares in or out with `Conversion.transfer_leg` (what it
    becomes is that seam's business): direction, asset, the quantity the row says moved, the fee on
    top, an on-chain txid only, the row's time, the row's own wallet where one export holds several
    accounts, and the export's id of the row when it has one (Coinbase Pro's `transfer id` is
    Coinbase's own id, so it is the event id, never the txid)."""
    legs: list[tuple[Any, ...]] = []

    def leg(self: formats.Conversion, row: Any, label: str, direction: str, asset: str, qty: Any, *,
            fee_qty: Any = 0, txid: str | None = None, at: str | None = None, event_id: str | None = None,
            wallet: str | None = None) -> None:
        legs.append((row.where.rsplit("/", 1)[1], label, direction, asset, str(qty), str(fee_qty), txid, at, wallet,
                     event_id))

    monkeypatch.setattr(formats.Conversion, "transfer_leg", leg)
    formats.convert("fidelity", REAL / "fidelity.csv", tz=UTC)
    formats.convert("robinhood", REAL / "robinhood.csv", tz=UTC)
    formats.convert("coinbase-pro", REAL / "coinbase_pro_account.csv", tz=UTC)
    assert legs == [
        ("fidelity.csv:12", "TRANSFERRED FROM", "in", "NVDA", "10", "0", None, "2024-02-15", "fidelity", None),
        ("robinhood.csv:15", "ACATI", "in", "TSLA", "3", "0", None, "2024-02-15", "robinhood", None),
        ("coinbase_pro_account.csv:6", "deposit", "in", "ETH", "2.0000000000000000", "0", None,
         "2022-02-01T08:00:00.000Z", None, "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"),
        ("coinbase_pro_account.csv:15", "withdrawal", "out", "LTC", "1.0000000000000000", "0", None,
         "2022-06-30T22:10:00.000Z", None, "f6a7b8c9-0d1e-4f2a-9b3c-4d5e6f7a8b9c"),
    ]


def test_dates_are_midday_in_the_ledger_zone_and_times_stay_instants() -> None:
    """Fidelity, Robinhood and 1099-B rows carry a date: midday in the ledger's time zone. Coinbase
    Pro times are UTC instants, whatever the ledger's zone."""
    new_york = ZoneInfo("America/New_York")

    def first_at(name: str, fixture: str) -> str:
        conversion = formats.convert(name, REAL / fixture, tz=new_york)
        return str(codec.canonical(conversion.events[0].event)["at"])

    assert first_at("fidelity", "fidelity.csv") == "2024-12-16T17:00:00Z"  # 12:00 EST
    assert first_at("robinhood", "robinhood.csv") == "2024-12-05T17:00:00Z"
    assert first_at("1099-b", "broker_1099b.csv") == "2023-03-15T16:00:00Z"  # 12:00 EDT
    assert first_at("coinbase-pro", "coinbase_pro_fills.csv") == "2021-02-10T15:04:05.123000Z"
