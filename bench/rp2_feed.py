"""RP2 (PyPI `rp2`, an independent US crypto tax calculator) fed the one-asset benchmark ledger, for
timing it side by side with gainlog (issue #19: "at least 50× faster than RP2, timed in the same run
on the same ledger").

gainlog's one-asset ledger (`fixtures.generate(..., one_asset=True)`: buys, some with a USD fee, and
fee-less sells of one asset in one wallet, every cell float-exact) becomes RP2's input: an ODS
spreadsheet with the asset's IN (BUY) and OUT (SELL) tables and the INI that maps its columns, the
same layout RP2's own examples use. `rp2_us -m fifo -o OUT CONFIG ODS` then computes and writes its
reports, the whole of what `gainlog init` + `import` + `report all` do.

RP2 is not a dependency of gainlog: install it in a virtual environment of its own
(`python3 -m venv rp2env && rp2env/bin/pip install rp2`) and give its `rp2_us` with `--rp2`, or
have `rp2_us` on PATH; without it the comparison is skipped with a message.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from xml.sax.saxutils import escape

HOLDER = "Me"
IN_COLUMNS = ("timestamp", "asset", "exchange", "holder", "transaction_type", "spot_price", "crypto_in",
              "crypto_fee", "fiat_in_no_fee", "fiat_in_with_fee", "fiat_fee", "unique_id", "notes")
OUT_COLUMNS = ("timestamp", "asset", "exchange", "holder", "transaction_type", "spot_price", "crypto_out_no_fee",
               "crypto_fee", "crypto_out_with_fee", "fiat_out_no_fee", "fiat_fee", "unique_id", "notes")
INTRA_COLUMNS = ("timestamp", "asset", "from_exchange", "from_holder", "to_exchange", "to_holder", "spot_price",
                 "crypto_sent", "crypto_received", "unique_id", "notes")
WIDTH = len(IN_COLUMNS)
NUMBER_COLUMNS = {"spot_price", "crypto_in", "crypto_fee", "fiat_in_no_fee", "fiat_in_with_fee", "fiat_fee",
                  "crypto_out_no_fee", "crypto_out_with_fee", "fiat_out_no_fee"}
_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
       'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
       'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"')
_MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
    'manifest:version="1.2"><manifest:file-entry manifest:full-path="/" '
    'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>'
)


def rp2_command(given: str | None) -> str | None:
    """The `rp2_us` to run: the one given, else the one on PATH; None when there is none."""
    if given:
        return given if Path(given).exists() else None
    return shutil.which("rp2_us")


def _cell(value: str | None, number: bool) -> str:
    if value is None or value == "":
        return "<table:table-cell/>"
    if number:
        return (f'<table:table-cell office:value-type="float" office:value="{value}">'
                f"<text:p>{value}</text:p></table:table-cell>")
    return f'<table:table-cell office:value-type="string"><text:p>{escape(value)}</text:p></table:table-cell>'


def _row(values: Sequence[str | None], columns: Sequence[str] = ()) -> str:
    cells = [_cell(v, i < len(columns) and columns[i] in NUMBER_COLUMNS) for i, v in enumerate(values)]
    cells += ["<table:table-cell/>"] * (WIDTH - len(cells))
    return "<table:table-row>" + "".join(cells) + "</table:table-row>"


def _table(name: str, columns: Sequence[str], rows: Iterable[dict[str, str | None]]) -> list[str]:
    return [_row([name]), _row(list(columns)), *(_row([r.get(c) for c in columns], columns) for r in rows),
            _row(["TABLE END"]), _row([])]


def write_input(lines: Iterable[bytes], folder: Path) -> tuple[Path, Path]:
    """RP2's input for the one-asset ledger: (config.ini, input.ods) in `folder`."""
    buys: list[dict[str, str | None]] = []
    sells: list[dict[str, str | None]] = []
    assets: set[str] = set()
    wallets: set[str] = set()
    for line in lines:
        if not line.strip():
            continue
        ev = json.loads(line)
        if ev["type"] not in ("buy", "sell"):
            raise ValueError(f"RP2's benchmark input takes buys and sells only, got {ev['type']!r}")
        assets.add(ev["asset"])
        wallets.add(ev["wallet"])
        when = ev["at"].replace("T", " ").replace("Z", "+00:00")
        common = {"timestamp": when, "asset": ev["asset"], "exchange": ev["wallet"], "holder": HOLDER,
                  "transaction_type": ev["type"].upper(), "spot_price": ev["price"], "unique_id": ev["id"]}
        if ev["type"] == "buy":
            buys.append({**common, "crypto_in": ev["qty"], "fiat_fee": ev.get("fee", "0")})
        else:
            if "fee" in ev:
                raise ValueError("RP2 ignores a sale's USD fee: the benchmark ledger has none")
            sells.append({**common, "crypto_out_no_fee": ev["qty"], "crypto_fee": "0"})
    if len(assets) != 1:
        raise ValueError(f"the RP2 benchmark takes one asset, got {sorted(assets)}")
    (asset,) = assets
    content = [f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_NS} office:version="1.2">'
               f'<office:body><office:spreadsheet><table:table table:name="{escape(asset)}">',
               *_table("IN", IN_COLUMNS, buys), *(_table("OUT", OUT_COLUMNS, sells) if sells else []),
               "</table:table></office:spreadsheet></office:body></office:document-content>"]
    ods = folder / "input.ods"
    with zipfile.ZipFile(ods, "w") as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet",
                    compress_type=zipfile.ZIP_STORED)
        zf.writestr("META-INF/manifest.xml", _MANIFEST, compress_type=zipfile.ZIP_DEFLATED)
        zf.writestr("content.xml", "".join(content), compress_type=zipfile.ZIP_DEFLATED)
    config = folder / "config.ini"
    sections = [f"[general]\nassets = {asset}\nexchanges = {', '.join(sorted(wallets))}\nholders = {HOLDER}\n"]
    for name, columns in (("in_header", IN_COLUMNS), ("out_header", OUT_COLUMNS), ("intra_header", INTRA_COLUMNS)):
        sections.append(f"[{name}]\n" + "".join(f"{c} = {i}\n" for i, c in enumerate(columns)))
    config.write_text("\n".join(sections), encoding="utf-8")
    return config, ods


def command(rp2_us: str, config: Path, ods: Path, out: Path) -> list[str]:
    """RP2's whole run: read the input, compute FIFO, write its reports to `out`."""
    return [rp2_us, "-m", "fifo", "-o", str(out), "-p", "bench_", str(config), str(ods)]
