"""The printable Form 8949 statement and Schedule D summary of `export --format pdf`, drawn with fpdf2.

The Form 8949 instructions allow an attached statement in the form's layout instead of the form's
own pages. The pages come from `projections.exports.pages` (one page set per box, page totals, the
box totals on its last page); this module only draws them, then a Schedule D summary page with the
line numbers of `projections.rules.schedule_d_lines`. fpdf2 is imported here only, so no other
command loads it. Text uses the PDF core font Helvetica (Latin-1): other characters print as `?`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..projections.exports import Page, Statement, Totals

COLUMNS = (  # (heading, width in points, alignment)
    ("(a) Description of property", 165, "L"), ("(b) Date acquired", 70, "C"), ("(c) Date sold", 70, "C"),
    ("(d) Proceeds", 85, "R"), ("(e) Cost or other basis", 100, "R"), ("(f) Code", 40, "C"),
    ("(g) Adjustment", 85, "R"), ("(h) Gain or (loss)", 105, "R"),
)
MARGIN = 36
ROW_HEIGHT = 16


def _latin1(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")


def draw(st: Statement) -> bytes:
    """The whole PDF: the pages of every box, then the Schedule D summary."""
    from fpdf import FPDF

    from ..projections.exports import pages

    pdf = FPDF(orientation="L", unit="pt", format="letter")
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(False)
    pdf.set_title(f"Form 8949 statement and Schedule D summary, tax year {st.year}")
    pdf.set_creator("gainlog")
    statement_pages = pages(st.rows)
    for page in statement_pages:
        _page(pdf, st.year, page)
    if not statement_pages:
        pdf.add_page()
        _text(pdf, f"Form 8949 statement, tax year {st.year}", size=14, style="B")
        _text(pdf, "No sales or other dispositions of capital assets in this year.")
    _schedule_d(pdf, st)
    return bytes(pdf.output())


def _text(pdf: Any, text: str, *, size: int = 9, style: str = "") -> None:
    pdf.set_font("Helvetica", style=style, size=size)
    pdf.cell(0, size + 5, _latin1(text))
    pdf.ln(size + 5)


def _cells(pdf: Any, cells: tuple[str, ...], *, style: str = "", fill: bool = False) -> None:
    for (_, width, align), text in zip(COLUMNS, cells, strict=True):
        _fit(pdf, _latin1(text), width, style=style)
        pdf.cell(width, ROW_HEIGHT, _latin1(text), border=1, align=align, fill=fill)
    pdf.ln(ROW_HEIGHT)


def _fit(pdf: Any, text: str, width: float, *, style: str) -> None:
    """The font for a cell: 8 points, smaller (down to 4) for a text too wide for its column. Most
    texts fit: the core font's widths (1/1000 of the size a character) say so without fpdf2's
    `get_string_width`, about a quarter of the time of a statement of many rows; a text within
    0.01 pt of the limit is measured as before."""
    size = 8.0
    pdf.set_font("Helvetica", style=style, size=size)
    widths = pdf.current_font.cw
    if sum(widths[c] for c in text) * size * 0.001 <= width - 4 - 0.01:
        return
    while size > 4 and pdf.get_string_width(text) > width - 4:
        size -= 0.5
        pdf.set_font("Helvetica", style=style, size=size)


def _totals_cells(label: str, t: Totals) -> tuple[str, ...]:
    from ..projections.exports import total_cells

    proceeds, basis, adjustment, gain = total_cells(t)
    return (label, "", "", proceeds, basis, "", adjustment, gain)


def _page(pdf: Any, year: int, page: Page) -> None:
    from ..projections.exports import BOX_TITLES, row_cells
    from ..projections.rules.schedule_d_lines import BOX_TO_LINE

    pdf.add_page()
    part = "Part I - Short-Term" if page.box in "ABCGHI" else "Part II - Long-Term"
    _text(pdf, f"Form 8949 statement, tax year {year}: {part}", size=14, style="B")
    _text(pdf, f"Box {page.box} checked: {BOX_TITLES[page.box]}")
    _text(pdf, f"Page {page.number} of {page.of} for box {page.box}")
    pdf.set_fill_color(230, 230, 230)
    _cells(pdf, tuple(name for name, _, _ in COLUMNS), style="B", fill=True)
    for r in page.rows:
        _cells(pdf, row_cells(r))
    _cells(pdf, _totals_cells("Totals of this page", page.page_totals), style="B")
    if page.box_totals is not None:
        line = BOX_TO_LINE[page.box]
        _cells(pdf, _totals_cells(f"Totals for box {page.box} (Schedule D line {line})", page.box_totals),
               style="B", fill=True)


def _schedule_d(pdf: Any, st: Statement) -> None:
    from ..projections.form8949 import money
    from ..projections.rules import schedule_d_lines as lines

    sd = st.schedule_d
    pdf.add_page()
    _text(pdf, f"Schedule D summary, tax year {st.year} ({sd.filing_status})", size=14, style="B")
    widths = (50, 310, 90, 90, 90, 90)
    heads = ("Line", "", "(d) Proceeds", "(e) Cost", "(g) Adjustments", "(h) Gain or (loss)")

    def row(cells: tuple[str, ...], style: str = "") -> None:
        pdf.set_font("Helvetica", style=style, size=9)
        for width, text, align in zip(widths, cells, ("L", "L", "R", "R", "R", "R"), strict=True):
            pdf.cell(width, ROW_HEIGHT, _latin1(text), border=1, align=align)
        pdf.ln(ROW_HEIGHT)

    row(heads, "B")
    for title, boxes, carry_line, carry, net_line, net in (
        ("Part I - Short-Term", "ABCGHI", lines.SHORT_CARRYOVER, sd.carryover_in.short_term, lines.NET_SHORT,
         sd.netting.line7),
        ("Part II - Long-Term", "DEFJKL", lines.LONG_CARRYOVER, sd.carryover_in.long_term, lines.NET_LONG,
         sd.netting.line15),
    ):
        row(("", title, "", "", "", ""), "B")
        for b in sd.boxes:
            if b.box in boxes:
                a = b.amounts
                label = f"Form 8949 box {b.box} ({b.rows} row{'' if b.rows == 1 else 's'})"
                row((lines.BOX_TO_LINE[b.box], label, money(a.proceeds), money(a.cost_basis), money(a.adjustments),
                     money(a.gain)))
        row((carry_line, "Capital loss carryover", "", "", "", f"({money(carry)})" if carry else "0.00"))
        row((net_line, "Net gain or (loss)", "", "", "", money(net)), "B")
    row(("", "Part III - Summary", "", "", "", ""), "B")
    row((lines.NET, "Lines 7 and 15 combined", "", "", "", money(sd.netting.line16)), "B")
    row((lines.DEDUCTION, "Capital loss deducted", "", "", "", money(sd.netting.deduction)))
    out = sd.carryover_out
    row(("", "Carryover to next year: short-term", "", "", "", money(out.short_term)))
    row(("", "Carryover to next year: long-term", "", "", "", money(out.long_term)))
