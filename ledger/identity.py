"""Event identity: sources and keys exactly as CONTRACT §2 "Identity" defines them.

An event's key is `SOURCE:ID` when it has an `id` (unique within its source), else
`SOURCE:sha256(canonical body)#rank`, rank counting identical canonical bodies within one file from 1,
so two identical trades in one file are two events and re-importing the file yields the same keys.
Retractions the store writes itself (`retract`, `import --replace`) get `SOURCE:retract#SEQ`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from .errors import UsageError

CLI_SOURCE = "cli"
_SOURCE = re.compile(r"[^\x00-\x1f:]+")
_TAG_BAD = re.compile(r"[\x00-\x20\x7f]")


def default_source(path: Path) -> str:
    """The file's base name with its extension (CONTRACT §2)."""
    return path.name


def check_source(source: str) -> str:
    """A source is non-empty text without ':' or control characters (it prefixes every key)."""
    if not _SOURCE.fullmatch(source):
        raise UsageError(f"invalid source {source!r}: use a non-empty name without ':' or control characters")
    return source


def id_key(source: str, event_id: str) -> str:
    return id_keys(source)(event_id)


def id_keys(source: str) -> Callable[[str], str]:
    """`id_key(source, ·)` as one call in C (the prefix's `str.__add__`): an import keys every line."""
    return f"{source}:".__add__


def hash_key(source: str, digest: str, rank: int) -> str:
    return f"{source}:{digest}#{rank}"


def retract_key(source: str, seq: int) -> str:
    """The key of a retraction the store appends itself (unique: it contains its own seq)."""
    return f"{source}:retract#{seq}"


def check_tag_name(name: str) -> str:
    """Tag names are unique, not all digits, not starting with '@' (CONTRACT §1 `tag`)."""
    # no blank or invisible character anywhere: knowledge points are read stripped, and a tag must be
    # typed back exactly (a no-break space or a zero-width space would make it unusable)
    blank = any(c.isspace() or not c.isprintable() for c in name)
    if not name or name.isdigit() or name.startswith("@") or blank or _TAG_BAD.search(name):
        raise UsageError(
            f"invalid tag name {name!r}: a tag is a non-empty name without spaces, not all digits, "
            "not starting with '@'"
        )
    return name
