"""The SVG bar charts of the year pages (`api.year_html`): the bytes pygal 3 draws for them, without pygal.

A page's four charts are bar charts (stacked or not) of one fixed look: 560 by 330, no title, the
legend at the bottom in three columns, y labels `1,234.56`, no script. pygal drew them at ~38M
instructions a chart, plus ~170M to import it (and `importlib_metadata`, which it scans for map
plugins) in each `report all`; this module writes the same text directly, a few hundred thousand
instructions a chart. It follows pygal's own steps (`Bar`, `StackedBar`, `Graph`, `View`, `Box`,
`util.compute_scale` and `majorize`) in the same order with the same float arithmetic, so every
number prints as pygal prints it; tests/test_report_html.py holds it to pygal's output byte for byte
over generated charts (any labels, titles, gaps, signs and sizes of amounts, rotation, 0-8 series).

What pygal would write and `year_html` removed is not written: its config script, its comments (one
names the day it was drawn). User text (labels, series titles) is escaped as `xml.etree` escapes
text; attributes hold only numbers and fixed names.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from math import cos, floor, log10, pi, sin

WIDTH, HEIGHT = 560, 330
MARGIN, SPACING = 20, 10
LABEL_FONT, LEGEND_FONT, LEGEND_BOX = 11, 12, 12  # px: axis labels, legend text, legend colour boxes
COLUMNS = 3  # of the legend
COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")
NO_DATA = "nothing to show"
MIN_SCALE, MAX_SCALE = 4, 16  # y guides: pygal's defaults
SERIES_MARGIN = SERIE_MARGIN = 0.06  # pygal's `Bar._series_margin`, `_serie_margin`

Amounts = Sequence[float | None]


def amount_text(value: float) -> str:
    """A y label and a bar's value: `1,234.56`."""
    return f"{value:,.2f}"


def bar_chart(name: str, labels: Sequence[str], series: Sequence[tuple[str, Amounts]], *, stacked: bool = False,
              rotation: int = 0) -> str:
    """The SVG of a bar chart with id `chart-NAME`: one bar per label for each series (title, amounts;
    None: no bar), side by side or `stacked`; the labels turned by `rotation` degrees. No series, or
    no amount: "nothing to show"."""
    if len(series) > len(COLORS):
        raise ValueError(f"a chart draws at most {len(COLORS)} series, not {len(series)}")
    return _Chart(name, labels, series, stacked, rotation % 360).svg()


class _Chart:
    """One chart: pygal's `Graph._draw` for a vertical (stacked) bar chart, as text."""

    def __init__(self, name: str, labels: Sequence[str], series: Sequence[tuple[str, Amounts]], stacked: bool,
                 rotation: int) -> None:
        self.name, self.stacked, self.rotation = name, stacked, rotation
        self.titles = [title for title, _ in series]
        width = max([len(values) for _, values in series] + [len(labels)])
        padded = [list(values) + [None] * (width - len(values)) for _, values in series]
        # pygal's adapters: a stacked chart draws a gap as 0 (an int, as pygal's `none_to_zero` gives)
        self.values = [[0 if v is None else v for v in row] for row in padded] if stacked else padded
        self.has_data = any(v is not None for _, values in series for v in values)  # `_has_data`: the raw values
        self.flat = [v for row in self.values for v in row if v is not None]  # `_values`
        self.order = len(series)
        self.count = width if series else 0  # `_len`
        self.xmin: float = 0  # `Box()`
        self.xmax: float = 1
        self.ymin: float = 0
        self.ymax: float = 1
        self._compute()
        # `_compute_x_labels`, `_compute_y_labels`, `_compute_y_labels_major`
        self.x_labels = list(zip(labels, self.x_pos, strict=False)) if labels else []
        self.y_labels = [(amount_text(p), p) for p in _scale(self.ymin, self.ymax)]
        self.y_major = _majorize([p for _, p in self.y_labels]) if self.y_labels else []
        self._compute_margin()
        self._fix()
        self.view_width = WIDTH - (self.left + self.right)
        self.view_height = HEIGHT - (self.top + self.bottom)
        self.positive: list[float] = [0] * self.count  # `StackedBar.positive_cumulation`
        self.negative: list[float] = [0] * self.count

    def _set_ymax(self, value: float) -> None:
        """`Box.ymax`'s setter: a falsy value is taken only when ymin is not."""
        if value or self.ymin:
            self.ymax = value

    def _compute(self) -> None:
        """`Bar._compute` / `StackedBar._compute`: the y bounds, the bars' and the labels' x positions."""
        count = self.count
        if self.stacked:
            columns = list(zip(*self.values, strict=True))
            positive = [sum([v for v in vals if v is not None and v >= 0]) for vals in columns]
            negative = [sum([v for v in vals if v is not None and v < 0]) for vals in columns]
            self.ymin = (min(min(negative), 0) or 0) if negative else 0  # pygal: `negative and min(...) or 0`
            self._set_ymax((max(max(positive), 0) or 0) if positive else 0)
        else:
            low = min(self.flat) if self.flat else None
            high = max(self.flat) if self.flat else None
            if low:
                self.ymin = min(low, 0)
            if high:
                self._set_ymax(max(high, 0))
        points_x = [x / count for x in range(count + 1)] if count > 1 else [0, 1]
        self.points = [[(points_x[i], v) for i, v in enumerate(row)] for row in self.values]
        self.x_pos = [(i + .5) / count for i in range(count)]

    def _compute_margin(self) -> None:
        """`Graph._compute_margin`: the legend below, the x labels' height, the y labels' width."""
        self.top: float = MARGIN
        self.right: float = MARGIN
        self.bottom: float = MARGIN
        self.left: float = MARGIN
        if self.order:
            h_max = max(LEGEND_FONT, LEGEND_BOX)
            self.bottom += SPACING + h_max * round(self.order // COLUMNS - 1) * 1.5 + h_max
        self.x_labels_height: float = 0
        if self.x_labels:
            w = _text_len(max(len(_truncate(label, 25)) for label, _ in self.x_labels), LABEL_FONT)
            self.x_labels_height = SPACING + max(w * abs(sin(_rad(self.rotation))), LABEL_FONT)
            self.bottom += self.x_labels_height
            if self.rotation and self.rotation % 180 < 90:
                self.right = max(w * abs(cos(_rad(self.rotation))), self.right)
        if self.y_labels:
            w = _text_len(max(len(label) for label, _ in self.y_labels), LABEL_FONT)
            self.left += SPACING + max(w * abs(cos(_rad(0))), LABEL_FONT)

    def _fix(self) -> None:
        """`Box.fix`: a flat box made one high, and a margin of 2 % around it."""
        if not self.ymax - self.ymin:
            self.ymin /= 2
            self._set_ymax(self.ymax + self.ymin)
        xmargin = .02 * (self.xmax - self.xmin)
        self.xmin -= xmargin
        self.xmax += xmargin
        ymargin = .02 * (self.ymax - self.ymin)
        self.ymin -= ymargin
        self._set_ymax(self.ymax + ymargin)

    def x(self, x: float) -> float:
        """`View.x`."""
        return self.view_width * (x - self.xmin) / (self.xmax - self.xmin)

    def y(self, y: float) -> float:
        """`View.y`."""
        return self.view_height - self.view_height * (y - self.ymin) / (self.ymax - self.ymin)

    def svg(self) -> str:
        """The whole SVG text."""
        out: list[str] = []
        write = out.append
        prefix = f"#chart-{self.name}"
        write(f'<svg xmlns="http://www.w3.org/2000/svg" id="chart-{self.name}" class="pygal-chart" '
              f'viewBox="0 0 {WIDTH} {HEIGHT}"><defs><style type="text/css">')
        write(_css(prefix, self.order))
        kind = "stackedbar" if self.stacked else "bar"
        write(f'</style></defs><title>Pygal</title><g class="graph {kind}-graph vertical">'
              f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" class="background" />')
        translate = f"translate({int(self.left)}, {int(self.top)})"
        write(f'<g transform="{translate}" class="plot">')
        write(f'<rect x="0" y="0" width="{self.view_width}" height="{self.view_height}" class="background" />')
        self._y_axis(write)
        self._x_axis(write)
        plotted = self.flat and self.has_data
        if plotted:
            for index in range(self.order):
                write(f'<g class="series serie-{index} color-{index}">')
                self._bars(index, write)
                write("</g>")
        write('</g><g class="titles" />')
        series = "".join(f'<g class="series serie-{i} color-{i}" />' for i in range(self.order)) if plotted else ""
        write(f'<g transform="{translate}" class="plot overlay">{series}</g>' if series
              else f'<g transform="{translate}" class="plot overlay" />')
        if plotted:
            write(f'<g transform="{translate}" class="plot text-overlay">{series}</g>')
        else:
            write(f'<g transform="{translate}" class="plot text-overlay"><text x="{self.view_width / 2}" '
                  f'y="{self.view_height / 2}" class="no_data">{NO_DATA}</text></g>')
        write(f'<g transform="{translate}" class="plot tooltip-overlay"><g transform="translate(0 0)" '
              'style="opacity: 0" class="tooltip"><rect rx="0" ry="0" width="0" height="0" class="tooltip-box" />'
              '<g class="text" /></g></g>')
        self._legend(write)
        write("</g></svg>")
        return "".join(out)

    def _y_axis(self, write: Callable[[str], object]) -> None:
        """`Graph._y_axis`: a guide line, label and title per y label."""
        write('<g class="axis y always_show">')
        if 0 not in [p for _, p in self.y_labels]:
            write(f'<path d="M{0:f} {self.view_height:f} h{self.view_width:f}" class="line" />')
        for label, position in self.y_labels:
            y = self.y(position)
            if not y:
                write('<g class="guides" />')
                continue
            major = position in self.y_major
            line = "".join(("axis " if label == "0" else "", "major " if major else "",
                            "guide " if position != 0 else "", "line"))
            write(f'<g class="guides"><path d="M{0:f} {y:f} h{self.view_width:f}" class="{line}" />'
                  f'<text x="-5" y="{y + .35 * LABEL_FONT}" class="{"major" if major else ""}">{_text(label)}</text>'
                  f"<title>{_text(amount_text(position))}</title></g>")
        write("</g>")

    def _x_axis(self, write: Callable[[str], object]) -> None:
        """`Graph._x_axis`: a guide line and label per x label, cut to the room it has."""
        if not self.x_labels:
            return
        write('<g class="axis x">')
        if self.rotation or len(self.x_labels) <= 1:
            truncation = 25
        else:
            first: float = self.x(self.x_labels[0][1]) or 0
            last: float = self.x(self.x_labels[-1][1]) or 0
            truncation = max(int(((last - first) / len(self.x_labels) - 1) / (0.6 * LABEL_FONT)), 1)
        write(f'<path d="M{0:f} {0:f} v{self.view_height:f}" class="line" />')
        for label, position in self.x_labels:
            x = self.x(position)
            y: float = self.view_height + 5
            line = f"{'axis ' if label == '0' else ''}{'guide ' if position != 0 else ''}line"
            write(f'<g class="guides"><path d="M{x or 0:f} {0:f} v{self.view_height:f}" class="{line}" />')
            y += .5 * LABEL_FONT + 5
            shown = _truncate(label, truncation)
            turned = f' transform="rotate({self.rotation:d} {x:f} {y:f})"' if self.rotation else ""
            write(_element("text", f'x="{x}" y="{y}" class=""{turned}', shown))
            if shown != label:
                write(_element("title", "", label))
            write("</g>")
        write("</g>")

    def _bars(self, index: int, write: Callable[[str], object]) -> None:
        """`Bar.bar` / `StackedBar._bar` for series `index`: a rect and its tooltip data per amount."""
        bars: list[str] = []
        step = (self.x(1) - self.x(0)) / self.count
        for i, (x, value) in enumerate(self.points[index]):
            if value is None:
                continue
            if self.stacked:
                bx, by, width, height = self._stacked(i, x, value, step)
            else:
                bx, by, width, height = self._side_by_side(index, x, value, step)
            rect_y, rect_height = (by, height) if not height < 0 else (by - -height, -height)  # as `Svg.node`
            bars.append(f'<g class="bar"><rect x="{bx}" y="{rect_y}" rx="0" ry="0" width="{width}" '
                        f'height="{rect_height}" class="rect reactive tooltip-trigger" />'
                        f'<desc class="value">{_text(amount_text(value))}</desc>'
                        f'<desc class="x centered">{bx + width / 2}</desc>'
                        f'<desc class="y centered">{by + height / 2}</desc>')
            if i < len(self.x_labels) and self.x_labels[i][0]:
                bars.append(_element("desc", 'class="x_label"', self.x_labels[i][0]))
            bars.append("</g>")
        write(f'<g class="bars">{"".join(bars)}</g>' if bars else '<g class="bars" />')

    def _side_by_side(self, index: int, x: float, value: float, step: float) -> tuple[float, float, float, float]:
        """`Bar._bar`."""
        width = step
        x, y = self.x(x), self.y(value)
        series_margin = width * SERIES_MARGIN
        x += series_margin
        width -= 2 * series_margin
        width /= self.order
        x += index * width
        serie_margin = width * SERIE_MARGIN
        x += serie_margin
        width -= 2 * serie_margin
        return x, y, width, self.y(0) - y

    def _stacked(self, i: int, x: float, value: float, step: float) -> tuple[float, float, float, float]:
        """`StackedBar._bar`: on top of (or below) the series drawn before."""
        cumulation = self.negative if value < 0 else self.positive
        zero = cumulation[i]
        cumulation[i] = zero + value
        if zero == 0:
            zero = 0
            value -= 0
        value += zero
        width = step
        x, y = self.x(x), self.y(value)
        y = y or 0
        series_margin = width * SERIES_MARGIN
        x += series_margin
        width -= 2 * series_margin
        return x, y, width, self.y(zero) - y

    def _legend(self, write: Callable[[str], object]) -> None:
        """`Graph._legend` at the bottom: a colour box and the title of each series, in `COLUMNS` columns."""
        x = self.left + SPACING
        y = self.top + self.view_height + self.x_labels_height + SPACING
        opening = f'<g transform="translate({int(x)}, {int(y)})" class="legends"'
        if not self.titles:
            write(f"{opening} />")
            return
        write(f"{opening}>")
        h = max(LEGEND_BOX, LEGEND_FONT)
        x_step = self.view_width / COLUMNS
        for i, title in enumerate(self.titles):
            col, row = i % COLUMNS, i // COLUMNS
            box_y = 1.5 * row * h + (LEGEND_FONT - LEGEND_BOX if LEGEND_FONT > LEGEND_BOX else 0) / 2
            write(f'<g id="activate-serie-{i}" class="legend reactive activate-serie"><rect x="{col * x_step}" '
                  f'y="{box_y}" width="{LEGEND_BOX}" height="{LEGEND_BOX}" class="color-{i} reactive" />')
            text_x = col * x_step + LEGEND_BOX + 5
            text_y = 1.5 * row * h + .5 * h + .3 * LEGEND_FONT
            write(_element("text", f'x="{text_x}" y="{text_y}"', title))
            write("</g>")
        write("</g>")


def _element(tag: str, attributes: str, text: str) -> str:
    """An element as `xml.etree` writes it: closed at once when it has no text."""
    opening = f"<{tag} {attributes}" if attributes else f"<{tag}"
    return f"{opening}>{_text(text)}</{tag}>" if text else f"{opening} />"


def _text(text: str) -> str:
    """Text escaped as `xml.etree` escapes it."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _truncate(text: str, index: int) -> str:
    """pygal's `util.truncate`: cut to `index` characters, the last an ellipsis."""
    return text[:index - 1] + "…" if len(text) > index > 0 else text


def _text_len(length: int, font: int) -> float:
    """pygal's estimate of a text's width."""
    return length * 0.6 * font


def _rad(degrees: float) -> float:
    return pi * degrees / 180


def _round_to_scale(number: float, precision: float) -> float:
    """pygal's `util.round_to_scale`."""
    if precision < 1:
        return float(Decimal(str(floor((number + precision / 2) // precision))) * Decimal(str(precision)))
    whole = int(precision)
    return (int(number) + whole / 2) // whole * whole


def _scale(low: float, high: float) -> list[float]:
    """pygal's `util.compute_scale` (linear, no minimum order): the y guides' positions."""
    if low == 0 and high == 0:
        return [0]
    if high - low == 0:
        return [low]
    order = round(log10(max(abs(low), abs(high)))) - 1
    while (high - low) / (10**order) < MIN_SCALE:
        order -= 1
    step = float(10**order)
    while (high - low) / step > MAX_SCALE:
        step *= 2.
    positions: list[float] = []
    position = _round_to_scale(low, step)
    while position < (high + step):
        rounded = _round_to_scale(position, step)
        if low <= rounded <= high and rounded not in positions:
            positions.append(rounded)
        position += step
    if len(positions) < 2:
        return [low, high]
    return positions


def _majorize(values: list[float]) -> list[float]:
    """pygal's `util.majorize`: the y guides drawn as major."""
    ordered = sorted(values)
    if len(values) <= 3 or (abs(2 * ordered[1] - ordered[0] - ordered[2]) > abs(1.5 * (ordered[1] - ordered[0]))):
        return []
    values_step = ordered[1] - ordered[0]
    full_range = ordered[-1] - ordered[0]
    step = 10**int(log10(full_range))
    if step == values_step:
        step *= 10
    step_factor = 10**(int(log10(step)) + 1)
    if round(step * step_factor) % (round(values_step * step_factor) or 1):
        step *= values_step
    if full_range <= 2 * step:
        step *= .5
    elif full_range >= 5 * step:
        step *= 5
    major = [value for value in values if value / step == round(value / step)]
    return [value for value in ordered if value in major]


def _css(prefix: str, count: int) -> str:
    """The chart's style sheet: pygal's three CSS files for this look, minified, each rule under the
    chart's id, with a colour for each of `count` series (written as in the SVG: `>` escaped)."""
    colors = "".join(f"{prefix} .color-{i},{prefix} .color-{i} a:visited{{stroke:{c};fill:{c}}}"
                     for i, c in enumerate(COLORS[:count]))
    values = "".join(f"{prefix} .text-overlay .color-{i} text{{fill:black}}" for i in range(count))
    base, style, graph = (prefix + prefix.join(rules.strip("\n").split("\n")) for rules in (_BASE, _STYLE, _GRAPH))
    return f"{base}\n{style}{colors}{values}\n{graph}"


# pygal 3's base.css, style.css and graph.css as it writes them for this look: one rule a line, each
# after the chart's id (`#chart-NAME`), which comes before the line
_BASE = """
{-webkit-user-select:none;-webkit-font-smoothing:antialiased;font-family:DejaVu Sans,Arial,sans-serif}
 .title{font-family:DejaVu Sans,Arial,sans-serif;font-size:14px}
 .legends .legend text{font-family:DejaVu Sans,Arial,sans-serif;font-size:12px}
 .axis text{font-family:DejaVu Sans,Arial,sans-serif;font-size:11px}
 .axis text.major{font-family:DejaVu Sans,Arial,sans-serif;font-size:11px}
 .text-overlay text.value{font-family:DejaVu Sans,Arial,sans-serif;font-size:16px}
 .text-overlay text.label{font-family:DejaVu Sans,Arial,sans-serif;font-size:10px}
 .tooltip{font-family:DejaVu Sans,Arial,sans-serif;font-size:14px}
 text.no_data{font-family:DejaVu Sans,Arial,sans-serif;font-size:64px}
"""
_STYLE = """
{background-color:white}
 path,
 line,
 rect,
 circle{-webkit-transition:150ms;-moz-transition:150ms;transition:150ms}
 .graph &gt; .background{fill:white}
 .plot &gt; .background{fill:white}
 .graph{fill:rgba(0,0,0,.87)}
 text.no_data{fill:rgba(0,0,0,1)}
 .title{fill:rgba(0,0,0,1)}
 .legends .legend text{fill:rgba(0,0,0,.87)}
 .legends .legend:hover text{fill:rgba(0,0,0,1)}
 .axis .line{stroke:rgba(0,0,0,1)}
 .axis .guide.line{stroke:rgba(0,0,0,.54)}
 .axis .major.line{stroke:rgba(0,0,0,.87)}
 .axis text.major{fill:rgba(0,0,0,1)}
 .axis.y .guides:hover .guide.line,
 .line-graph .axis.x .guides:hover .guide.line,
 .stackedline-graph .axis.x .guides:hover .guide.line,
 .xy-graph .axis.x .guides:hover .guide.line{stroke:rgba(0,0,0,1)}
 .axis .guides:hover text{fill:rgba(0,0,0,1)}
 .reactive{fill-opacity:.7;stroke-opacity:.8;stroke-width:1}
 .ci{stroke:rgba(0,0,0,.87)}
 .reactive.active,
 .active .reactive{fill-opacity:.8;stroke-opacity:.9;stroke-width:4}
 .ci .reactive.active{stroke-width:1.5}
 .series text{fill:rgba(0,0,0,1)}
 .tooltip rect{fill:white;stroke:rgba(0,0,0,1);-webkit-transition:opacity 150ms;-moz-transition:opacity 150ms;\
transition:opacity 150ms}
 .tooltip .label{fill:rgba(0,0,0,.87)}
 .tooltip .label{fill:rgba(0,0,0,.87)}
 .tooltip .legend{font-size:.8em;fill:rgba(0,0,0,.54)}
 .tooltip .x_label{font-size:.6em;fill:rgba(0,0,0,1)}
 .tooltip .xlink{font-size:.5em;text-decoration:underline}
 .tooltip .value{font-size:1.5em}
 .bound{font-size:.5em}
 .max-value{font-size:.75em;fill:rgba(0,0,0,.54)}
 .map-element{fill:white;stroke:rgba(0,0,0,.54) !important}
 .map-element .reactive{fill-opacity:inherit;stroke-opacity:inherit}
"""
_GRAPH = """
 text.no_data{text-anchor:middle}
 .guide.line{fill:none}
 .centered{text-anchor:middle}
 .title{text-anchor:middle}
 .legends .legend text{fill-opacity:1}
 .axis.x text{text-anchor:middle}
 .axis.x:not(.web) text[transform]{text-anchor:start}
 .axis.x:not(.web) text[transform].backwards{text-anchor:end}
 .axis.y text{text-anchor:end}
 .axis.y text[transform].backwards{text-anchor:start}
 .axis.y2 text{text-anchor:start}
 .axis.y2 text[transform].backwards{text-anchor:end}
 .axis .guide.line{stroke-dasharray:4,4;stroke:black}
 .axis .major.guide.line{stroke-dasharray:6,6;stroke:black}
 .horizontal .axis.y .guide.line,
 .horizontal .axis.y2 .guide.line,
 .vertical .axis.x .guide.line{opacity:0}
 .horizontal .axis.always_show .guide.line,
 .vertical .axis.always_show .guide.line{opacity:1 !important}
 .axis.y .guides:hover .guide.line,
 .axis.y2 .guides:hover .guide.line,
 .axis.x .guides:hover .guide.line{opacity:1}
 .axis .guides:hover text{opacity:1}
 .nofill{fill:none}
 .subtle-fill{fill-opacity:.2}
 .dot{stroke-width:1px;fill-opacity:1;stroke-opacity:1}
 .dot.active{stroke-width:5px}
 .dot.negative{fill:transparent}
 text,
 tspan{stroke:none !important}
 .series text.active{opacity:1}
 .tooltip rect{fill-opacity:.95;stroke-width:.5}
 .tooltip text{fill-opacity:1}
 .showable{visibility:hidden}
 .showable.shown{visibility:visible}
 .gauge-background{fill:rgba(229,229,229,1);stroke:none}
 .bg-lines{stroke:white;stroke-width:2px}
"""
