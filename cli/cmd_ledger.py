"""The ledger commands (CONTRACT §1): init, import, add, log, tag, retract, verify, backup, demo (issue #2).

Each command parses its options, calls one function of `api.ledger_ops` (the library's write side,
docs/api.md) and renders the result (STYLE.md 17). Heavy modules (rich, the store) are imported
inside the functions so `gainlog --help` stays fast, and one-line messages go through `cli.app.say`,
which needs rich only for a terminal.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .app import AsOfOpt, JsonOpt, State, add_app, app, console, emit_json, err_console, say
from .render import cap, local_time, short_key, visible

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from ..api.ledger_ops import Added, Imported, Writing
    from ..api.reading import Loaded
    from ..ledger.events import Recorded

PROGRESS_MIN_LINES = 5000


def writing() -> Writing:
    """How the ledger named by --db / $GAINLOG_DB is opened for a write (`api.ledger_ops.open_store`):
    its writes wait --wait seconds for another writer, saying so on stderr; every store opened is
    kept in `State.writers` (what a Ctrl-C interrupted)."""
    from ..api.ledger_ops import Writing

    return Writing(wait=State.wait, on_wait=say_waiting, on_open=State.writers.append)


def say_waiting(path: Path, seconds: float) -> None:
    """The one line a write prints when another process holds the ledger's write lock."""
    print(
        f"gainlog: waiting for another gainlog writing to {path} (up to {seconds:g} s; --wait SECONDS)",
        file=sys.stderr,
        flush=True,
    )


# -- init / import ---------------------------------------------------------------------------


@app.command("init")
def init_command(
    timezone: Annotated[
        str, typer.Option("--timezone", help="IANA time zone deciding a trade's calendar date.")
    ] = "UTC",
    json_out: JsonOpt = False,
) -> None:
    """Create an empty ledger."""
    from ..api.ledger_ops import init_ledger

    made = init_ledger(State.db, timezone=timezone)
    if json_out:
        emit_json(made.to_json())
    else:
        say(f"Created ledger {made.db} (time zone {made.timezone}).")


@app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="A canonical .jsonl file, or an export in a --format below.")],
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="Input format, any case: jsonl, coinbase, kraken, schwab, fidelity, robinhood, coinbase-pro, 1099-b, "
            "gemini, binanceus, koinly, cointracker, schwab-realized or prices (docs/formats.md); "
            "default: detected from the header of a .csv file, else jsonl.",
        ),
    ] = None,
    source: Annotated[
        str | None, typer.Option("--source", help="Source name (default: the file's base name).")
    ] = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Retract this source's live events the file no longer holds.")
    ] = False,
    wallet: Annotated[
        str | None,
        typer.Option("--wallet", help="Wallet of a converted export's events (default: the format name)."),
    ] = None,
    allow_empty: Annotated[
        bool,
        typer.Option("--allow-empty", help="With --replace: accept a file with no event (retracts the whole source)."),
    ] = False,
    force: Annotated[
        bool,
        typer.Option("--force", help="Import a file even though another source already imported the same file."),
    ] = False,
    skip_unknown: Annotated[
        bool,
        typer.Option("--skip-unknown", help="Import a converted export's known rows; list the rows of unknown types."),
    ] = False,
    asset: Annotated[
        str | None,
        typer.Option("--asset", help="With --format prices: the asset of a price download that names none."),
    ] = None,
    require_values: Annotated[
        bool,
        typer.Option(
            "--require-values",
            help="Refuse the file if a swap, fee or income without value has no price within 24 hours before it.",
        ),
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """Append a whole file atomically: every line or nothing."""
    from ..api.ledger_ops import import_file

    fmt = _import_format(file, fmt)
    with _ImportProgress(enabled=not json_out) as progress:
        imported = import_file(
            State.db, file, fmt=fmt, source=source, replace=replace, wallet=wallet, allow_empty=allow_empty,
            force=force, skip_unknown=skip_unknown, asset=asset, require_values=require_values,
            progress=progress if progress.enabled else None, writing=writing(),
        )
    _show_import(imported, json_out=json_out)


def _import_format(file: Path, fmt: str | None) -> str:
    """`--format` in lower case; left out, a `.csv` file's format detected from its header (said on
    stderr) and anything else `jsonl` (`api.ledger_ops.import_format`)."""
    from ..api.ledger_ops import import_format

    found = import_format(file, fmt)
    if found.detected_line is not None:
        print(
            f"gainlog: {visible(str(file))}: read as --format {found.name} (detected from its header, "
            f"line {found.detected_line})",
            file=sys.stderr,
        )
    return found.name


class _ImportProgress:
    """A rich progress bar on stderr for files of more than a few thousand lines (terminal only; else
    the import is given no progress callback, and spares counting the file's lines for it)."""

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.bar: Any = None
        self.task: Any = None

    def __enter__(self) -> _ImportProgress:
        return self

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total <= PROGRESS_MIN_LINES:
            return
        if self.bar is None:
            from rich.progress import Progress

            self.bar = Progress(console=err_console(), transient=True)
            self.bar.start()
            self.task = self.bar.add_task("validating", total=total)
        self.bar.update(self.task, completed=done)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


def _show_import(imported: Imported, *, json_out: bool) -> None:
    """The import summary (`Imported.to_json()` with --json); a converted export's notes follow the
    summary line."""
    result = imported.result
    if json_out:
        emit_json(imported.to_json())
    else:
        span = f" (seq {result.first_seq}-{result.last_seq}, batch {result.batch})" if result.batch else ""
        say(
            f"{imported.origin}: {len(result.added)} added, {len(result.duplicates)} duplicate(s), "
            f"{len(result.retracted)} retracted, source '{result.source}'{span}."
        )
        for note in imported.notes:
            say(note)
    for warning in result.warnings:
        print(f"gainlog: warning: {visible(warning)}", file=sys.stderr)


# -- log / tag / retract / verify ------------------------------------------------------------


@app.command("log")
def log_command(
    as_of: AsOfOpt = None,
    show_all: Annotated[
        bool, typer.Option("--all", help="Everything, retract events and retracted events (marked) included.")
    ] = False,
    limit: Annotated[int | None, typer.Option("--limit", min=0, help="Only the first N events.")] = None,
    tail: Annotated[int | None, typer.Option("--tail", min=0, help="Only the last N events.")] = None,
    batches: Annotated[
        bool, typer.Option("--batches", help="The batches (imports, adds) instead, with the rows each import skipped.")
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """The live events (not retracted; retract events themselves hidden unless --all)."""
    from ..api.ledger_ops import read_log
    from ..ledger.errors import UsageError

    if limit is not None and tail is not None:
        raise UsageError("log: give either --limit N or --tail N, not both")
    if batches:
        from ..api.ledger_ops import read_batches
        from .batches import show_batches

        show_batches(read_batches(State.db, as_of, writing=writing()), json_out=json_out)
        return
    with read_log(State.db, as_of, show_all=show_all, limit=limit, tail=tail, writing=writing()) as log:
        if json_out:
            emit_json(list(log.rows))
        else:
            print_log(log.rows, tz=log.timezone, tz_name=log.timezone_name, last_seq=log.last_seq)


LOG_HEADER = ("seq", "recorded", "type", "at/from", "key", "summary")
LOG_PAGE = 200  # rows per table on a terminal
LOG_CHUNK = 2000  # rows per write to a pipe


def print_log(rows: Iterable[dict[str, Any]], *, tz: ZoneInfo, tz_name: str, last_seq: int = 0) -> None:
    """`log` for people, streamed: a terminal gets a rich table per page of rows; a pipe or a file
    gets plain aligned rows, a chunk at a time, never one table of the whole log (issue #17).
    Times are in the ledger's time zone, named; user text literal and visible; hash keys short.
    `last_seq`: the highest seq shown, so the seq column is as wide from the first row."""
    from .render import isatty

    recorded_to_local: dict[str, str] = {}  # a batch's events share one recording time

    def recorded(text: str) -> str:
        shown = recorded_to_local.get(text)
        if shown is None:
            shown = recorded_to_local[text] = local_time(text, tz, whole_seconds=True)
        return shown

    cells = (_log_cells(row, tz, recorded) for row in rows)
    plain = not isatty(sys.stdout)
    count = _log_plain(cells, seq_width=len(str(last_seq))) if plain else _log_pages(cells, tz_name)
    sys.stdout.write(f"{count} event(s); times in {tz_name}\n")


def _log_cells(
    row: dict[str, Any], tz: ZoneInfo, recorded: Callable[[str], str]
) -> tuple[tuple[str, ...], bool]:
    """The six cells of a log row for people, and whether it is retracted."""
    when = row.get("at") or row.get("from") or row.get("year") or ""
    retracted = bool(row.get("retracted"))
    text = summary(row) + (f"  (retracted by seq {row['retracted_by']})" if retracted else "")
    cells = (str(row["seq"]), recorded(row["recorded_at"]), row["type"], local_time(str(when), tz),
             visible(short_key(row["key"])), text)
    return cells, retracted


def _log_plain(cells: Iterable[tuple[tuple[str, ...], bool]], *, seq_width: int = 0) -> int:
    """Plain rows aligned on the widest cell seen so far; the count written."""
    widths = [len(name) for name in LOG_HEADER]
    widths[0] = max(widths[0], seq_width)
    count = 0
    write = sys.stdout.write
    chunk: list[tuple[str, ...]] = []

    def flush() -> None:
        for row in chunk:
            for i, cell in enumerate(row[:-1]):
                if len(cell) > widths[i]:
                    widths[i] = len(cell)
        header = [] if count > len(chunk) else [_plain_line(LOG_HEADER, widths)]
        write("".join(header + [_plain_line(row, widths) for row in chunk]))
        chunk.clear()

    for row, _retracted in cells:
        chunk.append(row)
        count += 1
        if len(chunk) >= LOG_CHUNK:
            flush()
    flush()
    return count


def _plain_line(row: tuple[str, ...], widths: list[int]) -> str:
    seq, *middle, last = row
    padded = (cell.ljust(width) for cell, width in zip(middle, widths[1:], strict=False))
    return "  ".join([seq.rjust(widths[0]), *padded, last]) + "\n"


def _log_pages(cells: Iterable[tuple[tuple[str, ...], bool]], tz_name: str) -> int:
    """A rich table per page of rows; the count shown."""
    from rich.table import Table

    out = console()
    count = 0
    page: list[tuple[tuple[str, ...], bool]] = []

    def flush(first: bool) -> None:
        table = Table(title=f"Events (times in {tz_name})" if first else None, show_header=first)
        for name in LOG_HEADER:
            table.add_column(name, overflow="fold",
                             justify="right" if name == "seq" else "left")
        for row, retracted in page:
            table.add_row(*row, style="strike dim" if retracted else None)
        out.print(table)
        page.clear()

    for item in cells:
        page.append(item)
        count += 1
        if len(page) >= LOG_PAGE:
            flush(count <= LOG_PAGE)
    if page or not count:
        flush(count <= LOG_PAGE)
    return count


_SUMMARY = {
    "buy": "{qty} {asset} {unit} ({wallet})",
    "sell": "{qty} {asset} {unit} ({wallet})",
    "swap": "{give_qty} {give_asset} -> {get_qty} {get_asset} value {value} ({wallet})",
    "transfer": "{qty} {asset} {from} -> {to}",
    "fee": "{qty} {asset} value {value} ({wallet})",
    "income": "{qty} {asset} {kind} value {value} ({wallet})",
    "method": "{method} {scope} {wallet} {asset}",
    "profile": "{filing_status} taxable income {taxable_income}",
    "carryover": "short {short_term} long {long_term}",
    "policy": "transfer_fee {transfer_fee} wash_sale_crypto {wash_sale_crypto}",
    "wallet": "{wallet} reports {reports}",
    "allocate": "{asset} to {lot_count} lot(s)",
    "price": "{asset} {usd} USD",
    "retract": "{target} {reason}",
    "split": "{asset} {split_text} {wallet}",
    "rename": "{asset} -> {to}",
    "reorg": "{asset} -> {into_assets} {cash_text} {wallet}",
    "gift_in": "{qty} {asset} donor basis {donor_basis} since {donor_acquired} fmv {fmv} ({wallet})",
    "gift_out": "{qty} {asset} fmv {fmv} ({wallet})",
    "donate": "{qty} {asset} fmv {fmv} ({wallet})",
    "lost": "{qty} {asset} ({wallet})",
    "worthless": "{asset} {wallet}",
    "withdrawal": "{qty} {asset} out of ({wallet})",
    "deposit": "{qty} {asset} into ({wallet})",
}


def summary(row: dict[str, Any]) -> str:
    """One line a person can read for a canonical event dict."""
    values = _Shown(row)
    values["unit"] = f"@ {values['price']}" if "price" in row else f"total {values['total']}"
    values["lot_count"] = len(row.get("lots", []))
    if row["type"] == "reorg":  # its `into` assets, as text a person reads
        values["into_assets"] = visible(cap(", ".join(str(part.get("asset", "")) for part in row.get("into", []))))
        values["cash_text"] = f"cash {values['cash']}" if "cash" in row else ""
    if row["type"] == "split":  # by its ratio, or by the units an export says it added or removed
        values["split_text"] = (f"ratio {values['ratio']}" if "ratio" in row else
                                f"+{values['added_qty']} units" if "added_qty" in row else
                                f"-{values['removed_qty']} units")
    if row["type"] in ("swap", "fee", "income") and "value" not in row:
        values["value"] = "from prices"  # valued at replay (CONTRACT §4 Prices)
    if "target" in row:
        values["target"] = short_key(values["target"])
    tokens = (token.format_map(values) for token in _SUMMARY.get(row["type"], "").split(" "))
    text = " ".join(token for token in tokens if token)  # an absent field leaves no gap
    return f"{text}  # {values['note']}" if row.get("note") else text


class _Shown(dict[str, Any]):
    """A row's fields as `summary` shows them, each made literal and capped when first asked for."""

    def __init__(self, row: dict[str, Any]) -> None:
        super().__init__()
        self.row = row

    def __missing__(self, name: str) -> str:
        value = self.row.get(name, "")
        shown = "" if isinstance(value, list | dict) else visible(cap(str(value)))
        self[name] = shown
        return shown


@app.command("tag")
def tag_command(
    name: Annotated[str, typer.Argument(help="A new name for the current head.")], json_out: JsonOpt = False
) -> None:
    """Name the current head of the log (unique; not all digits; not starting with @)."""
    from ..api.ledger_ops import tag

    tagged = tag(State.db, name, writing=writing())
    if json_out:
        emit_json(tagged.to_json())
    else:
        say(f"Tagged seq {tagged.seq} as '{tagged.name}'.")
        say(f"Head {tagged.seq}:{tagged.hash}")


@app.command("retract")
def retract_command(
    key: Annotated[
        str,
        typer.Argument(help="A live event's key, its seq, or an unambiguous start of its key (see `gainlog log`)."),
    ],
    reason: Annotated[str | None, typer.Option("--reason", help="Why (kept in the log).")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Append a retraction of one event (nothing is ever deleted)."""
    from ..api.ledger_ops import retract

    retracted = retract(State.db, key, reason=reason, writing=writing())
    if json_out:
        emit_json(retracted.to_json())
    else:
        say(f"Retracted {retracted.target} (seq {retracted.seq}).")


@app.command("verify")
def verify_command(
    json_out: JsonOpt = False,
    head: Annotated[
        str | None,
        typer.Option("--head", help="SEQ:HASH as `tag` printed it: the log up to SEQ must be unchanged."),
    ] = None,
    manifest: Annotated[
        Path | None,
        typer.Option("--manifest", help="A manifest.json `report all` wrote: its files must replay byte-identical."),
    ] = None,
) -> None:
    """Check the log's integrity: the chain, every stored body, batches, tags, meta, the triggers'
    SQL and checkpoints (exit 4 naming the first bad place); optionally against anchors kept outside."""
    from ..api.ledger_ops import verify
    from ..ledger.errors import IntegrityViolation

    verified = verify(State.db, head=head, manifest=manifest, writing=writing())
    outcome, anchor = verified.outcome, verified.head
    if json_out:
        emit_json(verified.to_json())
    if outcome.problem is not None:
        raise IntegrityViolation(outcome.problem)
    if not json_out:
        checked = "".join(
            [f", unchanged up to seq {anchor[0]} (--head)" if anchor else "",
             f", {verified.manifest_files} file(s) replay byte-identical (--manifest)"
             if verified.manifest_files is not None else ""]
        )
        say(f"OK: {outcome.events} event(s), hash chain intact, append-only triggers in place{checked}.")
        say(f"Head {outcome.head_seq}:{outcome.head_hash}")
        for note in outcome.notes:
            print(f"gainlog: note: {note}", file=sys.stderr)


@app.command("backup")
def backup_command(
    file: Annotated[Path, typer.Argument(help="Where to write the copy (a new file).")], json_out: JsonOpt = False
) -> None:
    """Write a consistent copy of the ledger (SQLite's backup API: events still in the -wal file
    included) and verify the copy."""
    from ..api.ledger_ops import backup

    copied = backup(State.db, file, writing=writing())
    outcome = copied.outcome
    if json_out:
        emit_json(copied.to_json())
    else:
        say(f"Backed up {outcome.events} event(s) to {file} and verified the copy (head {outcome.head_seq}:"
            f"{outcome.head_hash}).")


# -- add ------------------------------------------------------------------------------------


def _opt(name: str, text: str) -> Any:
    return typer.Option(name, help=text, show_default=False)


REQUIRED = " (required)"  # marks, in `add ... --help`, the options the event cannot do without

At = Annotated[
    str | None, _opt("--at", "Event time: RFC 3339 with offset, or YYYY-MM-DD (midday local)." + REQUIRED)
]
Wallet = Annotated[str | None, _opt("--wallet", "Wallet or account." + REQUIRED)]
Asset = Annotated[str | None, _opt("--asset", "Asset symbol." + REQUIRED)]
Qty = Annotated[str | None, _opt("--qty", "Quantity (plain decimal)." + REQUIRED)]
Price = Annotated[str | None, _opt("--price", "USD per unit. (required: --price or --total, not both)")]
Total = Annotated[str | None, _opt("--total", "USD for the whole quantity. (required: --price or --total, not both)")]
FeeUsd = Annotated[str | None, _opt("--fee", "USD fee.")]
Value = Annotated[
    str | None, _opt("--value", "USD value (left out: qty x the latest price within 24 hours before --at).")
]
Class = Annotated[str | None, _opt("--class", "crypto or stock.")]
FromDay = Annotated[str | None, _opt("--from", "First day it covers, YYYY-MM-DD." + REQUIRED)]
Id = Annotated[str | None, _opt("--id", "The event's own id (key cli:ID).")]
Note = Annotated[str | None, _opt("--note", "Free text for the audit trail.")]
Txid = Annotated[str | None, _opt("--txid", "Exchange or on-chain transaction id.")]
Lots = Annotated[
    list[str] | None,
    _opt("--lots", "Specific identification: a JSON list, or repeated LOT:QTY."),
]


def _add(tag: str, params: dict[str, Any]) -> None:
    """Build the event dict from options, validate it like an imported line, append it (source cli)."""
    from ..api.ledger_ops import add_event

    json_out = params.pop("json_out", False)
    raw: dict[str, Any] = {"type": tag}
    for name, value in params.items():
        if value is None:
            continue
        field = name.rstrip("_")
        if field == "lots":
            value = _lots(value, tag)
        elif field == "into":  # reorg (cli/cmd_add_events.py)
            from .cmd_add_events import into_entries

            value = into_entries(value)
        elif field == "wash_sale_crypto":
            value = {"true": True, "false": False}.get(str(value).lower(), value)
            if not isinstance(value, bool):
                from ..ledger.errors import InvalidEvent

                raise InvalidEvent(f"add: field 'wash_sale_crypto': {params[name]!r} must be one of true, false")
        raw[field] = value
    _show_added(add_event(State.db, raw, writing=writing()), json_out=json_out)


def _lots(values: list[str], tag: str) -> Any:
    from ..ledger.errors import InvalidEvent

    if len(values) == 1 and values[0].lstrip().startswith("["):
        return _json_list(values[0], "lots")
    out = []
    for text in values:
        parts = text.rsplit(":", 2 if tag == "allocate" else 1)
        if len(parts) != (3 if tag == "allocate" else 2):
            shape = "LOT:WALLET:QTY" if tag == "allocate" else "LOT:QTY"
            raise InvalidEvent(f"add: field 'lots': {text!r} is not {shape} (or give a JSON list)")
        names = ("lot", "wallet", "qty") if tag == "allocate" else ("lot", "qty")
        out.append(dict(zip(names, parts, strict=True)))
    return out


def _json_list(text: str, field: str) -> Any:
    """An option's JSON list (`--lots`, `--into`), every object's keys distinct."""
    from ..ledger import codec
    from ..ledger.errors import InvalidEvent

    try:
        return codec.refuse_duplicate_keys(text, "add", f"{field}[]")
    except json.JSONDecodeError as exc:
        raise InvalidEvent(f"add: field '{field}': not valid JSON ({exc.msg})") from None
    except RecursionError:
        raise InvalidEvent(f"add: field '{field}': JSON nested too deeply (a list of objects is 2 levels)") from None


def _show_added(added: Added, *, json_out: bool) -> None:
    if json_out:
        emit_json(added.to_json())
    elif not added.duplicate:
        say(f"Added seq {added.seq}: {added.key}")
    else:
        say(f"Already in the log (duplicate), nothing added: {added.key}")
    for warning in added.warnings:
        print(f"gainlog: warning: {warning}", file=sys.stderr)


@add_app.command("buy")
def add_buy(
    at: At = None,
    wallet: Wallet = None,
    asset: Asset = None,
    qty: Qty = None,
    price: Price = None,
    total: Total = None,
    fee: FeeUsd = None,
    class_: Class = None,
    id_: Id = None,
    note: Note = None,
    txid: Txid = None,
    json_out: JsonOpt = False,
) -> None:
    """Acquire an asset; basis = qty x price + fee."""
    _add("buy", dict(locals()))


@add_app.command("sell")
def add_sell(
    at: At = None,
    wallet: Wallet = None,
    asset: Asset = None,
    qty: Qty = None,
    price: Price = None,
    total: Total = None,
    fee: FeeUsd = None,
    lots: Lots = None,
    wash_disallowed: Annotated[
        str | None,
        _opt("--wash-disallowed", "USD: the loss the broker disallowed as a wash sale (1099-B box 1g): "
             "Form 8949 code W; not washed again in this wallet."),
    ] = None,
    id_: Id = None,
    note: Note = None,
    txid: Txid = None,
    json_out: JsonOpt = False,
) -> None:
    """Dispose of an asset; proceeds = qty x price - fee; --lots for specific identification."""
    _add("sell", dict(locals()))


@add_app.command("swap")
def add_swap(
    at: At = None,
    wallet: Wallet = None,
    give_asset: Annotated[str | None, _opt("--give-asset", "Asset given up." + REQUIRED)] = None,
    give_qty: Annotated[str | None, _opt("--give-qty", "Quantity given up." + REQUIRED)] = None,
    get_asset: Annotated[str | None, _opt("--get-asset", "Asset received." + REQUIRED)] = None,
    get_qty: Annotated[str | None, _opt("--get-qty", "Quantity received." + REQUIRED)] = None,
    value: Value = None,
    fee: FeeUsd = None,
    id_: Id = None,
    note: Note = None,
    txid: Txid = None,
    json_out: JsonOpt = False,
) -> None:
    """Swap one asset for another at a USD fair market value."""
    _add("swap", dict(locals()))


@add_app.command("transfer")
def add_transfer(
    at: At = None,
    from_: Annotated[str | None, _opt("--from", "Sending wallet." + REQUIRED)] = None,
    to: Annotated[str | None, _opt("--to", "Receiving wallet." + REQUIRED)] = None,
    asset: Asset = None,
    qty: Qty = None,
    fee_qty: Annotated[str | None, _opt("--fee-qty", "Network fee units.")] = None,
    fee_value: Annotated[
        str | None, _opt("--fee-value", "USD value of the fee units. (required with --fee-qty)")
    ] = None,
    id_: Id = None,
    note: Note = None,
    txid: Txid = None,
    json_out: JsonOpt = False,
) -> None:
    """Move lots between own wallets (no gain; basis and dates travel)."""
    _add("transfer", dict(locals()))


@add_app.command("fee")
def add_fee(
    at: At = None,
    wallet: Wallet = None,
    asset: Asset = None,
    qty: Qty = None,
    value: Value = None,
    id_: Id = None,
    note: Note = None,
    txid: Txid = None,
    json_out: JsonOpt = False,
) -> None:
    """Pay a fee in an asset (e.g. gas)."""
    _add("fee", dict(locals()))


@add_app.command("income")
def add_income(
    at: At = None,
    wallet: Wallet = None,
    asset: Asset = None,
    qty: Qty = None,
    value: Value = None,
    kind: Annotated[
        str | None, _opt("--kind", "staking, mining, airdrop, interest, reward, fork or other." + REQUIRED)
    ] = None,
    class_: Class = None,
    id_: Id = None,
    note: Note = None,
    txid: Txid = None,
    json_out: JsonOpt = False,
) -> None:
    """Ordinary income; a new lot with basis = value."""
    _add("income", dict(locals()))


@add_app.command("price")
def add_price(
    at: At = None,
    asset: Asset = None,
    usd: Annotated[str | None, _opt("--usd", "USD per unit (plain decimal, above zero)." + REQUIRED)] = None,
    id_: Id = None,
    note: Note = None,
    txid: Txid = None,
    json_out: JsonOpt = False,
) -> None:
    """A market price (USD per unit): values swaps, fees and income left without --value."""
    _add("price", dict(locals()))


@add_app.command("method")
def add_method(
    method: Annotated[str | None, _opt("--method", "FIFO, LIFO, HIFO or LOFO." + REQUIRED)] = None,
    from_: FromDay = None,
    scope: Annotated[str | None, _opt("--scope", "universal or wallet.")] = None,
    wallet: Annotated[str | None, _opt("--wallet", "Only this wallet.")] = None,
    asset: Annotated[str | None, _opt("--asset", "Only this asset.")] = None,
    id_: Id = None,
    note: Note = None,
    txid: Txid = None,
    json_out: JsonOpt = False,
) -> None:
    """A lot-selection election from a date on."""
    _add("method", dict(locals()))


@add_app.command("profile")
def add_profile(
    year: Annotated[int | None, _opt("--year", "The tax year." + REQUIRED)] = None,
    filing_status: Annotated[str | None, _opt("--filing-status", "single, mfj, mfs, hoh or qss.")] = None,
    taxable_income: Annotated[
        str | None, _opt("--taxable-income", "Form 1040 line 11 minus line 14.")
    ] = None,
    other_income: Annotated[
        str | None, _opt("--other-income", "Taxable income other than the ledger's gains (report tax).")
    ] = None,
    id_: Id = None,
    note: Note = None,
    txid: Txid = None,
    json_out: JsonOpt = False,
) -> None:
    """Per-year facts: filing status, taxable income, other income."""
    _add("profile", dict(locals()))


@add_app.command("carryover")
def add_carryover(
    year: Annotated[int | None, _opt("--year", "The year the carryover comes into." + REQUIRED)] = None,
    short_term: Annotated[str | None, _opt("--short-term", "Short-term carryover (positive)." + REQUIRED)] = None,
    long_term: Annotated[str | None, _opt("--long-term", "Long-term carryover (positive)." + REQUIRED)] = None,
    id_: Id = None,
    note: Note = None,
    txid: Txid = None,
    json_out: JsonOpt = False,
) -> None:
    """Capital-loss carryover into a year (replaces the computed one)."""
    _add("carryover", dict(locals()))


@add_app.command("policy")
def add_policy(
    from_: FromDay = None,
    transfer_fee: Annotated[str | None, _opt("--transfer-fee", "dispose or carry.")] = None,
    wash_sale_crypto: Annotated[str | None, _opt("--wash-sale-crypto", "true or false.")] = None,
    id_: Id = None,
    note: Note = None,
    txid: Txid = None,
    json_out: JsonOpt = False,
) -> None:
    """Rule choices from a date on: transfer fees, wash sales on crypto (docs/tax-rules.md)."""
    _add("policy", dict(locals()))


@add_app.command("wallet")
def add_wallet(
    wallet: Wallet = None,
    from_: Annotated[str | None, _opt("--from", "First day it covers, YYYY-MM-DD (default: always).")] = None,
    reports: Annotated[str | None, _opt("--reports", "1099-B, 1099-DA or none.")] = None,
    id_: Id = None,
    note: Note = None,
    txid: Txid = None,
    json_out: JsonOpt = False,
) -> None:
    """Which information return an account's broker files."""
    _add("wallet", dict(locals()))


@add_app.command("allocate")
def add_allocate(
    asset: Asset = None,
    lots: Annotated[
        list[str] | None, _opt("--lots", "JSON list, or repeated LOT:WALLET:QTY." + REQUIRED)
    ] = None,
    id_: Id = None,
    note: Note = None,
    txid: Txid = None,
    json_out: JsonOpt = False,
) -> None:
    """The 2025-01-01 safe-harbor allocation of open universal lots to wallets (docs/tax-rules.md)."""
    _add("allocate", dict(locals()))


# -- demo -----------------------------------------------------------------------------------


def sample_ledger() -> Path:
    """The bundled sample ledger (fixtures/sample/events.jsonl)."""
    from .. import fixtures

    return Path(fixtures.__file__).parent / "sample" / "events.jsonl"


@app.command("demo")
def demo_command() -> None:
    """Import the bundled sample ledger into a temporary database and show what it holds."""
    import tempfile

    from ..api.ledger_ops import import_file, init_ledger
    from .usecases import load

    with tempfile.TemporaryDirectory(prefix="gainlog-demo-") as tmp:
        db = init_ledger(Path(tmp) / "demo.db").db
        imported = import_file(db, sample_ledger(), fmt="jsonl", source="sample")
        console().print(
            f"Imported {len(imported.result.added)} events from the bundled sample ledger into a temporary database."
        )
        loaded = load(db, None)
        console().print(holdings_table(loaded.records))
        _demo_reports(loaded)


def holdings_table(records: Sequence[Recorded]) -> Any:
    """What a log holds: events per type, assets, the event-time range."""
    from rich.table import Table

    from ..ledger.events import assets_of, tag_of
    from ..projections.knowledge import live

    known = live(records)
    by_type = Counter(tag_of(r.event) for r in known)
    assets = sorted({a for r in known for a in assets_of(r.event)})
    times = [t for r in known if (t := getattr(r.event, "at", None)) is not None]
    table = Table(title="The sample ledger", show_header=False)
    table.add_row("events", ", ".join(f"{n} {t}" for t, n in sorted(by_type.items())))
    table.add_row("assets", ", ".join(assets))
    if times:
        table.add_row("event time", f"{min(times):%Y-%m-%d} to {max(times):%Y-%m-%d}")
    return table


def _demo_reports(loaded: Loaded) -> None:
    """The main job on the sample: open lots, the latest year's Form 8949, every year's Schedule D."""
    from .cmd_lots import _print as print_lots
    from .cmd_report import _print_8949, _print_schedule_d

    store = loaded.store
    trades = [t for r in loaded.records if (t := getattr(r.event, "at", None)) is not None]
    print_lots(loaded.booked, max(trades).astimezone(store.timezone).date())
    years = loaded.tax_years()
    with_rows = [y for y in years.report_years() if years.rows_of(y)]
    if with_rows:
        _print_8949(with_rows[-1], years.rows_of(with_rows[-1]), whole_dollars=False)
    for year in years.report_years():
        _print_schedule_d(years.years[year])
