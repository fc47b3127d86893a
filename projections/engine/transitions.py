"""Pooling changes (R3.3, R3.4): at 00:00 local of 2025-01-01, and of any date a scoped election
switches an asset between universal and wallet scope before 2025, the asset's pools are rebuilt:
universal lots allocated to wallets (`rules/safe_harbor.py`: the default global rule, or the asset's
latest `allocate` event), or wallet pools merged into one universal pool."""

from __future__ import annotations

from datetime import date

from ...ledger.events import Allocate
from ..pools import Pool
from ..rules.safe_harbor import Requested, allocate
from .selection import resolve_lot
from .state import ONE_DAY, UNIVERSAL, LotBookState, new_piece, pool_for


def apply_transitions(state: LotBookState, upto: date | None) -> None:
    """Change pooling at 00:00 of each transition date up to `upto` (None: all) (R3.3, R3.4)."""
    while state.next_transition < len(state.transitions):
        day = state.transitions[state.next_transition]
        if upto is not None and day > upto:
            return
        state.next_transition += 1
        for asset in sorted(state.scope_now):
            new = state.settings.scope(asset, state.asset_class.get(asset, "crypto"), day)
            if new == state.scope_now[asset]:
                continue
            state.scope_now[asset] = new
            if new == "wallet":
                _split_universal(state, asset, day)
            else:
                _merge_wallets(state, asset)


def _merge_wallets(state: LotBookState, asset: str) -> None:
    """Wallet pools of `asset` become one universal pool (an election of universal scope before 2025)."""
    target = state.pools.setdefault((asset, UNIVERSAL), Pool(asset, UNIVERSAL))
    for key in sorted(k for k in state.pools if k[0] == asset and k[1] != UNIVERSAL):
        for piece in state.pools.pop(key).drain():
            target.add(piece)


def _split_universal(state: LotBookState, asset: str, day: date) -> None:
    """Allocate the open universal lots of `asset` to the wallets holding it the day before (R3.4)."""
    pool = state.pools.pop((asset, UNIVERSAL), None)
    if pool is None:
        return
    method = state.settings.method(None, asset, day - ONE_DAY).method
    pieces = sorted(pool.drain(), key=lambda p: p.key(method))
    requested: list[Requested] = []
    seq = 0
    record = state.allocations.get(asset)
    if record is not None and pieces:
        assert isinstance(record.event, Allocate)
        seq = record.seq
        state.allocation_used[asset] = record
        for entry in record.event.lots:
            lot = resolve_lot(state, entry.lot, record.source)
            requested.append(Requested(lot, entry.lot, entry.wallet, entry.qty))
    holdings = dict(state.holdings.get(asset, {}))
    shares, problems = allocate(pieces, holdings, asset=asset, requested=requested, seq=seq)
    state.problems.extend(problems)
    for share in shares:
        old = share.piece
        pool_for(state, asset, share.wallet, day).add(
            new_piece(
                state, old.lot, old.seq, asset, share.wallet, share.qty, share.basis, old.acquired_at,
                old.date_acquired, old.covered, old.transferred,
            )
        )
