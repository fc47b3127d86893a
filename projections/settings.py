"""Which settings cover a trade: `method` and `policy` events by date and precedence (CONTRACT §2 "Time").

A settings event takes effect at 00:00 ledger-local on its `from` date, before any trade that day.
Where several cover one trade the most specific wins (wallet and asset > asset > wallet > none),
then the latest `from`, then the highest `seq`; a field an event leaves out is inherited from the
next event in that ranking. That resolution is one function, `rules.precedence.in_force`, used for
the method, the scope and the policy. `scope` is per asset (the codec refuses a wallet-level scope). Defaults:
FIFO (R3.1); crypto scope universal before 2025-01-01, wallet from then on (R3.3); stocks always
per wallet (R3.2); transfer fee `dispose` (R2.6).

The index is built once per replay from the settings events (they are few); lookups are cached per
"epoch" (the set of `from` dates already reached), so a trade costs a dict lookup.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from datetime import date, datetime

from ..ledger.events import (
    WALLET_SCOPE_FROM,
    AssetClass,
    Method,
    MethodElection,
    Policy,
    Recorded,
    Scope,
    TransferFee,
)
from .rules.precedence import Setting, T, in_force, ranked

DEFAULT_METHOD: Method = "FIFO"


class MethodChoice:
    """The method in force for a trade and the election that decided it (None: the default)."""

    __slots__ = ("method", "seq", "recorded_at")

    def __init__(self, method: Method, seq: int = 0, recorded_at: datetime | None = None) -> None:
        self.method = method
        self.seq = seq
        self.recorded_at = recorded_at


def _setting(value: T, record: Recorded, event: MethodElection) -> Setting[T]:
    return Setting(value, from_=event.from_, seq=record.seq, recorded_at=record.recorded_at, wallet=event.wallet,
                   asset=event.asset)


class Settings:
    """All settings events of a replay, indexed for lookups by (wallet, asset, local date); every
    lookup is `rules.precedence.in_force` over the events that set the field asked about."""

    def __init__(self, records: Iterable[Recorded]) -> None:
        elections: list[Setting[Method]] = []
        scopes: list[Setting[Scope]] = []
        policies: list[Setting[TransferFee]] = []
        for record in records:
            event = record.event
            if isinstance(event, MethodElection):
                elections.append(_setting(event.method, record, event))
                if event.scope is not None:
                    scopes.append(_setting(event.scope, record, event))
            elif isinstance(event, Policy) and event.transfer_fee is not None:
                policies.append(
                    Setting(event.transfer_fee, from_=event.from_, seq=record.seq, recorded_at=record.recorded_at)
                )
        # best first: the ranking of CONTRACT §2 "Time"
        self._elections = ranked(elections)
        self._scoped = ranked(scopes)
        self._policies = ranked(policies)
        self._dates = sorted({e.from_ for e in elections} | {p.from_ for p in policies})
        self._method_cache: dict[tuple[int, str | None, str], MethodChoice] = {}

    def transition_dates(self) -> list[date]:
        """Dates on which an asset's pool scope may change: scoped elections and 2025-01-01."""
        return sorted({e.from_ for e in self._scoped if e.from_ < WALLET_SCOPE_FROM} | {WALLET_SCOPE_FROM})

    def method(self, wallet: str | None, asset: str, day: date) -> MethodChoice:
        """The method in force for `wallet` (None: asset-wide) and `asset` on local date `day`."""
        key = (bisect_right(self._dates, day), wallet, asset)
        choice = self._method_cache.get(key)
        if choice is None:
            choice = self._resolve(wallet, asset, day, known_at=None)
            self._method_cache[key] = choice
        return choice

    def method_known_at(self, wallet: str | None, asset: str, day: date, known_at: datetime) -> MethodChoice:
        """The method that was in force for a trade counting only elections recorded by `known_at` (R3.6)."""
        return self._resolve(wallet, asset, day, known_at=known_at)

    def _resolve(
        self, wallet: str | None, asset: str, day: date, *, known_at: datetime | None
    ) -> MethodChoice:
        election = in_force(self._elections, wallet=wallet, asset=asset, day=day, known_at=known_at)
        if election is None:
            return MethodChoice(DEFAULT_METHOD)
        return MethodChoice(election.value, election.seq, election.recorded_at)

    def scope(self, asset: str, asset_class: AssetClass, day: date) -> Scope:
        """Universal or wallet pooling of `asset` on `day` (R3.2, R3.3)."""
        if asset_class == "stock" or day >= WALLET_SCOPE_FROM:
            return "wallet"
        election = in_force(self._scoped, wallet=None, asset=asset, day=day)
        return "universal" if election is None else election.value

    def transfer_fee(self, day: date) -> TransferFee:
        """How a self-transfer's network fee is treated on `day` (R2.6): dispose (default) or carry."""
        policy = in_force(self._policies, wallet=None, asset=None, day=day)
        return "dispose" if policy is None else policy.value
