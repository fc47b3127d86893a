"""Between text and events: validate raw input at the boundary, encode the canonical body.

Input (a `.jsonl` line or CLI options) is decoded to plain values first, so that numbers keep the
exact text the user wrote: the contract allows only plain notation (`^[0-9]{1,15}(\\.[0-9]{1,18})?$`),
and "1e400", "-5", "NaN" or "1,000" must be refused, not silently parsed. Then msgspec converts the
values into the tagged union (its error path, e.g. `$.qty`, names the field), and the rules that
need more than one field are checked here, once, so the fold never re-validates (STYLE.md 16).

The canonical body is the event re-encoded with sorted keys, normalized decimals and UTC times; it
is what the key hashes and the hash chain cover, and what the store keeps.

One module a job: `rules` (the one rule table both paths read), `validate` (the precise path,
naming the field at fault), `canonical` (the canonical body and `Decoded`), `fast_import` (the
import's fast path, `decode_fast`). This package re-exports what the rest of gainlog calls.
"""

from __future__ import annotations

from .canonical import Decoded, body_decoder, body_digest, canonical, canonical_body, decode_body, decoded
from .fast_import import _ZULU, decode_fast, fast_decoder
from .rules import BARE_DATE, PLAIN, RFC3339, SIGNED, normalize_text
from .validate import decode_line, parse_at, parse_event, refuse_duplicate_keys

__all__ = [
    "BARE_DATE",
    "PLAIN",
    "RFC3339",
    "SIGNED",
    "Decoded",
    "_ZULU",
    "body_decoder",
    "body_digest",
    "canonical",
    "canonical_body",
    "decode_body",
    "decode_fast",
    "fast_decoder",
    "decode_line",
    "decoded",
    "normalize_text",
    "parse_at",
    "parse_event",
    "refuse_duplicate_keys",
]
