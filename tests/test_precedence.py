"""CONTRACT §2 "Time": one resolver (`projections/rules/precedence.py`) for the method, the scope
and the policy in force."""

from __future__ import annotations

from datetime import UTC, date, datetime

from gainlog.projections.rules.precedence import Setting, in_force, ranked
from gainlog.projections.settings import Settings
from helpers import records

T0 = datetime(2030, 1, 1, tzinfo=UTC)


def _s(value: str, seq: int, *, from_: date = date(2024, 1, 1), wallet: str | None = None,
       asset: str | None = None) -> Setting[str]:
    return Setting(value, from_=from_, seq=seq, recorded_at=T0.replace(second=seq), wallet=wallet, asset=asset)


def _value(best_first: list[Setting[str]], **where: object) -> str | None:
    found = in_force(best_first, **where)  # type: ignore[arg-type]
    return None if found is None else found.value


def test_wallet_and_asset_beat_asset_beat_wallet_beat_none() -> None:
    best = ranked([_s("none", 9), _s("wallet", 8, wallet="cb"), _s("asset", 7, asset="BTC"),
                   _s("both", 1, wallet="cb", asset="BTC")])
    day = date(2025, 1, 1)
    assert _value(best, wallet="cb", asset="BTC", day=day) == "both"
    assert _value(best, wallet="kr", asset="BTC", day=day) == "asset"
    assert _value(best, wallet="cb", asset="ETH", day=day) == "wallet"
    assert _value(best, wallet="kr", asset="ETH", day=day) == "none"
    assert _value(best, wallet="kr", asset="ETH", day=date(2023, 12, 31)) is None  # before every `from`


def test_then_the_latest_from_then_the_highest_seq() -> None:
    best = ranked([_s("later", 1, from_=date(2024, 6, 1)), _s("earlier", 5), _s("same-from-higher-seq", 6)])
    assert _value(best, wallet=None, asset=None, day=date(2024, 7, 1)) == "later"
    assert _value(best, wallet=None, asset=None, day=date(2024, 5, 1)) == "same-from-higher-seq"
    # R3.6: what was in force when seq 5 had been recorded
    assert in_force(best, wallet=None, asset=None, day=date(2024, 5, 1), known_at=T0.replace(second=5)) is best[2]


def test_settings_resolve_method_scope_and_policy_through_it() -> None:
    recs = records([
        {"type": "method", "method": "LIFO", "from": "2021-01-01"},
        {"type": "method", "method": "HIFO", "from": "2022-01-01", "asset": "BTC", "scope": "wallet"},
        {"type": "method", "method": "LOFO", "from": "2023-01-01", "wallet": "cb"},
        {"type": "policy", "from": "2022-01-01", "transfer_fee": "carry"},
        {"type": "policy", "from": "2023-01-01", "wash_sale_crypto": True},
    ])
    settings = Settings(recs)
    assert settings.method("cb", "BTC", date(2023, 6, 1)).method == "HIFO"  # asset beats wallet
    assert settings.method("cb", "ETH", date(2023, 6, 1)).method == "LOFO"
    assert settings.method("kr", "ETH", date(2021, 6, 1)).method == "LIFO"
    assert settings.method("kr", "ETH", date(2020, 6, 1)).method == "FIFO"  # the default
    assert settings.scope("BTC", "crypto", date(2022, 1, 1)) == "wallet"
    assert settings.scope("ETH", "crypto", date(2022, 1, 1)) == "universal"
    # a policy without `transfer_fee` inherits it from the one before
    assert [settings.transfer_fee(d) for d in (date(2021, 1, 1), date(2024, 1, 1))] == ["dispose", "carry"]
