"""A ledger file changed behind gainlog's back is an integrity error (exit 4) naming what is wrong,
never a traceback (issue 17): a stored body that no longer decodes (every report replays it) and a
`meta` table with a missing or senseless entry.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import BUY, SELL, Result, run_process, write_jsonl
from tampering import behind_the_back

# (`report income` reads only income and retract rows: a damaged sell is never decoded there)
READERS = [
    ["log"], ["log", "--all", "--json"], ["report", "8949", "--year", "2024"],
    ["report", "schedule-d", "--year", "2024"],
    ["explain", "--year", "2024"], ["diff", "--year", "2024", "--from", "1"], ["lots", "--json"],
]


def _edit(db: Path, sql: str, *args: object) -> None:
    """Run `sql` on the file directly, with the append-only triggers dropped and put back."""
    with behind_the_back(db) as conn:
        conn.execute(sql, args)


@pytest.fixture
def two_events(db: Path, tmp_path: Path, gainlog: Callable[..., Result]) -> Path:
    assert gainlog("import", str(write_jsonl(tmp_path / "t.jsonl", [BUY, SELL]))).code == 0
    return db


@pytest.mark.parametrize("body", ['{"type":"buy","qty":', '{"type":"buy","qty":"abc"}', "not json", ""])
@pytest.mark.parametrize("command", READERS, ids=[" ".join(c[:2]) for c in READERS])
def test_a_stored_body_that_does_not_decode(
    command: list[str], body: str, two_events: Path, gainlog: Callable[..., Result]
) -> None:
    _edit(two_events, "UPDATE events SET body = ? WHERE seq = 2", body)
    result = gainlog(*command)
    assert (result.code, result.out) == (4, "")
    assert result.err.startswith("gainlog: stored event seq 2 cannot be decoded: ")
    assert result.err.endswith("; run `gainlog verify`\n") and result.err.count("\n") == 1
    verify = gainlog("verify")
    assert (verify.code, verify.err) == (
        4, "gainlog: hash chain broken at seq 2: the log was edited behind gainlog's back (seq 2 was edited)\n"
    )


def test_a_stored_body_end_to_end(two_events: Path) -> None:
    _edit(two_events, "UPDATE events SET body = '{' WHERE seq = 1")
    result = run_process("--db", str(two_events), "report", "schedule-d", "--year", "2024")
    assert result.code == 4 and "Traceback" not in result.err
    assert result.err == (
        "gainlog: stored event seq 1 cannot be decoded: Input data was truncated; run `gainlog verify`\n"
    )


@pytest.mark.parametrize(
    ("sql", "args", "what"),
    [
        ("DELETE FROM meta WHERE name = ?", ("timezone",), "its meta table has no 'timezone' entry"),
        ("DELETE FROM meta WHERE name = ?", ("schema_version",), "its meta table has no 'schema_version' entry"),
        ("UPDATE meta SET value = ? WHERE name = 'schema_version'", ("one",),
         "meta 'schema_version' is 'one', not a version number"),
        ("UPDATE meta SET value = ? WHERE name = 'schema_version'", (None,),
         "meta 'schema_version' is 'None', not a version number"),
        ("UPDATE meta SET value = ? WHERE name = 'timezone'", ("Mars/Olympus_Mons",),
         "meta 'timezone' is 'Mars/Olympus_Mons', not an IANA time zone this system knows"),
        ("UPDATE meta SET value = ? WHERE name = 'timezone'", ("../../etc/passwd",),
         "meta 'timezone' is '../../etc/passwd', not an IANA time zone this system knows"),
        ("UPDATE meta SET value = ? WHERE name = 'timezone'", ("",),
         "meta 'timezone' is '', not an IANA time zone this system knows"),
        ("UPDATE meta SET value = ? WHERE name = 'timezone'", (None,),
         "meta 'timezone' is 'None', not an IANA time zone this system knows"),
    ],
    ids=["no timezone", "no schema_version", "version not a number", "version null", "unknown zone",
         "zone path", "empty zone", "null zone"],
)
def test_a_damaged_meta_table(
    sql: str, args: tuple[object, ...], what: str, two_events: Path, gainlog: Callable[..., Result]
) -> None:
    _edit(two_events, sql, *args)
    for command in (["log"], ["report", "schedule-d", "--year", "2024"], ["verify"], ["import", str(two_events)]):
        result = gainlog(*command)
        assert (result.code, result.out, result.err) == (4, "", f"gainlog: {two_events} is damaged: {what}\n")


def test_an_import_meets_a_body_that_is_not_json(tmp_path: Path, db: Path, gainlog: Callable[..., Result]) -> None:
    # Checking an asset's class reads stored bodies in SQL (json_extract): not a "database error".
    assert gainlog("import", str(write_jsonl(tmp_path / "a.jsonl", [{**BUY, "class": "crypto"}]))).code == 0
    _edit(db, "UPDATE events SET body = '{' WHERE seq = 1")
    result = gainlog("import", str(write_jsonl(tmp_path / "b.jsonl", [{**BUY, "asset": "ETH", "class": "crypto"}])))
    assert (result.code, result.out, result.err) == (
        4, "", "gainlog: a stored event body is not JSON (malformed JSON); run `gainlog verify`\n"
    )
