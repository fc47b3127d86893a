"""`report html`: a year at a glance, and `report all`'s DIR/YEAR/report.html (issue #15).

The page's numbers are checked against the commands they summarise (`report 8949`, `report
schedule-d`, `lots --year-end`), its bytes against `report all` and a second run, and its text for
what a browser would fetch or run. tests/test_report_html_browser.py opens it in Chromium.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from conftest import Result, write_jsonl
from hypothesis import given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "fixtures" / "sample" / "events.jsonl"
YEARS = [2022, 2023, 2024, 2025]


@pytest.fixture
def sample(db: Path, gainlog: Callable[..., Result]) -> Path:
    assert gainlog("import", str(SAMPLE)).code == 0
    return db


def test_report_html_writes_the_page_report_all_writes(
    sample: Path, gainlog: Callable[..., Result], tmp_path: Path
) -> None:
    assert gainlog("report", "all", "--out", str(tmp_path / "all")).code == 0
    for year in YEARS:
        out = tmp_path / "pages" / f"{year}.html"  # the folder is made
        result = gainlog("report", "html", "--year", str(year), "--out", str(out))
        assert result.code == 0 and result.out == f"Wrote {year} at a glance to {out}\n" and result.err == ""
        assert out.read_bytes() == (tmp_path / "all" / str(year) / "report.html").read_bytes()
        again = tmp_path / "again.html"
        assert gainlog("report", "html", "--year", str(year), "--out", str(again)).code == 0
        assert again.read_bytes() == out.read_bytes()  # no time of "now", no random id


def test_the_manifest_lists_the_pages_and_verify_checks_them(
    sample: Path, gainlog: Callable[..., Result], tmp_path: Path
) -> None:
    out = tmp_path / "all"
    assert gainlog("report", "all", "--out", str(out)).code == 0
    manifest = (out / "manifest.json").read_text()
    assert all(f'"{year}/report.html"' in manifest for year in YEARS)
    assert gainlog("verify", "--manifest", str(out / "manifest.json")).code == 0
    # a page that says another number is not what the log gives
    import hashlib
    import json

    page = out / "2024" / "report.html"
    page.write_text(page.read_text().replace("2121.44", "2121.45"))
    value = json.loads(manifest)
    value["files"]["2024/report.html"] = hashlib.sha256(page.read_bytes()).hexdigest()
    (out / "manifest.json").write_text(json.dumps(value))
    result = gainlog("verify", "--manifest", str(out / "manifest.json"))
    assert result.code != 0 and "2024/report.html would not be written byte-identical" in result.err


def _cells(html: str, section: str) -> list[list[str]]:
    """The body rows of the table in `<section id=section>`, cells as text."""
    body = re.search(rf'<section id="{section}">(.*?)</section>', html, re.DOTALL)
    assert body, section
    rows = "".join(re.findall(r"<tbody>(.*?)</tbody>", body.group(1), re.DOTALL))
    return [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", rows)]


def test_the_page_shows_schedule_d_and_the_carryover_chain(sample: Path, gainlog: Callable[..., Result],
                                                            tmp_path: Path) -> None:
    out = tmp_path / "2024.html"
    assert gainlog("report", "html", "--year", "2024", "--out", str(out)).code == 0
    html = out.read_text()
    sd = gainlog("report", "schedule-d", "--year", "2024", "--json").json()
    assert "<h1>2024 at a glance</h1>" in html and "as of seq 51" in html
    summary = _cells(html, "schedule-d")
    assert summary[0][1:] == [sd["short_term"][k] for k in ("proceeds", "cost_basis", "adjustments", "gain")] + \
        [sd["net_short_term"]]
    assert summary[1][1:] == [sd["long_term"][k] for k in ("proceeds", "cost_basis", "adjustments", "gain")] + \
        [sd["net_long_term"]]
    assert summary[2] == [sd["net"], sd["deduction"], sd["carryover_out"]["short_term"],
                          sd["carryover_out"]["long_term"]]
    chain = []
    for year in YEARS:
        y = gainlog("report", "schedule-d", "--year", str(year), "--json").json()
        chain.append([str(year), y["carryover_in"]["short_term"], y["carryover_in"]["long_term"], y["net"],
                      y["deduction"], y["carryover_out"]["short_term"], y["carryover_out"]["long_term"]])
    assert _cells(html, "chain-table") == chain
    assert chain[0][3:5] == ["-9585.84", "3000.00"]  # the sample's 2022 loss, the deduction taken
    # a year after the ledger's: the chain runs on to it, with a warning that nothing falls in it
    result = gainlog("report", "html", "--year", "2027", "--out", str(out))
    assert result.err == "gainlog: warning: no event falls in 2027: the ledger's events are from 2022 to 2025\n"
    assert [row[0] for row in _cells(out.read_text(), "chain-table")] == [str(y) for y in range(2022, 2028)]


@pytest.mark.parametrize("year", YEARS)
def test_months_and_proceeds_add_up_the_8949_rows(
    sample: Path, gainlog: Callable[..., Result], year: int, tmp_path: Path
) -> None:
    from gainlog.api.year_html import year_html

    glance = year_html(sample, year, tmp_path / "p.html").glance
    rows = gainlog("report", "8949", "--year", str(year), "--json").json()
    for month in glance.months:
        in_month = [r for r in rows if int(r["date_sold"][5:7]) == month.month]
        assert month.short_term == sum((Decimal(r["gain"]) for r in in_month if r["term"] == "short"), Decimal(0))
        assert month.long_term == sum((Decimal(r["gain"]) for r in in_month if r["term"] == "long"), Decimal(0))
    expected = {}
    for r in rows:
        n, p, g = expected.get((r["wallet"], r["asset"]), (0, Decimal(0), Decimal(0)))
        expected[(r["wallet"], r["asset"])] = (n + 1, p + Decimal(r["proceeds"]), g + Decimal(r["gain"]))
    assert {(p.wallet, p.asset): (p.rows, p.proceeds, p.gain) for p in glance.proceeds} == expected
    html = (tmp_path / "p.html").read_text()
    assert _cells(html, "proceeds-table") == [
        [w, a, str(n), f"{p:.2f}", f"{g:.2f}"] for (w, a), (n, p, g) in sorted(expected.items())
    ]


def _lots_by_holding(lots: list[dict[str, str]]) -> dict[tuple[str, str], tuple[int, Decimal, Decimal]]:
    """`lots --json` rows: (asset, wallet) -> (rows, qty, cost basis with the wash-sale adjustments)."""
    out: dict[tuple[str, str], tuple[int, Decimal, Decimal]] = {}
    for lot in lots:
        n, qty, basis = out.get((lot["asset"], lot["wallet"]), (0, Decimal(0), Decimal(0)))
        out[(lot["asset"], lot["wallet"])] = (n + 1, qty + Decimal(lot["qty"]), basis + Decimal(lot["cost_basis"]))
    return out


@pytest.mark.parametrize("year", YEARS)
def test_open_lots_are_those_of_lots_year_end(
    sample: Path, gainlog: Callable[..., Result], year: int, tmp_path: Path
) -> None:
    # one replay notes each year's lots on the way (projections/year_end.py): the same units as the
    # replay `lots --year-end` makes, in the same wallets (`*` for the universal pool before 2025),
    # with the same wash-sale basis (the sample washes AAPL in 2022 and 2025, VTI in 2023)
    from gainlog.api.year_html import year_html

    glance = year_html(sample, year, tmp_path / "p.html").glance
    expected = _lots_by_holding(gainlog("lots", "--year-end", str(year), "--json").json())
    assert {(h.asset, h.wallet): (h.lots, h.qty, h.cost_basis) for h in glance.holdings} == expected
    assert {w for _, w in expected} == ({"*", "schwab"} if year < 2025 else {"coinbase", "kraken", "ledger-nano",
                                                                             "schwab"})


def test_a_year_without_trades_shows_the_lots_of_the_last_one_before(
    db: Path, gainlog: Callable[..., Result], tmp_path: Path
) -> None:
    # 2022 then 2026: 2023-2025 hold what 2022 left, moved to its wallet on 2025-01-01 (R3.4)
    lines = [
        {"type": "buy", "at": "2022-05-01", "wallet": "w1", "asset": "BTC", "qty": "2", "price": "100"},
        {"type": "buy", "at": "2022-06-01", "wallet": "w2", "asset": "BTC", "qty": "1", "price": "300"},
        {"type": "sell", "at": "2022-07-01", "wallet": "w1", "asset": "BTC", "qty": "1", "price": "200"},
        {"type": "buy", "at": "2026-03-01", "wallet": "w2", "asset": "ETH", "qty": "1", "price": "50"},
    ]
    assert gainlog("import", str(write_jsonl(tmp_path / "e.jsonl", lines))).code == 0
    from gainlog.api.year_html import year_html

    for year in range(2021, 2028):
        glance = year_html(db, year, tmp_path / "p.html").glance
        expected = _lots_by_holding(gainlog("lots", "--year-end", str(year), "--json").json())
        assert {(h.asset, h.wallet): (h.lots, h.qty, h.cost_basis) for h in glance.holdings} == expected, year
    assert {h.wallet for h in year_html(db, 2024, tmp_path / "p.html").glance.holdings} == {"*"}
    assert {h.wallet for h in year_html(db, 2025, tmp_path / "p.html").glance.holdings} == {"w1", "w2"}
    assert "No open lots at the end of 2021." in (tmp_path / "p.html").read_text() or \
        year_html(db, 2021, tmp_path / "p.html").glance.holdings == ()


def test_years_after_the_last_trade_hold_its_lots_split_to_wallets_in_2025(
    db: Path, gainlog: Callable[..., Result], tmp_path: Path
) -> None:
    lines = [
        {"type": "buy", "at": "2022-05-01", "wallet": "w1", "asset": "BTC", "qty": "2", "price": "100"},
        {"type": "buy", "at": "2022-06-01", "wallet": "w2", "asset": "BTC", "qty": "1", "price": "300"},
        {"type": "profile", "year": 2026, "filing_status": "single"},
    ]
    assert gainlog("import", str(write_jsonl(tmp_path / "e.jsonl", lines))).code == 0
    from gainlog.api.year_html import year_html

    for year in range(2022, 2028):
        glance = year_html(db, year, tmp_path / "p.html").glance
        expected = _lots_by_holding(gainlog("lots", "--year-end", str(year), "--json").json())
        assert {(h.asset, h.wallet): (h.lots, h.qty, h.cost_basis) for h in glance.holdings} == expected, year
        assert {w for _, w in expected} == ({"*"} if year < 2025 else {"w1", "w2"})


def test_year_end_lots_carry_the_wash_sale_basis_known_by_then(
    db: Path, gainlog: Callable[..., Result], tmp_path: Path
) -> None:
    # a December loss washed by a December buy: the replacement carries it at the year's end; a
    # January loss washed by units bought in December is not known at December 31
    stock = {"wallet": "broker", "asset": "XYZ"}
    lines = [
        {"type": "buy", "at": "2023-06-01", "qty": "10", "price": "100", "class": "stock", **stock},
        {"type": "sell", "at": "2023-12-20", "qty": "10", "price": "80", **stock},
        {"type": "buy", "at": "2023-12-28", "qty": "10", "price": "85", **stock},
        {"type": "sell", "at": "2024-01-10", "qty": "5", "price": "70", **stock},
        {"type": "buy", "at": "2024-01-20", "qty": "5", "price": "72", **stock},
    ]
    assert gainlog("import", str(write_jsonl(tmp_path / "e.jsonl", lines))).code == 0
    from gainlog.api.year_html import year_html

    for year in (2023, 2024):
        glance = year_html(db, year, tmp_path / "p.html").glance
        expected = _lots_by_holding(gainlog("lots", "--year-end", str(year), "--json").json())
        assert {(h.asset, h.wallet): (h.lots, h.qty, h.cost_basis) for h in glance.holdings} == expected, year
    assert [(h.qty, h.cost_basis) for h in year_html(db, 2023, tmp_path / "p.html").glance.holdings] == [
        (Decimal(10), Decimal("1050.00"))]  # 850 + the 200 loss of December 20


def test_unrealized_gain_from_the_latest_price_of_the_year(
    db: Path, gainlog: Callable[..., Result], tmp_path: Path
) -> None:
    lines = [
        {"type": "buy", "at": "2024-01-10", "wallet": "cb", "asset": "BTC", "qty": "0.5", "price": "30000"},
        {"type": "buy", "at": "2024-02-10", "wallet": "cb", "asset": "ETH", "qty": "2", "price": "2000"},
        {"type": "price", "at": "2024-06-30T00:00:00Z", "asset": "BTC", "usd": "40000"},
        {"type": "price", "at": "2024-12-31T23:00:00Z", "asset": "BTC", "usd": "42000.50"},
        {"type": "price", "at": "2025-01-01T00:00:00Z", "asset": "BTC", "usd": "99000"},  # after the year
    ]
    assert gainlog("import", str(write_jsonl(tmp_path / "e.jsonl", lines))).code == 0
    out = tmp_path / "2024.html"
    result = gainlog("report", "html", "--year", "2024", "--out", str(out), "--json")
    assert result.code == 0 and result.json()["unrealized"] == "6000.25"  # 0.5 x 42000.50 - 15000
    html = out.read_text()
    assert _cells(html, "lots-table") == [
        ["BTC", "*", "1", "0.5", "15000.00", "42000.5", "2024-12-31", "21000.25", "6000.25"],  # universal in 2024
        ["ETH", "*", "1", "2", "4000.00", "no price", "", "", ""],
    ]
    assert "Unrealized gain or (loss) of the priced lots: 6000.25" in html
    assert "market value" in html
    # without a price the columns and the sentence are left out
    assert gainlog("report", "html", "--year", "2024", "--out", str(out), "--as-of", "2", "--json").json()[
        "unrealized"] is None
    html = out.read_text()
    body = html.split("<body>")[1]
    assert "unrealized" not in body.lower() and "market value" not in body
    assert _cells(html, "lots-table")[0] == ["BTC", "*", "1", "0.5", "15000.00"]


def test_user_text_is_escaped(db: Path, gainlog: Callable[..., Result], tmp_path: Path) -> None:
    wallet, asset = '<b>bold</b> & "co"', "<i>X</i>"
    lines = [
        {"type": "buy", "at": "2024-01-10", "wallet": wallet, "asset": asset, "qty": "2", "price": "100"},
        {"type": "sell", "at": "2024-03-10", "wallet": wallet, "asset": asset, "qty": "1", "price": "150"},
        {"type": "price", "at": "2024-12-30T00:00:00Z", "asset": asset, "usd": "175"},
    ]
    assert gainlog("import", str(write_jsonl(tmp_path / "e.jsonl", lines))).code == 0
    out = tmp_path / "p.html"
    assert gainlog("report", "html", "--year", "2024", "--out", str(out)).code == 0
    html = out.read_text()
    assert "<b>" not in html and "<i>" not in html
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; &quot;co&quot;" in html  # the tables
    assert "&lt;i&gt;X&lt;/i&gt;" in html  # the tables and the charts' labels


def test_the_page_loads_nothing_and_runs_nothing(sample: Path, gainlog: Callable[..., Result],
                                                 tmp_path: Path) -> None:
    out = tmp_path / "p.html"
    assert gainlog("report", "html", "--year", "2025", "--out", str(out)).code == 0
    html = out.read_text()
    assert html.startswith("<!DOCTYPE html>") and html.count("<svg") == 4
    for forbidden in ("<script", "href=", "src=", "url(", "@import", "<link", "<!--"):
        assert forbidden not in html, forbidden
    assert set(re.findall(r"https?://[^\"' )]*", html)) <= {"http://www.w3.org/2000/svg",
                                                            "http://www.w3.org/1999/xlink"}
    assert re.findall(r'id="chart-([a-z]+)"', html) == ["carryover", "months", "proceeds", "lots"]
    assert re.findall(r'<svg[^>]*id="([^"]+)"', html) == [f"chart-gainlog-{n}" for n in ("carryover", "months",
                                                                                        "proceeds", "lots")]


def test_an_empty_year_and_an_empty_ledger(db: Path, gainlog: Callable[..., Result], tmp_path: Path) -> None:
    out = tmp_path / "p.html"
    result = gainlog("report", "html", "--year", "2024", "--out", str(out))
    assert result.code == 0
    assert result.err == ("gainlog: warning: no event falls in 2024: the ledger holds no trade, profile or "
                          "carryover event\n")
    html = out.read_text()
    assert "No disposals in 2024." in html and "No open lots at the end of 2024." in html
    assert html.count("<svg") == 4


def test_errors(sample: Path, gainlog: Callable[..., Result], tmp_path: Path) -> None:
    result = gainlog("report", "html", "--year", "2024", "--out", str(tmp_path))
    assert (result.code, result.out) == (1, "") and result.err == f"gainlog: {tmp_path}: Is a directory\n"
    result = gainlog("report", "html", "--year", "1492", "--out", str(tmp_path / "p.html"))
    assert result.code == 2 and result.err.startswith("gainlog: --year: 1492 is outside the years gainlog handles")
    result = gainlog("report", "html", "--year", "2024", "--out", str(tmp_path / "p.html"), "--as-of", "nope")
    assert result.code == 2 and result.err.startswith("gainlog: ") and len(result.err.splitlines()) == 1
    assert not (tmp_path / "p.html").exists()


def test_no_command_loads_a_charting_library(sample: Path) -> None:
    # the charts are written by api.charts (pygal's bytes, without pygal): only the year pages load it
    code = (
        "import sys; from gainlog.cli.main import main\n"
        f"main(['--db', {str(sample)!r}, 'report', 'schedule-d', '--year', '2024', '--json'])\n"
        "assert 'gainlog.api.charts' not in sys.modules, 'report schedule-d loaded the charts'\n"
        f"main(['--db', {str(sample)!r}, 'report', 'html', '--year', '2024', '--out', "
        f"{str(sample.parent / 'p.html')!r}])\n"
        "assert 'gainlog.api.charts' in sys.modules\n"
        "assert 'pygal' not in sys.modules and 'importlib_metadata' not in sys.modules\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_a_chart_names_the_largest_and_groups_the_rest(db: Path, gainlog: Callable[..., Result],
                                                       tmp_path: Path) -> None:
    # 12 wallets selling 12 assets: the chart draws 9 wallets and "other wallets (3)", 7 assets and
    # "other assets (5)"; the table lists all 12 pairs
    lines: list[dict[str, str]] = []
    for i in range(12):
        wallet, asset = f"w{i:02}", f"A{i:02}"
        lines.append({"type": "buy", "at": "2024-01-10", "wallet": wallet, "asset": asset, "qty": "1", "price": "1"})
        lines.append({"type": "sell", "at": "2024-02-10", "wallet": wallet, "asset": asset, "qty": "1",
                      "price": str(100 + i)})
    assert gainlog("import", str(write_jsonl(tmp_path / "e.jsonl", lines))).code == 0
    out = tmp_path / "p.html"
    assert gainlog("report", "html", "--year", "2024", "--out", str(out)).code == 0
    html = out.read_text()
    chart = re.search(r'id="chart-proceeds">(.*?)</svg>', html, re.DOTALL)
    assert chart
    labels = re.findall(r"<text[^>]*>([^<]*)</text>", chart.group(1))
    drawn_wallets = [x for x in labels if x.startswith(("w", "other w"))]
    assert drawn_wallets == [f"w{i:02}" for i in range(3, 12)] + ["other wallets (3)"]
    assert "other assets (5)" in labels and "A04" not in labels and "A05" in labels
    assert len(_cells(html, "proceeds-table")) == 12


@pytest.mark.parametrize("seed", [1, 2])
def test_year_end_lots_of_a_generated_ledger_are_those_of_lots_year_end(
    db: Path, gainlog: Callable[..., Result], tmp_path: Path, seed: int
) -> None:
    # every year of a synthetic ledger (many wallets and assets, transfers, swaps, the 2025 split)
    generated = tmp_path / "g.jsonl"
    assert gainlog("generate", "--events", "1500", "--seed", str(seed), "--out", str(generated)).code == 0
    assert gainlog("import", str(generated)).code == 0
    from gainlog.api.year_html import year_html

    for year in range(2015, 2028):
        glance = year_html(db, year, tmp_path / "p.html").glance
        expected = _lots_by_holding(gainlog("lots", "--year-end", str(year), "--json").json())
        assert {(h.asset, h.wallet): (h.lots, h.qty, h.cost_basis) for h in glance.holdings} == expected, year


CHART_CASES = [  # (kind, config, series): the shapes the page draws, and the edges of pygal's drawing
    ("Bar", {"x_labels": ["2022", "2023", "2024"]},
     [("net (line 16)", [-1500.5, 200.0, 0.0]), ("carried out", [1500.5, 0.0, 0.0]), ("deduction", [3000, 0, 0])]),
    ("Bar", {"x_labels": ["Jan", "Feb", "Mar"]}, [("short-term", [1.25, -2.5, 0.0]), ("long-term", [0.0, 0.0, 9e9])]),
    ("StackedBar", {"x_labels": ["w1", "w2", "w3", "w4"], "x_label_rotation": 20},
     [("BTC", [100.0, None, 3.5, 0.01]), ("ETH", [None, 7.0, None, 2.0])]),
    ("Bar", {"x_labels": ["BTC"]}, [("cost basis", [12.5]), ("market value", [None])]),
    ("Bar", {"x_labels": []}, [("cost basis", [])]),  # nothing to show
    ("StackedBar", {"x_labels": [], "x_label_rotation": 0}, []),  # a year without disposals: no series
    ("StackedBar", {"x_labels": ["w"], "x_label_rotation": 0}, []),
]


def _pygals(kind: str, name: str, config: dict[str, object], series: list[tuple[str, list[float | None]]]) -> str:
    """The chart as pygal 3 draws it with the look of the year pages (what `api.charts` replaced):
    its script (tooltips the page does not load) and comments (one names the day) removed."""
    import pygal
    from pygal.style import Style

    style = Style(
        background="white", plot_background="white", font_family="DejaVu Sans, Arial, sans-serif",
        colors=("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"),
        label_font_size=11, major_label_font_size=11, legend_font_size=12, title_font_size=14,
    )
    chart = getattr(pygal, kind)(
        js=[], css=["file://style.css", "file://graph.css"], disable_xml_declaration=True, style=style,
        width=560, height=330, legend_at_bottom=True, legend_at_bottom_columns=3, print_values=False,
        value_formatter=lambda v: f"{v:,.2f}", no_data_text="nothing to show", truncate_legend=-1, **config,
    )
    chart.uuid = f"gainlog-{name}"
    for title, values in series:
        chart.add(title, values)
    text = chart.render(is_unicode=True)
    return re.sub(r"<!--.*?-->", "", re.sub(r"<script\b[^>]*>.*?</script>", "", text, flags=re.DOTALL),
                  flags=re.DOTALL)


def _both_drawn(kind: str, name: str, config: dict[str, Any],
                series: list[tuple[str, list[float | None]]]) -> tuple[str, str]:
    """The chart as `api.charts.bar_chart` writes it, and as pygal draws it."""
    from gainlog.api.charts import bar_chart

    ours = bar_chart(f"gainlog-{name}", config["x_labels"], series, stacked=kind == "StackedBar",
                     rotation=config.get("x_label_rotation", 0))
    return ours, _pygals(kind, name, config, series)


@pytest.mark.parametrize("kind, config, series", CHART_CASES)
def test_the_charts_are_pygals_bytes(kind: str, config: dict[str, Any],
                                     series: list[tuple[str, list[float | None]]]) -> None:
    ours, pygals = _both_drawn(kind, "test", config, series)
    assert ours == pygals and ours.startswith("<svg") and 'id="chart-gainlog-test"' in ours
    assert "<script" not in ours and "<!--" not in ours


def test_a_chart_has_a_colour_for_at_most_eight_series() -> None:
    # the page draws at most 8 (`MOST_ASSETS` assets stacked); pygal would darken its colours for more
    from gainlog.api.charts import bar_chart

    with pytest.raises(ValueError, match="^a chart draws at most 8 series, not 9$"):
        bar_chart("gainlog-x", ["a"], [("s", [1.0])] * 9)
    assert bar_chart("gainlog-x", ["a"], [("s", [1.0])] * 8).count('class="legend reactive activate-serie"') == 8


_LABEL = st.text(st.sampled_from("aZ0 -_.&<>\"'é€\t"), max_size=30)
_AMOUNT = st.one_of(st.none(), st.floats(min_value=-1e13, max_value=1e13, allow_nan=False),
                    st.sampled_from([0.0, 0.01, -0.01, 3000.0, 1e9]))


@st.composite
def _charts(draw: st.DrawFn) -> tuple[str, str, dict[str, Any], list[tuple[str, list[float | None]]]]:
    """What a chart is drawn from: a kind, an id, labels (rotated or not) and series of amounts or gaps."""
    labels = draw(st.lists(_LABEL, max_size=13))
    config: dict[str, Any] = {"x_labels": labels, "x_label_rotation": draw(st.sampled_from([0, 20]))}
    series = draw(st.lists(st.tuples(_LABEL, st.lists(_AMOUNT, max_size=len(labels) + 1)), max_size=8))
    return draw(st.sampled_from(["Bar", "StackedBar"])), draw(st.sampled_from(["a", "b"])), config, series


@settings(max_examples=150, deadline=None)
@given(_charts())
def test_the_charts_are_pygals_bytes_for_any_chart(
        chart: tuple[str, str, dict[str, Any], list[tuple[str, list[float | None]]]]) -> None:
    # every shape the page can draw (any labels and titles, gaps, signs and sizes of amounts, 0-8
    # series, side by side or stacked, labels turned or not): pygal's bytes
    ours, pygals = _both_drawn(*chart)
    assert ours == pygals


@given(st.text(alphabet=st.sampled_from("&<>\"'a é;#x27\x00\n"), max_size=40) | st.text(max_size=40))
def test_the_pages_escape_text_exactly_as_html_escape(text: str) -> None:
    """`year_html._escape` is `html.escape` (quotes too) without importing `html` (start-up)."""
    import html

    from gainlog.api.year_html import _escape as escape

    assert escape(text) == html.escape(text)
    assert escape("<a href=\"x\">Tom's & Jerry's</a>") == (
        "&lt;a href=&quot;x&quot;&gt;Tom&#x27;s &amp; Jerry&#x27;s&lt;/a&gt;")
