"""`cli.app.say`: a one-line message, printed literally; to a pipe never wrapped (issue #17)."""

from __future__ import annotations

import pytest
from gainlog.cli.app import say

MESSAGES = [
    "Created ledger /tmp/d/x.db (time zone UTC).",
    "/home/me/exports/one-asset-20000-s1-f8df7b33b2.jsonl: 20000 added, 0 duplicate(s), 0 retracted, "
    "source 'one-asset-20000-s1-f8df7b33b2.jsonl' (seq 1-20000, batch 1).",
    "Added seq 7: cli:20a67b88d86a2fafdca0e6a3c1f1d3f0b8a4a2e1b4c5d6e7f8091a2b3c4d5e6f#1",
    "Retracted coinbase.jsonl:trade-17 (seq 12).",
    "OK: 51 event(s), hash chain intact, append-only triggers in place.",
    "",
]


@pytest.mark.parametrize("text", MESSAGES)
@pytest.mark.parametrize("columns", ["20", "43", "80", "200"])
def test_piped_messages_are_never_wrapped(
    text: str, columns: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", columns)
    say(text)
    assert capsys.readouterr().out == text + "\n"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("a [bold]b[/bold] x[/b]", "a [bold]b[/bold] x[/b]"),
        ("party :tada: time", "party :tada: time"),
        ("caf\u00e9  two  spaces\ttab", "caf\u00e9  two  spaces\\ttab"),
        ("clear \x1b[2J title \x1b]0;pwn\x07 del \x7f c1 \x9b rtl \u202eabc\nline",
         "clear \\x1b[2J title \\x1b]0;pwn\\x07 del \\x7f c1 \\x9b rtl \\u202eabc\\nline"),
    ],
)
def test_messages_are_literal_with_controls_visible(
    text: str, shown: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "20")
    say(text)
    assert capsys.readouterr().out == shown + "\n"


def test_a_terminal_gets_the_same_text_through_rich(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import sys

    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("NO_COLOR", "1")
    say("Added seq 1: cli:x[/b] :smile: \x1b[2J")
    assert capsys.readouterr().out == "Added seq 1: cli:x[/b] :smile: \\x1b[2J\n"
