"""docs/harvest.md is real: every command of its session runs, in order, and prints what the page shows.

The page's `year-end.jsonl` block is written to a temporary folder; each `$ gainlog ...` line of its
console blocks runs there in-process (`export GAINLOG_DB=...` and `cat FILE` too), and its output
must equal the lines the page shows under it (trailing blanks ignored); a line `…` on the page
stands for any number of lines left out.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parent.parent / "docs" / "harvest.md"


def _blocks(text: str) -> tuple[str, list[list[str]]]:
    events = re.search(r"`year-end\.jsonl`:\n\n```json\n(.*?)```", text, flags=re.DOTALL)
    assert events is not None, "docs/harvest.md lost its year-end.jsonl block"
    consoles = [m.group(1).splitlines() for m in re.finditer(r"```console\n(.*?)```", text, flags=re.DOTALL)]
    return events.group(1), consoles


def _matches(shown: list[str], actual: list[str]) -> bool:
    """`actual` equals `shown`, where a `…` line of `shown` matches any run of lines (even none)."""
    if not shown:
        return not actual
    if shown[0].strip() == "…":
        return any(_matches(shown[1:], actual[i:]) for i in range(len(actual) + 1))
    return bool(actual) and actual[0] == shown[0] and _matches(shown[1:], actual[1:])


def _sessions() -> list[tuple[str, list[str]]]:
    """(command, the output lines the page shows) in page order."""
    _, consoles = _blocks(DOC.read_text(encoding="utf-8"))
    steps: list[tuple[str, list[str]]] = []
    for lines in consoles:
        for line in lines:
            if line.startswith("$ "):
                steps.append((line[2:], []))
            else:
                steps[-1][1].append(line.rstrip())
    return steps


def test_the_session_runs_as_shown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    from gainlog.cli.main import main

    events, _ = _blocks(DOC.read_text(encoding="utf-8"))
    (tmp_path / "year-end.jsonl").write_text(events, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GAINLOG_DB", raising=False)
    steps = _sessions()
    assert len(steps) >= 12
    for command, shown in steps:
        words = shlex.split(command)
        if words[0] == "export":
            name, _, value = words[1].partition("=")
            monkeypatch.setenv(name, value)
            continue
        if words[0] == "cat":
            actual = (tmp_path / words[1]).read_text(encoding="utf-8").splitlines()
        else:
            assert words[0] == "gainlog", command
            capsys.readouterr()
            code = main(words[1:])
            captured = capsys.readouterr()
            assert code == 0, f"{command}: {captured.err}"
            actual = [line.rstrip() for line in (captured.out or captured.err).rstrip("\n").splitlines()]
        assert _matches(shown, actual), f"docs/harvest.md: `{command}` prints:\n" + "\n".join(actual)


def test_the_page_shows_the_blocked_stock_lot_and_the_tax_saved() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert "by year-end.jsonl:xyz-ira; rebuy after 2027-01-05" in text  # the stock lot a recent purchase blocks
    assert "Tax 2026 (estimate): before 16877.00, after 16287.00, savings 590.00" in text
