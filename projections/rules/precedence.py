"""Which settings event is in force (CONTRACT §2 "Time"): one resolver for `method` elections,
pool scopes and `policy` choices.

A settings event takes effect at 00:00 ledger-local on its `from` date, before any trade that day.
Where several cover one trade the most specific wins: wallet and asset > asset > wallet > none;
then the latest `from`; then the highest seq. A field an event leaves out is inherited from the
next event in that ranking: callers rank only the events that set the field they ask about.
R3.6 asks what was in force when a disposal was recorded: `known_at` ignores the events recorded
after it.

Example: `method` LIFO for every asset from 2024-01-01 (seq 3) and HIFO for BTC in wallet `cb`
from 2025-01-01 (seq 5): a BTC sale in `cb` on 2025-03-01 uses HIFO (more specific), in wallet
`ledger` LIFO; a BTC sale in `cb` on 2024-06-01 uses LIFO (HIFO is not yet in force).

Reports no problems.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Generic, TypeVar

T = TypeVar("T")


class Setting(Generic[T]):
    """One settings event's choice of one field, with what the ranking needs.

    Attributes:
        value: the choice (a method, a scope, a policy's field).
        from_: the first local date it covers.
        wallet: the wallet it is limited to, or None.
        asset: the asset it is limited to, or None.
        seq: the event's seq.
        recorded_at: when the event was recorded.
        rank: (specificity, from, seq): the larger wins.
    """

    __slots__ = ("value", "from_", "wallet", "asset", "seq", "recorded_at", "rank")

    def __init__(
        self, value: T, *, from_: date, seq: int, recorded_at: datetime, wallet: str | None = None,
        asset: str | None = None,
    ) -> None:
        self.value = value
        self.from_ = from_
        self.wallet = wallet
        self.asset = asset
        self.seq = seq
        self.recorded_at = recorded_at
        self.rank = (2 * (asset is not None) + (wallet is not None), from_, seq)


def ranked(settings: Iterable[Setting[T]]) -> list[Setting[T]]:
    """The settings best first: the order `in_force` reads them in."""
    return sorted(settings, key=_rank, reverse=True)


def _rank(setting: Setting[T]) -> tuple[int, date, int]:
    return setting.rank


def in_force(
    best_first: Sequence[Setting[T]], *, wallet: str | None, asset: str | None, day: date,
    known_at: datetime | None = None,
) -> Setting[T] | None:
    """The setting in force for a trade of `asset` in `wallet` on local date `day` (None for either:
    asset-wide or wallet-wide), counting only those recorded by `known_at` if given; None when no
    setting covers it (the caller's default applies). `best_first` comes from `ranked`."""
    for setting in best_first:
        if (
            setting.from_ <= day
            and (setting.asset is None or setting.asset == asset)
            and (setting.wallet is None or setting.wallet == wallet)
            and (known_at is None or setting.recorded_at <= known_at)
        ):
            return setting
    return None
