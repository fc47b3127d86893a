"""`gainlog add` for CONTRACT §4 "More events" and the transfer legs (issue #16, cli/cmd_add_events.py):
each subcommand appends exactly the event its `.jsonl` line would (same canonical body under `log
--json`), marks its required options in `--help`, and refuses a bad value in one line, exit 2."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import Result, write_jsonl

BOOKKEEPING = ("key", "seq", "recorded_at", "source", "batch")

# (add arguments, the .jsonl line it stands for)
CASES: list[tuple[list[str], dict[str, Any]]] = [
    (["split", "--at", "2024-06-10", "--asset", "NVDA", "--ratio", "10"],
     {"type": "split", "at": "2024-06-10", "asset": "NVDA", "ratio": "10"}),
    (["split", "--at", "2024-06-10", "--asset", "NVDA", "--wallet", "schwab", "--added-qty", "90"],
     {"type": "split", "at": "2024-06-10", "asset": "NVDA", "wallet": "schwab", "added_qty": "90"}),
    (["split", "--at", "2024-06-10", "--asset", "NVDA", "--wallet", "schwab", "--removed-qty", "0.5"],
     {"type": "split", "at": "2024-06-10", "asset": "NVDA", "wallet": "schwab", "removed_qty": "0.5"}),
    (["rename", "--at", "2022-06-09", "--asset", "FB", "--to", "META"],
     {"type": "rename", "at": "2022-06-09", "asset": "FB", "to": "META"}),
    (["reorg", "--at", "2023-06-01", "--asset", "P", "--into", "S:0.5:0.25", "--into", "T:1:0.1", "--cash", "150",
      "--wallet", "schwab"],
     {"type": "reorg", "at": "2023-06-01", "asset": "P", "wallet": "schwab", "cash": "150",
      "into": [{"asset": "S", "qty_per_unit": "0.5", "basis_share": "0.25"},
               {"asset": "T", "qty_per_unit": "1", "basis_share": "0.1"}]}),
    (["reorg", "--at", "2023-06-01", "--asset", "P", "--into",
      '[{"asset": "S", "qty_per_unit": "0.5", "basis_share": "0.25"}]'],
     {"type": "reorg", "at": "2023-06-01", "asset": "P",
      "into": [{"asset": "S", "qty_per_unit": "0.5", "basis_share": "0.25"}]}),
    (["gift-in", "--at", "2024-03-01", "--wallet", "schwab", "--asset", "XYZ", "--qty", "10", "--donor-basis", "1000",
      "--donor-acquired", "2020-05-01", "--fmv", "600", "--class", "stock"],
     {"type": "gift_in", "at": "2024-03-01", "wallet": "schwab", "asset": "XYZ", "qty": "10", "donor_basis": "1000",
      "donor_acquired": "2020-05-01", "fmv": "600", "class": "stock"}),
    (["gift_in", "--at", "2024-03-01", "--wallet", "w", "--asset", "ETH", "--qty", "1", "--donor-basis", "1800",
      "--donor-acquired", "2021-05-04", "--fmv", "2600"],
     {"type": "gift_in", "at": "2024-03-01", "wallet": "w", "asset": "ETH", "qty": "1", "donor_basis": "1800",
      "donor_acquired": "2021-05-04", "fmv": "2600"}),
    (["gift-out", "--at", "2024-12-20", "--wallet", "nano", "--asset", "BTC", "--qty", "0.1", "--fmv", "9700",
      "--lots", "b1:0.1"],
     {"type": "gift_out", "at": "2024-12-20", "wallet": "nano", "asset": "BTC", "qty": "0.1", "fmv": "9700",
      "lots": [{"lot": "b1", "qty": "0.1"}]}),
    (["gift_out", "--at", "2024-12-20", "--wallet", "nano", "--asset", "BTC", "--qty", "0.1", "--fmv", "9700"],
     {"type": "gift_out", "at": "2024-12-20", "wallet": "nano", "asset": "BTC", "qty": "0.1", "fmv": "9700"}),
    (["donate", "--at", "2024-12-15", "--wallet", "cb", "--asset", "ETH", "--qty", "2", "--fmv", "7800",
      "--lots", "cli:e1:1.5", "--lots", "e2:0.5", "--note", "to a charity"],
     {"type": "donate", "at": "2024-12-15", "wallet": "cb", "asset": "ETH", "qty": "2", "fmv": "7800",
      "lots": [{"lot": "cli:e1", "qty": "1.5"}, {"lot": "e2", "qty": "0.5"}], "note": "to a charity"}),
    (["lost", "--at", "2024-08-01", "--wallet", "hot", "--asset", "SOL", "--qty", "12", "--txid", "0xdead"],
     {"type": "lost", "at": "2024-08-01", "wallet": "hot", "asset": "SOL", "qty": "12", "txid": "0xdead"}),
    (["worthless", "--at", "2024-03-15", "--asset", "LUNA"],
     {"type": "worthless", "at": "2024-03-15", "asset": "LUNA"}),
    (["worthless", "--at", "2024-03-15", "--asset", "LUNA", "--wallet", "kraken", "--id", "luna-dead"],
     {"type": "worthless", "at": "2024-03-15", "asset": "LUNA", "wallet": "kraken", "id": "luna-dead"}),
    (["withdrawal", "--at", "2024-03-20T20:00:00Z", "--wallet", "coinbase", "--asset", "BTC", "--qty", "0.3",
      "--fee-qty", "0.0002"],
     {"type": "withdrawal", "at": "2024-03-20T20:00:00Z", "wallet": "coinbase", "asset": "BTC", "qty": "0.3",
      "fee_qty": "0.0002"}),
    (["deposit", "--at", "2024-03-20T21:10:00Z", "--wallet", "kraken", "--asset", "BTC", "--qty", "0.2998"],
     {"type": "deposit", "at": "2024-03-20T21:10:00Z", "wallet": "kraken", "asset": "BTC", "qty": "0.2998"}),
]


# the acquisitions a `--lots` names, imported first into both ledgers (source cli)
PRELUDE = [
    {"type": "buy", "id": "b1", "at": "2024-01-02", "wallet": "nano", "asset": "BTC", "qty": "1", "total": "40000"},
    {"type": "buy", "id": "e1", "at": "2024-01-02", "wallet": "cb", "asset": "ETH", "qty": "1.5", "total": "3000"},
    {"type": "buy", "id": "e2", "at": "2024-01-03", "wallet": "cb", "asset": "ETH", "qty": "1", "total": "2200"},
]


def _body(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in BOOKKEEPING}


@pytest.mark.parametrize(("args", "line"), CASES, ids=[" ".join(a[:1] + a[-2:]) for a, _ in CASES])
def test_add_appends_the_event_its_jsonl_line_would(
    args: list[str], line: dict[str, Any], tmp_path: Path, gainlog: Callable[..., Result]
) -> None:
    imported = tmp_path / "other.db"
    assert gainlog("init", ledger=imported).code == 0
    prelude = write_jsonl(tmp_path / "prelude.jsonl", PRELUDE)
    for ledger in (None, imported):
        assert gainlog("import", str(prelude), "--source", "cli", ledger=ledger).code == 0
    added = gainlog("add", *args, "--json")
    assert added.code == 0, added.err
    assert added.json()["duplicate"] is False
    path = write_jsonl(tmp_path / "one.jsonl", [line])
    assert gainlog("import", str(path), "--source", "cli", ledger=imported).code == 0
    by_add = gainlog("log", "--json").json()
    by_import = gainlog("log", "--json", ledger=imported).json()
    assert len(by_add) == len(by_import) == len(PRELUDE) + 1
    assert _body(by_add[-1]) == _body(by_import[-1])
    assert by_add[-1]["type"] == line["type"] and by_add[-1]["key"] == by_import[-1]["key"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["split", "--at", "2024-06-10", "--asset", "X"],
         "gainlog: add: field 'ratio': give exactly one of 'ratio', 'added_qty' and 'removed_qty'"),
        (["split", "--at", "2024-06-10", "--asset", "X", "--ratio", "2", "--added-qty", "1", "--wallet", "w"],
         "gainlog: add: field 'ratio': give exactly one of 'ratio', 'added_qty' and 'removed_qty'"),
        (["split", "--at", "2024-06-10", "--asset", "X", "--added-qty", "1"],
         "gainlog: add: field 'wallet': required with 'added_qty' or 'removed_qty'"),
        (["split", "--at", "2024-06-10", "--asset", "X", "--ratio", "2", "--wallet", "w"],
         "gainlog: add: field 'wallet': only with 'added_qty' or 'removed_qty': a split by `ratio` covers every "
         "wallet"),
        (["split", "--at", "2024-06-10", "--asset", "X", "--wallet", "w", "--removed-qty", "0"],
         "gainlog: add: field 'removed_qty': must be above zero"),
        (["split", "--at", "2024-06-10", "--asset", "X", "--ratio", "-2"],
         "gainlog: add: field 'ratio': '-2' is not a plain decimal"),
        (["rename", "--at", "2024-01-01", "--asset", "X", "--to", "X"],
         "gainlog: add: field 'to': a rename of X to itself"),
        (["rename", "--at", "2024-01-01", "--asset", "X"], "gainlog: add: field 'to': missing required field"),
        (["reorg", "--at", "2024-01-01", "--asset", "X", "--into", "S:0.5"],
         "gainlog: add: field 'into': 'S:0.5' is not ASSET:QTY_PER_UNIT:BASIS_SHARE (or give a JSON list)"),
        (["reorg", "--at", "2024-01-01", "--asset", "X", "--into", "S:0:0.5"],
         "gainlog: add: field 'into[0].qty_per_unit': must be above zero"),
        (["reorg", "--at", "2024-01-01", "--asset", "X", "--into", "[]"],
         "gainlog: add: field 'into': a reorganization needs at least one asset in `into`"),
        (["reorg", "--at", "2024-01-01", "--asset", "X", "--into", '[{"asset": "S"'],
         "gainlog: add: field 'into': not valid JSON"),
        (["reorg", "--at", "2024-01-01", "--asset", "X"], "gainlog: add: field 'into': missing required field"),
        (["gift-in", "--at", "2024-03-01", "--wallet", "w", "--asset", "X", "--qty", "1", "--donor-basis", "5",
          "--donor-acquired", "05/01/2020", "--fmv", "3"], "gainlog: add: field 'donor_acquired'"),
        (["gift-in", "--at", "2024-03-01", "--wallet", "w", "--asset", "X", "--qty", "1", "--donor-basis", "5",
          "--donor-acquired", "2020-05-01"], "gainlog: add: field 'fmv': missing required field"),
        (["gift-out", "--at", "2024-03-01", "--wallet", "w", "--asset", "X", "--qty", "1", "--fmv", "1,000"],
         "gainlog: add: field 'fmv': '1,000' is not a plain decimal"),
        (["donate", "--at", "2024-03-01", "--wallet", "w", "--asset", "X", "--qty", "1", "--fmv", "5",
          "--lots", "nonsense"], "gainlog: add: field 'lots': 'nonsense' is not LOT:QTY (or give a JSON list)"),
        (["lost", "--at", "2024-03-01", "--wallet", "w", "--asset", "X", "--qty", "0"],
         "gainlog: add: field 'qty': must be above zero"),
        (["worthless", "--at", "2024-13-01", "--asset", "X"], "gainlog: add: field 'at': '2024-13-01' is not"),
        (["withdrawal", "--at", "2024-03-01", "--wallet", "w", "--asset", "X", "--qty", "1", "--fee-qty", "1"],
         "gainlog: add: field 'fee_qty': must be less than 'qty'"),
        (["deposit", "--at", "2024-03-01T10:00:00", "--wallet", "w", "--asset", "X", "--qty", "1"],
         "gainlog: add: field 'at': '2024-03-01T10:00:00' is not an RFC 3339 time with an offset"),
    ],
)
def test_add_refuses_a_bad_value_in_one_line(args: list[str], message: str, gainlog: Callable[..., Result]) -> None:
    result = gainlog("add", *args)
    assert result.code == 2, result
    assert result.err.startswith(message), result.err
    assert result.err.count("\n") == 1 and "Traceback" not in result.err
    assert gainlog("log", "--json").json() == []


def test_donate_lots_are_checked_like_a_sells(gainlog: Callable[..., Result]) -> None:
    """A lot named by `--lots` that the log does not hold is refused, as on `add sell`."""
    result = gainlog("add", "donate", "--at", "2024-03-01", "--wallet", "w", "--asset", "X", "--qty", "1",
                     "--fmv", "5", "--lots", "nope:1")
    assert result.code == 2 and result.err.startswith("gainlog: add: field 'lots"), result.err
    assert "nope" in result.err


@pytest.mark.parametrize(
    ("command", "required"),
    [
        ("split", ("--at", "--asset")),
        ("rename", ("--at", "--asset", "--to")),
        ("reorg", ("--at", "--asset", "--into")),
        ("gift-in", ("--at", "--wallet", "--asset", "--qty", "--donor-basis", "--donor-acquired", "--fmv")),
        ("gift-out", ("--at", "--wallet", "--asset", "--qty", "--fmv")),
        ("donate", ("--at", "--wallet", "--asset", "--qty", "--fmv")),
        ("lost", ("--at", "--wallet", "--asset", "--qty")),
        ("worthless", ("--at", "--asset")),
        ("withdrawal", ("--at", "--wallet", "--asset", "--qty")),
        ("deposit", ("--at", "--wallet", "--asset", "--qty")),
    ],
)
def test_help_marks_the_required_options(command: str, required: tuple[str, ...]) -> None:
    from gainlog.cli.app import add_app
    from gainlog.cli.main import _register
    from typer.main import get_command

    _register()
    click_command = get_command(add_app).commands[command]  # type: ignore[attr-defined]
    helps = {opt: getattr(p, "help", "") or "" for p in click_command.params for opt in p.opts}
    assert {opt for opt, text in helps.items() if "(required)" in text} == set(required)
    if command == "split":
        one_of = "(required: one of --ratio, --added-qty, --removed-qty)"
        assert [opt for opt, text in helps.items() if one_of in text] == ["--ratio", "--added-qty", "--removed-qty"]
        assert "(required with them)" in helps["--wallet"]


def test_underscore_spellings_are_hidden_aliases() -> None:
    from gainlog.cli.app import add_app
    from gainlog.cli.main import _register
    from typer.main import get_command

    _register()
    commands = get_command(add_app).commands  # type: ignore[attr-defined]
    for dashed in ("gift-in", "gift-out"):
        alias = commands[dashed.replace("-", "_")]
        assert alias.hidden and not commands[dashed].hidden
        assert alias.callback.__wrapped__ is commands[dashed].callback.__wrapped__  # typer wraps each registration


def test_log_summarises_a_split_by_its_units(tmp_path: Path, gainlog: Callable[..., Result]) -> None:
    by_units = ("--wallet", "rh", "--added-qty", "90")
    assert gainlog("add", "split", "--at", "2024-06-10", "--asset", "NVDA", *by_units).code == 0
    assert gainlog("add", "split", "--at", "2024-06-11", "--asset", "NVDA", "--ratio", "2").code == 0
    out = gainlog("log").out
    assert re.search(r"split .* NVDA \+90 units rh\n", out), out
    assert re.search(r"split .* NVDA ratio 2\n", out), out


ADD_EVENTS = ("split", "rename", "reorg", "gift-in", "gift-out", "donate", "lost", "worthless", "withdrawal",
              "deposit")


@pytest.mark.parametrize("sub", ADD_EVENTS)
def test_each_add_subcommand_ends_with_the_shared_options(sub: str) -> None:
    # cli/cmd_add_events.py SHARED: --id, --note, --txid, --json, with the texts of `add buy`'s (defined once)
    import typer
    from gainlog.cli import cmd_add_events  # noqa: F401 (registers the subcommands)
    from gainlog.cli.app import add_app

    commands = typer.main.get_command(add_app).commands  # type: ignore[attr-defined]

    def options(name: str) -> list[tuple[str, str | None]]:
        return [(p.opts[0], getattr(p, "help", None)) for p in commands[name].params]

    shared = options("buy")[-4:]
    assert [o for o, _ in shared] == ["--id", "--note", "--txid", "--json"]
    assert options(sub)[-4:] == shared
    if "-" in sub:
        assert options(sub.replace("-", "_")) == options(sub)


def test_the_shared_options_reach_the_event(gainlog: Callable[..., Result]) -> None:
    done = gainlog("add", "lost", "--at", "2025-03-01", "--wallet", "w", "--asset", "BTC", "--qty", "1", "--id",
                   "gone", "--note", "phone", "--txid", "0xab", "--json")
    assert done.code == 0, done.err
    [event] = gainlog("log", "--json").json()
    assert (event["key"], event["note"], event["txid"], event["type"]) == ("cli:gone", "phone", "0xab", "lost")
