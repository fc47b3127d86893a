"""`cli.app.say` prints exactly what rich's `Console().print` prints, without importing rich for plain text."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cli.app import _plain_width, console, say

MESSAGES = [
    "Created ledger /tmp/d/x.db (time zone UTC).",
    "/work/main/bench/out/one-asset-20000-s1-f8df7b33b2.jsonl: 20000 added, 0 duplicate(s), 0 retracted, "
    "source 'one-asset-20000-s1-f8df7b33b2.jsonl' (seq 1-20000, batch 1).",
    "Added seq 7: cli:20a67b88d86a2fafdca0e6a3c1f1d3f0b8a4a2e1b4c5d6e7f8091a2b3c4d5e6f#1",
    "Retracted coinbase.jsonl:trade-17 (seq 12).",
    "OK: 51 event(s), hash chain intact, append-only triggers in place.",
    "",
]


def _both(text: str, capsys: pytest.CaptureFixture[str]) -> tuple[str, str]:
    capsys.readouterr()
    say(text)
    mine = capsys.readouterr().out
    console().print(text)
    return mine, capsys.readouterr().out


@pytest.mark.parametrize("text", MESSAGES)
@pytest.mark.parametrize("columns", ["20", "43", "80", "81", "120", "200"])
def test_messages_match_rich(
    text: str, columns: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", columns)
    mine, rich = _both(text, capsys)
    assert mine == rich


WORDS = st.text(alphabet="abcdefghij0123456789.,'()-/:#", min_size=1, max_size=14)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(words=st.lists(WORDS, min_size=1, max_size=30), width=st.integers(min_value=1, max_value=90))
def test_wrapping_matches_rich(
    words: list[str], width: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", str(width))
    text = " ".join(words)
    mine, rich = _both(text, capsys)
    assert mine == rich


@pytest.mark.parametrize(
    "text",
    ["a [bold]b[/bold]", "party :tada: time", "caf\u00e9 open", "two  spaces", " lead", "tab\there", "x" * 30],
)
def test_anything_rich_would_change_goes_through_rich(
    text: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "20")
    assert _plain_width(text) is None
    mine, rich = _both(text, capsys)
    assert mine == rich


def test_plain_text_takes_the_plain_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("TTY_COMPATIBLE", raising=False)
    assert _plain_width(MESSAGES[1]) == 80
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert _plain_width(MESSAGES[1]) is None
