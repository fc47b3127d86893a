"""The bounds every input is held to, in one place: the write side refuses what lies outside them
and the CLI checks its options against the same numbers.

It imports nothing on purpose: `cli.app` reads it while building the options of every command,
and `gainlog init` must not pay for the codec.
"""

from __future__ import annotations

MIN_YEAR, MAX_YEAR = 1900, 2100  # event dates (written, UTC and ledger-local), `from` dates, `year` fields, --year
MAX_DEPTH = 8  # JSON objects and arrays inside each other: an event needs 3 (`lots`: a list of objects)
MAX_LINE_BYTES = 1 << 20  # one `.jsonl` line (1 MiB): a longer one is refused, naming the line
SHOWN_CHARS = 40  # how much of an offending text an error message repeats


def year_problem(year: int) -> str | None:
    """Why `year` is refused as a tax year or a date's year, or None when it is in range."""
    if MIN_YEAR <= year <= MAX_YEAR:
        return None
    text = str(year)
    text = text if len(text) <= 12 else f"{text[:12]}... ({len(text)} digits)"
    return f"{text} is outside the years gainlog handles ({MIN_YEAR}-{MAX_YEAR})"


def shown(text: str) -> str:
    """`text` quoted for an error message, cut to its first SHOWN_CHARS characters."""
    if len(text) <= SHOWN_CHARS:
        return repr(text)
    return repr(text[:SHOWN_CHARS]) + f"... ({len(text):,} characters)"
