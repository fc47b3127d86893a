"""The ledger commands (CONTRACT §1): init, import, add, log, tag, retract, verify, demo (issue #2).

Each command parses its options, calls one `ledger.store.Store` method and renders the result
(STYLE.md 17). Heavy modules (rich, the store) are imported inside the functions so `gainlog --help`
stays fast, and one-line messages go through `cli.app.say`, which needs rich only for a terminal.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.app import AsOfOpt, JsonOpt, State, add_app, app, console, emit_json, err_console, say

if TYPE_CHECKING:
    from ledger.events import Event, Recorded
    from ledger.store import ImportResult, Store

PROGRESS_MIN_LINES = 5000


def open_store() -> Store:
    """The ledger named by --db / $GAINLOG_DB (LedgerNotFound with a hint when missing); its writes
    wait --wait seconds for another writer, saying so on stderr."""
    from ledger.store import Store

    store = Store.open(State.db).set_wait(State.wait, on_wait=say_waiting)
    State.writers.append(store)
    return store


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
    from ledger import schema

    schema.create_file(State.db, timezone=timezone).close()  # = Store.create without importing the store
    if json_out:
        emit_json({"db": str(State.db), "timezone": timezone})
    else:
        say(f"Created ledger {State.db} (time zone {timezone}).")


@app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="A canonical .jsonl file, or an export in a --format below.")],
    fmt: Annotated[
        str, typer.Option("--format", help="Input format: jsonl, coinbase, kraken or schwab (docs/formats.md).")
    ] = "jsonl",
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
    json_out: JsonOpt = False,
) -> None:
    """Append a whole file atomically: every line or nothing."""
    from cli.checks import lot_references
    from ledger.errors import UsageError

    if fmt == "jsonl" and wallet is not None:
        raise UsageError("--wallet applies to a converted export (--format coinbase, kraken or schwab), not jsonl")
    if fmt != "jsonl":
        _import_export(
            file, fmt=fmt, source=source, replace=replace, wallet=wallet, json_out=json_out, allow_empty=allow_empty
        )
        return
    with open_store() as store, _ImportProgress(enabled=not json_out) as progress:
        check = lot_references(store, origin=file)
        result = store.import_file(
            file, source=source, replace=replace, progress=progress, check=check, allow_empty=allow_empty
        )
    _show_import(result, origin=str(file), json_out=json_out)


def _import_export(
    file: Path, *, fmt: str, source: str | None, replace: bool, wallet: str | None, json_out: bool,
    allow_empty: bool = False,
) -> None:
    """Convert an exchange/broker CSV (ledger.formats) and import its events like a .jsonl file."""
    import msgspec

    from cli.checks import lot_references
    from ledger import formats, identity

    with open_store() as store:
        conversion = formats.convert(fmt, file, tz=store.timezone, wallet=wallet)
        result = store.import_events(
            conversion.events,
            source=source if source is not None else identity.default_source(file),
            replace=replace,
            origin=str(file),
            check=lot_references(store, origin=file),
            allow_empty=allow_empty,
        )
    warnings = (*conversion.warnings, *result.warnings)
    _show_import(msgspec.structs.replace(result, warnings=warnings), origin=str(file), json_out=json_out)


class _ImportProgress:
    """A rich progress bar on stderr for files of more than a few thousand lines (terminal only)."""

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


def _show_import(result: ImportResult, *, origin: str, json_out: bool) -> None:
    if json_out:
        emit_json(
            {
                "source": result.source,
                "batch": result.batch,
                "added": len(result.added),
                "duplicates": len(result.duplicates),
                "retracted": len(result.retracted),
                "retracted_keys": list(result.retracted),
                "first_seq": result.first_seq,
                "last_seq": result.last_seq,
                "warnings": list(result.warnings),
            }
        )
    else:
        span = f" (seq {result.first_seq}-{result.last_seq}, batch {result.batch})" if result.batch else ""
        say(
            f"{origin}: {len(result.added)} added, {len(result.duplicates)} duplicate(s), "
            f"{len(result.retracted)} retracted, source {result.source!r}{span}."
        )
    for warning in result.warnings:
        print(f"gainlog: warning: {warning}", file=sys.stderr)


# -- log / tag / retract / verify ------------------------------------------------------------


@app.command("log")
def log_command(
    as_of: AsOfOpt = None,
    show_all: Annotated[
        bool, typer.Option("--all", help="Everything, retract events and retracted events (marked) included.")
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """The live events (not retracted; retract events themselves hidden unless --all)."""
    with open_store() as store:
        records = store.read(until=store.resolve(as_of))
    rows = log_rows(records, show_all=show_all)
    if json_out:
        emit_json(rows)
    else:
        console().print(log_table(rows))


def log_rows(records: list[Recorded], *, show_all: bool) -> list[dict[str, Any]]:
    """`log --json` rows: canonical events plus key, seq, recorded_at, source, batch (CONTRACT §3)."""
    from ledger import chain, codec
    from ledger.events import Retract

    key_to_live_seq: dict[str, int] = {}
    seq_to_retractor: dict[int, int] = {}
    for r in records:
        if isinstance(r.event, Retract):
            target = key_to_live_seq.pop(r.event.target, None)
            if target is not None:
                seq_to_retractor[target] = r.seq
        else:
            key_to_live_seq[r.key] = r.seq
    rows = []
    for r in records:
        retracted_by = seq_to_retractor.get(r.seq)
        if not show_all and (retracted_by is not None or isinstance(r.event, Retract)):
            continue
        row = codec.canonical(r.event)
        row.update(
            key=r.key, seq=r.seq, recorded_at=chain.time_text(r.recorded_at), source=r.source, batch=r.batch
        )
        if show_all:
            row.update(retracted=retracted_by is not None, retracted_by=retracted_by)
        rows.append(row)
    return rows


def log_table(rows: list[dict[str, Any]]) -> Any:
    from rich.table import Table

    table = Table(title=f"{len(rows)} event(s)")
    for name in ("seq", "recorded", "type", "at/from", "summary", "key"):
        table.add_column(name, no_wrap=name in ("seq", "type"), overflow="fold")
    for row in rows:
        when = str(row.get("at") or row.get("from") or row.get("year") or "")
        style = "strike dim" if row.get("retracted") else None
        table.add_row(
            str(row["seq"]),
            row["recorded_at"][:19].replace("T", " "),
            row["type"],
            when[:19].replace("T", " "),
            summary(row) + (f"  (retracted by seq {row['retracted_by']})" if row.get("retracted") else ""),
            row["key"],
            style=style,
        )
    return table


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
    "retract": "{target} {reason}",
}


def summary(row: dict[str, Any]) -> str:
    """One line a person can read for a canonical event dict."""
    from collections import defaultdict

    values: defaultdict[str, Any] = defaultdict(str, row)
    values["unit"] = f"@ {row['price']}" if "price" in row else f"total {row.get('total', '')}"
    values["lot_count"] = len(row.get("lots", []))
    text = " ".join(_SUMMARY.get(row["type"], "").format_map(values).split())
    return f"{text}  # {row['note']}" if row.get("note") else text


@app.command("tag")
def tag_command(
    name: Annotated[str, typer.Argument(help="A new name for the current head.")], json_out: JsonOpt = False
) -> None:
    """Name the current head of the log (unique; not all digits; not starting with @)."""
    with open_store() as store:
        seq = store.tag(name)
    if json_out:
        emit_json({"tag": name, "seq": seq})
    else:
        say(f"Tagged seq {seq} as {name!r}.")


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
    with open_store() as store:
        key = store.resolve_key(key)
        result = store.retract(key, reason=reason)
    if json_out:
        emit_json({"seq": result.last_seq, "key": result.added[0], "target": key})
    else:
        say(f"Retracted {key} (seq {result.last_seq}).")


@app.command("verify")
def verify_command(json_out: JsonOpt = False) -> None:
    """Check the log's integrity: the hash chain and the append-only triggers."""
    from ledger.errors import IntegrityViolation

    with open_store() as store:
        broken, missing, count = store.verify(), store.missing_guards(), store.count()
    if json_out:
        emit_json(
            {
                "ok": broken is None and not missing,
                "events": count,
                "first_broken_seq": broken,
                "missing_triggers": missing,
            }
        )
    if broken is not None:
        raise IntegrityViolation(
            f"hash chain broken at seq {broken}: the log was edited behind gainlog's back"
        )
    if missing:
        raise IntegrityViolation(f"append-only trigger(s) missing: {', '.join(missing)}")
    if not json_out:
        say(f"OK: {count} event(s), hash chain intact, append-only triggers in place.")


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
Value = Annotated[str | None, _opt("--value", "USD value." + REQUIRED)]
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
    from cli.checks import lot_references
    from ledger import codec

    json_out = params.pop("json_out", False)
    raw: dict[str, Any] = {"type": tag}
    for name, value in params.items():
        if value is None:
            continue
        field = name.rstrip("_")
        if field == "lots":
            value = _lots(value, tag)
        elif field == "wash_sale_crypto":
            value = {"true": True, "false": False}.get(str(value).lower(), value)
            if not isinstance(value, bool):
                from ledger.errors import InvalidEvent

                raise InvalidEvent(f"add: field 'wash_sale_crypto': {params[name]!r} must be one of true, false")
        raw[field] = value
    with open_store() as store:
        event = codec.parse_event(raw, tz=store.timezone, where="add")
        result = store.append_all([event], check=lot_references(store))
    _show_added(result, event, json_out=json_out)


def _lots(values: list[str], tag: str) -> Any:
    from ledger.errors import InvalidEvent

    if len(values) == 1 and values[0].lstrip().startswith("["):
        try:
            return json.loads(values[0], parse_float=str)
        except json.JSONDecodeError as exc:
            raise InvalidEvent(f"add: field 'lots': not valid JSON ({exc.msg})") from None
    out = []
    for text in values:
        parts = text.rsplit(":", 2 if tag == "allocate" else 1)
        if len(parts) != (3 if tag == "allocate" else 2):
            shape = "LOT:WALLET:QTY" if tag == "allocate" else "LOT:QTY"
            raise InvalidEvent(f"add: field 'lots': {text!r} is not {shape} (or give a JSON list)")
        names = ("lot", "wallet", "qty") if tag == "allocate" else ("lot", "qty")
        out.append(dict(zip(names, parts, strict=True)))
    return out


def _show_added(result: ImportResult, event: Event, *, json_out: bool) -> None:
    if result.added:
        seq, key = result.last_seq, result.added[0]
    else:
        seq, key = None, result.duplicates[0]
    if json_out:
        emit_json({"seq": seq, "key": key, "duplicate": not result.added})
    elif result.added:
        say(f"Added seq {seq}: {key}")
    else:
        say(f"Already in the log (duplicate), nothing added: {key}")
    for warning in result.warnings:
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
    id_: Id = None,
    note: Note = None,
    txid: Txid = None,
    json_out: JsonOpt = False,
) -> None:
    """Per-year facts: filing status, taxable income."""
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
    import fixtures

    return Path(fixtures.__file__).parent / "sample" / "events.jsonl"


@app.command("demo")
def demo_command() -> None:
    """Import the bundled sample ledger into a temporary database and show what it holds."""
    import tempfile

    from ledger.store import Store

    with (
        tempfile.TemporaryDirectory(prefix="gainlog-demo-") as tmp,
        Store.create(Path(tmp) / "demo.db") as store,
    ):
        result = store.import_file(sample_ledger(), source="sample")
        console().print(
            f"Imported {len(result.added)} events from the bundled sample ledger into a temporary database."
        )
        console().print(holdings_table(store.read()))
        _demo_reports(store)


def holdings_table(records: list[Recorded]) -> Any:
    """What a log holds: events per type, assets, the event-time range."""
    from rich.table import Table

    from ledger.events import assets_of, tag_of
    from projections.knowledge import live

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


def _demo_reports(store: Store) -> None:
    """The main job on the sample: open lots, the latest year's Form 8949, every year's Schedule D."""
    from cli.cmd_lots import _print as print_lots
    from cli.cmd_report import _print_8949, _print_schedule_d
    from cli.usecases import load

    loaded = load(store.path, None)
    trades = [t for r in loaded.records if (t := getattr(r.event, "at", None)) is not None]
    print_lots(loaded.booked, max(trades).astimezone(store.timezone).date())
    years = loaded.tax_years()
    with_rows = [y for y in years.report_years() if years.rows_of(y)]
    if with_rows:
        _print_8949(with_rows[-1], years.rows_of(with_rows[-1]), whole_dollars=False)
    for year in years.report_years():
        _print_schedule_d(years.years[year])
