"""`projections.exports`: the pure formatting behind `export` (docs/exports.md), on hand-made rows."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from gainlog.projections.exports import (
    BOX_TO_REFNUM,
    Statement,
    pages,
    taxact_csv,
    too_many_rows,
    totals,
    turbotax_csv,
    txf_text,
    unexported_adjustments,
)
from gainlog.projections.form8949 import Row
from gainlog.projections.tax_year import Carry, schedule_d
from hypothesis import given, settings
from hypothesis import strategies as st


def row(n: int, *, box: str = "C", asset: str = "BTC", proceeds: str = "100.00", basis: str = "60.00",
        code: str = "", adjustment: str = "0.00") -> Row:
    term = "long" if box in "DEFJKL" else "short"
    p, b, a = D(proceeds), D(basis), D(adjustment)
    return Row(seq=n, event_key=f"t:{n}", kind="sell", asset=asset, qty=D("0.5"), wallet="w", lot=f"t:l{n}",
               date_acquired=date(2024, 1, 2), date_sold=date(2025, 3, n % 28 + 1), proceeds=p, cost_basis=b,
               code=code, adjustment=a, gain=p - b + a, term=term, part="I" if term == "short" else "II",
               box=box)  # type: ignore[arg-type]


def test_refnums_follow_the_spec_and_1099da_boxes_take_their_1099b_twin() -> None:
    assert {b: BOX_TO_REFNUM[b] for b in "ABCDEF"} == {"A": 321, "B": 711, "C": 712, "D": 323, "E": 713, "F": 714}
    assert [BOX_TO_REFNUM[b] for b in "GHIJKL"] == [321, 711, 712, 323, 713, 714]


def test_txf_record_format_5_with_and_without_a_wash_sale() -> None:
    text = txf_text([row(1, box="K"), row(2, box="A", proceeds="50.00", basis="80.00", code="W", adjustment="30.00")],
                    exported_on=date(2026, 2, 1), program="gainlog 9\nx")
    assert text.split("\r\n") == [
        "V042", "Againlog 9 x", "D02/01/2026", "^",
        "TD", "N321", "C1", "L1", "P0.5 BTC", "D01/02/2024", "D03/03/2025", "$80.00", "$50.00", "$30.00", "^",
        "TD", "N713", "C1", "L1", "P0.5 BTC", "D01/02/2024", "D03/02/2025", "$60.00", "$100.00", "$", "^",
        "",
    ]


def test_what_each_layout_cannot_carry() -> None:
    rows = [row(1), row(2, code="W", adjustment="5.00"), row(3, code="O", adjustment="-2.00")]
    assert unexported_adjustments(rows, fmt="turbotax") == [2, 3]
    assert unexported_adjustments(rows, fmt="txf") == [3]
    assert unexported_adjustments(rows, fmt="taxact") == []


def test_csv_layouts_quote_what_needs_it() -> None:
    rows = [row(1, asset="A,B", box="L")]
    assert turbotax_csv(rows).split("\r\n")[1] == '"A,B",01/02/2024,60.00,03/02/2025,100.00'
    assert taxact_csv(rows).split("\r\n")[1] == '"0.5 A,B",01/02/2024,03/02/2025,100.00,60.00,,,,L'


def test_pages_split_each_box_with_page_and_box_totals() -> None:
    rows = [row(n, box="D" if n % 3 == 0 else "C") for n in range(1, 46)]  # 30 in C, 15 in D
    got = pages(rows, per_page=20)
    assert [(p.box, p.number, p.of, len(p.rows)) for p in got] == [("C", 1, 2, 20), ("C", 2, 2, 10), ("D", 1, 1, 15)]
    assert got[0].page_totals.proceeds == D("2000.00") and got[0].box_totals is None
    assert got[1].box_totals == totals([r for r in rows if r.box == "C"])
    assert got[1].box_totals is not None and got[1].box_totals.gain == D("1200.00")
    assert got[2].box_totals == got[2].page_totals


def test_the_pdf_carries_every_page_total(tmp_path: object) -> None:
    """45 rows in two boxes: three pages of rows, each with its totals, then the Schedule D summary."""
    import io

    from gainlog.cli.export_pdf import draw
    from pypdf import PdfReader

    rows = [row(n, box="D" if n % 3 == 0 else "C") for n in range(1, 46)]
    sd = schedule_d(2025, rows, carryover_in=Carry(short_term=D("100.00")), filing_status="single",
                    taxable_income=None)
    texts = [p.extract_text() for p in PdfReader(io.BytesIO(draw(Statement(year=2025, rows=tuple(rows),
                                                                           schedule_d=sd)))).pages]
    assert len(texts) == 4
    assert "Page 1 of 2 for box C" in texts[0] and "Totals of this page 2000.00 1200.00" in texts[0]
    assert "Totals for box C" not in texts[0]
    assert "Totals of this page 1000.00 600.00" in texts[1]
    assert "Totals for box C (Schedule D line 3) 3000.00 1800.00 0.00 1200.00" in texts[1]
    assert "Totals for box D (Schedule D line 8b) 1500.00 900.00 0.00 600.00" in texts[2]
    assert "6 Capital loss carryover (100.00)" in texts[3] and "16 Lines 7 and 15 combined 1700.00" in texts[3]



def test_a_long_description_shrinks_to_its_column() -> None:
    """A text wider than its column is set in a smaller font (never below 4 points), a short one at 8."""
    from fpdf import FPDF
    from gainlog.cli.export_pdf import COLUMNS, _fit

    pdf = FPDF(orientation="L", unit="pt", format="letter")
    pdf.add_page()
    width = COLUMNS[0][1]
    _fit(pdf, "0.5 BTC", width, style="")
    assert pdf.font_size_pt == 8
    long_text = "0.5 " + "VERYLONGTOKENNAME" * 2
    _fit(pdf, long_text, width, style="")
    assert 4 < pdf.font_size_pt < 8 and pdf.get_string_width(long_text) <= width - 4
    _fit(pdf, "X" * 500, width, style="")
    assert pdf.font_size_pt == 4


def test_row_limits_of_the_csv_uploads() -> None:
    # TurboTax's upload takes 3,999 rows a file (exporters that write the layout split there); TaxAct 2,000
    assert too_many_rows(3999, fmt="turbotax") is None
    assert too_many_rows(4000, fmt="turbotax") == (
        "4000 rows: TurboTax's CSV upload takes at most 3,999 rows a file: upload the file in parts of 3,999 rows "
        "(each with the header), or use --format txf")
    assert too_many_rows(2000, fmt="taxact") is None
    assert too_many_rows(2001, fmt="taxact") == "2001 rows: TaxAct imports at most 2000 transactions into one return"
    assert too_many_rows(10**6, fmt="txf") is None


def test_turbotax_header_and_row_exactly() -> None:
    # Currency Name, Purchase Date, Cost Basis, Date Sold, Proceeds: MM/DD/YYYY, two decimals, no $ nor commas
    text = turbotax_csv([row(1, asset="ETH", proceeds="12345.60", basis="1000.00")])
    assert text == ("Currency Name,Purchase Date,Cost Basis,Date Sold,Proceeds\r\n"
                    "ETH,01/02/2024,1000.00,03/02/2025,12345.60\r\n")



@settings(max_examples=300, deadline=None)
@given(text=st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=60),
       column=st.sampled_from([40, 70, 85, 100, 105, 165]), style=st.sampled_from(["", "B"]))
def test_a_cells_font_size_is_the_measured_one(text: str, column: int, style: str) -> None:
    """`export_pdf._fit` skips fpdf2's measure for a text the core font's widths show fits: the size it
    leaves is the one the measuring loop finds (8 points, down by halves to 4), for each column width."""
    from fpdf import FPDF
    from gainlog.cli.export_pdf import COLUMNS, _fit

    assert column in {width for _, width, _ in COLUMNS}
    pdf = FPDF(orientation="L", unit="pt", format="letter")
    pdf.add_page()
    _fit(pdf, text, column, style=style)
    fitted = pdf.font_size_pt
    size = 8.0
    pdf.set_font("Helvetica", style=style, size=size)
    while size > 4 and pdf.get_string_width(text) > column - 4:
        size -= 0.5
        pdf.set_font("Helvetica", style=style, size=size)
    assert fitted == size
