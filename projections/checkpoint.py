"""Checkpoints of the lot engine's fold: a cache that lets a replay after an append fold only the tail.

A checkpoint is the `LotBookState` after every live trade of the log up to seq S had been stepped
(before `finish`), with its horizon: the largest (event time, seq) among those trades. It is a
cache, never the truth (STYLE.md 23): keyed by `VERSION` (the projection code) and S, and used only
when the result is provably the one a full replay gives. The rule (`tail_qualifies` and
`adopt_classes`): every event in (S, K] is

- a trade sorting after the horizon (event time >= the horizon's; the seq is larger anyway) that
  gives no `stock` class to an asset the state already used without a class, or
- an event the engine ignores (`profile`, `carryover`, `wallet`).

Anything else (a `retract` of anything, `method`, `policy`, `allocate`, a backdated trade) changes
what the state holds or was built from: the checkpoint is unusable and the caller tries an older one
or replays fully. The wash-sale pass and the tax years stay full passes over the resulting `Booked`.

The stored form (`freeze`/`thaw`): named parts, so that a reader loads only what it needs: the engine
without its output lists and lot keys, pickled (small: pools, settings, holdings), the lot keys, and
the output lists (slices, acquisitions, income, problems) as msgpack, which decodes several times
faster than a pickle of a million structs. Unpickling refuses every class outside the engine's own
vocabulary, so a ledger file from elsewhere cannot run code. projections.year_checkpoint adds a
fourth part for one year's Schedule D after an append.
"""

from __future__ import annotations

import copy
import hashlib
import io
import pickle
import sys
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from decimal import FloatOperation, localcontext
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from ledger.events import (
    ALL_EVENTS,
    TRADES,
    Buy,
    Carryover,
    Income,
    LotAllocation,
    LotPick,
    Profile,
    Recorded,
    WalletInfo,
)
from projections.lots_engine import PRECISION, LotBookState, finish, resume
from projections.model import Acquisition, Booked, IncomeRow, Problem, Slice

PROJECTION_VERSION = "1"  # bump by hand when the stored form changes without a source change
CHECKPOINT_EVERY = 5_000  # save a new checkpoint once the log grew this much past the one used
KEEP = 2  # checkpoints kept per ledger (the newest); older ones are pruned
IGNORED = (Profile, Carryover, WalletInfo)  # events the lot engine never reads

Horizon = tuple[datetime, int]  # (event time, seq) of the last trade folded


def _version() -> str:
    """PROJECTION_VERSION plus a digest of the code a fold depends on: any change invalidates old checkpoints."""
    root = Path(__file__).resolve().parent.parent
    files = sorted((root / "projections").rglob("*.py")) + [root / "ledger" / "events.py", root / "ledger" / "codec.py"]
    digest = hashlib.sha256(f"{sys.version_info[:2]} msgspec {msgspec.__version__}".encode())
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return f"{PROJECTION_VERSION}-{digest.hexdigest()[:16]}"


VERSION = _version()


# ---------------------------------------------------------------- the reuse rule


def horizon_text(horizon: Horizon | None) -> str:
    """The stored form of a horizon ("" when no trade was folded)."""
    return "" if horizon is None else f"{horizon[0].isoformat()}#{horizon[1]}"


def parse_horizon(text: str) -> Horizon | None:
    if not text:
        return None
    at, _, seq = text.rpartition("#")
    return datetime.fromisoformat(at), int(seq)


def tail_qualifies(horizon: Horizon | None, tail: Iterable[Recorded]) -> bool:
    """Whether a checkpoint with `horizon` may serve a replay whose events after it are `tail` (seq order).

    Every tail event must be a trade at or after the horizon's event time, or an event the engine ignores.
    """
    for record in tail:
        event = record.event
        if isinstance(event, TRADES):
            if horizon is not None and event.at < horizon[0]:
                return False  # backdated: it would have been folded before trades the state holds
        elif not isinstance(event, IGNORED):
            return False  # retract, method, policy, allocate: the state's inputs changed
    return True


def adopt_classes(state: LotBookState, tail: Iterable[Recorded]) -> bool:
    """Add the asset classes the tail names to `state` as the constructor would (first by event time);
    False (state untouched) when the tail names `stock` for an asset the state already used without a class."""
    named = [r for r in tail if isinstance(r.event, Buy | Income) and r.event.class_ is not None]
    named.sort(key=lambda r: (r.event.at, r.seq))  # type: ignore[union-attr]
    used = state.scope_now.keys() | state.holdings.keys()
    added: dict[str, Any] = {}
    for record in named:
        event = record.event
        assert isinstance(event, Buy | Income) and event.class_ is not None
        if event.asset in state.asset_class or event.asset in added:
            continue
        if event.asset in used and event.class_ != "crypto":  # crypto is what an unnamed class means
            return False  # a full replay would give the earlier units this class too
        added[event.asset] = event.class_
    state.asset_class.update(added)
    return True


def horizon_after(horizon: Horizon | None, tail: Iterable[Recorded]) -> Horizon | None:
    """The horizon once the trades of `tail` are folded too."""
    for record in tail:
        event = record.event
        if isinstance(event, TRADES):
            point = (event.at, record.seq)
            if horizon is None or point > horizon:
                horizon = point
    return horizon


def last_trade(known: Sequence[Recorded]) -> Horizon | None:
    """The horizon of a full fold of `known`."""
    return horizon_after(None, known)


# ---------------------------------------------------------------- folding


def fold(state: LotBookState, records: Iterable[Recorded]) -> LotBookState:
    """Step the trades of `records` into `state` in (event time, seq) order, as `book` does."""
    return resume(state, list(records))


def booked(state: LotBookState) -> Booked:
    """`finish` in the engine's arithmetic context (it applies the pooling changes still due)."""
    with localcontext() as ctx:
        ctx.prec = PRECISION
        ctx.traps[FloatOperation] = True
        return finish(state)


# ---------------------------------------------------------------- the stored form


class _Outputs(msgspec.Struct, array_like=True):
    slices: list[Slice]
    acquisitions: list[Acquisition]
    income: list[IncomeRow]
    problems: list[Problem]


_ENCODER = msgspec.msgpack.Encoder(decimal_format="string")
_DECODER = msgspec.msgpack.Decoder(_Outputs)
_KEYS_DECODER = msgspec.msgpack.Decoder(list[str])
STATE, LOT_KEYS, OUTPUTS = "state", "lot_keys", "outputs"  # the stored parts of a fold state
CHUNK = 50_000  # output items per `outputs` part: encoded and decoded one at a time, never all at once


def output_part(index: int) -> str:
    """The name of the `index`-th `outputs` part (names sort in index order)."""
    return f"{OUTPUTS}.{index:06d}"


class Frozen:
    """A fold state as stored parts (`freeze`); `parts()` encodes the outputs a chunk at a time, so
    a million slices never exist twice in memory as one blob."""

    def __init__(self, state: LotBookState) -> None:
        rest = copy.copy(state)
        rest.slices, rest.acquisitions, rest.income, rest.problems = [], [], [], []
        rest.lot_keys = set()
        del rest.tz  # a ZoneInfo pickles as a getattr() call, which `thaw` refuses: its key goes alongside
        self.state = pickle.dumps((state.tz.key, rest), protocol=pickle.HIGHEST_PROTOCOL)
        self.lot_keys = _ENCODER.encode(sorted(state.lot_keys))
        # the lists as they are now (`finish` may still add problems; it never changes the others)
        self.outputs = _Outputs(state.slices, state.acquisitions, state.income, list(state.problems))

    def parts(self) -> Iterator[tuple[str, bytes]]:
        """Every part but `state`, as (name, bytes)."""
        yield LOT_KEYS, self.lot_keys
        out = self.outputs
        longest = max(len(out.slices), len(out.acquisitions), len(out.income), len(out.problems))
        for index, start in enumerate(range(0, max(longest, 1), CHUNK)):
            end = start + CHUNK
            chunk = _Outputs(out.slices[start:end], out.acquisitions[start:end], out.income[start:end],
                             out.problems[start:end])
            yield output_part(index), _ENCODER.encode(chunk)


def freeze(state: LotBookState) -> Frozen:
    """The state as stored parts (take it before `finish`, which changes the pools): `state`, the
    engine without its output lists and lot keys (small: pools, settings, holdings, pickled);
    `lot_keys`; the output lists (slices, acquisitions, income, problems) as msgpack chunks, which
    decode several times faster than a pickle of a million structs."""
    return Frozen(state)


_STATE_EVENT_TYPES: tuple[type, ...] = (*ALL_EVENTS, Recorded, LotPick, LotAllocation)
_SAFE_NAMES = frozenset(
    {
        ("projections.lots_engine", "LotBookState"),
        *(("projections.pools", n) for n in ("Piece", "Pool", "Portion")),
        *(("projections.settings", n) for n in ("Settings", "MethodChoice", "_Election")),
        *(("projections.model", n) for n in ("Slice", "Acquisition", "IncomeRow", "Problem", "OpenLot", "WashLink")),
        *(("ledger.events", t.__name__) for t in _STATE_EVENT_TYPES),
        *(("datetime", n) for n in ("date", "datetime", "timedelta", "timezone")),
        ("decimal", "Decimal"),
        ("msgspec._utils", "rebuild"),  # a Struct's pickle: rebuild(cls, fields), cls itself checked here
        ("builtins", "set"),
        ("builtins", "frozenset"),
    }
)


class _Unpickler(pickle.Unpickler):
    """Only the classes a fold state is made of: a checkpoint is data, never code."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _SAFE_NAMES:
            raise pickle.UnpicklingError(f"checkpoint refers to {module}.{name}, which a fold state never holds")
        return super().find_class(module, name)


_DECODE_ERRORS = (pickle.UnpicklingError, msgspec.DecodeError, EOFError, AttributeError, TypeError, ValueError,
                  ImportError, IndexError, KeyError)


def thaw_engine(blob: bytes, *, tz: ZoneInfo) -> LotBookState | None:
    """The engine `freeze` stored under `state`, with empty output lists and no lot keys (None when
    the blob is not one, or was made for another time zone)."""
    try:
        key, state = _Unpickler(io.BytesIO(blob)).load()
    except _DECODE_ERRORS:
        return None
    if not isinstance(state, LotBookState) or key != tz.key:
        return None
    state.tz = tz
    return state


def thaw(engine: bytes, lot_keys: bytes, outputs: Iterable[bytes], *, tz: ZoneInfo) -> LotBookState | None:
    """The whole state `freeze` stored, from its parts (the `outputs` chunks in order), or None when
    one is not what it should be."""
    state = thaw_engine(engine, tz=tz)
    if state is None:
        return None
    try:
        state.lot_keys = set(_KEYS_DECODER.decode(lot_keys))
        for blob in outputs:
            chunk = _DECODER.decode(blob)
            state.slices += chunk.slices
            state.acquisitions += chunk.acquisitions
            state.income += chunk.income
            state.problems += chunk.problems
    except msgspec.DecodeError:
        return None
    return state
