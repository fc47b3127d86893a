"""A year at a glance: `report html` and `report all`'s DIR/YEAR/report.html (issue #15).

One self-contained HTML page per tax year: the Schedule D summary, the carryover chain across the
years, realized gain by month (short and long), proceeds by wallet and asset, the open lots at the
year's end and, where `price` events value them, their unrealized gain. The numbers are
`projections.glance.Glance`, built from the one streamed replay `report all` makes
(`api.reading.stream(..., year_ends=True)`); the charts are SVG bar charts (`api.charts`: the
bytes pygal 3 draws for them, without pygal), inlined into the page: no script, no link, no font or
style from elsewhere, so the page opens without a network. The same log gives the same bytes: no
time of "now", no random id (each chart's id is its name). Every user string (asset, wallet) is
HTML-escaped; `api.charts` escapes what it writes into the SVG.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

if TYPE_CHECKING:
    from ..projections.glance import Glance, RowSums
    from ..projections.model import OpenLot
    from ..projections.tax_year import TaxYears
    from .reading import Streamed

PAGE = "report.html"  # in each DIR/YEAR/ of `report all`
CHARTS = ("carryover", "months", "proceeds", "lots")  # the ids of the chart regions, in page order


_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"})


def _escape(text: str) -> str:
    """`html.escape(text)`, character for character, without importing `html`: its entity table
    costs every `report all` ~1 ms."""
    return text.translate(_ESCAPES)


class YearPage(msgspec.Struct, frozen=True):
    """What `report html` wrote.

    Attributes:
        year: the tax year.
        out: the file, as given.
        seq: the knowledge point the page is as of.
        glance: its numbers.
    """

    year: int
    out: Path
    seq: int
    glance: Glance

    def to_json(self) -> dict[str, Any]:
        """`report html --json`: where the page went and its headline numbers."""
        from ..projections.form8949 import money

        sd = self.glance.schedule_d
        unrealized = [h.unrealized for h in self.glance.holdings if h.unrealized is not None]
        return {
            "year": self.year, "out": str(self.out), "seq": self.seq,
            "net": money(sd.netting.line16), "deduction": money(sd.netting.deduction),
            "carryover_out": {"short_term": money(sd.carryover_out.short_term),
                              "long_term": money(sd.carryover_out.long_term)},
            "charts": list(CHARTS),
            "unrealized": money(sum(unrealized, Decimal(0))) if unrealized else None,
        }


def glance_of(streamed: Streamed, ty: TaxYears, sums: RowSums, year: int) -> Glance:
    """The numbers of `year`'s page from a replay made with `year_ends=True`, its tax years and the
    rows' sums (after the replay's slices were read to their end)."""
    from ..projections.glance import glance, latest_prices
    from .lots import end_of_day

    tz = streamed.store.timezone
    lots = _lots_at_end(streamed.replay.year_end_lots, year)
    prices = latest_prices(streamed.replay.log, end_of_day(date(year, 12, 31), tz))
    return glance(year, ty, sums, lots, prices, tz=tz)


def _lots_at_end(year_to_lots: dict[int, tuple[OpenLot, ...]], year: int) -> tuple[OpenLot, ...]:
    """The lots at the end of `year`: those after the last trade on or before it (none before the first trade)."""
    known = [y for y in year_to_lots if y <= year]
    return year_to_lots[max(known)] if known else ()


def year_html(
    db: Path, year: int, out: Path, *, as_of: str | None = None, strict: bool = False
) -> YearPage:
    """`report html`: `year`'s page written to `out` (its folder made if need be), from one streamed
    replay as of `as_of`, or without one where a checkpoint `report all` left serves
    (`report_cache.year_glance`, issue #19); the same bytes as `report all` writes to DIR/YEAR/report.html."""
    from ..ledger.errors import UsageError
    from ..ledger.limits import year_problem
    from ..ledger.speed import gc_paused
    from ..projections import form8949
    from ..projections.glance import RowSums
    from ..projections.rules.form_box import wallet_reports
    from ..projections.tax_year import YearBoxes, add_rows, totalled
    from .reading import stream
    from .report_cache import year_glance
    from .report_files import atomic_file

    problem = year_problem(year)
    if problem is not None:
        raise UsageError(f"--year {year}: {problem}")
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(out) as f:  # made first: a folder that cannot take the page fails before the replay
        served = year_glance(db, year, as_of=as_of, strict=strict)  # the drift check runs here
        if served is not None:
            seq, glance = served
        else:
            with gc_paused():
                streamed = stream(db, as_of, strict=strict, check=False, year_ends=True)
                replay = streamed.replay
                year_boxes: YearBoxes = {}
                sums = RowSums()
                for rows in form8949.row_chunks(replay.slices, wallet_reports(replay.log)):
                    add_rows(year_boxes, rows)
                    sums.add(rows)
                ty = totalled(year_boxes, replay.problems, replay.log, tz=streamed.store.timezone, through=year)
                seq, glance = streamed.seq, glance_of(streamed, ty, sums, year)
        f.write(page(glance, seq=seq).encode())
    return YearPage(year=year, out=out, seq=seq, glance=glance)


# -- the page --------------------------------------------------------------------------------

STYLE = """
body{font-family:"DejaVu Sans",Arial,sans-serif;margin:24px;color:#222;background:#fff;max-width:1150px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:17px;margin:18px 0 6px}
p.meta{color:#555;margin:0 0 10px;font-size:13px}
table{border-collapse:collapse;font-size:13px;margin:4px 0 8px}
th,td{border:1px solid #ccc;padding:3px 8px}td.n{text-align:right;font-variant-numeric:tabular-nums}
th{background:#f1f1f1;text-align:left}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:12px}
.chart{border:1px solid #ddd;height:330px}.chart svg{width:100%;height:100%;display:block}
.none{color:#777;font-style:italic}#unrealized{font-size:14px;font-weight:bold}ul.warnings{font-size:13px;color:#8a4b00}
""".strip()


def draw(glance: Glance, *, carryover: str | None = None, only: str | None = None) -> dict[str, str]:
    """The SVG of each of a page's charts (`CHARTS`), or of the chart `only`; `carryover`: that
    chart already drawn (it is the same on every page `report all` writes: the chain of every year)."""
    makers = {"carryover": (lambda g: carryover) if carryover is not None else _carryover_chart,
              "months": _months_chart, "proceeds": _proceeds_chart, "lots": _lots_chart}
    return {name: make(glance) for name, make in makers.items() if only is None or name == only}


def page(glance: Glance, *, seq: int, charts: dict[str, str] | None = None) -> str:
    """The HTML text of one year's page; `charts`: its charts already drawn (`draw`)."""
    from ..projections.form8949 import money

    drawn = draw(glance) if charts is None else charts
    sd = glance.schedule_d
    year = glance.year
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>gainlog: {year} at a glance</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>{year} at a glance</h1>",
        f'<p class="meta">gainlog, as of seq {seq}; filing status {_escape(sd.filing_status)}. '
        "Amounts in USD; the 8949 rows rounded to cents, as <code>report schedule-d</code> adds them.</p>",
        '<section id="schedule-d"><h2>Schedule D summary</h2>',
        _schedule_d_table(glance),
        _warnings(sd.warnings),
        "</section>",
        '<div class="grid">',
        _chart_section("carryover", "Carryover chain", drawn["carryover"]),
        _chart_section("months", "Realized gain by month", drawn["months"]),
        _chart_section("proceeds", "Proceeds by wallet and asset", drawn["proceeds"]),
        _chart_section("lots", f"Open lots on December 31, {year}", drawn["lots"]),
        "</div>",
        '<section id="chain-table"><h2>Carryover chain by year</h2>',
        _table(("year", "carried in (short)", "carried in (long)", "net gain or (loss), line 16", "deduction",
                "carried out (short)", "carried out (long)"),
               [(str(y.year), money(y.carryover_in.short_term), money(y.carryover_in.long_term),
                 money(y.netting.line16), money(y.netting.deduction), money(y.carryover_out.short_term),
                 money(y.carryover_out.long_term)) for y in glance.chain]),
        "</section>",
        '<section id="proceeds-table"><h2>Proceeds by wallet and asset</h2>',
        _table(("wallet", "asset", "rows", "proceeds", "gain or (loss)"),
               [(p.wallet, p.asset, str(p.rows), money(p.proceeds), money(p.gain)) for p in glance.proceeds])
        if glance.proceeds else f'<p class="none">No disposals in {year}.</p>',
        "</section>",
        '<section id="lots-table"><h2>Open lots at the end of the year</h2>',
        _lots_table(glance),
        "</section>",
        "</body></html>",
        "",
    ]
    return "\n".join(parts)


def _schedule_d_table(glance: Glance) -> str:
    from ..projections.form8949 import money

    sd = glance.schedule_d
    rows: list[tuple[str, ...]] = []
    for title, part, carried, net in (("Part I, short-term (lines 1-3)", sd.short_term, sd.carryover_in.short_term,
                                       sd.netting.line7),
                                      ("Part II, long-term (lines 8-10)", sd.long_term, sd.carryover_in.long_term,
                                       sd.netting.line15)):
        rows.append((title + (f", carried in: {money(carried)}" if carried else ""), money(part.proceeds),
                     money(part.cost_basis), money(part.adjustments), money(part.gain), money(net)))
    table = _table(("", "(d) proceeds", "(e) cost basis", "(g) adjustments", "(h) gain or (loss)",
                    "net (lines 7 and 15)"), rows)
    totals = _table(("net gain or (loss), line 16", "deduction, line 21", "carried out (short)",
                     "carried out (long)"),
                    [(money(sd.netting.line16), money(sd.netting.deduction), money(sd.carryover_out.short_term),
                      money(sd.carryover_out.long_term))])
    return table + "\n" + totals


def _lots_table(glance: Glance) -> str:
    from ..projections.form8949 import money, plain

    if not glance.holdings:
        return f'<p class="none">No open lots at the end of {glance.year}.</p>'
    head: tuple[str, ...] = ("asset", "wallet", "lots", "qty", "cost basis")
    if glance.priced:
        head += ("price", "priced on", "value", "unrealized gain or (loss)")
    rows = []
    for h in glance.holdings:
        row: tuple[str, ...] = (h.asset, h.wallet, str(h.lots), plain(h.qty), money(h.cost_basis))
        if glance.priced:
            row += (plain(h.price), h.priced_on.isoformat(), money(h.value), money(h.unrealized)) \
                if h.price is not None and h.priced_on is not None and h.value is not None \
                and h.unrealized is not None else ("no price", "", "", "")
        rows.append(row)
    note = ""
    if glance.priced:
        total = sum((h.unrealized for h in glance.holdings if h.unrealized is not None), Decimal(0))
        note = (f'<p id="unrealized">Unrealized gain or (loss) of the priced lots: {money(total)} (each asset at its '
                "latest <code>price</code> event on or before December 31).</p>")
    return _table(head, rows) + "\n" + note + \
        '<p class="meta">As <code>lots --year-end</code> shows them: the cost basis includes the loss a wash ' \
        "sale moved onto replacement units.</p>"


def _table(head: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> str:
    """An HTML table; every cell escaped; cells that look like amounts aligned right."""
    out = ["<table><thead><tr>", *(f"<th>{_escape(h)}</th>" for h in head), "</tr></thead><tbody>"]
    for row in rows:
        out.append("<tr>")
        out.extend(f'<td class="n">{_escape(c)}</td>' if _NUMBER.fullmatch(c) else f"<td>{_escape(c)}</td>"
                   for c in row)
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


_NUMBER = re.compile(r"-?[0-9][0-9.]*")


def _warnings(warnings: tuple[str, ...]) -> str:
    if not warnings:
        return ""
    return '<ul class="warnings">' + "".join(f"<li>{_escape(w)}</li>" for w in warnings) + "</ul>"


def _chart_section(name: str, title: str, svg: str) -> str:
    return f'<section><h2>{_escape(title)}</h2><div class="chart" id="chart-{name}">{svg}</div></section>'


# -- the charts (api.charts: SVG; floats only for drawing, every number shown in text is a Decimal) --


def _f(amount: Decimal) -> float:
    return float(amount)  # drawing only


def _carryover_chart(glance: Glance) -> str:
    from .charts import bar_chart

    return bar_chart("gainlog-carryover", [str(y.year) for y in glance.chain], [
        ("net (line 16)", [_f(y.netting.line16) for y in glance.chain]),
        ("carried out", [_f(y.carryover_out.short_term + y.carryover_out.long_term) for y in glance.chain]),
        ("deduction", [_f(y.netting.deduction) for y in glance.chain]),
    ])


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _months_chart(glance: Glance) -> str:
    from .charts import bar_chart

    return bar_chart("gainlog-months", MONTHS, [("short-term", [_f(m.short_term) for m in glance.months]),
                                               ("long-term", [_f(m.long_term) for m in glance.months])])


MOST_WALLETS, MOST_ASSETS = 10, 8  # a chart names the largest; the rest are one "other" bar or series


def _largest(name_to_amount: dict[str, Decimal], most: int, other: str) -> tuple[list[str], Callable[[str], str]]:
    """The `most` names with the largest amounts (ties by name), in name order, with `other` (how
    many it stands for in brackets) for the rest; and the function naming where a name is drawn."""
    ranked = sorted(name_to_amount, key=lambda n: (-name_to_amount[n], n))
    if len(ranked) <= most:
        return sorted(ranked), lambda n: n
    kept = set(ranked[: most - 1])
    rest = f"{other} ({len(ranked) - len(kept)})"
    return [*sorted(kept), rest], lambda n: n if n in kept else rest


def _proceeds_chart(glance: Glance) -> str:
    from .charts import bar_chart

    wallet_to_total: dict[str, Decimal] = {}
    asset_to_total: dict[str, Decimal] = {}
    for p in glance.proceeds:
        wallet_to_total[p.wallet] = wallet_to_total.get(p.wallet, Decimal(0)) + p.proceeds
        asset_to_total[p.asset] = asset_to_total.get(p.asset, Decimal(0)) + p.proceeds
    wallets, wallet_of = _largest(wallet_to_total, MOST_WALLETS, "other wallets")
    assets, asset_of = _largest(asset_to_total, MOST_ASSETS, "other assets")
    drawn: dict[tuple[str, str], Decimal] = {}
    for p in glance.proceeds:
        key = (wallet_of(p.wallet), asset_of(p.asset))
        drawn[key] = drawn.get(key, Decimal(0)) + p.proceeds
    series = [(asset, [_f(drawn[(w, asset)]) if (w, asset) in drawn else None for w in wallets]) for asset in assets]
    return bar_chart("gainlog-proceeds", wallets, series, stacked=True, rotation=20 if len(wallets) > 3 else 0)


def _lots_chart(glance: Glance) -> str:
    from .charts import bar_chart

    asset_to_basis: dict[str, Decimal] = {}
    for h in glance.holdings:
        asset_to_basis[h.asset] = asset_to_basis.get(h.asset, Decimal(0)) + h.cost_basis
    assets, asset_of = _largest(asset_to_basis, MOST_WALLETS, "other assets")
    basis: dict[str, Decimal] = {}
    value: dict[str, Decimal] = {}
    for h in glance.holdings:
        basis[asset_of(h.asset)] = basis.get(asset_of(h.asset), Decimal(0)) + h.cost_basis
        if h.value is not None:
            value[asset_of(h.asset)] = value.get(asset_of(h.asset), Decimal(0)) + h.value
    series: list[tuple[str, list[float | None]]] = [("cost basis", [_f(basis[a]) for a in assets])]
    if glance.priced:
        series.append(("market value", [_f(value[a]) if a in value else None for a in assets]))
    return bar_chart("gainlog-lots", assets, series, rotation=20 if len(assets) > 4 else 0)
