"""Splits and name changes from brokers' exports (issue #16, ledger/formats/share_actions.py), and the
`split` stated by the units it added or removed (`added_qty` / `removed_qty`), its ratio computed at
replay from the wallet's holding (projections/engine/corporate.py, projections/rules/corporate.py).

Each worked example is computed by hand in its docstring."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import Result
from gainlog.ledger import codec, formats
from gainlog.ledger.errors import InvalidEvent
from gainlog.projections.model import Booked
from gainlog.projections.pipeline import project
from helpers import records

REAL = Path(__file__).resolve().parent.parent / "fixtures" / "real"
UTC = ZoneInfo("UTC")
D = Decimal


def _project(lines: list[dict[str, Any]], tz: ZoneInfo = UTC) -> Booked:
    return project(records(lines), tz=tz)


def _open(booked: Booked) -> list[tuple[Any, ...]]:
    return [(o.asset, o.wallet, o.qty, o.basis, o.date_acquired.isoformat()) for o in booked.open_lots]


def buy(at: str, asset: str, qty: str, total: str, *, id: str, wallet: str = "acct") -> dict[str, Any]:
    return {"type": "buy", "id": id, "at": at, "wallet": wallet, "asset": asset, "qty": qty, "total": total,
            "class": "stock"}


def eight949(gainlog: Callable[..., Result], year: int) -> list[tuple[str, ...]]:
    rows = gainlog("report", "8949", "--year", str(year), "--json").json()
    return [(r["description"], r["date_acquired"], r["date_sold"], r["proceeds"], r["cost_basis"], r["gain"],
             r["term"]) for r in rows]


def lots(gainlog: Callable[..., Result]) -> list[tuple[str, ...]]:
    return [(r["asset"], r["wallet"], r["qty"], r["cost_basis"], r["date_acquired"])
            for r in gainlog("lots", "--json").json()]


def converted(name: str, path: Path) -> tuple[list[dict[str, Any]], formats.Conversion]:
    conversion = formats.convert(name, path, tz=UTC)
    return [codec.canonical(p.event) for p in conversion.events], conversion


def without_id(event: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in event.items() if k != "id"}


# -- the engine: a split by the units it added or removed -------------------------------------------


def test_a_split_by_units_added_doubles_only_its_wallets_lots() -> None:
    """2-for-1 stated by the shares added: 60 XYZ bought 2023-01-10 for 600 and 40 on 2023-02-10 for
    800 at schwab, 10 at fid for 100. A split at schwab adding 100: ratio (100 + 100) / 100 = 2 ->
    120 (basis 600) and 80 (basis 800); fid's 10 untouched until its own split adds 10 -> 20."""
    booked = _project([
        buy("2023-01-10", "XYZ", "60", "600", id="a", wallet="schwab"),
        buy("2023-02-10", "XYZ", "40", "800", id="b", wallet="schwab"),
        buy("2023-02-10", "XYZ", "10", "100", id="c", wallet="fid"),
        {"type": "split", "at": "2024-06-10", "wallet": "schwab", "asset": "XYZ", "added_qty": "100"},
    ])
    assert sorted(_open(booked)) == [
        ("XYZ", "fid", D(10), D(100), "2023-02-10"),
        ("XYZ", "schwab", D(80), D(800), "2023-02-10"), ("XYZ", "schwab", D(120), D(600), "2023-01-10")]
    assert [(c.asset, c.ratio) for c in booked.unit_changes] == [("XYZ", D(2))]


def test_the_same_split_from_two_accounts_is_one_change_for_wash_sales() -> None:
    """Two exports each state the 2-for-1 for their own account: each wallet doubles, and the
    wash-sale pass sees one split of the security (ratio 2), not two (ratio 4)."""
    booked = _project([
        buy("2023-01-10", "XYZ", "60", "600", id="a", wallet="schwab"),
        buy("2023-02-10", "XYZ", "10", "100", id="c", wallet="fid"),
        {"type": "split", "at": "2024-06-10", "wallet": "schwab", "asset": "XYZ", "added_qty": "60"},
        {"type": "split", "at": "2024-06-10T18:00:00Z", "wallet": "fid", "asset": "XYZ", "added_qty": "10"},
    ])
    assert sorted((o.wallet, o.qty) for o in booked.open_lots) == [("fid", D(20)), ("schwab", D(120))]
    assert [(c.asset, c.ratio) for c in booked.unit_changes] == [("XYZ", D(2))]


def test_a_reverse_split_by_units_removed_keeps_the_lots_exact() -> None:
    """A 1-for-3 reverse split of 40 + 20 + 30 = 90 held, stated as 60 removed: each lot x 30/90;
    the parts add to exactly 30 (R2.7), each lot keeps its whole basis."""
    booked = _project([
        buy("2023-01-01", "X", "40", "400", id="a"), buy("2023-01-02", "X", "20", "400", id="b"),
        buy("2023-01-03", "X", "30", "400", id="c"),
        {"type": "split", "at": "2024-01-01", "wallet": "acct", "asset": "X", "removed_qty": "60"},
    ])
    qtys = [o.qty for o in booked.open_lots]
    assert sum(qtys) == 30 and qtys[0] == D("13.33333333333333333333333333333333") and qtys[2] == 10
    assert [o.basis for o in booked.open_lots] == [D(400)] * 3
    assert booked.problems == ()


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ({"type": "split", "at": "2024-06-10", "wallet": "other", "asset": "X", "added_qty": "5"},
         "test:1: split of X in 'other' by 5 units: the wallet holds none, so the ratio is unknown (new shares "
         "of a spin-off are a `reorg` of the parent: gainlog add reorg); nothing changed"),
        ({"type": "split", "at": "2024-06-10", "wallet": "acct", "asset": "X", "removed_qty": "10"},
         "test:1: split of X in 'acct' by -10 units: it removes 10 of the 10 units held, leaving none; nothing "
         "changed"),
    ],
)
def test_a_split_that_cannot_apply_changes_nothing_and_warns(line: dict[str, Any], message: str) -> None:
    booked = _project([buy("2023-01-01", "X", "10", "100", id="a"), {**line, "id": "1"}])
    assert _open(booked) == [("X", "acct", D(10), D(100), "2023-01-01")]
    assert [(p.code, p.message) for p in booked.problems] == [("split-unapplied", message)]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ({"type": "split", "at": "2024-01-01", "asset": "X"},
         "t: field 'ratio': give exactly one of 'ratio', 'added_qty' and 'removed_qty'"),
        ({"type": "split", "at": "2024-01-01", "asset": "X", "wallet": "w", "added_qty": "1", "removed_qty": "1"},
         "t: field 'ratio': give exactly one of 'ratio', 'added_qty' and 'removed_qty'"),
        ({"type": "split", "at": "2024-01-01", "asset": "X", "removed_qty": "1"},
         "t: field 'wallet': required with 'added_qty' or 'removed_qty'"),
        ({"type": "split", "at": "2024-01-01", "asset": "X", "ratio": "2", "wallet": "w"},
         "t: field 'wallet': only with 'added_qty' or 'removed_qty': a split by `ratio` covers every wallet"),
        ({"type": "split", "at": "2024-01-01", "asset": "X", "wallet": "w", "added_qty": "0"},
         "t: field 'added_qty': must be above zero"),
    ],
)
def test_the_split_rules_name_the_field(line: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidEvent) as err:
        codec.parse_event(line, tz=UTC, where="t")
    assert str(err.value) == message


# -- Schwab ----------------------------------------------------------------------------------------


def test_schwab_forward_split_reverse_split_and_name_change(gainlog: Callable[..., Result]) -> None:
    """fixtures/real/schwab_splits.csv.

    ABC, a 2-for-1 from a `Stock Split` row of 100 shares: 50 bought 2022-03-01 for 5,000 and 50 on
    2023-03-01 for 6,000; the split (2024-06-10) adds 100 to the 100 held: ratio 2 -> 100 (basis
    5,000) and 100 (basis 6,000). 120 sold 2024-08-01 for 9,600 (FIFO): 100 of the first lot,
    proceeds 8,000, gain 3,000, long; 20 of the second, proceeds 1,600, basis 1,200, gain 400, long
    (2023-03-01 to 2024-08-01). 80 left, basis 4,800.
    QRS, a 1-for-10 reverse split into a new CUSIP: 100 bought 2023-01-10 for 300; 2024-03-18 -100 QRS
    and +10 98765X200 -> a split removing 90 (10 left, basis 300) and a rename to 98765X200; 10 sold
    2024-10-01 for 200 -> loss 100, long (dates carried).
    FB -> META (Name Change pair, 2022-06-09): 10 FB bought 2021-01-05 for 3,000, sold as META
    2024-09-03 for 5,000 -> gain 2,000, long."""
    path = REAL / "schwab_splits.csv"
    events, conversion = converted("schwab", path)
    share_events = [without_id(e) for e in events if e["type"] in ("split", "rename")]
    assert share_events == [
        {"type": "split", "at": "2024-06-10T00:00:00Z", "wallet": "schwab", "asset": "ABC", "added_qty": "100",
         "note": "Stock Split"},
        {"type": "split", "at": "2024-03-18T00:00:00Z", "wallet": "schwab", "asset": "QRS", "removed_qty": "90",
         "note": "Reverse Split"},
        {"type": "rename", "at": "2024-03-18T00:00:00Z", "asset": "QRS", "to": "98765X200", "note": "Reverse Split"},
        {"type": "rename", "at": "2022-06-09T00:00:00Z", "asset": "FB", "to": "META", "note": "Name Change"},
    ]
    assert [e["id"].rsplit("-", 1)[0] for e in events if e["type"] in ("split", "rename")] == [
        "split-2024-06-10-ABC", "split-2024-03-18-QRS", "rename-2024-03-18-QRS", "rename-2022-06-09-FB"]
    assert conversion.warnings == [] and conversion.skipped == []
    assert gainlog("import", str(path), "--format", "schwab").code == 0
    assert eight949(gainlog, 2024) == [
        ("100 ABC", "2022-03-01", "2024-08-01", "8000.00", "5000.00", "3000.00", "long"),
        ("20 ABC", "2023-03-01", "2024-08-01", "1600.00", "1200.00", "400.00", "long"),
        ("10 META", "2021-01-05", "2024-09-03", "5000.00", "3000.00", "2000.00", "long"),
        ("10 98765X200", "2023-01-10", "2024-10-01", "200.00", "300.00", "-100.00", "long"),
    ]
    assert lots(gainlog) == [("ABC", "schwab", "80", "4800.00", "2023-03-01")]
    assert gainlog("report", "schedule-d", "--year", "2024", "--json").json()["warnings"] == []
    again = gainlog("import", str(path), "--format", "schwab", "--json").json()  # stable ids
    assert again["added"] == 0 and again["duplicates"] == 11


def test_schwab_spin_off_stays_refused_naming_add_reorg(tmp_path: Path) -> None:
    path = tmp_path / "schwab.csv"
    path.write_text(
        '"Date","Action","Symbol","Description","Quantity","Price","Fees & Comm","Amount"\n'
        '"04/01/2024","Spin-off","SOLV","SOLVENTUM CORP","25","","",""\n'
        '"01/10/2023","Buy","MMM","3M CO","100","$100.00","","-$10,000.00"\n',
        encoding="utf-8",
    )
    with pytest.raises(InvalidEvent) as err:
        formats.convert("schwab", path, tz=UTC)
    assert f"{path}:2" in str(err.value)
    assert ("'Spin-off' changes lots in a way the export does not spell out: write it as a `reorg` event "
            "(gainlog add reorg): the row gives the new shares, not the share of the basis they take (the "
            "issuer's Form 8937)") in str(err.value)


def test_schwab_rows_that_do_not_pair_are_skipped_naming_the_event(tmp_path: Path) -> None:
    """One half of a reverse split, and a name change whose two quantities differ: no event, a warning."""
    path = tmp_path / "schwab.csv"
    path.write_text(
        '"Date","Action","Symbol","Description","Quantity","Price","Fees & Comm","Amount"\n'
        '"05/01/2024","Reverse Split","XYZ","XYZ CORP","-25","","",""\n'
        '"06/09/2022","Name Change","META","META PLATFORMS INC","10","","",""\n'
        '"06/09/2022","Name Change","FB","META PLATFORMS INC","-9","","",""\n',
        encoding="utf-8",
    )
    events, conversion = converted("schwab", path)
    assert events == []
    assert conversion.warnings == [
        f"{path}:2: skipped the reverse split row(s) of 2024-05-01 (line(s) 2): write it as a `split` event "
        "(gainlog add split --ratio, or --removed-qty), and a `rename` when the symbol changes: the rows do not "
        "pair into the old shares out and the new shares in",
        f"{path}:3: skipped the name change row(s) of 2022-06-09 (line(s) 3, 4): write it as a `rename` event "
        "(gainlog add rename): the rows do not pair into the old symbol out and the same number of shares of the "
        "new symbol in",
    ]
    assert [(s.where.rsplit(":", 1)[1], s.label, s.reason) for s in conversion.skipped] == [
        ("2", "Reverse Split", "split"), ("3", "Name Change", "split"), ("4", "Name Change", "split")]


# -- Fidelity --------------------------------------------------------------------------------------


def test_fidelity_one_for_ten_reverse_split_pair_with_cash_in_lieu(gainlog: Callable[..., Result]) -> None:
    """fixtures/real/fidelity_reverse_split.csv: 25 XYZ bought 2023-01-10 for 1,000. 2024-05-01 a
    1-for-10 reverse split: REVERSE SPLIT R/S TO (-25, the old shares) and R/S FROM (+2, the whole new
    shares); 2024-05-06 IN LIEU OF FRX SHARE: 0.5 sold for 90. The split removes 25 - 2 - 0.5 = 22.5
    (ratio 2.5 / 25 = 0.1) -> 2.5 XYZ basis 1,000; the in-lieu sale of 0.5: basis 1,000 x 0.5 / 2.5 =
    200, loss 110, long-term (2023-01-10 to 2024-05-06); 2 XYZ left with basis 800."""
    path = REAL / "fidelity_reverse_split.csv"
    events, conversion = converted("fidelity", path)
    assert [without_id(e) for e in events if e["type"] == "split"] == [
        {"type": "split", "at": "2024-05-01T00:00:00Z", "wallet": "fidelity", "asset": "XYZ", "removed_qty": "22.5",
         "note": "REVERSE SPLIT"}]
    assert [(e["type"], e["qty"], e["total"]) for e in events if e["type"] == "sell"] == [("sell", "0.5", "90")]
    assert conversion.warnings == []
    assert gainlog("import", str(path)).code == 0
    assert eight949(gainlog, 2024) == [("0.5 XYZ", "2023-01-10", "2024-05-06", "90.00", "200.00", "-110.00", "long")]
    assert lots(gainlog) == [("XYZ", "fidelity", "2", "800.00", "2023-01-10")]


def test_fidelity_name_change_pair_is_a_rename(tmp_path: Path) -> None:
    path = tmp_path / "History_for_Account_X1.csv"
    path.write_text(
        "Run Date,Action,Symbol,Security Description,Security Type,Quantity,Price ($),Commission ($),Fees ($),"
        "Accrued Interest ($),Amount ($),Settlement Date\n"
        " 06/09/2022,NAME CHANGED N/C TO 30303M102#REOR M0051111110000 FACEBOOK INC (30303M102) (Cash),FB,"
        "FACEBOOK INC,Cash,-10,,,,,,\n"
        " 06/09/2022,NAME CHANGED N/C FROM 30303M102#REOR M0051111110001 META PLATFORMS INC (30303M102) (Cash),META,"
        "META PLATFORMS INC,Cash,10,,,,,,\n",
        encoding="utf-8",
    )
    events, conversion = converted("fidelity", path)
    assert [without_id(e) for e in events] == [
        {"type": "rename", "at": "2022-06-09T00:00:00Z", "asset": "FB", "to": "META", "note": "NAME CHANGED"}]
    assert conversion.warnings == []


# -- Robinhood -------------------------------------------------------------------------------------


def test_robinhood_spr_pair_and_cil(gainlog: Callable[..., Result]) -> None:
    """fixtures/real/robinhood_splits.csv: the same 1-for-10 as Fidelity's, as Robinhood writes it: two
    unsigned SPR rows (25S old, 2S new: the larger is the old) and a CIL row selling 0.5 for 90 ->
    a split removing 22.5; the sale of 0.5: basis 200, loss 110, long; 2 XYZ left, basis 800."""
    path = REAL / "robinhood_splits.csv"
    events, conversion = converted("robinhood", path)
    assert [without_id(e) for e in events if e["type"] == "split"] == [
        {"type": "split", "at": "2024-05-01T00:00:00Z", "wallet": "robinhood", "asset": "XYZ",
         "removed_qty": "22.5", "note": "SPR"}]
    assert conversion.warnings == []
    assert gainlog("import", str(path)).code == 0
    assert eight949(gainlog, 2024) == [("0.5 XYZ", "2023-01-10", "2024-05-06", "90.00", "200.00", "-110.00", "long")]
    assert lots(gainlog) == [("XYZ", "robinhood", "2", "800.00", "2023-01-10")]


def test_a_split_dated_at_local_midnight_comes_before_that_days_trades() -> None:
    """In New York, the split of 2024-06-10 is at 2024-06-10T00:00:00-04:00 (04:00 UTC): a buy that
    day at midday is of post-split shares and is not doubled."""
    tz = ZoneInfo("America/New_York")
    booked = _project([
        buy("2024-01-10", "ABC", "10", "1000", id="a"),
        {"type": "split", "at": "2024-06-10T00:00:00-04:00", "wallet": "acct", "asset": "ABC", "added_qty": "10"},
        buy("2024-06-10", "ABC", "5", "250", id="b"),
    ], tz=tz)
    assert [(o.qty, o.basis) for o in booked.open_lots] == [(D(20), D(1000)), (D(5), D(250))]


def test_schwab_journaled_shares_are_a_transfer_leg(tmp_path: Path) -> None:
    """Journaled Shares (once refused, failing the whole file): shares in or out of the account, a
    `withdrawal` or `deposit` leg (R2.8) on the row's date, like Fidelity's TRANSFERRED FROM rows."""
    path = tmp_path / "schwab.csv"
    path.write_text(
        '"Date","Action","Symbol","Description","Quantity","Price","Fees & Comm","Amount"\n'
        '"04/01/2024","Journaled Shares","VTI","VANGUARD TOTAL STOCK MARKET ETF","-5","","",""\n'
        '"01/10/2023","Buy","VTI","VANGUARD TOTAL STOCK MARKET ETF","10","$200.00","","-$2,000.00"\n',
        encoding="utf-8",
    )
    events, conversion = converted("schwab", path)
    assert [e["type"] for e in events] == ["buy", "withdrawal"]
    leg = {k: v for k, v in events[1].items() if k != "id"}
    assert leg == {"type": "withdrawal", "at": "2024-04-01T12:00:00Z", "wallet": "schwab", "asset": "VTI",
                   "qty": "5", "note": "Journaled Shares"}
    assert conversion.skipped == []
    assert conversion.warnings[0].startswith(f"{path}: recorded 1 withdrawal(s) as transfer legs")
