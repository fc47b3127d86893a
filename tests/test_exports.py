"""`export --format txf|turbotax|taxact|pdf` (CONTRACT §4 "Filing outputs", docs/exports.md).

The TXF file is read back by `read_txf`, a small reader written from the TXF v042 specification
alone (header V/A/D, records of fields one per line, each record ending with a `^` line, record
format 4 or 5 for Schedule D refnums), not from gainlog's writer. Every export's totals must equal
`report schedule-d` for the bundled sample ledger and every year of the worked examples.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "fixtures" / "sample" / "events.jsonl"
EXAMPLES = REPO / "fixtures" / "examples"
FORMATS = ("txf", "turbotax", "taxact", "pdf")
D0 = Decimal(0)

# TXF v042, Section IV (11/30/2011): the Form 8949 copy (box) and holding period of each refnum
REFNUM_TO_TERM_BOX = {321: ("short", "A"), 711: ("short", "B"), 712: ("short", "C"),
                      323: ("long", "D"), 713: ("long", "E"), 714: ("long", "F")}
FORM_ORDER = "ABCGHIDEFJKL"
BOX_TWIN = dict(zip("GHIJKL", "ABCDEF", strict=True))  # docs/exports.md: 1099-DA boxes as their 1099-B twins


# -- an independent TXF reader, from the specification ---------------------------------------------


def _txf_money(text: str) -> Decimal | None:
    text = text.replace(",", "").strip()
    return Decimal(text) if text else None


def read_txf(text: str) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """(header, records) of a TXF v042 file; each record: type, refnum, copy, line, security, the two
    dates as given, and the amounts (cost basis, sales net, disallowed wash sale or None)."""
    lines = text.replace("\r\n", "\n").split("\n")
    assert lines[-1] == "", "the file ends with a line break"
    lines = lines[:-1]
    end = lines.index("^")
    header = {ln[0]: ln[1:] for ln in lines[:end]}
    assert set(header) == {"V", "A", "D"}, header
    records: list[dict[str, Any]] = []
    fields: list[str] = []
    for ln in lines[end + 1:]:
        if ln == "^":
            records.append(_record(fields))
            fields = []
        else:
            fields.append(ln)
    assert fields == [], "the last record ends with ^"
    return header, records


def _record(fields: list[str]) -> dict[str, Any]:
    codes = [f[0] for f in fields]
    # common fields in the recommended order, then record format 4 (P D D $ $) or 5 (P D D $ $ $)
    assert codes[:4] == ["T", "N", "C", "L"], fields
    assert codes[4:] in (["P", "D", "D", "$", "$"], ["P", "D", "D", "$", "$", "$"]), fields
    assert fields[0] in ("TD", "TS")
    copy, line = int(fields[2][1:]), int(fields[3][1:])
    assert 1 <= copy <= 255 and line >= 1
    amounts = [_txf_money(f[1:]) for f in fields[7:]]
    return {"type": fields[0][1], "refnum": int(fields[1][1:]), "security": fields[4][1:],
            "acquired": fields[5][1:], "sold": fields[6][1:], "cost": amounts[0], "sales_net": amounts[1],
            "wash": amounts[2] if len(amounts) == 3 else None}


def test_the_reader_reads_the_specifications_examples() -> None:
    """Example 2A and 2D of the specification, as printed there (commas in amounts included)."""
    text = ("V042\nAMy Software\nD 10/27/2011\n^\nTD\nN321\nC1\nL1\nP200 Reebok\nD01/05/2011\nD10/01/2011\n"
            "$1,000.00\n$2,000.00\n^\nTD\nN321\nC1\nL1\nP50 QCOM\nD01/02/2011\nD01/15/2011\n$1500\n$1300\n$200\n^\n")
    header, records = read_txf(text)
    assert header["V"] == "042"
    assert records[0]["cost"] == Decimal(1000) and records[0]["sales_net"] == Decimal(2000)
    assert records[0]["wash"] is None and records[1]["wash"] == Decimal(200)


# -- helpers -----------------------------------------------------------------------------------------


def _mdy(iso: str) -> str:
    y, m, d = iso.split("-")
    return f"{m}/{d}/{y}"


def _sum(values: list[Decimal]) -> Decimal:
    return sum(values, D0)


def _by_term(sd: dict[str, Any], term: str) -> dict[str, Decimal]:
    return {k: Decimal(v) for k, v in sd[f"{term}_term"].items()}


Run = Callable[..., Any]


@pytest.fixture
def sample(gainlog: Run) -> Run:
    assert gainlog("import", str(SAMPLE)).code == 0
    return gainlog


def _export(gainlog: Run, year: int, fmt: str, out: Path) -> Any:
    done = gainlog("export", "--year", str(year), "--format", fmt, "--out", str(out), "--json")
    assert done.code == 0, done.err
    return done


def _pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def _check_totals(gainlog: Run, year: int, tmp_path: Path) -> None:
    """Each format's file for `year` carries every 8949 row and totals equal to `report schedule-d`."""
    sd = gainlog("report", "schedule-d", "--year", str(year), "--json").json()
    rows = gainlog("report", "8949", "--year", str(year), "--json").json()
    short, long = _by_term(sd, "short"), _by_term(sd, "long")
    # TXF: per term, through the independent reader
    txf = tmp_path / f"{year}.txf"
    _export(gainlog, year, "txf", txf)
    _, records = read_txf(txf.read_bytes().decode("ascii"))
    assert len(records) == len(rows)
    for term, want in (("short", short), ("long", long)):
        mine = [r for r in records if REFNUM_TO_TERM_BOX[r["refnum"]][0] == term]
        wash = _sum([r["wash"] or D0 for r in mine])
        assert _sum([r["sales_net"] for r in mine]) == want["proceeds"]
        assert _sum([r["cost"] for r in mine]) == want["cost_basis"]
        assert wash == want["adjustments"]
        assert _sum([r["sales_net"] - r["cost"] for r in mine]) + wash == want["gain"]
    # TaxAct: per term by the reporting category (the box)
    taxact = tmp_path / f"{year}-taxact.csv"
    _export(gainlog, year, "taxact", taxact)
    lines = list(csv.DictReader(io.StringIO(taxact.read_text(encoding="utf-8"))))
    assert len(lines) == len(rows)
    for boxes, want in (("ABCGHI", short), ("DEFJKL", long)):
        mine = [ln for ln in lines if ln["Reporting Category"] in boxes]
        adjustments = _sum([Decimal(ln["Adjustment Amount"] or "0") for ln in mine])
        assert _sum([Decimal(ln["Sales Proceeds"]) for ln in mine]) == want["proceeds"]
        assert _sum([Decimal(ln["Cost or Other Basis"]) for ln in mine]) == want["cost_basis"]
        assert adjustments == want["adjustments"]
    # TurboTax: proceeds and basis; the rows its layout cannot adjust are named in the warning
    turbotax = tmp_path / f"{year}-turbotax.csv"
    done = _export(gainlog, year, "turbotax", turbotax)
    lines = list(csv.DictReader(io.StringIO(turbotax.read_text(encoding="utf-8"))))
    assert len(lines) == len(rows)
    assert _sum([Decimal(ln["Proceeds"]) for ln in lines]) == short["proceeds"] + long["proceeds"]
    assert _sum([Decimal(ln["Cost Basis"]) for ln in lines]) == short["cost_basis"] + long["cost_basis"]
    adjusted = [n for n, r in enumerate(rows, 1) if Decimal(r["adjustment"])]
    assert ("turbotax has no column" in done.err) == bool(adjusted)
    # PDF: every row and every box total in the text, the Schedule D lines on the summary page
    pdf = tmp_path / f"{year}.pdf"
    _export(gainlog, year, "pdf", pdf)
    text = _pdf_text(pdf)
    for r in rows:
        assert r["description"] in text and _mdy(r["date_sold"]) in text
        assert f"{r['proceeds']} {r['cost_basis']}" in text, r
    for term, want in (("short", short), ("long", long)):
        if rows and any(r["term"] == term for r in rows):
            box_sums = [b for b in _box_totals(text) if (b[0] in "ABCGHI") == (term == "short")]
            assert _sum([b[1] for b in box_sums]) == want["proceeds"]
            assert _sum([b[2] for b in box_sums]) == want["cost_basis"]
            assert _sum([b[4] for b in box_sums]) == want["gain"]
    for key in ("net_short_term", "net_long_term", "net", "deduction"):
        assert sd[key] in text


def _box_totals(text: str) -> list[tuple[str, Decimal, Decimal, Decimal, Decimal]]:
    out = []
    for ln in text.splitlines():
        if ln.startswith("Totals for box "):
            box = ln[len("Totals for box ")]
            amounts = [Decimal(a) for a in ln.split(")")[-1].split()]
            out.append((box, *amounts))
    return out  # type: ignore[return-value]


# -- tests -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("year", [2022, 2023, 2024, 2025])
def test_every_export_of_the_sample_ledger_totals_to_schedule_d(sample: Run, year: int, tmp_path: Path) -> None:
    _check_totals(sample, year, tmp_path)


@pytest.mark.parametrize("case", sorted(p.name for p in EXAMPLES.iterdir() if (p / "events.jsonl").exists()))
def test_every_export_of_every_example_year_totals_to_schedule_d(gainlog: Run, case: str, tmp_path: Path) -> None:
    assert gainlog("import", str(EXAMPLES / case / "events.jsonl")).code == 0
    years = [y["year"] for y in gainlog("report", "all", "--out", str(tmp_path / "all"), "--json").json()["years"]]
    assert years
    for year in years:
        _check_totals(gainlog, year, tmp_path)


def test_txf_round_trips_every_record_of_the_sample(sample: Run, tmp_path: Path) -> None:
    """Each TXF record is one 8949 row in box order: refnum by box, description, dates, amounts, W."""
    for year in (2022, 2023, 2025):
        out = tmp_path / f"{year}.txf"
        _export(sample, year, "txf", out)
        header, records = read_txf(out.read_bytes().decode("ascii"))
        assert header["V"] == "042" and header["A"].startswith("gainlog")
        rows = sample("report", "8949", "--year", str(year), "--json").json()
        rows = sorted(rows, key=lambda r: FORM_ORDER.index(r["box"]))  # stable: 8949 order in a box
        for record, row in zip(records, rows, strict=True):
            term, box = REFNUM_TO_TERM_BOX[record["refnum"]]
            assert (term, box) == (row["term"], BOX_TWIN.get(row["box"], row["box"]))
            assert record["type"] == "D" and record["security"] == row["description"]
            assert (record["acquired"], record["sold"]) == (_mdy(row["date_acquired"]), _mdy(row["date_sold"]))
            assert (record["cost"], record["sales_net"]) == (Decimal(row["cost_basis"]), Decimal(row["proceeds"]))
            assert record["wash"] == (Decimal(row["adjustment"]) if row["code"] == "W" else None)


def test_txf_of_2022_exactly(sample: Run, tmp_path: Path) -> None:
    """The first record: the AAPL wash sale of 2022-09-12 in box A (refnum 321) with its $200 disallowed."""
    out = tmp_path / "2022.txf"
    _export(sample, 2022, "txf", out)
    lines = out.read_bytes().decode("ascii").split("\r\n")
    assert lines[0] == "V042" and lines[3] == "^"
    assert lines[4:15] == ["TD", "N321", "C1", "L1", "P20 AAPL", "D02/01/2022", "D09/12/2022", "$3400.00",
                           "$3200.00", "$200.00", "^"]
    assert lines[15:26] == ["TD", "N712", "C1", "L1", "P0.0002 BTC", "D01/10/2022", "D03/20/2022", "$8.41",
                            "$8.20", "$", "^"]


def test_turbotax_and_taxact_layouts(sample: Run, tmp_path: Path) -> None:
    out = tmp_path / "tt.csv"
    done = _export(sample, 2025, "turbotax", out)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "Currency Name,Purchase Date,Cost Basis,Date Sold,Proceeds"
    assert lines[1] == "BTC,01/09/2023,1724.80,02/03/2025,9800.00"
    assert done.err.startswith("gainlog: warning: turbotax has no column for these rows' adjustments (g)")
    assert "(rows 2 of `report 8949 --year 2025`)" in done.err
    assert json.loads(done.out)["totals"] == {"proceeds": "28879.65", "cost_basis": "12344.44",
                                              "adjustments": "170.00", "gain": "16705.21"}
    out = tmp_path / "ta.csv"
    _export(sample, 2025, "taxact", out)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == ("Description,Date Acquired,Date Sold,Sales Proceeds,Cost or Other Basis,Wash Sale,"
                        "Adjustment Code,Adjustment Amount,Reporting Category")
    assert lines[1] == "10 AAPL,08/05/2024,04/03/2025,1880.00,2050.00,W,W,170.00,A"
    assert lines[2] == "1.2 SOL,04/30/2024,04/07/2025,131.79,165.00,,,,H"


def test_pdf_page_one_renders(sample: Run, tmp_path: Path) -> None:
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed: .ci/run installs it")
    from PIL import Image

    pdf = tmp_path / "2025.pdf"
    _export(sample, 2025, "pdf", pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
                   check=True, timeout=60)
    png = next(tmp_path.glob("page*.png"))
    with Image.open(png) as image:
        gray = image.convert("L")
        dark = sum(gray.histogram()[:128])
        assert gray.size[0] > gray.size[1]  # landscape
    assert dark > 1000  # text and table rules, not a blank page


def test_pdf_pages_per_box(sample: Run, tmp_path: Path) -> None:
    from pypdf import PdfReader

    pdf = tmp_path / "2025.pdf"
    _export(sample, 2025, "pdf", pdf)
    texts = [page.extract_text() for page in PdfReader(pdf).pages]
    boxes = [t.split("Box ")[1][0] for t in texts[:-1]]
    assert boxes == ["A", "H", "D", "K", "L"]  # one page set per box, in form order
    assert "Page 1 of 1 for box A" in texts[0] and "Totals for box A (Schedule D line 1b)" in texts[0]
    assert texts[-1].startswith("Schedule D summary, tax year 2025")


def test_export_errors(sample: Run, tmp_path: Path) -> None:
    done = sample("export", "--year", "2025", "--format", "csv", "--out", str(tmp_path / "x"))
    assert (done.code, done.err) == (2, "gainlog: --format 'csv': give one of txf, turbotax, taxact, pdf\n")
    assert not (tmp_path / "x").exists()
    done = sample("export", "--year", "2025", "--format", "txf", "--out", str(tmp_path / "no" / "x.txf"))
    assert done.code == 1 and done.err.startswith("gainlog: ") and "No such file or directory" in done.err


def test_export_as_of(sample: Run, tmp_path: Path) -> None:
    """--as-of 0 knows nothing: an empty year, a file with the header only."""
    out = tmp_path / "x.txf"
    done = sample("export", "--year", "2025", "--format", "txf", "--out", str(out), "--as-of", "0", "--json")
    assert done.code == 0, done.err
    assert json.loads(done.out)["rows"] == 0
    assert read_txf(out.read_bytes().decode("ascii"))[1] == []


def test_export_of_a_year_without_events_says_so(sample: Run, tmp_path: Path) -> None:
    done = sample("export", "--year", "2030", "--format", "taxact", "--out", str(tmp_path / "x.csv"))
    assert done.code == 0
    assert done.err == "gainlog: warning: no event falls in 2030: the ledger's events are from 2022 to 2025\n"
    assert (tmp_path / "x.csv").read_text(encoding="utf-8").count("\n") == 1  # the header alone


def test_txf_is_the_same_file_on_any_day(gainlog: Run, tmp_path: Path) -> None:
    """The TXF header's date is the day the last known event was recorded (ledger time zone), never
    the machine's today: exporting the same log on two days gives the same bytes."""
    from freezegun import freeze_time

    ny = tmp_path / "ny.db"
    assert gainlog("init", "--timezone", "America/New_York", ledger=ny).code == 0
    with freeze_time("2026-03-02 03:30:00"):  # 2026-03-01 22:30 in New York
        assert gainlog("import", str(SAMPLE), ledger=ny).code == 0
    files = []
    for day in ("2026-04-15 12:00:00", "2027-01-20 12:00:00"):
        with freeze_time(day):
            out = tmp_path / f"{day[:10]}.txf"
            done = gainlog("export", "--year", "2022", "--format", "txf", "--out", str(out), ledger=ny)
            assert done.code == 0, done.err
            files.append(out.read_bytes())
    assert files[0] == files[1]
    header, _ = read_txf(files[0].decode("ascii"))
    assert header["D"] == "03/01/2026"
