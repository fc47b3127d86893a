"""A broker's Form 1099-B as a CSV (the "1099 composite" download, or a tax tool's 1099-B template),
imported as closed positions: each row becomes the `buy` and the `sell` that reproduce it.

Brokers name the columns differently; each is found by its name with the box number, the form and
punctuation ignored ("1d- Proceeds", "1099-B-1d Proceeds", "Proceeds", "PROCEEDS" are one column;
docs/formats.md lists the names read and where they were found). A header whose first cell is a
section label (Fidelity's 1099 CSV: `1099-B-Detail`) keeps the lines of that section only:

| field | box | names read (any case, any punctuation) |
|---|---|---|
| description | 1a | Description, Description of property (/CUSIP/Symbol), Security |
| symbol | | Symbol, Ticker |
| quantity | | Quantity, Shares, Qty (else the number the description starts with: "100 SH XYZ") |
| date acquired | 1b | Date acquired, DateAcquired, Acquired |
| date sold | 1c | Date sold, Date sold or disposed, DateSold, Sale date |
| proceeds | 1d | Proceeds, Gross proceeds, Sales price |
| cost basis | 1e | Cost basis, Cost or other basis, Basis, Cost |
| wash sale | 1g | Wash sale loss disallowed, Wash sale loss, WashSaleLoss, Disallowed loss, ...; else a Form
  8949 layout's Adjustment code W with its Adjustment amount (`wash_sale`) |
| term | 2 | Term, Short-term or long-term, Holding period |
| gain | 1h | Gain or loss, Gain/Loss, Realized gain/loss (only checked) |
| box | | Box, Form 8949 box, Basis reported to IRS (Yes/No), Covered |

Dates are MM/DD/YYYY, MM/DD/YY or YYYY-MM-DD; money "$1,234.56", "1234.56" or "(12.00)". Rows
that are section titles ("Short Term - Covered", which set the term and box of the rows under
them), repeated headers and totals are not data.

Each row becomes:

- `buy` (id `row-HASH-buy`): at = date acquired, qty, total = cost basis, class stock;
- `sell` (id `row-HASH-sell`): at = date sold, qty, total = proceeds, `lots` = the buy above
  (specific identification, so the row's basis and dates hold whatever else the ledger holds),
  `wash_disallowed` = the wash sale loss disallowed when there is one;

both with the note "1099-B: DESCRIPTION (proceeds P, cost basis C[, wash sale W][, box X])".

A wash sale loss disallowed is the broker's figure on the sale (R4.6): Form 8949 shows P, C, code W
and W, the row's gain is the broker's (P − C + W), and gainlog's own pass (R4) washes the rest of
the loss only against purchases in other wallets (a summary warning names the rows). A row
dated "Various" or "Inherited", or without a quantity or a cost basis, is not mapped (listed at
once). A row whose term or box disagrees with what its dates give, or whose gain or loss is not what its
numbers give, is imported, with a warning.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from .. import importer
from ..errors import InvalidEvent
from ..limits import shown, year_problem
from .table import Conversion, Row, plain, text_hash

# field -> the normalised column names that hold it (see `normalised`)
NAMES: dict[str, frozenset[str]] = {
    "description": frozenset({"description", "descriptionofproperty", "descriptionofpropertycusipsymbol",
                              "descriptionofpropertyexample100shxyzco", "security", "securitydescription",
                              "kindofpropertyanddescription", "propertydescription"}),
    "symbol": frozenset({"symbol", "ticker", "tickersymbol"}),
    "quantity": frozenset({"quantity", "shares", "qty", "quantitysold", "sharessold", "units"}),
    "acquired": frozenset({"dateacquired", "acquired", "acquireddate", "acquisitiondate", "dateofacquisition"}),
    "sold": frozenset({"datesold", "datesoldordisposed", "soldordisposed", "datesoldorexchanged", "saledate",
                       "datedisposed", "dateofsale", "datesoldorexchangeddisposed"}),
    "proceeds": frozenset({"proceeds", "grossproceeds", "salesprice", "totalproceeds", "salesproceeds"}),
    "basis": frozenset({"costbasis", "costorotherbasis", "basis", "cost", "costorotherbasisofcovered"}),
    "wash": frozenset({"washsalelossdisallowed", "washsaleloss", "washsale", "washsaledisallowed",
                       "washsalelossdisallowedamount", "washsaledisallowedloss", "disallowedloss", "lossdisallowed",
                       "washsaleadjustment", "washsalelossdisallowed1g"}),
    # Form 8949 columns (f) and (g) (a tax tool's 8949 layout): code W with its amount is the wash sale
    "code": frozenset({"adjustmentcode", "adjustmentcodes", "code", "codes", "fcode", "fcodes", "form8949codes"}),
    "adjustment": frozenset({"adjustmentamount", "amountofadjustment", "adjustment", "adjustments",
                             "gamountofadjustment", "gadjustment", "adjustmentsamount"}),
    "term": frozenset({"term", "shorttermorlongterm", "termshortlong", "holdingperiod", "shortlongterm",
                       "longtermshortterm", "shorttermgainlosslongtermgainorlossordinary"}),
    "gain": frozenset({"gainorloss", "gainloss", "realizedgainloss", "gainlossamount", "netgainorloss",
                       "gainorlossloss"}),
    # Schwab's 1099 Composite CSV: `Form 8949 Code` is the box (A, B, D, E; X when the term is unknown)
    "box": frozenset({"box", "form8949box", "8949box", "checkbox", "reportingcategory", "form8949code"}),
    "covered": frozenset({"basisreportedtoirs", "covered", "coveredsecurity", "basisreported", "covereduncovered",
                          "coverednoncovered", "checkifnoncoveredsecurity", "checkifbasisreportedtoirs"}),
}
KEY = ("acquired", "sold", "proceeds", "basis")  # a header row holds all four
_FORM = re.compile(r"^1099-?[a-z]{1,3}[-\s]+")  # Fidelity's "1099-B-1d Proceeds": the form before the box
_BOX_CODE = re.compile(r"^\(?(?:box\s*)?\d[a-h]?\)?(?:\s*[-:.)]\s*|\s+(?=[a-z]))")
_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})|(\d{4})-(\d{2})-(\d{2})")
_QTY_IN_TEXT = re.compile(r"^\s*([\d,]*\.?\d+)\s*(?:sh\.?|shs\.?|shares?(?: of)?)?\s+(.+)$", re.IGNORECASE)
_SYMBOL_IN_TEXT = re.compile(r"(?:(?i:symbol):?\s*|\()([A-Z][A-Z0-9.\-]{0,9})\)?\s*$")
_BOX_LETTER = re.compile(r"([A-L])(?![A-Z])")
# box 1a as Fidelity prints it, "Description of property, Stock or Other symbol, CUSIP": NAME, SYMBOL, CUSIP
_SECURITY_LINE = re.compile(r"(?P<name>.+?)\s*,\s*(?P<symbol>[A-Z][A-Z0-9.\-/]{0,9})\s*,\s*(?P<cusip>[0-9A-Z]{9})")
_CUSIP_ONLY = re.compile(r"\s*,\s*[0-9][0-9A-Z]{8}$")  # "NAME, CUSIP" (a security without a symbol)
SCAN_ROWS = 50
COVERED_FROM = date(2011, 1, 1)  # stocks acquired from 2011 on are covered (R6.2)
LONG = {"long", "longterm", "lt", "l", "d", "e", "f"}
SHORT = {"short", "shortterm", "st", "s", "a", "b", "c"}
WASH_GROUP = ("row(s) with a wash sale loss disallowed (box 1g): recorded on the sale (`wash_disallowed`), so "
              "Form 8949 shows the cost basis, code W and the amount as the 1099-B does; gainlog washes the rest "
              "of a loss only against purchases in other wallets: check `gainlog report 8949`")
TERM_GROUP = ("row(s) whose term on the 1099-B is not the one their dates give (a wash sale can move the date "
              "acquired): gainlog's Form 8949 follows the dates")
ADJUSTMENT_GROUP = ("row(s) with a Form 8949 adjustment other than a wash sale (code W): gainlog records the "
                    "proceeds and the cost basis without it; add the adjustment when you file")
GAIN_GROUP = ("row(s) whose gain or loss is neither proceeds - cost basis + wash sale loss disallowed nor "
              "proceeds - cost basis: gainlog records the proceeds and the basis; check the row against the form")
BOX_GROUP = ("row(s) whose box (covered or not) is not the one gainlog gives a stock acquired then (covered from "
             "2011): gainlog's Form 8949 puts them in its own box")


def normalised(name: str) -> str:
    """'1d- Proceeds' -> 'proceeds', '1099-B-1d Proceeds' -> 'proceeds', 'Date Sold or Disposed' ->
    'datesoldordisposed'."""
    bare = _BOX_CODE.sub("", _FORM.sub("", name.strip().lower()))
    return re.sub(r"[^a-z0-9]", "", bare)


def fields_of(header: list[str]) -> dict[str, str]:
    """field -> the header's column that holds it (the first such column)."""
    found: dict[str, str] = {}
    for column in header:
        key = normalised(column)
        for name, names in NAMES.items():
            if name not in found and (key in names or (name == "description" and key.startswith("descriptionof"))):
                found[name] = column
    return found


def looks_like_header(cells: list[str]) -> bool:
    return all(name in fields_of(cells) for name in KEY)


def convert(path: Path, tz: ZoneInfo, wallet: str) -> Conversion:
    """Every row of a broker 1099-B CSV as the buy and sell that reproduce it (module docstring)."""
    out = Conversion()
    columns, sales = read_sales(importer.read_text(path).text, path)
    flagged = flag_groups()
    lots = [(row, _pair(row, columns, section, wallet, out, flagged)) for row, section in sales]
    add_closed_lots(out, path, lots, flagged, tz=tz)
    return out


def flag_groups() -> dict[str, list[Row]]:
    """The rows each summary warning of `add_closed_lots` names, by warning (empty)."""
    return {WASH_GROUP: [], ADJUSTMENT_GROUP: [], GAIN_GROUP: [], TERM_GROUP: [], BOX_GROUP: []}


def add_closed_lots(
    out: Conversion, path: Path, lots: list[tuple[Row, tuple[dict[str, Any], dict[str, Any]] | None]],
    flagged: dict[str, list[Row]], *, tz: ZoneInfo,
) -> None:
    """Each closed lot's buy and sell (`closed_lot`; None for a row not mapped) into `out` with the ids a
    re-export reproduces (`row-HASH-buy`, `row-HASH-sell`: the hash of the row's cells, `-2`, ... for a
    repeated identical row), the sell naming its buy; then one warning per group of `flagged` rows.
    Shared by `--format 1099-b` and `--format schwab-realized`."""
    ranks: Counter[str] = Counter()
    for row, pair in lots:
        if pair is None:
            continue
        digest = text_hash(row.cells[name] for name in row.order)
        ranks[digest] += 1
        ident = f"row-{digest}" if ranks[digest] == 1 else f"row-{digest}-{ranks[digest]}"
        buy, sell = pair
        buy["id"], sell["id"] = f"{ident}-buy", f"{ident}-sell"
        sell["lots"] = [{"lot": buy["id"], "qty": buy["qty"]}]
        out.events.extend((row.event(buy, tz=tz), row.event(sell, tz=tz)))
    for group, flagged_rows in flagged.items():
        if flagged_rows:
            lines = ", ".join(r.where.rsplit(":", 1)[1] for r in flagged_rows[:5])
            more = f" and {len(flagged_rows) - 5} more" if len(flagged_rows) > 5 else ""
            plural = "s" if len(flagged_rows) > 1 else ""
            out.warnings.append(f"{path}: {len(flagged_rows)} {group} (line{plural} {lines}{more})")


def read_sales(text: str, path: Path) -> tuple[dict[str, str], list[tuple[Row, dict[str, str]]]]:
    """The columns (`fields_of` the header) and the sale rows of a 1099-B CSV's text, each with the
    term and covered status its section title gives (`section_title`); section titles, repeated
    headers, totals and lines without a sale are left out. `import` and `reconcile` both read so."""
    header, rows = _read(text, path)
    columns = fields_of(list(header))
    section: dict[str, str] = {}
    sales: list[tuple[Row, dict[str, str]]] = []
    for row in rows:
        title = _section_title(row, header)
        if title is not None:
            section = title
            continue
        text = row.text(columns.get("description", ""))
        if [row.text(c) for c in header] == list(header) or text.lower().startswith("total"):
            continue  # a repeated header, a totals row
        if not row.text(columns["sold"]) and not row.text(columns["proceeds"]):
            continue  # a note or subtotal line without a sale
        sales.append((row, section))
    return columns, sales


def _read(text: str, path: Path) -> tuple[tuple[str, ...], list[Row]]:
    """The header (the first row naming date acquired, date sold, proceeds and cost basis) and the rows.
    A header whose first cell is a form's section label (`1099-B-Detail`, Fidelity's 1099 CSV, where
    every line starts with its section's label) keeps only the rows of that section; lines labelled
    `1099...` are scanned for the header past the first `SCAN_ROWS`, and so is a composite form whose
    sections are titled `Form 1099 ...` (Schwab's 1099 Composite CSV: the 1099-DIV, 1099-INT and 1099-MISC
    boxes, one line each, come before the 1099-B header)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    composite = False
    label: str | None = None
    header: tuple[str, ...] | None = None
    rows: list[Row] = []
    seen = 0
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise InvalidEvent(f"{path}:{start}: not valid CSV ({exc})") from None
        if not any(cell.strip() for cell in cells):
            continue
        if header is None:
            seen += 1
            composite = composite or cells[0].strip().lower().startswith(("1099", "form 1099"))
            if looks_like_header(cells):
                header = tuple(cell.strip() for cell in cells)
                label = header[0] if header[0].startswith("1099") and "1099" not in normalised(header[0]) else None
            elif seen >= SCAN_ROWS and not composite:
                break
            continue
        if label is not None and cells[0].strip() != label:
            continue  # a line of another section of the form
        rows.append(Row(f"{path}:{start}", dict(zip(header, cells, strict=False)), header))
    if header is None:
        raise InvalidEvent(
            f"{path}: no header row naming the date acquired, date sold, proceeds and cost basis: is this a broker's "
            "1099-B CSV?"
        )
    return header, rows


def _section_title(row: Row, header: tuple[str, ...]) -> dict[str, str] | None:
    """'Short Term - Covered' (a row with only its first cell): the term and covered status under it."""
    cells = [row.text(c) for c in header]
    if not cells or not cells[0] or any(cells[1:]):
        return None
    words = normalised(cells[0])
    if "term" not in words:
        return None
    found = {"term": "long" if "long" in words else "short"}
    if "noncovered" in words or "notreported" in words:
        found["covered"] = "no"
    elif "covered" in words or "reported" in words:
        found["covered"] = "yes"
    return found


def _pair(
    row: Row, columns: dict[str, str], section: dict[str, str], wallet: str, out: Conversion,
    flagged: dict[str, list[Row]],
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    description = row.text(columns.get("description", "")) or row.text(columns.get("symbol", ""))
    sold = _date(row, columns["sold"], out)
    acquired = _date(row, columns["acquired"], out, before=sold)
    if acquired is None or sold is None:
        return None
    named = _QTY_IN_TEXT.match(description)
    qty = quantity_of(row, columns)
    if not qty:
        out.not_mapped(row, columns.get("quantity", "Quantity"), "no quantity", "",
                       "the row has no quantity (no Quantity column, and the description starts with no number)")
        return None
    basis = money(row, columns["basis"])
    if basis is None or basis <= 0:
        out.not_mapped(row, columns["basis"], "no cost basis", "",
                       "the broker reports no cost basis for this sale: record the purchase with `gainlog add buy` "
                       "and the sale with `gainlog add sell`")
        return None
    proceeds = abs(money(row, columns["proceeds"]) or Decimal(0))
    wash = wash_sale(row, columns, flagged)
    asset = _asset(row, columns, description, named)
    if proceeds <= 0:
        raise row.error(columns["proceeds"], "must be above zero")
    if wash >= basis:
        column = columns.get("wash") or columns["adjustment"]
        raise row.error(column, f"{shown(row.text(column))} is not below the cost basis")
    box = box_letter(row.text(columns.get("box", "")))
    note = f"1099-B: {description} (proceeds {plain(proceeds)}, cost basis {plain(basis)}"
    note += f", wash sale {plain(wash)}" if wash else ""
    note += f", box {box})" if box else ")"
    _check_box(row, columns, section, acquired, box, flagged)
    return closed_lot(row, columns, section, acquired=acquired, sold=sold, qty=qty, asset=asset, proceeds=proceeds,
                      basis=basis, wash=wash, wallet=wallet, note=note, flagged=flagged)


def closed_lot(
    row: Row, columns: dict[str, str], section: dict[str, str], *, acquired: date, sold: date, qty: Decimal,
    asset: str, proceeds: Decimal, basis: Decimal, wash: Decimal, wallet: str, note: str,
    flagged: dict[str, list[Row]],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The `buy` and `sell` that reproduce one closed lot a broker reports (a 1099-B row, a lot of Schwab's
    realized gain/loss export): the wash sale loss disallowed `wash` goes on the sale (`wash_disallowed`,
    R4.6), so Form 8949 shows the basis C, code W and W, and the lot's gain is the broker's (P - C + W).
    Flags the row when it has a wash sale, when its gain column (`columns["gain"]`) is neither P - C + W
    nor P - C, or when its term disagrees with the dates."""
    if wash:
        flagged[WASH_GROUP].append(row)
    gain = money(row, columns["gain"]) if "gain" in columns else None
    if gain is not None and gain not in (proceeds - basis + wash, proceeds - basis):
        flagged[GAIN_GROUP].append(row)
    _check_term(row, columns, section, acquired, sold, flagged)
    buy = {"type": "buy", "at": acquired.isoformat(), "wallet": wallet, "asset": asset, "qty": plain(qty),
           "total": plain(basis), "class": "stock", "note": note}
    sell = {"type": "sell", "at": sold.isoformat(), "wallet": wallet, "asset": asset, "qty": plain(qty),
            "total": plain(proceeds), "note": note}
    if wash:
        sell["wash_disallowed"] = plain(wash)  # the broker's figure (R4.6): code W, not washed again
    return buy, sell


def wash_sale(row: Row, columns: dict[str, str], flagged: dict[str, list[Row]] | None = None) -> Decimal:
    """The row's wash sale loss disallowed (positive): box 1g's column; else, in a Form 8949 layout, the
    adjustment (g) of a row whose code (f) is W alone. A row with another code and an amount is not a wash
    sale (added to `flagged[ADJUSTMENT_GROUP]`)."""
    wash = abs(money(row, columns["wash"]) or Decimal(0)) if "wash" in columns else Decimal(0)
    if "code" in columns and "adjustment" in columns:
        code = re.sub(r"[^A-Z]", "", row.text(columns["code"]).upper())
        amount = money(row, columns["adjustment"]) or Decimal(0)
        if code == "W" and "wash" not in columns:
            wash = abs(amount)
        elif code.replace("W", "") and amount and flagged is not None:
            flagged[ADJUSTMENT_GROUP].append(row)
    return wash


def asset_of(row: Row, columns: dict[str, str]) -> str:
    """The security a row sold (`_asset`)."""
    description = row.text(columns.get("description", "")) or row.text(columns.get("symbol", ""))
    return _asset(row, columns, description, _QTY_IN_TEXT.match(description))


def quantity_of(row: Row, columns: dict[str, str]) -> Decimal | None:
    """Units sold: the Quantity column, else the number the description starts with; None if neither."""
    qty = money(row, columns["quantity"]) if "quantity" in columns else None
    description = row.text(columns.get("description", "")) or row.text(columns.get("symbol", ""))
    named = _QTY_IN_TEXT.match(description)
    if qty is None and named is not None:
        qty = Decimal(named[1].replace(",", ""))
    return qty


def _asset(row: Row, columns: dict[str, str], description: str, named: re.Match[str] | None) -> str:
    """The Symbol column; else 'Symbol: AAPL' or '(AAPL)' at the end of the description; else the symbol of
    box 1a written as Fidelity's statement writes it, 'APPLE INC, AAPL, 037833100' (description, symbol,
    CUSIP); else the security's name ('APPLE INC', '100 SH APPLE INC' without its quantity: Schwab's
    descriptions name no symbol); refused, naming the line, when the row names no security."""
    symbol = row.text(columns.get("symbol", ""))
    if symbol:
        return symbol
    found = _SYMBOL_IN_TEXT.search(description)
    if found:
        return found[1]
    line = _SECURITY_LINE.fullmatch(description)
    if line:
        return line["symbol"]
    name = named[2] if named is not None else description
    name = _CUSIP_ONLY.sub("", name)
    if not name.strip():
        raise row.error(columns.get("description", "Description"), "is empty: the row names no security")
    return " ".join(name.split())


def money(row: Row, column: str) -> Decimal | None:
    """A cell as a Decimal: '$1,234.56', '1234.56', '(12.00)' (negative)."""
    raw = row.text(column)
    negative = raw.startswith("(") and raw.endswith(")")
    value = Row(row.where, {column: raw[1:-1] if negative else raw}).decimal(column, money=True)
    return -value if negative and value is not None else value


def _date(row: Row, column: str, out: Conversion, *, before: date | None = None) -> date | None:
    """`day_of`; 'Various' and 'Inherited' are listed as not mapped (None)."""
    raw = row.required(column)
    if raw.lower() in ("various", "inherited", "var"):
        out.not_mapped(row, column, raw, "", f"{shown(raw)}: the row covers lots gainlog cannot date; record each "
                                             "purchase with `gainlog add buy` and the sale with `gainlog add sell`")
        return None
    return day_of(row, column, before=before)


def day_of(row: Row, column: str, *, before: date | None = None) -> date:
    """A 1099-B date: MM/DD/YYYY, MM/DD/YY or YYYY-MM-DD. A two-digit year is 20YY, or 19YY when 20YY
    would fall after `before` (the date sold: Fidelity's 1099 CSV writes MM/DD/YY, and shares bought
    in 1998 were not bought in 2098). Shared by the import and `reconcile --format 1099-b`."""
    raw = row.required(column)
    match = _DATE.fullmatch(raw)
    if match is None:
        raise row.error(column, f"{shown(raw)} is not a date MM/DD/YYYY or YYYY-MM-DD")
    if match[4]:
        year, month, day = int(match[4]), int(match[5]), int(match[6])
    else:
        year = int(match[3]) + (2000 if len(match[3]) == 2 else 0)
        month, day = int(match[1]), int(match[2])
    if match[3] and len(match[3]) == 2 and before is not None and (year, month, day) > before.timetuple()[:3]:
        year -= 100
    try:
        value = date(year, month, day)
    except ValueError:
        raise row.error(column, f"{shown(raw)} is not a real date") from None
    problem = year_problem(year)
    if problem is not None:
        raise row.error(column, f"{shown(raw)}: the year {problem}")
    return value


def box_letter(text: str) -> str:
    """'A', 'Box A', 'A - Short-term covered' -> 'A'; '' when the cell names no box A to L."""
    found = _BOX_LETTER.match(text.strip().upper().removeprefix("BOX").strip())
    return found[1] if found else ""


def _is_long(acquired: date, sold: date) -> bool:
    """Held more than one year (R1.1): sold after the anniversary of the day acquired."""
    try:
        anniversary = acquired.replace(year=acquired.year + 1)
    except ValueError:  # acquired on 29 February
        anniversary = date(acquired.year + 1, 3, 1)
    return sold > anniversary


def _check_term(row: Row, columns: dict[str, str], section: dict[str, str], acquired: date, sold: date,
                flagged: dict[str, list[Row]]) -> None:
    said = normalised(row.text(columns.get("term", ""))) or section.get("term", "")
    said = said or box_letter(row.text(columns.get("box", ""))).lower()
    if said in LONG | SHORT and (said in LONG) != _is_long(acquired, sold):
        flagged[TERM_GROUP].append(row)


def _check_box(row: Row, columns: dict[str, str], section: dict[str, str], acquired: date, box: str,
               flagged: dict[str, list[Row]]) -> None:
    reported = normalised(row.text(columns.get("covered", ""))) or section.get("covered", "")
    covered: bool | None = None
    if box in ("A", "D"):
        covered = True
    elif box in ("B", "E"):
        covered = False
    elif reported in ("yes", "y", "true", "covered"):
        covered = True
    elif reported in ("no", "n", "false", "noncovered", "uncovered"):
        covered = False
    if covered is not None and covered != (acquired >= COVERED_FROM):
        flagged[BOX_GROUP].append(row)

