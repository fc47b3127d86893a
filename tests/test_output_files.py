"""Commands that write a file after a replay (`export`, `report html --out`, `harvest --write-plan`) make
it first, next to where it goes: a path that cannot take it fails at once, naming the path the user gave,
before a replay that takes minutes on a large log; and a file is only ever replaced whole."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, Result

Run = Callable[..., Result]

COMMANDS = {
    "export": ["export", "--year", "2024", "--format", "txf", "--out"],
    "html": ["report", "html", "--year", "2024", "--out"],
    "plan": ["harvest", "--on", "2024-12-31", "--price", "BTC=20000", "--write-plan"],
}


@pytest.fixture
def refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every way these commands read the log's projection fails the test."""
    from gainlog.api import export, harvest, reading, report_cache

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("replayed before checking where the file goes")

    for owner, name in ((reading, "stream"), (export, "statement"), (report_cache, "year_glance"),
                        (harvest, "harvest")):
        monkeypatch.setattr(owner, name, refuse)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_folder_that_does_not_exist_fails_first(
    command: str, gainlog: Run, tmp_path: Path, refused: None
) -> None:
    out = tmp_path / "missing" / "out.file"
    if command == "html":  # `report html` makes the page's folder: a file in the way cannot be one
        (tmp_path / "missing").write_text("a file")
    assert gainlog("import", str(REPO / "fixtures" / "sample" / "events.jsonl")).code == 0
    result = gainlog(*COMMANDS[command], str(out))
    if command == "html":  # the folder it would make is the path in the way
        assert (result.code, result.err) == (1, f"gainlog: {out.parent}: File exists\n")
    else:
        assert (result.code, result.err) == (1, f"gainlog: {out}: No such file or directory\n")


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_folder_given_as_the_file_fails_first(command: str, gainlog: Run, tmp_path: Path, refused: None) -> None:
    assert gainlog("import", str(REPO / "fixtures" / "sample" / "events.jsonl")).code == 0
    result = gainlog(*COMMANDS[command], str(tmp_path))
    assert (result.code, result.err) == (1, f"gainlog: {tmp_path}: Is a directory\n")


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_failure_midway_leaves_the_old_file_whole(
    command: str, gainlog: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gainlog.api import harvest, reading, report_cache

    assert gainlog("import", str(REPO / "fixtures" / "sample" / "events.jsonl")).code == 0
    out = tmp_path / "out.file"
    out.write_text("the previous file")

    def fail(*args: Any, **kwargs: Any) -> Any:
        raise OSError(28, "No space left on device", "somewhere")

    monkeypatch.setattr(reading, "stream", fail)
    monkeypatch.setattr(harvest, "harvest", fail)
    monkeypatch.setattr(report_cache, "_served", lambda *args, **kwargs: None)
    assert gainlog(*COMMANDS[command], str(out)).code == 1
    assert out.read_text() == "the previous file" and not list(tmp_path.glob(".out.file.*"))  # no temporary left
