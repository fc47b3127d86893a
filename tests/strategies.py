"""Hypothesis strategies for valid user input of every event type (plain decimals, RFC 3339 times).

Shared by the round-trip and fast-import equivalence tests; not a test module.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import settings
from hypothesis import strategies as st

TZ = ZoneInfo("America/New_York")
SETTINGS = settings(max_examples=60, deadline=None)

text = st.text(min_size=1, max_size=12)
# a wallet or asset name: any text but control characters (C0, DEL, C1: Unicode category Cc)
name = st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=12)
whole = st.integers(min_value=0, max_value=10**15 - 1).map(str)
fraction = st.text(alphabet="0123456789", max_size=18)


@st.composite
def amounts(draw: st.DrawFn, *, positive: bool = True) -> str:
    """A plain-notation decimal as text (sometimes with leading or trailing zeros)."""
    number = draw(whole)
    frac = draw(fraction)
    out = f"{number}.{frac}" if frac else number
    if positive and not any(c in "123456789" for c in out):
        out = "1"
    return out


offsets = st.sampled_from([UTC, timezone(timedelta(hours=-5)), timezone(timedelta(hours=5, minutes=30))])
instants = st.datetimes(min_value=datetime(1901, 1, 2), max_value=datetime(2099, 12, 30), timezones=offsets)
times = st.one_of(
    instants.map(lambda d: d.isoformat()), st.dates(date(1901, 1, 1), date(2099, 12, 31)).map(str)
)
days = st.dates(date(1901, 1, 1), date(2099, 12, 31)).map(str)
common = st.fixed_dictionaries({}, optional={"id": text, "note": st.text(max_size=30), "txid": text})
classes = st.sampled_from(["crypto", "stock"])


def _event(
    tag: str, required: dict[str, Any], optional: dict[str, Any] | None = None
) -> st.SearchStrategy[dict[str, Any]]:
    body = st.fixed_dictionaries(required, optional=optional or {})
    return st.tuples(body, common).map(lambda pair: {"type": tag, **pair[1], **pair[0]})


@st.composite
def trades(draw: st.DrawFn, tag: str) -> dict[str, Any]:
    raw = draw(
        _event(
            tag,
            {"at": times, "wallet": name, "asset": name, "qty": amounts()},
            {"fee": amounts(positive=False)},
        )
    )
    raw[draw(st.sampled_from(["price", "total"]))] = draw(amounts())
    if tag == "buy" and draw(st.booleans()):
        raw["class"] = draw(classes)
    if tag == "sell" and draw(st.booleans()):
        raw["lots"] = draw(
            st.lists(st.fixed_dictionaries({"lot": text, "qty": amounts()}), min_size=1, max_size=3)
        )
    return raw


@st.composite
def swaps(draw: st.DrawFn) -> dict[str, Any]:
    give, get = draw(st.lists(name, min_size=2, max_size=2, unique=True))
    return draw(
        _event(
            "swap",
            {
                "at": times,
                "wallet": name,
                "give_asset": st.just(give),
                "give_qty": amounts(),
                "get_asset": st.just(get),
                "get_qty": amounts(),
            },
            {"fee": amounts(positive=False), "value": amounts(positive=False)},  # no value: priced at replay
        )
    )


@st.composite
def transfers(draw: st.DrawFn) -> dict[str, Any]:
    source, dest = draw(st.lists(name, min_size=2, max_size=2, unique=True))
    raw = draw(_event("transfer", {"at": times, "from": st.just(source), "to": st.just(dest), "asset": name}))
    qty = draw(st.integers(min_value=2, max_value=10**9))
    raw["qty"] = str(qty)
    if draw(st.booleans()):
        raw["fee_qty"] = str(draw(st.integers(min_value=1, max_value=qty - 1)))
        raw["fee_value"] = draw(amounts(positive=False))
    if draw(st.booleans()):
        raw["legs"] = draw(st.lists(text, min_size=1, max_size=2))
    return raw


@st.composite
def withdrawals(draw: st.DrawFn) -> dict[str, Any]:
    raw = draw(_event("withdrawal", {"at": times, "wallet": name, "asset": name}))
    qty = draw(st.integers(min_value=2, max_value=10**9))
    raw["qty"] = str(qty)
    if draw(st.booleans()):
        raw["fee_qty"] = str(draw(st.integers(min_value=1, max_value=qty - 1)))
    return raw


@st.composite
def methods(draw: st.DrawFn) -> dict[str, Any]:
    raw = draw(
        _event(
            "method",
            {"method": st.sampled_from(["FIFO", "LIFO", "HIFO", "LOFO"]), "from": days},
            {"asset": name},
        )
    )
    choice = draw(st.sampled_from(["none", "scope", "wallet"]))
    if choice == "wallet":
        raw["wallet"] = draw(name)
    elif choice == "scope":
        raw["scope"] = "universal" if raw["from"] < "2025-01-01" else "wallet"
    return raw


years = st.integers(min_value=1900, max_value=2100)
STRATEGIES: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "buy": trades("buy"),
    "sell": trades("sell"),
    "swap": swaps(),
    "transfer": transfers(),
    "fee": _event(
        "fee",
        {"at": times, "wallet": name, "asset": name, "qty": amounts()},
        {"value": amounts(positive=False)},
    ),
    "income": _event(
        "income",
        {
            "at": times,
            "wallet": name,
            "asset": name,
            "qty": amounts(),
            "kind": st.sampled_from(["staking", "mining", "airdrop", "interest", "reward", "fork", "other"]),
        },
        {"class": classes, "value": amounts(positive=False)},
    ),
    "method": methods(),
    "profile": _event(
        "profile",
        {"year": years},
        {
            "filing_status": st.sampled_from(["single", "mfj", "mfs", "hoh", "qss"]),
            "taxable_income": st.tuples(st.sampled_from(["", "-"]), amounts(positive=False)).map("".join),
        },
    ),
    "carryover": _event(
        "carryover",
        {"year": years, "short_term": amounts(positive=False), "long_term": amounts(positive=False)},
    ),
    "policy": _event(
        "policy",
        {"from": days},
        {"transfer_fee": st.sampled_from(["dispose", "carry"]), "wash_sale_crypto": st.booleans()},
    ),
    "wallet": _event(
        "wallet", {"wallet": name}, {"from": days, "reports": st.sampled_from(["1099-B", "1099-DA", "none"])}
    ),
    "allocate": _event(
        "allocate",
        {
            "asset": name,
            "lots": st.lists(
                st.fixed_dictionaries({"lot": text, "wallet": name, "qty": amounts()}), min_size=1, max_size=3
            ),
        },
    ),
    "retract": _event("retract", {"target": text}, {"reason": st.text(max_size=20)}),
    "price": _event("price", {"at": times, "asset": name, "usd": amounts()}),
    # CONTRACT §4 "More events"
    "split": st.one_of(
        _event("split", {"at": times, "asset": name, "ratio": amounts()}),
        _event("split", {"at": times, "asset": name, "wallet": name, "added_qty": amounts()}),
        _event("split", {"at": times, "asset": name, "wallet": name, "removed_qty": amounts()}),
    ),
    "rename": st.lists(name, min_size=2, max_size=2, unique=True).flatmap(
        lambda pair: _event("rename", {"at": times, "asset": st.just(pair[0]), "to": st.just(pair[1])})
    ),
    "reorg": _event(
        "reorg",
        {
            "at": times,
            "asset": name,
            "into": st.lists(
                st.fixed_dictionaries(
                    {"asset": name, "qty_per_unit": amounts(), "basis_share": amounts(positive=False)}
                ),
                min_size=1, max_size=3,
            ),
        },
        {"wallet": name, "cash": amounts(positive=False)},
    ),
    "gift_in": _event(
        "gift_in",
        {"at": times, "wallet": name, "asset": name, "qty": amounts(), "donor_basis": amounts(positive=False),
         "donor_acquired": days, "fmv": amounts(positive=False)},
        {"class": classes},
    ),
    **{
        tag: _event(
            tag,
            {"at": times, "wallet": name, "asset": name, "qty": amounts(), "fmv": amounts(positive=False)},
            {"lots": st.lists(st.fixed_dictionaries({"lot": text, "qty": amounts()}), min_size=1, max_size=3)},
        )
        for tag in ("gift_out", "donate")
    },
    "lost": _event("lost", {"at": times, "wallet": name, "asset": name, "qty": amounts()}),
    "worthless": _event("worthless", {"at": times, "asset": name}, {"wallet": name}),
    "withdrawal": withdrawals(),
    "deposit": _event("deposit", {"at": times, "wallet": name, "asset": name, "qty": amounts()}),
}
