"""Audit a past year: --as-of, tags, diff after a correction, explain (CONTRACT §1; issue #6).

freezegun drives the recording clock, so `@time` knowledge points are exact.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from conftest import Result, write_jsonl
from freezegun import freeze_time

Run = Callable[..., Result]

ORIGINAL = [
    {"type": "buy", "id": "b1", "at": "2024-01-10T12:00:00Z", "wallet": "coinbase", "asset": "BTC",
     "class": "crypto", "qty": "1", "price": "30000"},
    {"type": "buy", "id": "b2", "at": "2024-02-10T12:00:00Z", "wallet": "coinbase", "asset": "ETH",
     "qty": "10", "price": "2000"},
    {"type": "sell", "id": "s1", "at": "2024-06-10T12:00:00Z", "wallet": "coinbase", "asset": "BTC",
     "qty": "1", "price": "40000"},
    {"type": "sell", "id": "s2", "at": "2024-07-10T12:00:00Z", "wallet": "coinbase", "asset": "ETH",
     "qty": "10", "price": "1500"},
]
# The exchange corrected the BTC sale price; everything else is the same.
CORRECTED = [*ORIGINAL[:2], {**ORIGINAL[2], "price": "41000"}, ORIGINAL[3]]


def _import(run: Run, path: Path, *extra: str) -> None:
    result = run("import", str(path), "--source", "coinbase", *extra)
    assert result.code == 0, result.err


def _amount(diff: dict[str, Any], *path: str) -> dict[str, str]:
    node: Any = diff["schedule_d"]
    for p in path:
        node = node[p]
    return node  # type: ignore[no-any-return]


def test_report_as_of_a_tag_is_byte_identical_after_later_appends(tmp_path: Path, gainlog: Run) -> None:
    _import(gainlog, write_jsonl(tmp_path / "a.jsonl", ORIGINAL))
    assert gainlog("tag", "filed-2024").code == 0
    before = [gainlog("report", kind, "--year", "2024", "--as-of", "filed-2024", "--json").out
              for kind in ("schedule-d", "8949")]
    _import(gainlog, write_jsonl(tmp_path / "b.jsonl", CORRECTED), "--replace")
    assert gainlog("add", "buy", "--at", "2024-03-01", "--wallet", "kraken", "--asset", "SOL",
                   "--qty", "5", "--price", "100").code == 0
    after = [gainlog("report", kind, "--year", "2024", "--as-of", "filed-2024", "--json").out
             for kind in ("schedule-d", "8949")]
    assert after == before
    head = gainlog("report", "schedule-d", "--year", "2024", "--json").json()
    assert head["short_term"]["gain"] == "6000.00"  # 11,000 − 5,000 after the correction


def test_replace_then_diff_changes_only_what_changed(tmp_path: Path, gainlog: Run) -> None:
    _import(gainlog, write_jsonl(tmp_path / "a.jsonl", ORIGINAL))
    gainlog("tag", "filed-2024")
    _import(gainlog, write_jsonl(tmp_path / "b.jsonl", CORRECTED), "--replace")
    log = gainlog("log", "--all", "--json").json()
    retracts = [e for e in log if e["type"] == "retract"]
    assert [r["target"] for r in retracts] == ["coinbase:s1"]  # only the changed line

    diff = gainlog("diff", "--year", "2024", "--from", "filed-2024", "--json").json()
    assert diff["year"] == 2024 and diff["from"] == "filed-2024"
    assert _amount(diff, "short_term", "proceeds") == {"from": "55000.00", "to": "56000.00", "delta": "1000.00"}
    assert _amount(diff, "short_term", "gain") == {"from": "5000.00", "to": "6000.00", "delta": "1000.00"}
    assert _amount(diff, "net") == {"from": "5000.00", "to": "6000.00", "delta": "1000.00"}
    assert _amount(diff, "short_term", "cost_basis")["delta"] == "0.00"
    removed, added = diff["rows"]["removed"], diff["rows"]["added"]
    assert [(r["asset"], r["proceeds"]) for r in removed] == [("BTC", "40000.00")]
    assert [(r["asset"], r["proceeds"]) for r in added] == [("BTC", "41000.00")]
    # the ETH row is unchanged and so appears in neither list
    assert {e["type"] for e in diff["events"]} == {"retract", "sell"}

    human = gainlog("diff", "--year", "2024", "--from", "filed-2024")
    assert human.code == 0 and "1000.00" in human.out and "retract" in human.out


def test_diff_of_a_ledger_with_itself_is_empty(tmp_path: Path, gainlog: Run) -> None:
    _import(gainlog, write_jsonl(tmp_path / "a.jsonl", ORIGINAL))
    head = str(len(ORIGINAL))
    diff = gainlog("diff", "--year", "2024", "--from", head, "--to", head, "--json").json()
    assert diff["rows"] == {"added": [], "removed": []}
    assert diff["events"] == []
    from gainlog.projections.diff import changed_amounts

    assert changed_amounts(diff["schedule_d"]) == []
    assert "No change." in gainlog("diff", "--year", "2024", "--from", head).out


def test_as_of_a_recording_time_between_two_imports_sees_only_the_first(tmp_path: Path, gainlog: Run) -> None:
    with freeze_time("2025-03-01T10:00:00Z"):
        _import(gainlog, write_jsonl(tmp_path / "a.jsonl", ORIGINAL[:3]))
    with freeze_time("2025-04-01T10:00:00Z"):
        _import(gainlog, write_jsonl(tmp_path / "b.jsonl", ORIGINAL[3:]), )
    first = gainlog("report", "schedule-d", "--year", "2024", "--as-of", "@2025-03-15T00:00:00Z", "--json").json()
    assert first["short_term"]["gain"] == "10000.00"  # only the BTC sale was known
    exact = gainlog("report", "schedule-d", "--year", "2024", "--as-of", "@2025-04-01T10:00:00Z", "--json").json()
    assert exact["short_term"]["gain"] == "5000.00"  # the ETH loss of 5,000 recorded at that instant
    log = gainlog("log", "--as-of", "@2025-03-15T00:00:00Z", "--json").json()
    assert [e["recorded_at"][:10] for e in log] == ["2025-03-01"] * 3


def test_unknown_knowledge_points_are_clear_errors(tmp_path: Path, gainlog: Run) -> None:
    _import(gainlog, write_jsonl(tmp_path / "a.jsonl", ORIGINAL))
    for point in ("no-such-tag", "99"):
        result = gainlog("report", "schedule-d", "--year", "2024", "--as-of", point, "--json")
        assert result.code != 0 and result.out == ""
        assert point in result.err and "Traceback" not in result.err
        bad_diff = gainlog("diff", "--year", "2024", "--from", point)
        assert bad_diff.code != 0 and f"--from {point}" in bad_diff.err.replace("'", "")


def test_retract_from_the_cli_and_log_all(tmp_path: Path, gainlog: Run) -> None:
    _import(gainlog, write_jsonl(tmp_path / "a.jsonl", ORIGINAL))
    assert gainlog("retract", "coinbase:s2", "--reason", "duplicate of a broker row").code == 0
    sd = gainlog("report", "schedule-d", "--year", "2024", "--json").json()
    assert sd["short_term"]["gain"] == "10000.00"
    live = gainlog("log", "--json").json()
    assert "coinbase:s2" not in [e["key"] for e in live]
    everything = gainlog("log", "--all", "--json").json()
    s2 = next(e for e in everything if e["key"] == "coinbase:s2")
    assert s2.get("retracted") is True
    assert everything[-1]["type"] == "retract" and everything[-1]["reason"] == "duplicate of a broker row"
    human = " ".join(gainlog("log", "--all").out.split())  # the table may wrap a long summary
    assert "(retracted by" in human and f"seq {len(ORIGINAL) + 1})" in human


def test_explain_names_the_events_behind_a_row(tmp_path: Path, gainlog: Run) -> None:
    lines = [
        {"type": "buy", "id": "b1", "at": "2023-01-10T12:00:00Z", "wallet": "coinbase", "asset": "BTC",
         "qty": "1", "price": "20000", "note": "first buy"},
        {"type": "method", "id": "m1", "from": "2023-01-01", "method": "HIFO", "asset": "BTC", "scope": "wallet"},
        {"type": "transfer", "id": "t1", "at": "2023-05-01T12:00:00Z", "from": "coinbase", "to": "ledger",
         "asset": "BTC", "qty": "1"},
        {"type": "sell", "id": "s1", "at": "2024-06-10T12:00:00Z", "wallet": "ledger", "asset": "BTC",
         "qty": "1", "price": "60000"},
    ]
    _import(gainlog, write_jsonl(tmp_path / "a.jsonl", lines))
    result = gainlog("explain", "--year", "2024", "--row", "1", "--json").json()
    (trail,) = result["rows"]
    assert trail["row"] == 1
    assert trail["disposal"] == "coinbase:s1" and trail["acquisition"] == "coinbase:b1"
    assert trail["transfers"] == ["coinbase:t1"]
    assert trail["method"]["method"] == "HIFO" and trail["method"]["default"] is False
    assert trail["8949"]["gain"] == "40000.00" and trail["8949"]["term"] == "long"
    assert [e["key"] for e in trail["events"]] == ["coinbase:s1", "coinbase:b1", "coinbase:t1"]
    assert trail["events"][1]["note"] == "first buy"

    whole = gainlog("explain", "--year", "2024", "--json").json()
    assert whole["sources"]["long_term"]["rows"] == [1]
    assert whole["schedule_d"]["long_term"]["gain"] == "40000.00"
    assert gainlog("explain", "--year", "2024", "--row", "2").code != 0
    assert "coinbase:b1" in gainlog("explain", "--year", "2024").out
