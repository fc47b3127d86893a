"""The 1099-B CSV layouts as the brokers write them (docs/formats.md "1099-b", where each is sourced).

- Fidelity's 1099 CSV: every line labelled by its section, padded with spaces (`1099-B-Detail`, and the
  `1099-B-Subtotal-by-CUSIP` / `1099-B-Total-by-section` lines that are not sales), lines ended by CR,
  dates MM/DD/YY, amounts zero-padded (`0000000000004000.00`), box 1a written as the statement prints it:
  description, symbol, CUSIP.
- Schwab's 1099 Composite CSV: the 1099-DIV / 1099-INT / 1099-MISC boxes one line each, then `"Form 1099 B"`,
  a line of box numbers and the header (`Short-Term gain loss Long-term gain or loss Ordinary`, `Form 8949
  Code`, `Check if noncovered security`, ...); the description is the quantity and the security's name.

Every row here is invented; the layouts are those the sources show."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from gainlog.api.broker_files import read_broker_file
from gainlog.ledger import codec, formats
from gainlog.ledger.errors import InvalidEvent

UTC = ZoneInfo("UTC")
DETAIL = "1099-B-Detail" + " " * 27
FIDELITY_HEADER = (
    f"{DETAIL},1099-B-1a Description of property Stock or Other symbol CUSIP ,Quantity,1099-B-1b Date Acquired,"
    "1099-B-1c Date Sold or Disposed,1099-B-1d Proceeds,1099-B-1e Cost or Other Basis,"
    "1099-B-1f Accrued Market Discount,1099-B-1g-Wash sale loss Disallowed,Term,Covered/Uncovered"
)


def _fidelity(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "fidelity-1099.csv"
    path.write_text("\r".join([FIDELITY_HEADER, *(f"{DETAIL},{row}" for row in rows)]) + "\r", encoding="utf-8")
    return path


def _events(path: Path) -> list[tuple[str, str, str, str, str]]:
    conversion = formats.convert("1099-b", path, tz=UTC)
    return [(e["type"], e["asset"], e["qty"], e["at"][:10], e["total"])
            for e in (codec.canonical(p.event) for p in conversion.events)]


def test_fidelity_box_1a_gives_the_symbol_else_the_name(tmp_path: Path) -> None:
    # "NAME, SYMBOL, CUSIP" -> the symbol; "NAME, CUSIP" (no symbol) -> the name; before, the whole cell
    # ("XYZ CORP COM, XYZ, 98421X105") was the asset, another asset than the XYZ of every other import
    path = _fidelity(
        tmp_path,
        '"XYZ CORP COM, XYZ, 98421X105",100.000,01/10/25,06/02/25,0000000000004000.00,0000000000005000.00,'
        "0000000000000000.00,0000000000000000.00,SHORT TERM,COVERED",
        '"ALPHABET INC CAP STK CL A, GOOGL, 02079K305",2.000,03/01/24,04/01/25,0000000000000320.00,'
        "0000000000000280.00,0000000000000000.00,0000000000000000.00,LONG TERM,COVERED",
        '"OLD BOND FUND, 31617H102",7.500,02/03/25,05/06/25,0000000000000075.00,0000000000000070.00,'
        "0000000000000000.00,0000000000000000.00,SHORT TERM,COVERED",
    )
    assert _events(path) == [
        ("buy", "XYZ", "100", "2025-01-10", "5000"), ("sell", "XYZ", "100", "2025-06-02", "4000"),
        ("buy", "GOOGL", "2", "2024-03-01", "280"), ("sell", "GOOGL", "2", "2025-04-01", "320"),
        ("buy", "OLD BOND FUND", "7.5", "2025-02-03", "70"), ("sell", "OLD BOND FUND", "7.5", "2025-05-06", "75"),
    ]


def test_fidelity_two_digit_year_before_2000_is_19yy(tmp_path: Path) -> None:
    # MM/DD/YY: shares bought 05/01/98 and sold 04/01/25 were bought in 1998 (long term, noncovered), not 2098
    path = _fidelity(
        tmp_path,
        '"DEF INC, DEF, 24422X107",5.000,05/01/98,04/01/25,0000000000000500.00,0000000000000200.00,'
        "0000000000000000.00,0000000000000000.00,LONG TERM,NONCOVERED",
    )
    assert _events(path) == [("buy", "DEF", "5", "1998-05-01", "200"), ("sell", "DEF", "5", "2025-04-01", "500")]
    conversion = formats.convert("1099-b", path, tz=UTC)
    assert not any("term" in w or "box" in w for w in conversion.warnings)  # long, noncovered: as the row says


def test_fidelity_row_naming_no_security_is_refused_naming_its_line(tmp_path: Path) -> None:
    path = _fidelity(
        tmp_path,
        '"",1.000,01/10/25,06/02/25,0000000000000040.00,0000000000000050.00,0000000000000000.00,'
        "0000000000000000.00,SHORT TERM,COVERED",
    )
    with pytest.raises(InvalidEvent) as raised:
        formats.convert("1099-b", path, tz=UTC)
    assert str(raised.value) == (
        f"{path}:2: column '1099-B-1a Description of property Stock or Other symbol CUSIP': is empty: the row "
        "names no security")


SCHWAB_HEADER = [
    "Description of property (Example 100 sh. XYZ Co.)", "Date acquired", "Date sold or disposed", "Proceeds",
    "Cost or other basis", "Accrued market discount", "Wash sale loss disallowed",
    "Short-Term gain loss Long-term gain or loss Ordinary", "Form 8949 Code", "Check if proceeds from collectibles QOF",
    "Federal income tax withheld", "Check if noncovered security", "Reported to IRS: Gross proceeds Net proceeds",
    "Check if loss is not allowed based on amount in 1d", "Profit or (loss) realized in 2025 on closed contracts",
    "Unrealized profit or (loss) on open contracts-12/31/2024",
    "Unrealized profit or (loss) on open contracts-12/31/2025", "Aggregate profit or (loss) on contracts",
    "Check if basis reported to IRS", "Bartering", "State name", "State identification no", "State Tax Withheld", "",
]
SCHWAB_BOXES = ["1a", "1b", "1c", "1d", "1e", "1f", "1g", "2", "", "3", "4", "5", "6", "7", "8", "9", "10", "11",
                "12", "13", "14", "15", "16", ""]


def _schwab_sale(description: str, acquired: str, sold: str, proceeds: str, basis: str, wash: str, term: str,
                 code: str, covered: str) -> list[str]:
    reported = "Yes" if covered == "Covered" else ""
    return [description, acquired, sold, proceeds, basis, "$0.00", wash, term, code, "", "0.00", covered,
            "Gross proceeds", "", "", "", "", "", reported, "", "", "", "", ""]


def _schwab(tmp_path: Path) -> Path:
    """A composite: 1099-DIV (19 box lines), 1099-INT (17) and 1099-MISC (18) before the 1099-B: its header is
    line 69, the sales lines 70 to 73."""
    def line(cells: list[str]) -> str:
        return ",".join('"' + cell.replace('"', '""') + '"' for cell in cells)

    rows = [["Account", "XXXX-1234"], ["Tax Year", "2025"], [], ["Form 1099DIV", ""], ["Corrected", "No", ""],
            ["Box", "Description", "Amount", "Total", "Details", ""]]
    rows += [[box, "Dividend box", "", "$0.00", "", ""] for box in
             ("1a", "1b", "2a", "2b", "2c", "2d", "2e", "2f", *map(str, range(3, 14)))]
    rows += [[], ["Form 1099INT", ""], ["Box", "Description", "Amount", "Total", "Details", ""]]
    rows += [[str(box), "Interest box", "", "$0.00", "", ""] for box in range(1, 18)]
    rows += [[], ["Form 1099MISC", ""], ["Box", "Description", "Amount", "Total", "Details", ""]]
    rows += [[str(box), "Miscellaneous box", "", "$0.00", "", ""] for box in range(1, 19)]
    rows += [["Form 1099 B", ""], SCHWAB_BOXES, SCHWAB_HEADER,
             _schwab_sale("10.00 XYZ CORP CLASS A", "01/02/2025", "06/03/2025", "1200.00", "1000.00", "$0.00",
                          "Short Term", "A", "Covered"),
             _schwab_sale("20.00 DEF INC", "02/03/2025", "03/04/2025", "800.00", "1000.00", "$150.00",
                          "Short Term", "A", "Covered"),
             _schwab_sale("5.00 OLD CO", "05/01/2009", "07/01/2025", "900.00", "300.00", "$0.00",
                          "Long Term", "E", "Noncovered"),
             # box B (noncovered) for shares bought in 2024, and "Long Term" for three months: both read, so both
             # are named in a warning (before, neither column was read: no warning)
             _schwab_sale("3.00 GHI CORP", "01/06/2024", "04/07/2024", "90.00", "60.00", "$0.00",
                          "Long Term", "B", "Noncovered")]
    path = tmp_path / "schwab-1099.csv"
    path.write_text("\n".join(line(r) for r in rows) + "\n", encoding="utf-8")
    return path


def test_schwab_composite_is_read_past_its_other_forms(tmp_path: Path) -> None:
    # the 1099-B header is the file's 66th non-blank line: before, the import stopped at 50 and refused the file
    path = _schwab(tmp_path)
    conversion = formats.convert("1099-b", path, tz=UTC)
    events = [codec.canonical(p.event) for p in conversion.events]
    assert [(e["type"], e["asset"], e["qty"], e["at"][:10], e["total"], e.get("wash_disallowed"))
            for e in events] == [
        ("buy", "XYZ CORP CLASS A", "10", "2025-01-02", "1000", None),
        ("sell", "XYZ CORP CLASS A", "10", "2025-06-03", "1200", None),
        ("buy", "DEF INC", "20", "2025-02-03", "1000", None), ("sell", "DEF INC", "20", "2025-03-04", "800", "150"),
        ("buy", "OLD CO", "5", "2009-05-01", "300", None), ("sell", "OLD CO", "5", "2025-07-01", "900", None),
        ("buy", "GHI CORP", "3", "2024-01-06", "60", None), ("sell", "GHI CORP", "3", "2024-04-07", "90", None),
    ]
    assert [p.where.rsplit(":", 1)[1] for p in conversion.events][::2] == ["70", "71", "72", "73"]
    assert events[1]["note"] == "1099-B: 10.00 XYZ CORP CLASS A (proceeds 1200.00, cost basis 1000.00, box A)"
    term, box = (next(w for w in conversion.warnings if word in w) for word in ("term on the 1099-B", "covered or"))
    assert term.endswith("(line 73)") and box.endswith("(line 73)")


def test_schwab_composite_reconcile_reads_box_term_and_wash(tmp_path: Path) -> None:
    rows = read_broker_file(_schwab(tmp_path), "1099-b")
    assert [(r.line, r.asset, r.qty, r.date_acquired, r.proceeds, r.cost_basis, r.wash_sale_disallowed, r.term,
             r.box) for r in rows] == [
        (70, "XYZ CORP CLASS A", Decimal(10), date(2025, 1, 2), Decimal("1200.00"), Decimal("1000.00"), Decimal(0),
         "short", "A"),
        (71, "DEF INC", Decimal(20), date(2025, 2, 3), Decimal("800.00"), Decimal("1000.00"), Decimal("150.00"),
         "short", "A"),
        (72, "OLD CO", Decimal(5), date(2009, 5, 1), Decimal("900.00"), Decimal("300.00"), Decimal(0), "long", "E"),
        (73, "GHI CORP", Decimal(3), date(2024, 1, 6), Decimal("90.00"), Decimal("60.00"), Decimal(0), "long", "B"),
    ]


def test_schwab_composite_reconcile_format_schwab_reads_the_name_and_the_box(tmp_path: Path) -> None:
    # `reconcile --format schwab`: the asset is the whole name (before, its first word: "XYZ" for "XYZ CORP
    # CLASS A", another asset than the import's), the box is Form 8949 Code's, X (term unknown) is no box
    path = _schwab(tmp_path)
    text = path.read_text(encoding="utf-8").replace('"Long Term","B"', '"Ordinary","X"')
    path.write_text(text, encoding="utf-8")
    rows = read_broker_file(path, "schwab")
    assert [(r.line, r.asset, r.qty, r.wash_sale_disallowed, r.term, r.box) for r in rows] == [
        (70, "XYZ CORP CLASS A", Decimal(10), Decimal(0), "short", "A"),
        (71, "DEF INC", Decimal(20), Decimal("150.00"), "short", "A"),
        (72, "OLD CO", Decimal(5), Decimal(0), "long", "E"),
        (73, "GHI CORP", Decimal(3), Decimal(0), "", ""),
    ]


def test_fidelity_two_digit_years_reconcile_as_they_import(tmp_path: Path) -> None:
    # reconcile read MM/DD/YY with Python's pivot (65 -> 2065, after the sale); now as the import: 1965
    path = _fidelity(
        tmp_path,
        '"DEF INC, DEF, 24422X107",5.000,05/01/65,04/01/25,0000000000000500.00,0000000000000200.00,'
        "0000000000000000.00,0000000000000000.00,LONG TERM,NONCOVERED",
        '"XYZ CORP COM, XYZ, 98421X105",1.000,01/10/25,06/02/25,0000000000000040.00,0000000000000050.00,'
        "0000000000000000.00,0000000000000000.00,SHORT TERM,COVERED",
    )
    rows = read_broker_file(path, "1099-b")
    assert [(r.asset, r.date_acquired, r.date_sold, r.term, r.box) for r in rows] == [
        ("DEF", date(1965, 5, 1), date(2025, 4, 1), "long", "E"),
        ("XYZ", date(2025, 1, 10), date(2025, 6, 2), "short", "A"),
    ]
    assert _events(path)[0] == ("buy", "DEF", "5", "1965-05-01", "200")
