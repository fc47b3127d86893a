"""What a new user expects of the command line (issue 17): advice that names real options, `--version`,
`-h`, `--db` after the command, required options marked in `add --help`, valid values listed in enum
errors, no internal rule numbers in help, `retract` by seq or key prefix, and `--replace` refusing an
empty file."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import BUY, Result, run_process, write_jsonl

BUY_OPTS = ("--at", "2024-01-02T12:00:00Z", "--wallet", "w", "--asset", "BTC", "--qty", "1")


# -- add conflicts give advice add can follow --------------------------------------------------


def test_add_conflict_advises_retract_or_another_id(gainlog: Callable[..., Result]) -> None:
    assert gainlog("add", "buy", *BUY_OPTS, "--price", "100", "--id", "x").code == 0
    result = gainlog("add", "buy", *BUY_OPTS, "--price", "101", "--id", "x")
    assert result.code == 2
    assert result.err == (
        "gainlog: add: field 'id': key 'cli:x' is already live (seq 1) with a different body; "
        "retract cli:x first, or use another --id\n"
    )
    assert "--replace" not in result.err


def test_import_conflict_still_names_replace(tmp_path: Path, gainlog: Callable[..., Result]) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", [{**BUY, "id": "b1"}])
    gainlog("import", str(path))
    write_jsonl(path, [{**BUY, "id": "b1", "qty": "2"}])
    result = gainlog("import", str(path))
    assert result.code == 2
    assert result.err == (
        f"gainlog: {path}:1: field 'id': key 'a.jsonl:b1' is already live (seq 1) with a different body; "
        "pass --replace to retract it and append this one\n"
    )


# -- --replace with an empty file --------------------------------------------------------------


def test_replace_refuses_an_empty_file(tmp_path: Path, gainlog: Callable[..., Result]) -> None:
    path = write_jsonl(tmp_path / "b.jsonl", [BUY, {**BUY, "qty": "2"}])
    gainlog("import", str(path))
    write_jsonl(path, [])
    result = gainlog("import", str(path), "--replace")
    assert result.code == 2 and result.out == ""
    assert result.err == (
        f"gainlog: {path}: holds no event; with --replace that would retract every live event of source "
        "'b.jsonl' (2 now): pass --allow-empty as well if that is what you want\n"
    )
    assert len(gainlog("log", "--json").json()) == 2  # nothing retracted
    allowed = gainlog("import", str(path), "--replace", "--allow-empty", "--json")
    assert allowed.code == 0 and allowed.json()["retracted"] == 2
    assert gainlog("log", "--json").json() == []


def test_replace_refuses_an_empty_converted_export(tmp_path: Path, gainlog: Callable[..., Result]) -> None:
    path = tmp_path / "k.csv"
    path.write_text('"txid","ordertxid","pair","time","type","ordertype","price","cost","fee","vol"\n')
    result = gainlog("import", str(path), "--format", "kraken", "--replace")
    assert result.code == 2 and "holds no event" in result.err and "--allow-empty" in result.err
    ok = gainlog("import", str(path), "--format", "kraken", "--replace", "--allow-empty", "--json")
    assert ok.code == 0, ok.err


def test_an_empty_file_without_replace_is_fine(tmp_path: Path, gainlog: Callable[..., Result]) -> None:
    result = gainlog("import", str(write_jsonl(tmp_path / "e.jsonl", [])), "--json")
    assert result.code == 0 and result.json()["added"] == 0


# -- --version, -h, --db after the command -----------------------------------------------------


def test_version() -> None:
    from importlib.metadata import version

    result = run_process("--version")
    assert result.code == 0 and result.err == ""
    assert result.out == f"gainlog {version('gainlog')}\n" == "gainlog 0.1.0\n"


@pytest.mark.parametrize("words", [(), ("report",), ("report", "schedule-d"), ("add", "buy"), ("import",), ("log",)])
def test_dash_h_is_help(words: tuple[str, ...], gainlog: Callable[..., Result]) -> None:
    short, long = gainlog(*words, "-h"), gainlog(*words, "--help")
    assert short.code == long.code == 0
    assert short.out == long.out and "Usage: gainlog" in short.out


def test_db_after_the_subcommand(tmp_path: Path, gainlog: Callable[..., Result]) -> None:
    from gainlog.cli.main import main

    other = tmp_path / "other.db"
    assert main(["init", "--db", str(other)]) == 0
    assert main(["add", "buy", *BUY_OPTS, "--price", "5", "--db", str(other)]) == 0
    assert main(["report", "schedule-d", "--year", "2024", "--json", f"--db={other}"]) == 0
    assert gainlog("log", "--json").json() == []  # the fixture's ledger got nothing
    rows = gainlog("log", "--json", ledger=other).json()
    assert [r["price"] for r in rows] == ["5"]
    # the last --db wins, wherever it is
    assert gainlog("log", "--json", "--db", str(other)).json() == rows


def test_db_without_its_value_after_the_command() -> None:
    result = run_process("log", "--db")
    assert result.code == 2 and "Option '--db' requires an argument." in result.err


def test_db_after_the_command_in_a_real_process(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    assert run_process("init", "--db", str(db)).code == 0
    added = run_process("add", "buy", *BUY_OPTS, "--price", "7", "--db", str(db), "--json")
    assert added.code == 0, added.err
    log = run_process("log", "--json", "--db", str(db))
    assert log.code == 0 and '"price": "7"' in log.out


def test_hoist_db_leaves_everything_else_in_order() -> None:
    from gainlog.cli.main import _words, hoist_db

    assert hoist_db(["report", "schedule-d", "--year", "2024", "--db", "x.db"]) == [
        "--db", "x.db", "report", "schedule-d", "--year", "2024"]
    assert hoist_db(["add", "buy", "--db=x.db", "--at", "2024-01-01"]) == [
        "--db=x.db", "add", "buy", "--at", "2024-01-01"]
    assert hoist_db(["import", "--", "--db"]) == ["import", "--", "--db"]
    assert _words(hoist_db(["report", "income", "--db", "x.db", "--year", "1"])) == ["report", "income"]
    assert hoist_db(["tag", "x", "--wait", "5"]) == ["--wait", "5", "tag", "x"]
    assert hoist_db(["log", "--json", "--db"]) == ["--db"]  # click: "Option '--db' requires an argument."
    assert _words(["--wait", "5", "--db=x", "report", "all", "--out", "d"]) == ["report", "all"]


# -- add --help marks what is required ---------------------------------------------------------


def _help(*words: str) -> str:
    from gainlog.cli.app import app
    from gainlog.cli.main import _register
    from typer.testing import CliRunner

    _register()
    result = CliRunner().invoke(app, [*words, "--help"], env={"COLUMNS": "250", "TERM": "dumb"})
    assert result.exit_code == 0
    return re.sub(r"\s+", " ", result.output)


def test_add_buy_help_marks_required_options_and_the_price_total_pair() -> None:
    text = _help("add", "buy")
    for option in ("--at", "--wallet", "--asset", "--qty"):
        assert re.search(re.escape(option) + r" .*?\(required\)", text), option
    assert text.count("(required: --price or --total, not both)") == 2
    assert not re.search(r"--fee <\w+> USD fee\. \(required", text)


@pytest.mark.parametrize(
    ("command", "required"),
    [
        # `--value` may be left out: valued from the log's prices (CONTRACT §4 Prices)
        ("swap", ("--at", "--wallet", "--give-asset", "--give-qty", "--get-asset", "--get-qty")),
        ("transfer", ("--at", "--from", "--to", "--asset", "--qty")),
        ("income", ("--at", "--wallet", "--asset", "--qty", "--kind")),
        ("fee", ("--at", "--wallet", "--asset", "--qty")),
        ("price", ("--at", "--asset", "--usd")),
        ("method", ("--method", "--from")),
        ("profile", ("--year",)),
        ("carryover", ("--year", "--short-term", "--long-term")),
        ("allocate", ("--asset", "--lots")),
    ],
)
def test_every_add_help_marks_its_required_options(command: str, required: tuple[str, ...]) -> None:
    from gainlog.cli.app import add_app
    from gainlog.cli.main import _register
    from typer.main import get_command

    _register()
    click_command = get_command(add_app).commands[command]  # type: ignore[attr-defined]
    marked = {
        opt for p in click_command.params for opt in p.opts if "(required)" in (getattr(p, "help", "") or "")
    }
    assert marked == set(required)


def test_no_rule_numbers_in_help() -> None:
    from helpers import root_command, walk_commands

    root = root_command()
    for path, command in [("", root), *walk_commands(root)]:
        texts = [command.help or "", *(getattr(p, "help", None) or "" for p in command.params)]
        for text in texts:
            assert not re.search(r"\bR\d", text), f"gainlog {path}: {text}"
    assert "R2.6" not in _help("add", "policy") and "R3.4" not in _help("add", "allocate")


# -- enum errors list the valid values ---------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("income", *BUY_OPTS, "--value", "1", "--kind", "bogus"),
         "field 'kind': Invalid enum value 'bogus': must be one of staking, mining, airdrop, interest, reward, "
         "fork, other"),
        (("method", "--method", "FILO", "--from", "2024-01-01"),
         "field 'method': Invalid enum value 'FILO': must be one of FIFO, LIFO, HIFO, LOFO"),
        (("profile", "--year", "2024", "--filing-status", "married"),
         "field 'filing_status': Invalid enum value 'married': must be one of single, mfj, mfs, hoh, qss"),
        (("buy", *BUY_OPTS, "--price", "1", "--class", "bond"),
         "field 'class': Invalid enum value 'bond': must be one of crypto, stock"),
        (("method", "--method", "FIFO", "--from", "2024-01-01", "--scope", "global"),
         "field 'scope': Invalid enum value 'global': must be one of universal, wallet"),
        (("policy", "--from", "2024-01-01", "--transfer-fee", "keep"),
         "field 'transfer_fee': Invalid enum value 'keep': must be one of dispose, carry"),
        (("policy", "--from", "2024-01-01", "--wash-sale-crypto", "maybe"),
         "field 'wash_sale_crypto': 'maybe' must be one of true, false"),
        (("wallet", "--wallet", "w", "--reports", "1099-X"),
         "field 'reports': Invalid enum value '1099-X': must be one of 1099-B, 1099-DA, none"),
    ],
)
def test_enum_errors_list_the_valid_values(
    args: tuple[str, ...], message: str, gainlog: Callable[..., Result]
) -> None:
    result = gainlog("add", *args)
    assert result.code == 2
    assert result.err == f"gainlog: add: {message}\n"


def test_enum_error_in_an_import_lists_the_values(tmp_path: Path, gainlog: Callable[..., Result]) -> None:
    path = write_jsonl(tmp_path / "i.jsonl", [{**BUY, "type": "income", "value": "1", "kind": "gift",
                                               "price": None}])
    text = path.read_text().replace(', "price": null', "")
    path.write_text(text)
    result = gainlog("import", str(path))
    assert result.code == 2
    assert result.err == (
        f"gainlog: {path}:1: field 'kind': Invalid enum value 'gift': must be one of staking, mining, airdrop, "
        "interest, reward, fork, other\n"
    )




# -- retract by seq or key prefix --------------------------------------------------------------


def _three(tmp_path: Path, gainlog: Callable[..., Result]) -> None:
    path = write_jsonl(tmp_path / "t.jsonl", [{**BUY, "id": "buy-1"}, {**BUY, "id": "buy-2"}, {**BUY, "id": "sell-1"}])
    assert gainlog("import", str(path)).code == 0


def test_retract_by_seq(tmp_path: Path, gainlog: Callable[..., Result]) -> None:
    _three(tmp_path, gainlog)
    result = gainlog("retract", "2", "--json")
    assert result.code == 0
    assert result.json() == {"seq": 4, "key": "cli:retract#4", "target": "t.jsonl:buy-2"}
    again = gainlog("retract", "2")
    assert again.code == 2
    assert again.err == "gainlog: retract: seq 2 (t.jsonl:buy-2) is already retracted (by seq 4)\n"
    assert gainlog("retract", "4").err == (
        "gainlog: retract: seq 4 is a retraction (cli:retract#4), not an event that can be retracted\n"
    )
    beyond = gainlog("retract", "99")
    assert beyond.code == 2 and beyond.err == "gainlog: retract: no event has seq 99 (the log ends at seq 4)\n"


def test_retract_by_unambiguous_prefix(tmp_path: Path, gainlog: Callable[..., Result]) -> None:
    _three(tmp_path, gainlog)
    result = gainlog("retract", "t.jsonl:se", "--reason", "dup")
    assert result.code == 0 and result.out == "Retracted t.jsonl:sell-1 (seq 4).\n"
    # sell-1 is retracted now, so `t.jsonl:s` names nothing live
    gone = gainlog("retract", "t.jsonl:s")
    assert gone.code == 2
    assert gone.err == (
        "gainlog: retract: no live event has key 't.jsonl:s' or a key starting with it (see `gainlog log`)\n"
    )


def test_retract_ambiguous_prefix_lists_candidates(tmp_path: Path, gainlog: Callable[..., Result]) -> None:
    _three(tmp_path, gainlog)
    result = gainlog("retract", "t.jsonl:buy")
    assert result.code == 2
    assert result.err == (
        "gainlog: retract: 't.jsonl:buy' starts the keys of 2 live events (t.jsonl:buy-1, t.jsonl:buy-2); "
        "give more of it\n"
    )
    assert len(gainlog("log", "--json").json()) == 3  # nothing written


def test_retract_hash_key_prefix(gainlog: Callable[..., Result]) -> None:
    gainlog("add", "buy", *BUY_OPTS, "--price", "3")
    key = gainlog("log", "--json").json()[0]["key"]
    result = gainlog("retract", key[:12], "--json")
    assert result.code == 0 and result.json()["target"] == key


def test_retract_unknown_key(gainlog: Callable[..., Result]) -> None:
    result = gainlog("retract", "nope:x")
    assert result.code == 2
    assert result.err == (
        "gainlog: retract: no live event has key 'nope:x' or a key starting with it (see `gainlog log`)\n"
    )


@pytest.mark.parametrize("name", ["\xa0", "filed\u200b2024", "\u3000t", "a\u2028b"])
def test_tag_refuses_blank_and_invisible_characters(gainlog: Callable[..., Result], name: str) -> None:
    # --as-of/--from read a knowledge point stripped: a tag with such characters could never be named
    result = gainlog("tag", name)
    assert result.code == 2 and result.err.startswith("gainlog: invalid tag name ")
