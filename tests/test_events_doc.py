"""docs/events.md documents the event format (issue 17): every event type of `ledger/events.py` has a
section naming each of its fields, every example line is a valid event, the first example file
imports as shown, and no doc points at a contract file outside the repository."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import msgspec
import pytest
from conftest import Result
from gainlog.ledger import codec
from gainlog.ledger.events import ALL_EVENTS

ROOT = Path(__file__).resolve().parent.parent
EVENTS_MD = ROOT / "docs" / "events.md"
TEXT = EVENTS_MD.read_text(encoding="utf-8")
COMMON = ("id", "note", "txid")  # documented once, under "Fields every event may carry"


def _section(heading: str) -> str:
    """The text under `### heading` up to the next heading."""
    match = re.search(rf"^### {re.escape(heading)}\n(.*?)(?=^#{{2,3}} )", TEXT + "\n## end", re.M | re.S)
    assert match, f"docs/events.md has no section `### {heading}`"
    return match.group(1)


def _json_lines(text: str) -> list[str]:
    return [line for block in re.findall(r"^```json\n(.*?)^```", text, re.M | re.S)
            for line in block.splitlines() if line.strip()]


@pytest.mark.parametrize("cls", ALL_EVENTS, ids=lambda cls: cls.__struct_config__.tag)
def test_every_event_type_and_field_is_documented(cls: type) -> None:
    tag = cls.__struct_config__.tag  # type: ignore[attr-defined]
    section = _section(tag)
    for field in msgspec.structs.fields(cls):
        if field.encode_name not in COMMON:
            assert f"`{field.encode_name}`" in section, f"docs/events.md `### {tag}` never names `{field.encode_name}`"
    examples = [line for line in _json_lines(section) if f'"type": "{tag}"' in line]
    assert examples, f"docs/events.md `### {tag}` has no example line"


def test_the_common_fields_are_documented() -> None:
    section = _section("Fields every event may carry")
    assert all(f"`{name}`" in section for name in COMMON)


def test_every_example_line_is_a_valid_event() -> None:
    lines = _json_lines(TEXT)
    assert len(lines) >= 18
    tz = ZoneInfo("UTC")
    for number, line in enumerate(lines, 1):
        codec.decode_line(line, tz=tz, where=f"docs/events.md example {number}")  # raises when invalid


def test_the_first_file_imports_as_shown(
    tmp_path: Path, gainlog: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _json_lines(TEXT.split("## A first file", 1)[1].split("\n## ", 1)[0])
    assert len(first) == 5
    (tmp_path / "first.jsonl").write_text("\n".join(first) + "\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "200")
    result = gainlog("import", "first.jsonl")
    assert result.code == 0, result.err
    shown = re.search(r"\$ gainlog import first\.jsonl\n(.*?)\n```", TEXT, re.S)
    assert shown and result.out == shown.group(1) + "\n"


def test_the_error_shown_for_a_missing_field_is_real(
    tmp_path: Path, gainlog: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("first.jsonl").write_text(
        '{"type": "profile", "year": 2024}\n{"type": "buy", "at": "2024-01-01", "wallet": "w", "asset": "X", '
        '"price": "1"}\n'
    )
    result = gainlog("import", "first.jsonl")
    assert result.code == 2
    assert f"`{result.err.strip()}`" in " ".join(TEXT.split())


DOCS = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").glob("*.md")),
        *sorted(ROOT.glob("*/README.md")), ROOT / "fixtures" / "sample" / "README.md"]


@pytest.mark.parametrize("page", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_doc_points_at_a_contract_outside_the_repository(page: Path) -> None:
    assert "CONTRACT" not in page.read_text(encoding="utf-8")


def test_the_readme_and_cli_md_link_events_md() -> None:
    assert "(docs/events.md)" in (ROOT / "README.md").read_text(encoding="utf-8")
    assert "(events.md)" in (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
