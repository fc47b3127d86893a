"""Which settings cover a trade: `method` and `policy` events by date and precedence (CONTRACT §2 "Time").

A settings event takes effect at 00:00 ledger-local on its `from` date, before any trade that day.
Where several cover one trade the most specific wins (wallet and asset > asset > wallet > none),
then the latest `from`, then the highest `seq`; a field an event leaves out is inherited from the
next event in that ranking. `scope` is per asset (the codec refuses a wallet-level scope). Defaults:
FIFO (R3.1); crypto scope universal before 2025-01-01, wallet from then on (R3.3); stocks always
per wallet (R3.2); transfer fee `dispose` (R2.6).

The index is built once per replay from the settings events (they are few); lookups are cached per
"epoch" (the set of `from` dates already reached), so a trade costs a dict lookup.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from datetime import date, datetime

from ledger.events import (
    WALLET_SCOPE_FROM,
    AssetClass,
    Method,
    MethodElection,
    Policy,
    Recorded,
    Scope,
    TransferFee,
)

DEFAULT_METHOD: Method = "FIFO"


class _Election:
    """One `method` event with what the ranking needs."""

    __slots__ = ("method", "from_", "scope", "wallet", "asset", "seq", "recorded_at", "rank")

    def __init__(self, record: Recorded, event: MethodElection) -> None:
        self.method: Method = event.method
        self.from_ = event.from_
        self.scope: Scope | None = event.scope
        self.wallet = event.wallet
        self.asset = event.asset
        self.seq = record.seq
        self.recorded_at = record.recorded_at
        specificity = 2 * (event.asset is not None) + (event.wallet is not None)
        self.rank = (specificity, event.from_, record.seq)

    def covers(self, wallet: str | None, asset: str, day: date) -> bool:
        return (
            self.from_ <= day
            and (self.asset is None or self.asset == asset)
            and (self.wallet is None or self.wallet == wallet)
        )


class MethodChoice:
    """The method in force for a trade and the election that decided it (None: the default)."""

    __slots__ = ("method", "seq", "recorded_at")

    def __init__(self, method: Method, seq: int = 0, recorded_at: datetime | None = None) -> None:
        self.method = method
        self.seq = seq
        self.recorded_at = recorded_at


class Settings:
    """All settings events of a replay, indexed for lookups by (wallet, asset, local date)."""

    def __init__(self, records: Iterable[Recorded]) -> None:
        elections: list[_Election] = []
        policies: list[tuple[date, int, TransferFee]] = []
        for record in records:
            event = record.event
            if isinstance(event, MethodElection):
                elections.append(_Election(record, event))
            elif isinstance(event, Policy) and event.transfer_fee is not None:
                policies.append((event.from_, record.seq, event.transfer_fee))
        # best first: the ranking of CONTRACT §2 "Time"
        self._elections = sorted(elections, key=lambda e: e.rank, reverse=True)
        self._scoped = [e for e in self._elections if e.scope is not None]
        self._policies = sorted(policies, reverse=True)
        self._dates = sorted({e.from_ for e in elections} | {p[0] for p in policies})
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
        for election in self._elections:
            if election.covers(wallet, asset, day) and (known_at is None or election.recorded_at <= known_at):
                return MethodChoice(election.method, election.seq, election.recorded_at)
        return MethodChoice(DEFAULT_METHOD)

    def scope(self, asset: str, asset_class: AssetClass, day: date) -> Scope:
        """Universal or wallet pooling of `asset` on `day` (R3.2, R3.3)."""
        if asset_class == "stock" or day >= WALLET_SCOPE_FROM:
            return "wallet"
        for election in self._scoped:
            if election.covers(None, asset, day):
                return election.scope or "universal"
        return "universal"

    def transfer_fee(self, day: date) -> TransferFee:
        """How a self-transfer's network fee is treated on `day` (R2.6): dispose (default) or carry."""
        for from_, _seq, choice in self._policies:
            if from_ <= day:
                return choice
        return "dispose"
