"""The ledger's write side as a library: one function per command of `cli/cmd_ledger.py` (docs/api.md).

    init_ledger    `gainlog init`
    import_file    `gainlog import` (a .jsonl file or a converted export; `import_format` names the format)
    add_event      `gainlog add TYPE`
    tag            `gainlog tag`
    retract        `gainlog retract`
    verify         `gainlog verify` (with `--head`, `--manifest`)
    backup         `gainlog backup`
    read_log       `gainlog log` (the rows, streamed while its block is open; the CLI renders them)

Each takes the ledger's path explicitly and returns a small result whose `to_json()` is the command's
`--json` output (a NamedTuple: immutable, compared and shown by value as a frozen dataclass would be,
its class made in ~0.07 ms instead of ~0.6 ms at every start-up); errors are the `ledger.errors`
classes. A write opens the ledger through `open_store`, which waits for another writer as `Writing`
says (the CLI's `--wait`). Heavy modules are imported inside the functions: `init_ledger` loads
neither the store nor the codec.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from ..ledger.transaction import DEFAULT_WAIT, OnWait

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Sequence
    from zoneinfo import ZoneInfo

    from ..ledger.events import Event, Recorded
    from ..ledger.importer import Progress
    from ..ledger.integrity import Outcome
    from ..ledger.store import ImportResult, Store


class Writing(NamedTuple):
    """How the write functions open a ledger (`open_store`).

    Attributes:
        wait: seconds a write waits for another writer's lock, then ConcurrencyConflict (`--wait`).
        on_wait: called once, (path, wait), when a write has waited half a second (the CLI says so).
        on_open: called with every store opened for writing, before it writes (the CLI keeps them to
            say whether a Ctrl-C came after a commit: `Store.written`).
    """

    wait: float = DEFAULT_WAIT
    on_wait: OnWait | None = None
    on_open: Callable[[Store], object] | None = None


WRITING = Writing()


def open_store(db: Path, *, writing: Writing = WRITING) -> Store:
    """The ledger at `db` for writing (LedgerNotFound, with a hint, when there is none), its writes
    waiting as `writing` says."""
    from ..ledger.store import Store

    store = Store.open(db).set_wait(writing.wait, on_wait=writing.on_wait)
    if writing.on_open is not None:
        writing.on_open(store)
    return store


def describe_sqlite_error(db: Path, exc: sqlite3.Error) -> str | None:
    """What is wrong with the ledger file at `db`, in words, when SQLite's `exc` says it is the file;
    None for any other error (the CLI's one-line message for a `sqlite3.Error`)."""
    from ..ledger.store import describe_sqlite_error as describe

    return describe(db, exc)


# -- init ------------------------------------------------------------------------------------


class Initialized(NamedTuple):
    """A new, empty ledger (`gainlog init`)."""

    db: Path
    timezone: str

    def to_json(self) -> dict[str, Any]:
        return {"db": str(self.db), "timezone": self.timezone}


def init_ledger(db: Path, *, timezone: str = "UTC") -> Initialized:
    """`gainlog init`: a new, empty ledger at `db` whose dates are taken in `timezone` (an IANA name);
    UsageError when the file holds anything, or for an unknown zone."""
    from ..ledger import schema

    schema.create_file(db, timezone=timezone).close()  # = Store.create without importing the store
    return Initialized(db=db, timezone=timezone)


# -- import ----------------------------------------------------------------------------------


class ImportFormat(NamedTuple):
    """The format `gainlog import` reads a file in.

    Attributes:
        name: `jsonl` or a `ledger.formats` name, in lower case.
        detected_line: the line of the header it was detected from (a `.csv` file without
            `--format`), else None.
    """

    name: str
    detected_line: int | None = None


def import_format(file: Path, fmt: str | None) -> ImportFormat:
    """`--format` in lower case; left out, a `.csv` file's format detected from its header and
    anything else `jsonl` (UsageError naming every format when no header is known)."""
    if fmt is not None:
        return ImportFormat(fmt.strip().lower())
    if file.suffix.lower() != ".csv":
        return ImportFormat("jsonl")
    from ..ledger import formats
    from ..ledger.formats import detect

    found = detect.detect(file, names=formats.NAMES)
    return ImportFormat(found.name, found.line)


class Imported(NamedTuple):
    """What `gainlog import` did.

    Attributes:
        result: the store's `ImportResult` (a converted export's warnings first among its warnings).
        origin: the file, as text.
        format: the format read.
        extra: a converted export's `notes` (sentences shown after the summary) and `skipped` rows;
            None for a .jsonl file.
    """

    result: ImportResult
    origin: str
    format: str
    extra: dict[str, Any] | None = None

    @property
    def notes(self) -> Sequence[str]:
        return (self.extra or {}).get("notes", ())  # type: ignore[no-any-return]

    def to_json(self) -> dict[str, Any]:
        """`gainlog import --json`."""
        result = self.result
        return {
            "source": result.source,
            "batch": result.batch,
            "added": len(result.added),
            "duplicates": len(result.duplicates),
            "retracted": len(result.retracted),
            "retracted_keys": list(result.retracted),
            "first_seq": result.first_seq,
            "last_seq": result.last_seq,
            "warnings": list(result.warnings),
            "format": self.format,
            "digest": result.digest,
            "likely_duplicates": [
                {"key": d.key, "txid": d.txid, "other_source": d.other_source, "other_key": d.other_key}
                for d in result.likely_duplicates
            ],
            **(self.extra or {}),
        }


def import_file(
    db: Path, file: Path, *, fmt: str | None = None, source: str | None = None, replace: bool = False,
    wallet: str | None = None, allow_empty: bool = False, force: bool = False, skip_unknown: bool = False,
    asset: str | None = None, require_values: bool = False, progress: Progress | None = None,
    writing: Writing = WRITING,
) -> Imported:
    """`gainlog import`: append a whole file atomically, every line or nothing (`fmt`: `import_format`;
    `progress(done, total)` is told how far a .jsonl file's validation got)."""
    from ..ledger.errors import UsageError
    from .checks import Checks, RequireValues, lot_references

    fmt = import_format(file, fmt).name
    if fmt == "jsonl" and (wallet is not None or skip_unknown or asset is not None):
        option = "--wallet" if wallet is not None else "--skip-unknown" if skip_unknown else "--asset"
        raise UsageError(
            f"{option} applies to a converted export (--format coinbase, kraken, schwab, prices, ...), not jsonl"
        )
    if fmt != "jsonl":
        return _import_export(
            db, file, fmt=fmt, source=source, replace=replace, wallet=wallet, allow_empty=allow_empty,
            force=force, skip_unknown=skip_unknown, asset=asset, require_values=require_values, writing=writing,
        )
    with open_store(db, writing=writing) as store:
        check: Any = lot_references(store, origin=file)
        if require_values:
            check = Checks(check, RequireValues(store, origin=file))
        result = store.import_file(
            file, source=source, replace=replace, progress=progress, check=check, allow_empty=allow_empty,
            force=force,
        )
    return Imported(result=result, origin=str(file), format=fmt)


def _import_export(
    db: Path, file: Path, *, fmt: str, source: str | None, replace: bool, wallet: str | None,
    allow_empty: bool = False, force: bool = False, skip_unknown: bool = False, asset: str | None = None,
    require_values: bool = False, writing: Writing = WRITING,
) -> Imported:
    """Convert an exchange/broker CSV (ledger.formats) and import its events like a .jsonl file."""
    import msgspec

    from ..ledger import formats, identity, importer
    from .checks import Checks, RequireValues, lot_references

    with open_store(db, writing=writing) as store:
        conversion = formats.convert(
            fmt, file, tz=store.timezone, wallet=wallet, skip_unknown=skip_unknown, asset=asset
        )
        skipped = [{"line": s.where, "type": s.label, "reason": s.reason} for s in conversion.skipped]
        check: Any = lot_references(store, origin=file)
        if require_values:
            event_to_where = {p.event: p.where for p in reversed(conversion.events)}  # the first line wins
            check = Checks(
                check, RequireValues(store, origin=file, where_of=lambda e: event_to_where.get(e, str(file)))
            )
        source = source if source is not None else identity.default_source(file)
        formats.add_default_reports(
            conversion, path=file, source=source, wallet_events=store.iter_read(types=("wallet",)),
            retracted=store.retract_targets(), tz=store.timezone,
        )
        result = store.import_events(
            conversion.events,
            source=source,
            replace=replace,
            origin=str(file),
            check=check,
            allow_empty=allow_empty,
            digest=importer.file_digest(file),
            force=force,
            skipped=skipped,
        )
    warnings = (*conversion.warnings, *result.warnings)
    return Imported(
        result=msgspec.structs.replace(result, warnings=warnings), origin=str(file), format=fmt,
        extra={"notes": conversion.notes, "skipped": skipped},
    )


# -- add -------------------------------------------------------------------------------------


class Added(NamedTuple):
    """What `gainlog add` did.

    Attributes:
        event: the validated event.
        seq: its seq, or None when it was already in the log.
        key: its key (of the event already in the log, for a duplicate).
        duplicate: nothing was appended (an event with that `id` and body is live).
        warnings: sentences for the user.
    """

    event: Event
    seq: int | None
    key: str
    duplicate: bool
    warnings: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """`gainlog add TYPE --json`."""
        return {"seq": self.seq, "key": self.key, "duplicate": self.duplicate}


def add_event(db: Path, raw: dict[str, Any], *, writing: Writing = WRITING) -> Added:
    """`gainlog add`: validate `raw` (an event as an imported line holds it, `{"type": "buy", ...}`)
    like an imported line, with "add" as its place, and append it under source `cli`; a sell's `lots`
    are checked against the lots held then."""
    from ..ledger import codec
    from .checks import lot_references

    with open_store(db, writing=writing) as store:
        event = codec.parse_event(raw, tz=store.timezone, where="add")
        result = store.append_all([event], check=lot_references(store))
    if result.added:
        return Added(event=event, seq=result.last_seq, key=result.added[0], duplicate=False, warnings=result.warnings)
    return Added(event=event, seq=None, key=result.duplicates[0], duplicate=True, warnings=result.warnings)


# -- tag / retract ---------------------------------------------------------------------------


class Tagged(NamedTuple):
    """A new name for the head of the log (`gainlog tag`): the seq and the chain's hash there."""

    name: str
    seq: int
    hash: str

    def to_json(self) -> dict[str, Any]:
        return {"tag": self.name, "seq": self.seq, "hash": self.hash, "head": f"{self.seq}:{self.hash}"}


def tag(db: Path, name: str, *, writing: Writing = WRITING) -> Tagged:
    """`gainlog tag`: name the current head (unique; not all digits; not starting with @)."""
    with open_store(db, writing=writing) as store:
        seq = store.tag(name)
        head = store.hash_at(seq)
    return Tagged(name=name, seq=seq, hash=head)


class Retracted(NamedTuple):
    """A retraction appended (`gainlog retract`): its seq and key, and the key of the event retracted."""

    seq: int
    key: str
    target: str

    def to_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "key": self.key, "target": self.target}


def retract(db: Path, key: str, *, reason: str | None = None, writing: Writing = WRITING) -> Retracted:
    """`gainlog retract`: append a retraction of one live event, named by its key, its seq or an
    unambiguous start of its key (nothing is ever deleted)."""
    with open_store(db, writing=writing) as store:
        key = store.resolve_key(key)
        result = store.retract(key, reason=reason)
    assert result.last_seq is not None
    return Retracted(seq=result.last_seq, key=result.added[0], target=key)


# -- verify / backup -------------------------------------------------------------------------


class Verified(NamedTuple):
    """What `gainlog verify` found.

    Attributes:
        outcome: `ledger.integrity.Outcome`: events, head, the first problem (None when intact), notes.
        head: the `--head` anchor (seq, hash) checked, if any.
        manifest_files: how many files of the `--manifest` replayed byte-identical, if one was given.
    """

    outcome: Outcome
    head: tuple[int, str] | None = None
    manifest_files: int | None = None

    @property
    def ok(self) -> bool:
        return self.outcome.problem is None

    def to_json(self) -> dict[str, Any]:
        """`gainlog verify --json` (printed before the exit 4 of a problem)."""
        outcome = self.outcome
        return {
            "ok": outcome.problem is None,
            "events": outcome.events,
            "first_broken_seq": outcome.broken_seq,
            "missing_triggers": outcome.missing_triggers,
            "problem": outcome.problem,
            "head": {"seq": outcome.head_seq, "hash": outcome.head_hash},
            "notes": outcome.notes,
        }


def verify(
    db: Path, *, head: str | None = None, manifest: Path | None = None, writing: Writing = WRITING
) -> Verified:
    """`gainlog verify`: check the log's integrity (the chain, every stored body, batches, tags, meta,
    the triggers' SQL, checkpoints), and optionally that the log up to `head` (SEQ:HASH) is unchanged
    and that the `manifest` of `report all` replays byte-identical. A problem is in the result
    (`Verified.ok` False), not raised; when there is none, what was seen is recorded (the baseline of
    the reports' "changed since the last verify" check)."""
    from ..ledger import integrity
    from .manifest import manifest_problem, read_manifest

    anchor = integrity.parse_head(head) if head is not None else None
    filed = read_manifest(manifest) if manifest is not None else None
    with open_store(db, writing=writing) as store:
        outcome = integrity.verify(store, head=anchor)
        if filed is not None and outcome.problem is None:
            integrity.check_anchor(store, outcome, filed.seq, filed.head, option="--manifest")
            if outcome.problem is None:
                problem = manifest_problem(db, filed)
                if problem is not None:
                    outcome.fail(problem)
        if outcome.problem is None:
            integrity.record(store, outcome)
    return Verified(outcome=outcome, head=anchor, manifest_files=len(filed.files) if filed is not None else None)


class BackedUp(NamedTuple):
    """A verified copy of the ledger (`gainlog backup`): where, and what `verify` saw in it."""

    file: Path
    outcome: Outcome

    def to_json(self) -> dict[str, Any]:
        outcome = self.outcome
        return {"file": str(self.file), "events": outcome.events,
                "head": {"seq": outcome.head_seq, "hash": outcome.head_hash}, "ok": True}


def backup(db: Path, file: Path, *, writing: Writing = WRITING) -> BackedUp:
    """`gainlog backup`: a consistent copy of the ledger in the new file `file` (SQLite's backup API:
    events still in the -wal file included), verified (IntegrityViolation when the copy is not intact)."""
    from ..ledger import integrity
    from ..ledger.errors import IntegrityViolation, UsageError
    from ..ledger.store import Store

    if file.exists() and (file.is_dir() or file.stat().st_size > 0):
        raise UsageError(f"{file} already exists; give backup a new file name")
    with open_store(db, writing=writing) as store:
        integrity.backup(store, file)
    with Store.open(file) as copy:
        outcome = integrity.verify(copy)
    if outcome.problem is not None:
        raise IntegrityViolation(f"the copy at {file} does not verify: {outcome.problem}")
    return BackedUp(file=file, outcome=outcome)


# -- log -------------------------------------------------------------------------------------


class LogRead(NamedTuple):
    """`gainlog log` as of a knowledge point: the rows to show (`log --json`'s objects), read from
    the ledger as they are taken, the highest seq of the log at that point, and the ledger's time
    zone (its IANA name and the zone)."""

    rows: Iterator[dict[str, Any]]
    last_seq: int
    timezone_name: str
    timezone: ZoneInfo


@contextmanager
def read_log(
    db: Path, as_of: str | None = None, *, show_all: bool = False, limit: int | None = None,
    tail: int | None = None, writing: Writing = WRITING,
) -> Iterator[LogRead]:
    """`gainlog log`: the live events up to `as_of` (a seq, a tag name or @RFC3339; None: the head),
    or with `show_all` every event, each marked retracted or not; `limit`: the first N of them,
    `tail`: the last N. Only the events shown are read and decoded (the first rows of a million-event
    log come at once, not after decoding all of it); the rows can be taken inside the block only."""
    from itertools import islice

    with open_store(db, writing=writing) as store:
        until = store.resolve(as_of)
        retracted, retracts = store.retractions(until=until)
        after = 0
        if tail is not None:
            hidden = set() if show_all else retracted.keys() | retracts
            after = store.seqs_from_end(until=until, count=tail, skip=hidden.__contains__)
        rows = _log_rows(store.iter_read(after=after, until=until), retracted, show_all=show_all)
        yield LogRead(
            rows=rows if limit is None else islice(rows, limit), last_seq=until,
            timezone_name=store.timezone_name, timezone=store.timezone,
        )


def _log_rows(records: Iterable[Recorded], retracted: dict[int, int], *, show_all: bool) -> Iterator[dict[str, Any]]:
    """`log --json` rows: canonical events plus key, seq, recorded_at, source, batch (CONTRACT §3),
    and with `show_all` `retracted` and `retracted_by`; without it no retracted or `retract` event."""
    from ..ledger import chain, codec
    from ..ledger.events import Retract

    for r in records:
        retracted_by = retracted.get(r.seq)
        if not show_all and (retracted_by is not None or isinstance(r.event, Retract)):
            continue
        row = codec.canonical(r.event)
        row.update(key=r.key, seq=r.seq, recorded_at=chain.time_text(r.recorded_at), source=r.source, batch=r.batch)
        if show_all:
            row.update(retracted=retracted_by is not None, retracted_by=retracted_by)
        yield row


def read_batches(db: Path, as_of: str | None = None, *, writing: Writing = WRITING) -> list[dict[str, Any]]:
    """`gainlog log --batches`: each batch up to `as_of`, with the export rows it skipped."""
    with open_store(db, writing=writing) as store:
        return [
            {"batch": b.batch, "source": b.source, "origin": b.origin, "recorded_at": b.recorded_at,
             "first_seq": b.first_seq, "last_seq": b.last_seq, "digest": b.digest, "skipped": b.skipped}
            for b in store.batch_rows(until=store.resolve(as_of))
        ]

