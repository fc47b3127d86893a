"""`import --format schwab-realized`: Schwab's "Realized Gain/Loss - Lot Details" export as closed positions,
each lot the `buy` and the `sell` the 1099-B import would make of it (docs/formats.md "schwab-realized").

The fixture, fixtures/real/schwab_realized.csv (made-up lots in the export's layout, closed in 2023), by hand:

  line  lot                        opened      closed      qty   proceeds   cost basis  gain     term
  3     VTI                        2019-06-12  2023-11-20  12.5  2,767.50   1,859.00    908.50   long
  4     MSFT 09/15/2023 330.00 C   2023-08-01  2023-08-28  2     1,218.68   911.32      307.36   short
  5     DIS (the replacement)      2023-05-25  2023-08-15  25    2,250.00   2,330.00    -80.00   short
  6     T                          2023-01-17  2023-07-03  100   1,502.00   1,925.00    -423.00  short  "($423.00)"
  7     DIS (wash sale, 205.00)    2023-03-20  2023-05-10  25    2,202.50   2,407.50    -205.00  short
  8     KO                         2020-11-03  2023-02-14  40    2,450.00   1,936.00    514.00   long
  9     Total                                                    12,390.68  11,368.82   1,021.86

The wash sale's loss is disallowed whole: the sale carries Schwab's 205.00 (`wash_disallowed`, R4.6), so Form 8949
shows its basis 2,407.50, code W, adjustment 205.00 and a gain of 0.00 (the loss is in the replacement's basis,
2,125.00 + 205.00 = 2,330.00, as Schwab reports it, and gainlog does not wash it again in the same wallet).
Short term: proceeds 2,202.50 + 1,502.00 + 1,218.68 + 2,250.00 = 7,173.18; basis 2,407.50 + 1,925.00 + 911.32
+ 2,330.00 = 7,573.82; adjustments 205.00; gain −195.64. Long term: proceeds 2,450.00 + 2,767.50 = 5,217.50;
basis 1,936.00 + 1,859.00 = 3,795.00; gain 1,422.50. Net 1,226.86 = the export's total 1,021.86 + the 205.00 disallowed.
"""

from __future__ import annotations

import shutil
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
FIXTURE = REAL / "schwab_realized.csv"
UTC = ZoneInfo("UTC")
Gainlog = Callable[..., Result]
HEADER = (
    '"Symbol","Name","Closed Date","Opened Date","Quantity","Proceeds Per Share","Cost Per Share","Proceeds",'
    '"Cost Basis (CB)","Gain/Loss ($)","Gain/Loss (%)","Long Term Gain/Loss","Short Term Gain/Loss","Term",'
    '"Unadjusted Cost Basis","Wash Sale?","Disallowed Loss","Transaction Closed Date","Transaction Cost Basis",'
    '"Total Transaction Gain/Loss ($)","Total Transaction Gain/Loss (%)","LT Transaction Gain/Loss ($)",'
    '"LT Transaction Gain/Loss (%)","ST Transaction Gain/Loss ($)","ST Transaction Gain/Loss (%)"'
)
TITLE = '"Realized Gain/Loss - Lot Details for Individual_XXX123 as of Tue Jan 09 19:05:41 EST 2024"' + ',""' * 24
WASH_WARNING = (
    "1 row(s) with a wash sale loss disallowed (box 1g): recorded on the sale (`wash_disallowed`), so Form 8949 "
    "shows the cost basis, code W and the amount as the 1099-B does; gainlog washes the rest of a loss only against "
    "purchases in other wallets: check `gainlog report 8949`")


def lot(symbol: str, closed: str, opened: str, qty: str, proceeds: str, basis: str, gain: str, term: str = "Short Term",
        wash: str = "No", disallowed: str = "--") -> str:
    """One lot row of the export, the columns gainlog does not read filled as Schwab fills them."""
    cells = [symbol, f"{symbol} INC", closed, opened, qty, "$1.00", "$1.00", proceeds, basis, gain, "1%",
             gain if term == "Long Term" else "--", gain if term == "Short Term" else "--", term, basis, wash,
             disallowed, closed, "", "", "", "", "", "", ""]
    return ",".join(f'"{cell}"' for cell in cells)


def write(tmp_path: Path, *rows: str, name: str = "realized.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join((TITLE, HEADER, *rows)) + "\n", encoding="utf-8")
    return path


def events_of(conversion: formats.Conversion) -> list[dict[str, Any]]:
    return [codec.canonical(p.event) for p in conversion.events]


def test_each_lot_becomes_a_buy_and_the_sell_that_names_it() -> None:
    conversion = formats.convert("schwab-realized", FIXTURE, tz=UTC)
    events = events_of(conversion)
    lines = (3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8)  # the title is line 1, the header line 2, the total line 9
    assert [p.where for p in conversion.events] == [f"{FIXTURE}:{line}" for line in lines]
    assert [(e["type"], e["at"][:10], e["asset"], e["qty"], e["total"]) for e in events] == [
        ("buy", "2019-06-12", "VTI", "12.5", "1859"), ("sell", "2023-11-20", "VTI", "12.5", "2767.5"),
        ("buy", "2023-08-01", "MSFT 09/15/2023 330.00 C", "2", "911.32"),
        ("sell", "2023-08-28", "MSFT 09/15/2023 330.00 C", "2", "1218.68"),
        ("buy", "2023-05-25", "DIS", "25", "2330"), ("sell", "2023-08-15", "DIS", "25", "2250"),
        ("buy", "2023-01-17", "T", "100", "1925"), ("sell", "2023-07-03", "T", "100", "1502"),
        ("buy", "2023-03-20", "DIS", "25", "2407.5"), ("sell", "2023-05-10", "DIS", "25", "2202.5"),
        ("buy", "2020-11-03", "KO", "40", "1936"), ("sell", "2023-02-14", "KO", "40", "2450"),
    ]
    buy, sell = events[8], events[9]  # the wash sale: the sale carries the 205.00 disallowed, as for a 1099-B
    ident = buy["id"].removesuffix("-buy")
    assert ident.startswith("row-") and sell["id"] == f"{ident}-sell"
    note = "Schwab realized: WALT DISNEY CO (proceeds 2202.50, cost basis 2407.50, wash sale 205.00)"
    assert buy == {"type": "buy", "id": f"{ident}-buy", "at": "2023-03-20T12:00:00Z", "wallet": "schwab-realized",
                   "asset": "DIS", "qty": "25", "total": "2407.5", "class": "stock", "note": note}
    assert sell == {"type": "sell", "id": f"{ident}-sell", "at": "2023-05-10T12:00:00Z", "wallet": "schwab-realized",
                    "asset": "DIS", "qty": "25", "total": "2202.5", "lots": [{"lot": f"{ident}-buy", "qty": "25"}],
                    "wash_disallowed": "205", "note": note}
    assert events[6]["note"] == "Schwab realized: AT&T INC (proceeds 1502.00, cost basis 1925.00)"
    assert all(e["class"] == "stock" for e in events[::2])
    assert conversion.warnings == [f"{FIXTURE}: {WASH_WARNING} (line 7)"]
    assert (conversion.skipped, conversion.unknown) == ([], [])


def test_the_fixture_imports_to_the_8949_rows_and_totals_computed_by_hand(gainlog: Gainlog) -> None:
    result = gainlog("import", str(FIXTURE), "--json")
    assert result.code == 0, result.err
    assert (result.json()["added"], result.json()["format"]) == (12, "schwab-realized")
    assert result.err.splitlines() == [
        f"gainlog: {FIXTURE}: read as --format schwab-realized (detected from its header, line 2)",
        f"gainlog: warning: {FIXTURE}: {WASH_WARNING} (line 7)"]
    rows = gainlog("report", "8949", "--year", "2023", "--json").json()
    assert [(r["description"], r["wallet"], r["date_acquired"], r["date_sold"], r["proceeds"], r["cost_basis"],
             r["adjustment"], r["gain"], r["term"], r["box"]) for r in rows] == [
        ("40 KO", "schwab-realized", "2020-11-03", "2023-02-14", "2450.00", "1936.00", "0.00", "514.00", "long", "D"),
        ("25 DIS", "schwab-realized", "2023-03-20", "2023-05-10", "2202.50", "2407.50", "205.00", "0.00", "short", "A"),
        ("100 T", "schwab-realized", "2023-01-17", "2023-07-03", "1502.00", "1925.00", "0.00", "-423.00", "short", "A"),
        ("25 DIS", "schwab-realized", "2023-05-25", "2023-08-15", "2250.00", "2330.00", "0.00", "-80.00", "short", "A"),
        ("2 MSFT 09/15/2023 330.00 C", "schwab-realized", "2023-08-01", "2023-08-28", "1218.68", "911.32", "0.00",
         "307.36", "short", "A"),
        ("12.5 VTI", "schwab-realized", "2019-06-12", "2023-11-20", "2767.50", "1859.00", "0.00", "908.50", "long",
         "D"),
    ]
    assert [r["code"] for r in rows] == ["", "W", "", "", "", ""]
    sd = gainlog("report", "schedule-d", "--year", "2023", "--json").json()
    assert (sd["short_term"], sd["long_term"], sd["net"], sd["warnings"]) == (
        {"proceeds": "7173.18", "cost_basis": "7573.82", "adjustments": "205.00", "gain": "-195.64"},
        {"proceeds": "5217.50", "cost_basis": "3795.00", "adjustments": "0.00", "gain": "1422.50"},
        "1226.86", [])
    assert gainlog("lots", "--json").json() == []  # closed lots: nothing left open
    again = gainlog("import", str(FIXTURE), "--json").json()
    assert (again["added"], again["duplicates"]) == (0, 12)
    assert len(gainlog("log", "--json").json()) == 12


def test_the_format_is_detected_from_its_header_below_the_title(tmp_path: Path) -> None:
    assert detect.detect(FIXTURE, names=formats.NAMES) == detect.Detected("schwab-realized", 2)
    # an older title line, and the header in other capitals: still the header (names compared without case)
    path = tmp_path / "x.csv"
    path.write_text("Realized Gain/Loss for XXXX-1234 for 01/01/2023 to 12/31/2023 as of Tue Jan 09 2024\n"
                    + HEADER.upper() + "\n", encoding="utf-8")
    assert detect.detect(path, names=formats.NAMES) == detect.Detected("schwab-realized", 2)


def test_a_file_without_the_lot_columns_is_refused_naming_them(tmp_path: Path, gainlog: Gainlog) -> None:
    path = tmp_path / "summary.csv"
    path.write_text('"Symbol","Name","Closed Date","Quantity","Proceeds","CostBasis"\n"KO","COCA-COLA CO",'
                    '"02/14/2023","40","$2,450.00","$1,936.00"\n', encoding="utf-8")
    result = gainlog("import", str(path), "--format", "schwab-realized")
    assert (result.code, result.out) == (2, "")
    assert result.err == (
        f"gainlog: {path}: no header row with the columns 'Symbol', 'Closed Date', 'Opened Date', 'Quantity', "
        "'Proceeds', 'Cost Basis (CB)': is this a Schwab Realized Gain/Loss - Lot Details export?\n")
    assert gainlog("log", "--json").json() == []


def test_a_bad_cell_refuses_the_whole_file_naming_its_line_and_column(tmp_path: Path, gainlog: Gainlog) -> None:
    path = write(tmp_path,
                 lot("KO", "02/14/2023", "11/03/2020", "40", "$2,450.00", "$1,936.00", "$514.00", "Long Term"),
                 lot("T", "07/03/2023", "01/17/2023", "100", "$1,502.00", "$1.925,00", "($423.00)"))
    result = gainlog("import", str(path))
    assert (result.code, result.out) == (2, "")
    assert result.err == (
        f"gainlog: {path}: read as --format schwab-realized (detected from its header, line 2)\n"
        f"gainlog: {path}:4: column 'Cost Basis (CB)': '$1.925,00' is not a USD amount\n")
    assert gainlog("log", "--json").json() == []  # all or nothing: not even the good first lot
    for bad, column, said in (
        (lot("T", "13/03/2023", "01/17/2023", "100", "$1,502.00", "$1,925.00", "($423.00)"), "Closed Date",
         "'13/03/2023' is not a real date"),
        (lot("T", "07/03/2023", "2023-01-17", "100", "$1,502.00", "$1,925.00", "($423.00)"), "Opened Date",
         "'2023-01-17' is not a date MM/DD/YYYY"),
        (lot("T", "07/03/2023", "01/17/2023", "ten", "$1,502.00", "$1,925.00", "($423.00)"), "Quantity",
         "'ten' is not a decimal"),
        (lot("T", "07/03/2023", "01/17/2023", "100", "($1,502.00)", "$1,925.00", "($423.00)"), "Proceeds",
         "'($1,502.00)' is below zero"),
        (lot("T", "07/03/2023", "01/17/2023", "100", "$1,502.00", "$1,925.00", "($423.00)", wash="Maybe"),
         "Wash Sale?", "'Maybe' is not Yes or No"),
        (lot("T", "07/03/2023", "01/17/2023", "100", "$1,502.00", "$1,925.00", "($423.00)", disallowed="$423.00"),
         "Disallowed Loss", "'$423.00' but 'Wash Sale?' is not Yes"),
        (lot("T", "07/03/2023", "01/17/2023", "100", "$1,502.00", "$1,925.00", "($423.00)", wash="Yes",
             disallowed="$1,925.00"), "Disallowed Loss", "'$1,925.00' is not below the cost basis"),
    ):
        with pytest.raises(InvalidEvent) as err:
            formats.convert("schwab-realized", write(tmp_path, bad), tz=UTC)
        assert str(err.value) == f"{tmp_path / 'realized.csv'}:3: column '{column}': {said}"


def test_a_gain_that_does_not_add_up_and_a_term_the_dates_do_not_give_are_warned(tmp_path: Path) -> None:
    path = write(tmp_path,
                 lot("KO", "02/14/2023", "11/03/2020", "40", "$2,450.00", "$1,936.00", "$541.00", "Long Term"),
                 lot("T", "07/03/2023", "01/17/2023", "100", "$1,502.00", "$1,925.00", "($423.00)", "Long Term"),
                 # a wash sale's gain column may be P - C (as Schwab's exports found show it) or P - C + W
                 lot("DIS", "05/10/2023", "03/20/2023", "25", "$2,202.50", "$2,407.50", "$0.00", wash="Yes",
                     disallowed="$205.00"))
    conversion = formats.convert("schwab-realized", path, tz=UTC)
    assert len(conversion.events) == 6
    assert conversion.warnings == [
        f"{path}: {WASH_WARNING} (line 5)",
        f"{path}: 1 row(s) whose gain or loss is neither proceeds - cost basis + wash sale loss disallowed nor "
        "proceeds - cost basis: gainlog records the proceeds and the basis; check the row against the form (line 3)",
        f"{path}: 1 row(s) whose term on the 1099-B is not the one their dates give (a wash sale can move the date "
        "acquired): gainlog's Form 8949 follows the dates (line 4)"]


def test_a_total_line_that_is_not_the_sum_of_the_lots_is_warned(tmp_path: Path) -> None:
    """The lots add up to proceeds 3,952.00, basis 3,861.00, gain 91.00; the total line says otherwise
    (a lot missing from the file, say): imported, with a warning naming the total line."""
    path = write(tmp_path,
                 lot("KO", "02/14/2023", "11/03/2020", "40", "$2,450.00", "$1,936.00", "$514.00", "Long Term"),
                 lot("T", "07/03/2023", "01/17/2023", "100", "$1,502.00", "$1,925.00", "($423.00)"),
                 '"Total","","","","","","","$4,052.00","$3,861.00","$191.00"' + ',""' * 15)
    conversion = formats.convert("schwab-realized", path, tz=UTC)
    assert len(conversion.events) == 4
    assert conversion.warnings == [
        f"{path}:5: the total line is not the sum of the lots (Proceeds 4052.00, the lots' 3952.00; Gain/Loss ($) "
        "191.00, the lots' 91.00): check that the export is whole and that gainlog read it as Schwab wrote it"]


def test_rows_that_hold_no_lot_are_left_out(tmp_path: Path) -> None:
    """An export of several accounts: an account's name on a line of its own, the header again, a line saying an
    account has no lots, a subtotal without a symbol, a total line; a blank line."""
    path = write(
        tmp_path,
        '"Individual ...123"' + ',""' * 24,
        lot("KO", "02/14/2023", "11/03/2020", "40", "$2,450.00", "$1,936.00", "$514.00", "Long Term"),
        '"Account Total","","","","","","","$2,450.00","$1,936.00","$514.00"' + ',""' * 15,
        "",
        '"Roth IRA ...456"' + ',""' * 24,
        HEADER,
        '"There are no transactions for this account in the selected date range."' + ',""' * 24,
        '"Joint ...789"' + ',""' * 24,
        HEADER,
        lot("T", "07/03/2023", "01/17/2023", "100", "$1,502.00", "$1,925.00", "($423.00)"),
        '"","","","","","","","$1,502.00","$1,925.00","($423.00)"' + ',""' * 15,
        '"Total","","","","","","","$3,952.00","$3,861.00","$91.00"' + ',""' * 15,
    )
    conversion = formats.convert("schwab-realized", path, tz=UTC)
    assert [(p.where.rsplit(":", 1)[1], codec.canonical(p.event)["asset"]) for p in conversion.events] == [
        ("4", "KO"), ("4", "KO"), ("12", "T"), ("12", "T")]
    assert conversion.warnings == []


def test_lots_gainlog_cannot_hold_are_listed_together(tmp_path: Path, gainlog: Gainlog) -> None:
    path = write(tmp_path,
                 lot("KO", "02/14/2023", "11/03/2020", "40", "$2,450.00", "$1,936.00", "$514.00", "Long Term"),
                 lot("XYZ 06/16/2023 20.00 P", "06/16/2023", "05/01/2023", "1", "$0.00", "$85.66", "-$85.66"),
                 lot("ABC", "04/03/2023", "03/01/2023", "-50", "$900.00", "$1,000.00", "-$100.00"),
                 lot("GIFT", "04/03/2023", "03/01/2023", "5", "$900.00", "--", "--"))
    result = gainlog("import", str(path))
    assert (result.code, result.out) == (2, "")
    assert gainlog("log", "--json").json() == []
    with pytest.raises(InvalidEvent) as err:
        formats.convert("schwab-realized", path, tz=UTC)
    assert str(err.value) == (
        f"{path}: 3 rows of 3 kind(s) gainlog does not map: column 'Proceeds' 'no proceeds' ×1 (line 4); column "
        "'Quantity' 'short position' ×1 (line 5); column 'Cost Basis (CB)' 'no cost basis' ×1 (line 6); nothing "
        "imported: pass --skip-unknown to import the other rows (the skipped ones are listed), or enter them with "
        "`gainlog add`")
    expired = write(tmp_path, lot("XYZ 06/16/2023 20.00 P", "06/16/2023", "05/01/2023", "1", "$0.00", "$85.66",
                                  "-$85.66"), name="expired.csv")
    with pytest.raises(InvalidEvent) as err:
        formats.convert("schwab-realized", expired, tz=UTC)
    assert str(err.value) == (
        f"{expired}:3: column 'Proceeds': the lot closed for nothing (an option that expired worthless): a `sell` "
        "needs proceeds above zero; record the purchase with `gainlog add buy` and the loss with `gainlog add "
        "worthless`; nothing imported: pass --skip-unknown to import the other rows (the skipped ones are listed), "
        "or enter it with `gainlog add`")
    short = write(tmp_path, lot("ABC", "04/03/2023", "03/01/2023", "-50", "$900.00", "$1,000.00", "-$100.00"),
                  name="short.csv")
    with pytest.raises(InvalidEvent) as err:
        formats.convert("schwab-realized", short, tz=UTC)
    assert str(err.value).startswith(
        f"{short}:3: column 'Quantity': '-50': a short position (opened by a sale), which gainlog does not hold as "
        "a lot: record it with `gainlog add`; nothing imported")
    skipped = gainlog("import", str(path), "--skip-unknown", "--json")
    assert skipped.code == 0 and skipped.json()["added"] == 2
    assert [(row["line"], row["type"], row["reason"]) for row in skipped.json()["skipped"]] == [
        (f"{path}:4", "no proceeds", "unknown"), (f"{path}:5", "short position", "unknown"),
        (f"{path}:6", "no cost basis", "unknown")]


def test_user_text_is_kept_as_data(tmp_path: Path, gainlog: Gainlog) -> None:
    """A name with markup is the note's text, word for word, and never read as markup."""
    row = lot("KO", "02/14/2023", "11/03/2020", "40", "$2,450.00", "$1,936.00", "$514.00", "Long Term")
    path = write(tmp_path, row.replace('"KO INC"', '"[bold]<b>KO</b>[/bold]"'))
    assert gainlog("import", str(path), "--format", "SCHWAB-REALIZED").code == 0
    notes = [e["note"] for e in gainlog("log", "--json").json()]
    assert notes == ["Schwab realized: [bold]<b>KO</b>[/bold] (proceeds 2450.00, cost basis 1936.00)"] * 2
    human = gainlog("log")
    assert human.code == 0 and "[bold]<b>KO</b>[/bold]" in human.out


def test_the_events_go_to_the_wallet_given(tmp_path: Path, gainlog: Gainlog) -> None:
    copy = Path(shutil.copy(FIXTURE, tmp_path / "Individual_GainLoss_Realized_Details.csv"))
    result = gainlog("import", str(copy), "--wallet", "schwab-individual", "--json")
    assert result.code == 0 and result.json()["added"] == 12
    assert {e["wallet"] for e in gainlog("log", "--json").json()} == {"schwab-individual"}
