"""R5.2 filing status: a `profile` carries forward (issue 17). A year without a filing status of its own
takes the latest earlier year's (not its taxable income), so a married-filing-separately taxpayer who
recorded a profile once keeps the $1,500 loss limit in later years instead of falling back to single."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from conftest import Result, write_jsonl


def _loss(year: int, tag: str) -> list[dict[str, Any]]:
    """A 10,000 short-term loss in `year`."""
    return [
        {"type": "buy", "at": f"{year}-02-01T12:00:00Z", "wallet": "w", "asset": "BTC", "qty": "1",
         "price": "20000", "id": f"b{tag}"},
        {"type": "sell", "at": f"{year}-03-01T12:00:00Z", "wallet": "w", "asset": "BTC", "qty": "1",
         "price": "10000", "id": f"s{tag}"},
    ]


def _sd(gainlog: Callable[..., Result], year: int) -> Any:
    result = gainlog("report", "schedule-d", "--year", str(year), "--json")
    assert result.code == 0, result.err
    return result.json()


def test_mfs_carries_into_later_years(tmp_path: Path, gainlog: Callable[..., Result]) -> None:
    events = [
        {"type": "profile", "year": 2023, "filing_status": "mfs", "taxable_income": "-5000"},
        *_loss(2024, "1"),
    ]
    assert gainlog("import", str(write_jsonl(tmp_path / "e.jsonl", events))).code == 0
    sd = _sd(gainlog, 2024)
    assert sd["filing_status"] == "mfs"
    assert sd["deduction"] == "1500.00"  # not 3,000: the 2023 profile's status carries into 2024
    assert sd["carryover_out"] == {"short_term": "8500.00", "long_term": "0.00"}
    sd2025 = _sd(gainlog, 2025)
    assert sd2025["filing_status"] == "mfs" and sd2025["deduction"] == "1500.00"
    assert sd2025["carryover_out"] == {"short_term": "7000.00", "long_term": "0.00"}
    # the 2023 taxable income does not carry: 2024's worksheet line 1 is "not given" (L4 = L2)
    human = gainlog("report", "schedule-d", "--year", "2024")
    assert "Schedule D 2024 (mfs)" in human.out and "not given" in human.out
    assert _sd(gainlog, 2023)["filing_status"] == "mfs"
    assert _sd(gainlog, 2022)["filing_status"] == "single"  # never backwards


def test_a_later_profile_takes_over(tmp_path: Path, gainlog: Callable[..., Result]) -> None:
    events = [
        {"type": "profile", "year": 2023, "filing_status": "mfs"},
        {"type": "profile", "year": 2025, "filing_status": "mfj"},
        {"type": "profile", "year": 2024, "taxable_income": "100000"},  # no status: 2024 still inherits mfs
        *_loss(2024, "1"),
        *_loss(2026, "2"),
    ]
    assert gainlog("import", str(write_jsonl(tmp_path / "e.jsonl", events))).code == 0
    assert [_sd(gainlog, y)["filing_status"] for y in (2023, 2024, 2025, 2026)] == ["mfs", "mfs", "mfj", "mfj"]
    assert _sd(gainlog, 2024)["deduction"] == "1500.00"
    assert _sd(gainlog, 2026)["deduction"] == "3000.00"


def test_carry_forward_after_a_checkpoint(tmp_path: Path, gainlog: Callable[..., Result]) -> None:
    """The checkpoint path (`report schedule-d` after appends) resolves the status the same way."""
    gainlog("import", str(write_jsonl(tmp_path / "a.jsonl", [{"type": "profile", "year": 2023,
                                                            "filing_status": "mfs"}, *_loss(2023, "0")])))
    assert gainlog("checkpoint").code == 0
    gainlog("import", str(write_jsonl(tmp_path / "b.jsonl", _loss(2024, "1"))))
    sd = _sd(gainlog, 2024)
    assert sd["filing_status"] == "mfs" and sd["deduction"] == "1500.00"


def test_explain_names_the_year_the_status_comes_from(tmp_path: Path, gainlog: Callable[..., Result]) -> None:
    events = [{"type": "profile", "year": 2023, "filing_status": "mfs"}, *_loss(2024, "1")]
    gainlog("import", str(write_jsonl(tmp_path / "e.jsonl", events)))
    result = gainlog("explain", "--year", "2024", "--json")
    assert result.code == 0, result.err
    assert result.json()["sources"]["filing_status"] == {"events": [], "default": False, "from_year": 2023}
    assert gainlog("explain", "--year", "2022", "--json").json()["sources"]["filing_status"] == {
        "events": [], "default": True, "from_year": None}
