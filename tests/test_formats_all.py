"""Issue #13 (done when): one fixture of every import format in one ledger, Schedule D reconciled with
totals computed by hand; transfer legs of two different exports paired with `gainlog transfers`.

The per-format numbers are the ones each format's own tests check row by row (tests/test_formats_real.py,
tests/test_formats_brokers.py, tests/test_formats_more_real.py); here they must add up, year by year,
with every export in one ledger. Each export keeps its own wallet (Kraken's two exports are given two),
and a `method` event with wallet scope keeps each wallet its own lot pool, so no export's sale draws on
another export's lots.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from conftest import Result, write_jsonl
from gainlog.ledger import formats

REAL = Path(__file__).resolve().parent.parent / "fixtures" / "real"
Gainlog = Callable[..., Result]

# every format `import --format` knows, with the fixture of it this test imports
EVERY_FORMAT = [
    ("prices", "prices.csv"), ("prices", "prices_2024.csv"),
    ("coinbase", "coinbase_2025.csv"),
    ("kraken", "kraken_trades_2024.csv"),  # trades.csv, in its own wallet `kraken-trades`
    ("kraken", "kraken_ledgers.csv"),
    ("schwab", "schwab_2025.csv"),
    ("fidelity", "fidelity.csv"),
    ("robinhood", "robinhood.csv"),
    ("coinbase-pro", "coinbase_pro_account.csv"),
    ("1099-b", "broker_1099b.csv"),
    ("gemini", "gemini.csv"),
    ("binanceus", "binanceus.csv"),
    ("koinly", "koinly.csv"),
    ("cointracker", "cointracker.csv"),
    ("schwab-realized", "schwab_realized.csv"),
]
ZERO = {"proceeds": "0.00", "cost_basis": "0.00", "adjustments": "0.00", "gain": "0.00"}


def _schedule_d(gainlog: Gainlog, year: int) -> tuple[Any, ...]:
    sd = gainlog("report", "schedule-d", "--year", str(year), "--json").json()
    return sd["short_term"], sd["long_term"], sd["net"]


def test_one_fixture_of_every_format_in_one_ledger_reconciles_with_schedule_d(tmp_path: Path,
                                                                              gainlog: Gainlog) -> None:
    """Every format (and a .jsonl) in one ledger, FIFO per wallet from 2022 on. By hand, per export (each
    8949 row rounded to cents, then summed):

    2022, coinbase-pro (coinbase_pro_account.csv; 10 LTC bought for 1,400 + 7 = 140.70 each):
      4 LTC   480 − 2.40 = 477.60 − 562.80                        = −85.20
      2 LTC   258.70 USDC received (260 − 1.30 fee) − 281.40       = −22.70
      short: proceeds 736.30, basis 844.20, gain −107.90; the withdrawal of 1 LTC (2022-06-30) comes after
      both sales and the 2 ETH deposit is never sold
    2023, schwab-realized (schwab_realized.csv, closed lots, each sale naming its own buy):
      short: DIS 2,202.50 − 2,407.50 + 205 (code W, the wash sale Schwab disallowed) = 0; T 1,502 − 1,925 = −423;
             the MSFT call 1,218.68 − 911.32 = 307.36; DIS 2,250 − 2,330 = −80: proceeds 7,173.18, basis 7,573.82,
             adjustments 205, gain −195.64
      long:  KO 2,450 − 1,936 = 514; VTI 2,767.50 − 1,859 = 908.50: proceeds 5,217.50, basis 3,795, gain 1,422.50
      net 1,226.86 (the export's own total gain 1,021.86, plus the 205 wash sale it disallowed)
    2024, short term:
      fidelity     10 AAPL   2,500.96 − 1,800.00                   =   700.96
      robinhood    5 AAPL    1,139.96 − 900.00                     =   239.96
                   400 DOGE  160.00 − 40.00 (robinhood-crypto)     =   120.00
      1099-b       AMZN 1,800 − 1,500; PFE 2,700 − 3,000 + 300 (code W); PFE 2,900 − 3,000
                             proceeds 7,400.00, basis 7,500.00, adjustments 300.00 = 200.00
      schwab       10 MSFT   4,214.93 (4,215 − 0.07) − 4,100.00    =   114.93
      kraken       0.5 ETH   1,547.02 USDC received − 1,152.99 (0.5 of 2 ETH for 4,611.96) = 394.03
      kraken-trades (trades.csv: 2 ETH for 4,600 + 11.96 = 2,305.98 an ETH; swaps at their `costusd`):
                   0.5 ETH     1,547.52 − 1,152.99                 =   394.53
                   0.40104 ETH 1,240.00 − 924.79 (0.40104 × 2,305.98) = 315.21
      gemini, binanceus, koinly, cointracker (tests/test_formats_more_real.py, transfer legs unpaired:
        the Gemini deposit of 0.05 BTC is a zero-basis lot, part of the last Gemini sale)
                   proceeds 15,956.40, basis 11,574.49             = 4,381.91
      short: proceeds 2,500.96 + 1,139.96 + 160 + 7,400 + 4,214.93 + 1,547.02 + 1,547.52 + 1,240 + 15,956.40
                    = 35,706.79
             basis 1,800 + 900 + 40 + 7,500 + 4,100 + 1,152.99 + 1,152.99 + 924.79 + 11,574.49 = 29,145.26
             adjustments 300.00, gain 6,861.53
    2024, long term:
      1099-b       INTC 1,050 − 1,750 = −700; GE 3,400 − 1,200 = 2,200: proceeds 4,450, basis 2,950, gain 1,500
      jsonl        0.5 ETH bought 2023-01-05 (1 for 1,200 + 12), sold 2024-03-01 for 1,700 − 5:
                   1,695.00 − 606.00                           = 1,089.00
      long: proceeds 6,145.00, basis 3,556.00, gain 2,589.00; net 9,450.53
    2025:
      coinbase     1006 USDC 1,000.00 − 1,006.00 = −6.00; 500 ADA 354.60 − 507.50 = −152.90;
                   2 SOL 297.60 (300 − 2.40) − 400.00 = −102.40
      schwab       0.375 NVDA (cash in lieu) 52.13 − 45.00    =     7.13
      short: proceeds 1,704.33, basis 1,958.50, gain −254.17
      kraken       0.05 BTC (bought 2024-01-10) 3,250 − 8.45 = 3,241.55 − 2,105.46 = 1,136.09, long
      net 881.92
    """
    assert gainlog("add", "method", "--method", "FIFO", "--from", "2022-01-01", "--scope", "wallet").code == 0
    formats_seen = []
    for name, fixture in EVERY_FORMAT:
        wallet = ["--wallet", "kraken-trades"] if fixture == "kraken_trades_2024.csv" else []
        result = gainlog("import", str(REAL / fixture), "--format", name, *wallet, "--json")
        assert result.code == 0, result.err
        formats_seen.append(result.json()["format"])
    hand = write_jsonl(tmp_path / "nano.jsonl", [
        {"type": "buy", "id": "nano-buy", "at": "2023-01-05T15:00:00Z", "wallet": "ledger-nano", "asset": "ETH",
         "qty": "1", "total": "1200", "fee": "12"},
        {"type": "sell", "id": "nano-sell", "at": "2024-03-01T15:00:00Z", "wallet": "ledger-nano", "asset": "ETH",
         "qty": "0.5", "total": "1700", "fee": "5"},
    ])
    result = gainlog("import", str(hand), "--json")
    assert result.code == 0 and result.json()["format"] == "jsonl"
    assert set(formats_seen) == set(formats.NAMES)  # no format left out

    assert _schedule_d(gainlog, 2021) == (ZERO, ZERO, "0.00")
    assert _schedule_d(gainlog, 2022) == (
        {"proceeds": "736.30", "cost_basis": "844.20", "adjustments": "0.00", "gain": "-107.90"}, ZERO, "-107.90")
    assert _schedule_d(gainlog, 2023) == (
        {"proceeds": "7173.18", "cost_basis": "7573.82", "adjustments": "205.00", "gain": "-195.64"},
        {"proceeds": "5217.50", "cost_basis": "3795.00", "adjustments": "0.00", "gain": "1422.50"},
        "1226.86")
    assert _schedule_d(gainlog, 2024) == (
        {"proceeds": "35706.79", "cost_basis": "29145.26", "adjustments": "300.00", "gain": "6861.53"},
        {"proceeds": "6145.00", "cost_basis": "3556.00", "adjustments": "0.00", "gain": "2589.00"},
        "9450.53")
    assert _schedule_d(gainlog, 2025) == (
        {"proceeds": "1704.33", "cost_basis": "1958.50", "adjustments": "0.00", "gain": "-254.17"},
        {"proceeds": "3241.55", "cost_basis": "2105.46", "adjustments": "0.00", "gain": "1136.09"},
        "881.92")
    # by wallet, the gains each export's own tests check
    gains: dict[str, list[str]] = {}
    for year in (2022, 2023, 2024, 2025):
        for row in gainlog("report", "8949", "--year", str(year), "--json").json():
            gains.setdefault(row["wallet"], []).append(row["gain"])
    assert gains == {
        "coinbase-pro": ["-85.20", "-22.70"],
        "kraken-trades": ["394.53", "315.21"], "kraken": ["394.03", "1136.09"],
        "fidelity": ["700.96"], "robinhood": ["239.96"], "robinhood-crypto": ["120.00"],
        "1099-b": ["300.00", "0.00", "-700.00", "2200.00", "-100.00"], "schwab": ["114.93", "7.13"],
        "gemini": ["1121.82", "983.00", "393.36", "264.98", "305.99"],
        "binanceus": ["0.00", "656.76", "238.04", "0.02", "99.64"],
        "koinly": ["25.24", "1.96", "-213.50", "49.70"], "cointracker": ["193.14", "-41.00", "302.76"],
        "ledger-nano": ["1089.00"],
        "coinbase": ["-6.00", "-152.90", "-102.40"],
        "schwab-realized": ["514.00", "0.00", "-423.00", "-80.00", "307.36", "908.50"],
    }
    # every export's transfer rows are legs, all unpaired here (none of them is the other side of another)
    warnings = gainlog("report", "schedule-d", "--year", "2024", "--json").json()["warnings"]
    unpaired = sorted(w.split(":", 1)[0] for w in warnings if "is not paired" in w)
    assert unpaired == ["binanceus.csv", "binanceus.csv", "coinbase_pro_account.csv", "coinbase_pro_account.csv",
                        "cointracker.csv", "cointracker.csv", "fidelity.csv", "gemini.csv", "gemini.csv",
                        "koinly.csv", "koinly.csv", "kraken_ledgers.csv", "robinhood.csv"]
    # every export's ids (its legs' too) are stable: importing each again adds nothing
    for name, fixture in EVERY_FORMAT:
        wallet = ["--wallet", "kraken-trades"] if fixture == "kraken_trades_2024.csv" else []
        again = gainlog("import", str(REAL / fixture), "--format", name, *wallet, "--json")
        assert again.json()["added"] == 0, fixture


COINBASE_RECEIVE = """Transactions
User,Jane Doe,3f2c1a9e-6b7d-4e21-9c55-0d8e7f4a1b2c
ID,Timestamp,Transaction Type,Asset,Quantity Transacted,Price Currency,Price at Transaction,Subtotal,\
Total (inclusive of fees and/or spread),Fees and/or Spread,Notes
66c4a1b2c3d4e5f60718293a,2024-08-20 08:41:07 UTC,Receive,BTC,0.01,USD,"$59,000.00",$590.00,$590.00,$0.00,\
Received 0.01 BTC from an external account
66fb9c8d7e6f5a4b3c2d1e0f,2025-01-10 14:00:00 UTC,Sell,BTC,-0.01,USD,"$94,000.00",$940.00,$934.36,$5.64,\
"Sold 0.01 BTC for $934.36 USD"
"""


def _sale(gainlog: Gainlog) -> list[tuple[str, ...]]:
    rows = gainlog("report", "8949", "--year", "2025", "--json").json()
    return [(r["wallet"], r["lot"], r["date_acquired"], r["proceeds"], r["cost_basis"], r["gain"], r["term"], r["box"])
            for r in rows]


def test_a_gemini_withdrawal_paired_with_a_coinbase_receive_keeps_basis_and_date(tmp_path: Path,
                                                                                 gainlog: Gainlog) -> None:
    """Gemini's BTC withdrawal of 2024-08-20 08:00 UTC (0.01 BTC, no fee, its Tx Hash) arrives at Coinbase
    41 minutes later (a Receive of 0.01 BTC: Coinbase gives no hash, so the txid does not keep them apart),
    and Coinbase sells it on 2025-01-10 for 934.36 (940 − 5.64).

    Unpaired, the Receive is a lot of zero basis acquired 2024-08-20: the sale is short-term, gain 934.36.
    Paired, the transfer moves 0.01 BTC of Gemini's lot by FIFO: the 2024-01-04 lot (0.1 BTC for
    4,200 + 8.40 = 42,084 a BTC), of which 0.02489 BTC are left then: basis 420.84, acquired 2024-01-04, so
    the sale is long-term (R1.2: from 2025-01-05 on), gain 934.36 − 420.84 = 513.52 (box K: Coinbase files
    Form 1099-DA from 2025).
    """
    coinbase = tmp_path / "coinbase.csv"
    coinbase.write_text(COINBASE_RECEIVE, encoding="utf-8")
    assert gainlog("add", "method", "--method", "FIFO", "--from", "2024-01-01", "--scope", "wallet").code == 0
    for path in (REAL / "prices.csv", REAL / "gemini.csv", coinbase):
        assert gainlog("import", str(path)).code == 0
    receive = "coinbase.csv:66c4a1b2c3d4e5f60718293a"
    assert _sale(gainlog) == [("coinbase", receive, "2024-08-20", "934.36", "0.00", "934.36", "short", "H")]

    listed = gainlog("transfers", "--json").json()
    (match,) = listed["matched"]
    withdrawal = match["withdrawal"]["key"]
    assert withdrawal.startswith("gemini.csv:leg-")
    assert {k: match["withdrawal"][k] for k in ("type", "at", "wallet", "asset", "qty", "fee_qty", "txid")} == {
        "type": "withdrawal", "at": "2024-08-20T08:00:00Z", "wallet": "gemini", "asset": "BTC", "qty": "0.01",
        "fee_qty": None, "txid": "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b"}
    assert {k: match["deposit"][k] for k in ("key", "at", "wallet", "qty", "txid")} == {
        "key": receive, "at": "2024-08-20T08:41:07Z", "wallet": "coinbase", "qty": "0.01", "txid": None}
    assert (match["fee_qty"], match["fee_value"]) == ("0", "0.00")
    # Gemini's BTC deposit of 2024-02-10 has no other side among these exports
    assert [(leg["type"], leg["wallet"], leg["at"], leg["qty"]) for leg in listed["unmatched"]] == [
        ("deposit", "gemini", "2024-02-10T18:30:00Z", "0.05")]

    added = gainlog("transfers", "pair", withdrawal, receive, "--json").json()["added"]
    assert len(added) == 1
    assert _sale(gainlog) == [("coinbase", "gemini.csv:41870230561", "2024-01-04", "934.36", "420.84", "513.52",
                               "long", "K")]
    sd = gainlog("report", "schedule-d", "--year", "2025", "--json").json()
    assert (sd["short_term"], sd["long_term"]["gain"]) == (ZERO, "513.52")
    assert not [w for w in sd["warnings"] if withdrawal in w or receive in w]
    # importing both exports again adds nothing and keeps the pair
    for path in (REAL / "gemini.csv", coinbase):
        assert gainlog("import", str(path), "--json").json()["added"] == 0
    assert gainlog("transfers", "--json").json()["paired"] == [{"transfer": added[0], "legs": [withdrawal, receive]}]


FIDELITY_ACCOUNTS = """Run Date,Account,Account Number,Action,Symbol,Description,Type,Price ($),Quantity,\
Commission ($),Fees ($),Accrued Interest ($),Amount ($),Settlement Date
08/15/2024,"Joint WROS",Z55501234,"YOU SOLD MICROSOFT CORP (MSFT) (Cash)",MSFT,"MICROSOFT CORP",Cash,450.00,-5,,\
0.03,,2249.97,08/16/2024
07/01/2024,"Joint WROS",Z55501234,"TRANSFERRED FROM VS X12-345678-9 MICROSOFT CORP (MSFT) (Cash)",MSFT,\
"MICROSOFT CORP",Cash,,5,,,,,
07/01/2024,"Individual",X12345678,"TRANSFERRED TO VS Z55-501234-9 MICROSOFT CORP (MSFT) (Cash)",MSFT,\
"MICROSOFT CORP",Cash,,-5,,,,,
06/03/2024,"Individual",X12345678,"YOU BOUGHT MICROSOFT CORP (MSFT) (Cash)",MSFT,"MICROSOFT CORP",Cash,400.00,5,,,,\
-2000.00,06/04/2024
"""


def test_shares_moved_between_two_fidelity_accounts_are_legs_of_each_account(tmp_path: Path,
                                                                            gainlog: Gainlog) -> None:
    """The all-accounts file holds both sides of a move between two accounts: each leg in its own account's
    wallet (`fidelity-NUMBER`), so `gainlog transfers` pairs them and the Joint account's sale has the
    Individual account's basis (2,000.00) and date (2024-06-03): gain 2,249.97 − 2,000.00 = 249.97. Unpaired,
    the sale draws on the deposit's zero-basis lot of 2024-07-01 (gain 2,249.97) and the bought shares wait
    in transit."""
    path = tmp_path / "Accounts_History.csv"
    path.write_text(FIDELITY_ACCOUNTS, encoding="utf-8")
    assert gainlog("import", str(path)).code == 0
    legs = {r["type"]: r for r in gainlog("log", "--json").json() if r["type"] in ("withdrawal", "deposit")}
    assert {k: legs["withdrawal"][k] for k in ("at", "wallet", "asset", "qty", "note")} == {
        "at": "2024-07-01T12:00:00Z", "wallet": "fidelity-X12345678", "asset": "MSFT", "qty": "5",
        "note": "TRANSFERRED TO"}
    assert {k: legs["deposit"][k] for k in ("at", "wallet", "asset", "qty", "note")} == {
        "at": "2024-07-01T12:00:00Z", "wallet": "fidelity-Z55501234", "asset": "MSFT", "qty": "5",
        "note": "TRANSFERRED FROM"}
    rows = gainlog("report", "8949", "--year", "2024", "--json").json()
    assert [(r["wallet"], r["date_acquired"], r["proceeds"], r["cost_basis"], r["gain"]) for r in rows] == [
        ("fidelity-Z55501234", "2024-07-01", "2249.97", "0.00", "2249.97")]
    assert [(r["wallet"], r["qty"], r["cost_basis"]) for r in gainlog("lots", "--json").json()] == [
        ("in transit from fidelity-X12345678", "5", "2000.00")]

    confirmed = gainlog("transfers", "--confirm", "--json").json()
    assert len(confirmed["added"]) == 1
    rows = gainlog("report", "8949", "--year", "2024", "--json").json()
    assert [(r["wallet"], r["date_acquired"], r["proceeds"], r["cost_basis"], r["gain"], r["term"]) for r in rows] == [
        ("fidelity-Z55501234", "2024-06-03", "2249.97", "2000.00", "249.97", "short")]
    assert gainlog("lots", "--json").json() == []
