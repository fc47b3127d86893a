"""A known-answer vector for the hash chain: a literal digest of a documented byte string.

If this fails, every stored ledger's chain would stop verifying: the formula in ledger/chain.py and
docs/concepts.md ("The hash chain") must not change without a schema upgrade.
"""

from __future__ import annotations

import hashlib

from gainlog.ledger import chain

BODY = '{"asset":"BTC","at":"2024-01-02T12:00:00Z","price":"42000","qty":"0.5","type":"buy","wallet":"coinbase"}'
FIELDS = ("0" * 64, 1, "cli:b1", "cli", 1, "2024-01-02T12:00:01.000000Z", BODY)
# sha256 of the seven fields joined by U+001F, UTF-8 encoded
DIGEST = "2df7b89b29505e2d79738e69cd9235e28f64099f32a9b757ebe58ce2b0ebc4d6"


def test_link_known_answer() -> None:
    assert chain.link(*FIELDS) == DIGEST


def test_the_documented_byte_string() -> None:
    text = "\x1f".join(str(field) for field in FIELDS).encode("utf-8")
    assert text.startswith(b"0000") and text.count(b"\x1f") == 6
    assert hashlib.sha256(text).hexdigest() == DIGEST


def test_batch_linker_gives_the_same_digest() -> None:
    prev, seq, key, source, batch, recorded_at, body = FIELDS
    link_text = chain.linker(source, batch, recorded_at)
    assert link_text(prev, seq, key, body) == DIGEST


def test_genesis_is_64_zeros() -> None:
    assert chain.GENESIS == "0" * 64
