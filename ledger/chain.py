"""The hash chain over the log, and the text form of recording times.

Each stored event carries `hash = H(prev_hash, seq, key, source, batch, recorded_at, body)` with H =
SHA-256 over the fields joined by the unit separator U+001F (which no field contains: keys and
sources are checked, the body is JSON whose strings escape control characters). The first event's
prev_hash is 64 zeros. Editing any stored byte, or removing or reordering a row, breaks the chain
from that seq on, and `verify` names the first broken seq (issue #2).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime

GENESIS = "0" * 64
SEP = "\x1f"


def genesis(timezone: str, schema_version: str) -> str:
    """The prev_hash of the first event of a ledger created since issue #18: it binds the time zone
    (which decides every trade's calendar date) and the schema version into the chain."""
    text = SEP.join(("gainlog genesis", timezone, schema_version))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def verified_text(seq: int, head_hash: str, timezone: str, schema_version: str) -> str:
    """The `verified` meta record: the head a full `verify` found intact, and the meta it saw."""
    return json.dumps(
        {"seq": seq, "hash": head_hash, "timezone": timezone, "schema_version": schema_version}, sort_keys=True
    )


def link(prev_hash: str, seq: int, key: str, source: str, batch: int, recorded_at: str, body: str) -> str:
    """The hash of one stored event, chained to the previous one."""
    text = SEP.join((prev_hash, str(seq), key, source, str(batch), recorded_at, body))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def linker(source: str, batch: int, recorded_at: str) -> Callable[[str, int, str, str], str]:
    """`link` for the events of one batch, as `(prev_hash, seq, key, body) -> hash`.

    The same hash, with the batch's fields joined once and each event's text built and encoded in
    one step (the store has the body as text anyway: it is what the row holds).
    """
    sha256 = hashlib.sha256
    middle = SEP.join(("", source, str(batch), recorded_at, ""))

    def link_text(prev_hash: str, seq: int, key: str, body: str) -> str:
        return sha256(f"{prev_hash}{SEP}{seq}{SEP}{key}{middle}{body}".encode()).hexdigest()

    return link_text


def time_text(at: datetime) -> str:
    """RFC 3339 UTC with microseconds: sorts as text in time order."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time_text(text: str) -> datetime:
    """The inverse of `time_text`."""
    return datetime.fromisoformat(text)
