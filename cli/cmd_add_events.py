"""`gainlog add` for the events of CONTRACT §4 "More events" and the transfer legs (issue #16):
split, rename, reorg, gift-in, gift-out, donate, lost, worthless, withdrawal, deposit.

Each subcommand's options are the event's fields with dashes (docs/events.md), declared by a function
that holds only them and its help; `_command` adds the options every subcommand shares (`SHARED`:
--id, --note, --txid, --json) and has the event built and appended by `cmd_ledger._add` (validated
like an imported line, `api.ledger_ops.add_event`).
Event types spelled with an underscore (`gift_in`, `gift_out`) are named with a dash, as every
multi-word name of the command line is (`schedule-d`, `--give-asset`); the underscore spelling is
accepted too (hidden from the help).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Annotated, Any

from .app import JsonOpt, add_app
from .cmd_ledger import REQUIRED, Asset, At, Class, Id, Lots, Note, Qty, Txid, Wallet, _add, _opt

Fmv = Annotated[str | None, _opt("--fmv", "USD fair market value of the units at the time." + REQUIRED)]
OnlyWallet = Annotated[str | None, _opt("--wallet", "Only this wallet (default: every wallet).")]


SPLIT_BY = " (required: one of --ratio, --added-qty, --removed-qty)"
SHARED = tuple(
    inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=default, annotation=annotation)
    for name, annotation, default in (("id_", Id, None), ("note", Note, None), ("txid", Txid, None),
                                      ("json_out", JsonOpt, False))
)
"""The options every `add` subcommand of this module ends with, in this order (the event's id and
audit-trail fields, and --json)."""


def _command(name: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register the decorated function's options followed by `SHARED` as `add NAME` (dashed) and, when it
    differs, under the event type's own spelling (hidden); run, it appends that event of them all."""
    tag = name.replace("-", "_")

    def register(function: Callable[..., None]) -> Callable[..., None]:
        def command(**options: Any) -> None:
            _add(tag, options)

        own = inspect.signature(function, eval_str=True)
        functools.update_wrapper(command, function)
        command.__signature__ = own.replace(parameters=[*own.parameters.values(), *SHARED])  # type: ignore[attr-defined]
        add_app.command(name)(command)
        if "-" in name:
            add_app.command(name.replace("-", "_"), hidden=True)(command)
        return command

    return register


@_command("split")
def add_split(
    at: At = None,
    asset: Asset = None,
    ratio: Annotated[
        str | None,
        _opt("--ratio", "New units per old unit: 2 (2-for-1), 0.1 (1-for-10)." + SPLIT_BY),
    ] = None,
    wallet: Annotated[
        str | None, _opt("--wallet", "The wallet of an --added-qty / --removed-qty split. (required with them)")
    ] = None,
    added_qty: Annotated[
        str | None,
        _opt("--added-qty",
             "Units the split added to the wallet (ratio = (held + added) / held at replay)." + SPLIT_BY),
    ] = None,
    removed_qty: Annotated[
        str | None,
        _opt("--removed-qty", "Units a reverse split took from the wallet." + SPLIT_BY),
    ] = None,
) -> None:
    """A forward or reverse split: open lots hold ratio x their units; basis and dates unchanged."""


@_command("rename")
def add_rename(
    at: At = None,
    asset: Annotated[str | None, _opt("--asset", "The old symbol." + REQUIRED)] = None,
    to: Annotated[str | None, _opt("--to", "The new symbol." + REQUIRED)] = None,
) -> None:
    """The asset continues under a new symbol (ticker change, token migration): lots unchanged."""


@_command("reorg")
def add_reorg(
    at: At = None,
    wallet: OnlyWallet = None,
    asset: Annotated[str | None, _opt("--asset", "The old asset." + REQUIRED)] = None,
    into: Annotated[
        list[str] | None,
        _opt("--into", "Repeated ASSET:QTY_PER_UNIT:BASIS_SHARE, or a JSON list." + REQUIRED),
    ] = None,
    cash: Annotated[str | None, _opt("--cash", "USD cash received (boot).")] = None,
) -> None:
    """A spin-off or merger: the old lots' basis allocated by basis share (Form 8937), dates carried."""


@_command("gift-in")
def add_gift_in(
    at: At = None,
    wallet: Wallet = None,
    asset: Asset = None,
    qty: Qty = None,
    donor_basis: Annotated[str | None, _opt("--donor-basis", "The donor's basis of the units, USD." + REQUIRED)] = None,
    donor_acquired: Annotated[
        str | None, _opt("--donor-acquired", "The day the donor acquired them, YYYY-MM-DD." + REQUIRED)
    ] = None,
    fmv: Fmv = None,
    class_: Class = None,
) -> None:
    """Units received as a gift: the donor's basis and date; dual basis when fmv is lower (IRC §1015)."""


@_command("gift-out")
def add_gift_out(
    at: At = None,
    wallet: Wallet = None,
    asset: Asset = None,
    qty: Qty = None,
    fmv: Fmv = None,
    lots: Lots = None,
) -> None:
    """Units given away: they leave with no disposal; --lots for specific identification."""


@_command("donate")
def add_donate(
    at: At = None,
    wallet: Wallet = None,
    asset: Asset = None,
    qty: Qty = None,
    fmv: Fmv = None,
    lots: Lots = None,
) -> None:
    """Units given to a charity: no disposal; listed by `report donations` (Form 8283)."""


@_command("lost")
def add_lost(
    at: At = None,
    wallet: Wallet = None,
    asset: Asset = None,
    qty: Qty = None,
) -> None:
    """Units lost or stolen: they leave with no deduction (IRC §165(h)(5))."""


@_command("worthless")
def add_worthless(
    at: Annotated[str | None, _opt("--at", "A time in the year it became worthless." + REQUIRED)] = None,
    asset: Asset = None,
    wallet: OnlyWallet = None,
) -> None:
    """The asset became worthless: its remaining units disposed of for 0 on December 31 (IRC §165(g))."""


@_command("withdrawal")
def add_withdrawal(
    at: At = None,
    wallet: Annotated[str | None, _opt("--wallet", "The sending wallet." + REQUIRED)] = None,
    asset: Asset = None,
    qty: Annotated[str | None, _opt("--qty", "Units leaving the wallet, fee included." + REQUIRED)] = None,
    fee_qty: Annotated[str | None, _opt("--fee-qty", "The part of --qty the sender charged as a fee.")] = None,
) -> None:
    """One side of a move between own wallets: units leave; `gainlog transfers` pairs it with a deposit."""


@_command("deposit")
def add_deposit(
    at: At = None,
    wallet: Annotated[str | None, _opt("--wallet", "The receiving wallet." + REQUIRED)] = None,
    asset: Asset = None,
    qty: Annotated[str | None, _opt("--qty", "Units arriving, after any fee." + REQUIRED)] = None,
) -> None:
    """The other side of a move between own wallets: units arrive; `gainlog transfers` pairs it."""


def into_entries(values: list[str]) -> Any:
    """`--into`: one JSON list, or repeated ASSET:QTY_PER_UNIT:BASIS_SHARE (the asset may hold ':')."""
    from ..ledger.errors import InvalidEvent

    if len(values) == 1 and values[0].lstrip().startswith("["):
        from .cmd_ledger import _json_list

        return _json_list(values[0], "into")
    out = []
    for text in values:
        parts = text.rsplit(":", 2)
        if len(parts) != 3:
            raise InvalidEvent(
                f"add: field 'into': {text!r} is not ASSET:QTY_PER_UNIT:BASIS_SHARE (or give a JSON list)"
            )
        out.append(dict(zip(("asset", "qty_per_unit", "basis_share"), parts, strict=True)))
    return out
