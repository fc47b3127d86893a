"""Checkpoints of the lot engine's fold: the state a report after an append folds its tail into.

A checkpoint is the `LotBookState` after every live trade of the log up to seq S had been stepped
(before `finish`), without its output lists: pools of open lots, settings, holdings (small, whatever
the log's length), with its horizon: the largest (event time, seq) among those trades.
projections.year_checkpoint stores each year's Schedule D totals next to it. It is a cache, never the
truth (STYLE.md 23): keyed by `VERSION` (the projection code) and S, and used only when the result is
provably the one a full replay gives. The rule here (`tail_qualifies` and `adopt_classes`): every
event in (S, K] is

- a trade sorting after the horizon (event time >= the horizon's; the seq is larger anyway) that
  gives no `stock` class to an asset the state already used without a class, or
- an event the engine ignores (`profile`, `carryover`, `wallet`).

Anything else (a `retract` of anything, `method`, `policy`, `allocate`, a backdated trade) changes
what the state holds or was built from: the checkpoint is unusable and the caller tries an older one
or replays fully (year_checkpoint adds its own conditions).

The stored form (`freeze_engine`/`thaw_engine`) is a pickle; unpickling refuses every class outside
the engine's own vocabulary, so a ledger file from elsewhere cannot run code.
"""

from __future__ import annotations

import copy
import hashlib
import io
import pickle
import sys
from collections.abc import Iterable
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
from projections.model import Booked

PROJECTION_VERSION = "1"  # bump by hand when the stored form changes without a source change
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


def last_trade(known: Iterable[Recorded]) -> Horizon | None:
    """The horizon of a full fold of `known`: the largest (event time, seq) among its trades."""
    horizon: Horizon | None = None
    for record in known:
        event = record.event
        if isinstance(event, TRADES):
            point = (event.at, record.seq)
            if horizon is None or point > horizon:
                horizon = point
    return horizon


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


STATE = "state"  # the part's name in a checkpoint


def freeze_engine(state: LotBookState) -> bytes:
    """The state without its output lists and lot keys, as bytes (take it before `finish`, which
    changes the pools). A tail that names `lots` is never folded into it (year_checkpoint)."""
    rest = copy.copy(state)
    rest.slices, rest.acquisitions, rest.income, rest.problems = [], [], [], []
    rest.lot_keys = set()
    del rest.tz  # a ZoneInfo pickles as a getattr() call, which `thaw_engine` refuses: its key goes alongside
    return pickle.dumps((state.tz.key, rest), protocol=pickle.HIGHEST_PROTOCOL)


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
