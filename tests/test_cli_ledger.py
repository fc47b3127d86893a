"""The ledger commands end to end (CONTRACT §1): init, import, add, log, tag, retract, verify, demo."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import BUY, SELL, Result, run_process, write_jsonl
from gainlog.ledger import chain


def test_init_timezone_and_errors(tmp_path: Path, gainlog: Callable[..., Result]) -> None:
    ny = tmp_path / "ny.db"
    assert gainlog("init", "--timezone", "America/New_York", ledger=ny).code == 0
    # CONTRACT §2: a bare date is midday in the ledger's time zone (17:00 UTC in EST)
    gainlog(
        "add",
        "buy",
        "--at",
        "2024-01-02",
        "--wallet",
        "w",
        "--asset",
        "BTC",
        "--qty",
        "1",
        "--price",
        "5",
        ledger=ny,
    )
    assert gainlog("log", "--json", ledger=ny).json()[0]["at"] == "2024-01-02T17:00:00Z"
    again = gainlog("init", ledger=ny)
    assert again.code == 2 and "already holds a ledger" in again.err
    bad = gainlog("init", "--timezone", "Nowhere/City", ledger=tmp_path / "x.db")
    assert bad.code == 2 and "unknown time zone" in bad.err


def test_db_from_environment(tmp_path: Path) -> None:
    env = {"GAINLOG_DB": str(tmp_path / "env.db")}
    assert run_process("init", env=env).code == 0
    assert (tmp_path / "env.db").exists()
    assert json.loads(run_process("log", "--json", env=env).out) == []


def test_log_json_rows(tmp_path: Path, gainlog: Callable[..., Result]) -> None:
    # CONTRACT §3 log --json: events as in §2 plus key, seq, recorded_at, source, batch.
    gainlog(
        "import",
        str(write_jsonl(tmp_path / "t.jsonl", [{**BUY, "id": "b1", "note": "first", "fee": "1.50"}])),
    )
    (row,) = gainlog("log", "--json").json()
    assert row == {
        "type": "buy",
        "id": "b1",
        "at": "2024-01-02T12:00:00Z",
        "wallet": "coinbase",
        "asset": "BTC",
        "qty": "1",
        "price": "10000",
        "fee": "1.5",
        "note": "first",
        "key": "t.jsonl:b1",
        "seq": 1,
        "recorded_at": row["recorded_at"],
        "source": "t.jsonl",
        "batch": 1,
    }
    assert row["recorded_at"].endswith("Z")


def test_log_all_and_as_of(tmp_path: Path, gainlog: Callable[..., Result]) -> None:
    gainlog("import", str(write_jsonl(tmp_path / "t.jsonl", [{**BUY, "id": "b1"}, SELL])))
    assert gainlog("tag", "before-fix").code == 0
    assert gainlog("retract", "t.jsonl:b1", "--reason", "wrong price").code == 0
    assert [r["seq"] for r in gainlog("log", "--json").json()] == [2]
    assert [r["seq"] for r in gainlog("log", "--json", "--as-of", "before-fix").json()] == [1, 2]
    assert [r["seq"] for r in gainlog("log", "--json", "--as-of", "1").json()] == [1]
    everything = gainlog("log", "--json", "--all").json()
    assert [(r["seq"], r["type"], r["retracted"], r["retracted_by"]) for r in everything] == [
        (1, "buy", True, 3),
        (2, "sell", False, None),
        (3, "retract", False, None),
    ]
    assert everything[2]["target"] == "t.jsonl:b1" and everything[2]["reason"] == "wrong price"
    bad = gainlog("log", "--as-of", "nope")
    assert bad.code == 2 and "no tag named 'nope'" in bad.err and "before-fix" in bad.err


def test_human_log_is_a_table(tmp_path: Path, gainlog: Callable[..., Result]) -> None:
    gainlog("import", str(write_jsonl(tmp_path / "t.jsonl", [BUY])))
    out = gainlog("log").out
    assert "seq" in out and "buy" in out and "BTC" in out


def test_tag_rules(gainlog: Callable[..., Result]) -> None:
    # CONTRACT §1 tag: unique, not all digits, not starting with @.
    genesis = chain.genesis("UTC", "1")  # issue #18: the head hash of an empty log is the genesis record
    assert gainlog("tag", "filed-2024", "--json").json() == {
        "tag": "filed-2024", "seq": 0, "hash": genesis, "head": f"0:{genesis}"
    }
    for name in ("filed-2024", "2024", "@now"):
        result = gainlog("tag", name)
        assert result.code == 2 and result.err.startswith("gainlog: ")


def test_retract_requires_a_live_key(tmp_path: Path, gainlog: Callable[..., Result]) -> None:
    gainlog("import", str(write_jsonl(tmp_path / "t.jsonl", [{**BUY, "id": "b1"}])))
    assert gainlog("retract", "t.jsonl:b1", "--json").json() == {
        "seq": 2,
        "key": "cli:retract#2",
        "target": "t.jsonl:b1",
    }
    again = gainlog("retract", "t.jsonl:b1")
    assert again.code == 2 and "no live event has key 't.jsonl:b1'" in again.err


def test_verify_ok_and_broken(db: Path, tmp_path: Path, gainlog: Callable[..., Result]) -> None:
    gainlog("import", str(write_jsonl(tmp_path / "t.jsonl", [BUY, SELL])))
    ok = gainlog("verify")
    assert ok.code == 0 and "OK" in ok.out
    conn = sqlite3.connect(db)
    conn.execute("DROP TRIGGER events_no_update")
    conn.execute("UPDATE events SET body = replace(body, '\"1\"', '\"2\"') WHERE seq = 1")
    conn.commit()
    conn.close()
    broken = gainlog("verify", "--json")
    assert broken.code == 4 and "seq 1" in broken.err
    assert broken.json() == {
        "ok": False,
        "events": 2,
        "first_broken_seq": 1,
        "missing_triggers": ["events_no_update"],
        "problem": "hash chain broken at seq 1: the log was edited behind gainlog's back (seq 1 was edited)",
        "head": {"seq": 0, "hash": chain.genesis("UTC", "1")},
        "notes": [],
    }


ADDS: list[tuple[list[str], dict[str, object]]] = [
    (
        [
            "buy",
            "--at",
            "2024-01-02T12:00:00Z",
            "--wallet",
            "w",
            "--asset",
            "AAPL",
            "--qty",
            "10",
            "--total",
            "1500",
            "--fee",
            "1",
            "--class",
            "stock",
            "--id",
            "b1",
            "--note",
            "n",
            "--txid",
            "tx",
        ],
        {"total": "1500", "class": "stock", "txid": "tx"},
    ),
    (
        [
            "sell",
            "--at",
            "2024-02-01T12:00:00Z",
            "--wallet",
            "w",
            "--asset",
            "AAPL",
            "--qty",
            "4",
            "--price",
            "160",
            "--lots",
            "b1:3",
            "--lots",
            "cli:b1:1",
        ],
        {"lots": [{"lot": "b1", "qty": "3"}, {"lot": "cli:b1", "qty": "1"}]},
    ),
    (
        [
            "sell",
            "--at",
            "2024-02-02T12:00:00Z",
            "--wallet",
            "w",
            "--asset",
            "AAPL",
            "--qty",
            "1",
            "--price",
            "160",
            "--lots",
            '[{"lot": "b1", "qty": 1.0}]',
        ],
        {"lots": [{"lot": "b1", "qty": "1"}]},
    ),
    (
        [
            "swap",
            "--at",
            "2024-03-01T00:00:00Z",
            "--wallet",
            "w",
            "--give-asset",
            "BTC",
            "--give-qty",
            "0.1",
            "--get-asset",
            "ETH",
            "--get-qty",
            "2",
            "--value",
            "6000",
        ],
        {"give_asset": "BTC", "get_qty": "2"},
    ),
    (
        [
            "transfer",
            "--at",
            "2024-03-02T00:00:00Z",
            "--from",
            "a",
            "--to",
            "b",
            "--asset",
            "ETH",
            "--qty",
            "1",
            "--fee-qty",
            "0.01",
            "--fee-value",
            "30",
        ],
        {"from": "a", "fee_qty": "0.01"},
    ),
    (
        [
            "fee",
            "--at",
            "2024-03-03T00:00:00Z",
            "--wallet",
            "b",
            "--asset",
            "ETH",
            "--qty",
            "0.01",
            "--value",
            "30",
        ],
        {"value": "30"},
    ),
    (
        [
            "income",
            "--at",
            "2024-03-04T00:00:00Z",
            "--wallet",
            "b",
            "--asset",
            "ETH",
            "--qty",
            "0.5",
            "--value",
            "1500",
            "--kind",
            "staking",
        ],
        {"kind": "staking"},
    ),
    (
        ["method", "--method", "HIFO", "--from", "2024-01-01", "--scope", "universal", "--asset", "BTC"],
        {"method": "HIFO", "scope": "universal"},
    ),
    (
        ["profile", "--year", "2024", "--filing-status", "mfj", "--taxable-income", "-1000"],
        {"year": 2024, "taxable_income": "-1000"},
    ),
    (["carryover", "--year", "2024", "--short-term", "100", "--long-term", "0"], {"short_term": "100"}),
    (
        ["policy", "--from", "2025-01-01", "--transfer-fee", "carry", "--wash-sale-crypto", "true"],
        {"wash_sale_crypto": True},
    ),
    (["wallet", "--wallet", "schwab", "--from", "2024-01-01", "--reports", "1099-B"], {"reports": "1099-B"}),
    (
        ["allocate", "--asset", "BTC", "--lots", '[{"lot": "b1", "wallet": "w", "qty": "1"}]'],
        {"lots": [{"lot": "b1", "wallet": "w", "qty": "1"}]},
    ),
    (
        ["allocate", "--asset", "BTC", "--lots", "src:b1:w:1"],
        {"lots": [{"lot": "src:b1", "wallet": "w", "qty": "1"}]},
    ),
]


def test_add_every_type(gainlog: Callable[..., Result]) -> None:
    # CONTRACT §1 add: options named as §2's fields, validated like an imported line, source cli.
    for seq, (args, expected) in enumerate(ADDS, 1):
        result = gainlog("add", *args, "--json")
        assert result.code == 0, (args, result.err)
        assert result.json()["seq"] == seq
        row = gainlog("log", "--json").json()[-1]
        assert row["type"] == args[0] and row["source"] == "cli" and row["key"].startswith("cli:")
        assert {k: row[k] for k in expected} == expected


def test_add_validates_like_import(gainlog: Callable[..., Result]) -> None:
    base = ["add", "buy", "--at", "2024-01-02T12:00:00Z", "--wallet", "w", "--asset", "BTC"]
    for extra, field in [
        (["--qty", "1e400", "--price", "1"], "qty"),
        (["--qty", "1"], "price"),
        (["--qty", "1", "--price", "1", "--class", "bond"], "class"),
    ]:
        result = gainlog(*base, *extra)
        assert result.code == 2 and result.err.startswith(f"gainlog: add: field '{field}'"), result.err
    lots = gainlog(
        "add",
        "sell",
        "--at",
        "2024-01-02",
        "--wallet",
        "w",
        "--asset",
        "BTC",
        "--qty",
        "1",
        "--price",
        "1",
        "--lots",
        "nonsense",
    )
    assert lots.code == 2 and "field 'lots'" in lots.err
    assert gainlog("log", "--json").json() == []


def test_add_with_an_id_twice_is_a_duplicate(gainlog: Callable[..., Result]) -> None:
    args = [
        "add",
        "buy",
        "--at",
        "2024-01-02",
        "--wallet",
        "w",
        "--asset",
        "BTC",
        "--qty",
        "1",
        "--price",
        "2",
        "--id",
        "x",
    ]
    assert gainlog(*args, "--json").json() == {"seq": 1, "key": "cli:x", "duplicate": False}
    assert gainlog(*args, "--json").json() == {"seq": None, "key": "cli:x", "duplicate": True}
    changed = gainlog(*args[:-3], "3", "--id", "x")
    assert changed.code == 2 and "different body" in changed.err


def test_json_mode_prints_only_json(tmp_path: Path, gainlog: Callable[..., Result]) -> None:
    path = write_jsonl(tmp_path / "t.jsonl", [BUY])
    gainlog("import", str(path))
    write_jsonl(path, [SELL])
    result = gainlog("import", str(path), "--json")  # warns (on stderr only)
    assert json.loads(result.out)["added"] == 1 and "--replace" in result.err


def test_missing_ledger(tmp_path: Path, gainlog: Callable[..., Result]) -> None:
    for args in (["log"], ["verify"], ["tag", "x"], ["import", "x.jsonl"]):
        result = gainlog(*args, ledger=tmp_path / "none.db")
        assert result.code == 2 and "gainlog init" in result.err


@pytest.mark.parametrize("args", [["import"], ["log", "--bogus"], ["add", "buy", "--year", "x"]])
def test_usage_errors_keep_clicks_message(args: list[str], gainlog: Callable[..., Result]) -> None:
    result = gainlog(*args)
    assert result.code == 2 and "Usage:" in result.err and "Traceback" not in result.err


def test_demo_runs_on_the_bundled_sample(tmp_path: Path) -> None:
    result = run_process("demo", cwd=tmp_path)
    assert result.code == 0, result.err
    assert "Imported" in result.out and "BTC" in result.out
    assert not list(tmp_path.iterdir())  # nothing left behind
