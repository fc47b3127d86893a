"""Tamper evidence (issue #18): every edit the issue made behind gainlog's back with sqlite3 now fails
`verify` (exit 4) naming the first bad place; reports warn (or, with --strict, refuse) when the log
changed since the last verify; ledgers created before the issue keep working.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from conftest import BUY, SELL, write_jsonl
from gainlog.ledger import chain, schema
from gainlog.ledger.store import Store
from tampering import SAMPLE, Gainlog, behind_the_back, edit_price, recompute_chain


@pytest.fixture
def sample(db: Path, gainlog: Gainlog) -> Path:
    """The sample ledger (seq 1-51, batch 1), verified once."""
    assert gainlog("import", str(SAMPLE)).code == 0
    assert gainlog("verify").code == 0
    return db


def broken(gainlog: Gainlog, *args: str) -> str:
    """`verify` must exit 4; its one-line message without the `gainlog: ` prefix."""
    result = gainlog("verify", *args)
    assert result.code == 4, (result.out, result.err)
    assert result.err.startswith("gainlog: ") and result.err.count("\n") == 1 and "Traceback" not in result.err
    return result.err.removeprefix("gainlog: ").rstrip("\n")


def test_an_untouched_ledger_verifies_and_names_its_head(sample: Path, gainlog: Gainlog) -> None:
    with Store.open(sample) as store:
        head = store.hash_at(51)
    ok = gainlog("verify", "--json")
    assert ok.code == 0 and ok.json() == {
        "ok": True, "events": 51, "first_broken_seq": None, "missing_triggers": [], "problem": None,
        "head": {"seq": 51, "hash": head}, "notes": [],
    }
    assert gainlog("verify", "--head", f"51:{head}").code == 0
    assert gainlog("verify", "--head", f"0:{chain.genesis('UTC', '1')}").code == 0


# -- the seven cases ---------------------------------------------------------------------


def test_meta_time_zone_update(sample: Path, gainlog: Gainlog) -> None:
    conn = sqlite3.connect(sample)  # no trigger to drop
    conn.execute("UPDATE meta SET value = 'Pacific/Kiritimati' WHERE name = 'timezone'")
    conn.commit()
    conn.close()
    assert broken(gainlog) == (
        "meta: the time zone 'Pacific/Kiritimati' and schema version 1 are not the ones the genesis record "
        "was made for: meta was edited behind gainlog's back"
    )


def test_meta_time_zone_and_genesis_updated_together(sample: Path, gainlog: Gainlog) -> None:
    conn = sqlite3.connect(sample)
    conn.execute("UPDATE meta SET value = 'Pacific/Kiritimati' WHERE name = 'timezone'")
    conn.execute("UPDATE meta SET value = ? WHERE name = 'genesis'", (chain.genesis("Pacific/Kiritimati", "1"),))
    conn.commit()
    conn.close()
    assert broken(gainlog) == (
        "hash chain broken at seq 1: the log was edited behind gainlog's back "
        "(seq 1 does not chain from the genesis record)"
    )


def test_meta_genesis_deleted_to_pass_as_an_older_ledger(sample: Path, gainlog: Gainlog) -> None:
    conn = sqlite3.connect(sample)
    conn.execute("UPDATE meta SET value = 'Pacific/Kiritimati' WHERE name = 'timezone'")
    conn.execute("DELETE FROM meta WHERE name = 'genesis'")
    conn.commit()
    conn.close()
    assert broken(gainlog).startswith("hash chain broken at seq 1:")


def test_tag_moved_to_another_seq(sample: Path, gainlog: Gainlog) -> None:
    assert gainlog("add", "buy", "--at", "2025-06-01", "--wallet", "w", "--asset", "BTC", "--qty", "1",
                   "--price", "1").code == 0
    assert gainlog("tag", "filed-2024").code == 0  # seq 52
    with Store.open(sample) as store:
        at_40, at_52 = store.hash_at(40), store.hash_at(52)
    with behind_the_back(sample) as conn:
        conn.execute("UPDATE tags SET seq = 40 WHERE name = 'filed-2024'")
    assert broken(gainlog) == f"tag 'filed-2024': names seq 40 with hash {at_52}, but the chain has {at_40} there"


def test_tag_moved_with_its_hash_into_a_batch(sample: Path, gainlog: Gainlog) -> None:
    assert gainlog("tag", "filed-2024").code == 0  # seq 51
    with behind_the_back(sample) as conn:
        conn.execute("UPDATE tags SET seq = 40, hash = (SELECT hash FROM events WHERE seq = 40)")
    assert broken(gainlog) == (
        "tag 'filed-2024': names seq 40, inside a batch: a tag can only name the head, the end of a batch"
    )


def test_tag_moved_with_its_hash_to_another_batch_end(sample: Path, gainlog: Gainlog, tmp_path: Path) -> None:
    """Consistent inside the file: plain verify cannot tell (documented); the manifest written as of
    the tag can (tests/test_manifest.py) and so could the `SEQ:HASH` the tag printed."""
    assert gainlog("import", str(write_jsonl(tmp_path / "more.jsonl", [BUY, SELL]))).code == 0
    printed = gainlog("tag", "filed-2024", "--json").json()["head"]
    with behind_the_back(sample) as conn:
        conn.execute("UPDATE tags SET seq = 51, hash = (SELECT hash FROM events WHERE seq = 51)")
    assert gainlog("verify").code == 0
    assert printed.startswith("53:")


def test_batch_recorded_at_changed(sample: Path, gainlog: Gainlog) -> None:
    with behind_the_back(sample) as conn:
        conn.execute("UPDATE batches SET recorded_at = '2020-01-01T00:00:00.000000Z' WHERE batch = 1")
    assert broken(gainlog) == (
        "batch 1: its source, recorded_at or seq range (1-51) disagree with seq 1, which the chain covers"
    )


def test_last_events_deleted_with_last_seq_fixed_is_caught_by_the_tag(
    sample: Path, gainlog: Gainlog, tmp_path: Path
) -> None:
    assert gainlog("import", str(write_jsonl(tmp_path / "more.jsonl", [BUY, SELL, {**BUY, "qty": "2"}]))).code == 0
    assert gainlog("tag", "t54").code == 0
    with behind_the_back(sample) as conn:
        conn.execute("DELETE FROM events WHERE seq > 52")
        conn.execute("UPDATE batches SET last_seq = 52 WHERE batch = 2")
        conn.execute("UPDATE meta SET value = ? WHERE name = 'verified'",  # hide the last verify too
                     (chain.verified_text(0, chain.genesis("UTC", "1"), "UTC", "1"),))
    assert broken(gainlog) == "tag 't54': names seq 54, but the log ends at seq 52"


def test_last_events_deleted_with_last_seq_fixed_is_caught_by_the_last_verify(
    sample: Path, gainlog: Gainlog, tmp_path: Path
) -> None:
    assert gainlog("import", str(write_jsonl(tmp_path / "more.jsonl", [BUY, SELL, {**BUY, "qty": "2"}]))).code == 0
    assert gainlog("verify").code == 0  # records seq 54
    with behind_the_back(sample) as conn:
        conn.execute("DELETE FROM events WHERE seq > 52")
        conn.execute("UPDATE batches SET last_seq = 52 WHERE batch = 2")
    assert broken(gainlog) == (
        "seq 53: the log ends at seq 52, but the last verify saw it up to seq 54: events were removed"
    )


def test_no_op_triggers_of_the_same_names(sample: Path, gainlog: Gainlog) -> None:
    conn = sqlite3.connect(sample)
    conn.execute("DROP TRIGGER events_no_update")
    conn.execute("CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN SELECT 1; END")
    conn.commit()
    conn.close()
    message = broken(gainlog)
    assert message == (
        "trigger events_no_update: its SQL is not gainlog's (replaced behind gainlog's back): "
        "'CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN SELECT 1; END'"
    )


def test_an_extra_trigger_on_a_ledger_table(sample: Path, gainlog: Gainlog) -> None:
    conn = sqlite3.connect(sample)
    conn.execute("CREATE TRIGGER sneaky AFTER INSERT ON tags BEGIN SELECT 1; END")
    conn.commit()
    conn.close()
    assert broken(gainlog) == "trigger sneaky: not one of gainlog's (a trigger on the ledger's tables can change it)"


def test_body_edited_and_whole_chain_recomputed(sample: Path, gainlog: Gainlog) -> None:
    with Store.open(sample) as store:
        anchor = f"51:{store.hash_at(51)}"  # what `tag` printed before the edit
    with behind_the_back(sample) as conn:
        edit_price(conn, 3, "4200")  # seq 3: the first bitcoin, at a tenth of its price
        recompute_chain(conn, genesis=chain.genesis("UTC", "1"))
    # consistent inside the file, `verified` record included: plain verify cannot tell (documented)
    assert gainlog("verify").code == 0
    message = broken(gainlog, "--head", anchor)
    assert message.startswith("--head: the chain's hash at seq 51 is ")
    assert message.endswith(f"not {anchor[3:]}: the log up to seq 51 was changed (and its chain recomputed)")


def test_body_edited_and_chain_recomputed_but_not_the_verified_record(sample: Path, gainlog: Gainlog) -> None:
    with behind_the_back(sample) as conn:
        edit_price(conn, 3, "4200")
        verified = conn.execute("SELECT value FROM meta WHERE name = 'verified'").fetchone()[0]
        recompute_chain(conn, genesis=chain.genesis("UTC", "1"))
        conn.execute("UPDATE meta SET value = ? WHERE name = 'verified'", (verified,))
    verified_hash = json.loads(verified)["hash"]
    assert broken(gainlog) == (
        f"seq 51: its hash is not the one the last verify recorded ({verified_hash}): the chain was rewritten since"
    )


def test_body_edited_without_recomputing(sample: Path, gainlog: Gainlog) -> None:
    with behind_the_back(sample) as conn:
        edit_price(conn, 3, "4200")
    assert broken(gainlog) == (
        "hash chain broken at seq 3: the log was edited behind gainlog's back (seq 3 was edited)"
    )


def test_checkpoint_year_totals_edited(sample: Path, gainlog: Gainlog) -> None:
    before = gainlog("report", "schedule-d", "--year", "2024", "--json").out
    assert gainlog("checkpoint").code == 0
    conn = sqlite3.connect(sample)  # a cache: no triggers
    blob = conn.execute("SELECT blob FROM checkpoint_parts WHERE name = 'years'").fetchone()[0]
    assert blob.count(b"8030.03") == 1  # 2024 box F gain
    conn.execute("UPDATE checkpoint_parts SET blob = ? WHERE name = 'years'", (blob.replace(b"8030.03", b"9030.03"),))
    conn.commit()
    conn.close()
    assert broken(gainlog) == (
        "checkpoint at seq 51: its part 'years' does not match its digest (edited behind gainlog's back)"
    )
    # and the edited totals are never used: Schedule D is what a replay gives
    assert gainlog("report", "schedule-d", "--year", "2024", "--json").out == before


def test_checkpoint_claiming_another_head(sample: Path, gainlog: Gainlog) -> None:
    assert gainlog("checkpoint").code == 0
    conn = sqlite3.connect(sample)
    conn.execute("UPDATE checkpoints SET hash = ?", ("f" * 64,))
    conn.commit()
    conn.close()
    with Store.open(sample) as store:
        actual = store.hash_at(51)
    assert broken(gainlog) == (
        f"checkpoint at seq 51: claims the chain's hash {'f' * 64} there, but the chain has {actual}"
    )


def _append_row(conn: sqlite3.Connection, body: str, *, batch: int = 2) -> None:
    """An event row with a valid hash after the head, as a forger would write it."""
    seq, prev, recorded = conn.execute(
        "SELECT seq + 1, hash, recorded_at FROM events ORDER BY seq DESC LIMIT 1"
    ).fetchone()
    digest = chain.link(prev, seq, "x:1", "x", batch, recorded, body)
    conn.execute(
        "INSERT INTO events (seq, key, source, batch, recorded_at, type, target, body, prev_hash, hash)"
        " VALUES (?, 'x:1', 'x', ?, ?, 'buy', NULL, ?, ?, ?)",
        (seq, batch, recorded, body, prev, digest),
    )


def test_row_appended_with_valid_hash_no_batch_and_negative_qty(sample: Path, gainlog: Gainlog) -> None:
    conn = sqlite3.connect(sample)  # an INSERT needs no trigger dropped
    _append_row(conn, '{"asset":"BTC","at":"2024-03-01T12:00:00Z","price":"10","qty":"-5","type":"buy","wallet":"w"}')
    conn.commit()
    conn.close()
    assert broken(gainlog) == (
        "seq 52: field 'qty': '-5' is not a plain decimal (up to 15 digits, optionally '.' and up to 18 decimals; "
        "no sign, exponent, comma, NaN or Infinity) (a stored event the event rules refuse)"
    )


def test_row_appended_with_valid_hash_and_no_batch(sample: Path, gainlog: Gainlog) -> None:
    conn = sqlite3.connect(sample)
    _append_row(conn, '{"asset":"BTC","at":"2024-03-01T12:00:00Z","price":"10","qty":"5","type":"buy","wallet":"w"}')
    conn.commit()
    conn.close()
    assert broken(gainlog) == "seq 52: its batch 2 has no row in batches"


def test_row_appended_with_a_non_canonical_body(sample: Path, gainlog: Gainlog) -> None:
    conn = sqlite3.connect(sample)
    _append_row(conn, '{"type":"buy","asset":"BTC","at":"2024-03-01T12:00:00Z","price":"10","qty":"5","wallet":"w"}')
    conn.commit()
    conn.close()
    assert broken(gainlog) == "seq 52: the stored body is not in canonical form"


# -- reports between verifies ------------------------------------------------------------------


def test_reports_warn_when_the_log_changed_since_the_last_verify(sample: Path, gainlog: Gainlog) -> None:
    clean = gainlog("report", "schedule-d", "--year", "2024", "--json")
    assert clean.code == 0 and clean.err == ""
    with behind_the_back(sample) as conn:
        edit_price(conn, 3, "4200")
        recompute_chain(conn, genesis=chain.genesis("UTC", "1"))
        conn.execute("UPDATE meta SET value = ? WHERE name = 'verified'",
                     (chain.verified_text(51, "0" * 64, "UTC", "1"),))  # the record the last verify left
    warned = gainlog("report", "schedule-d", "--year", "2024", "--json")
    assert warned.code == 0 and json.loads(warned.out)["year"] == 2024
    assert warned.err == (
        "gainlog: warning: the log changed since the last verify (the hash at seq 51 is not the one the last "
        "verify recorded): run `gainlog verify`\n"
    )
    strict = gainlog("--strict", "report", "schedule-d", "--year", "2024", "--json")
    assert strict.code == 4 and strict.out == ""
    assert strict.err == warned.err.replace("gainlog: warning: ", "gainlog: ")


@pytest.mark.parametrize(
    "command",
    [["report", "8949", "--year", "2024", "--json"], ["report", "income", "--year", "2024", "--json"],
     ["lots", "--json"], ["diff", "--year", "2024", "--from", "1", "--json"]],
)
def test_every_report_checks(sample: Path, gainlog: Gainlog, command: list[str]) -> None:
    conn = sqlite3.connect(sample)
    conn.execute("DROP TRIGGER batches_no_delete")
    conn.commit()
    conn.close()
    result = gainlog(*command)
    assert result.code == 0 and result.err == (
        "gainlog: warning: the log changed since the last verify (append-only trigger(s) missing: "
        "batches_no_delete): run `gainlog verify`\n"
    )
    assert gainlog("--strict", *command).code == 4


def test_a_row_appended_behind_the_back_is_seen_by_the_cheap_check(sample: Path, gainlog: Gainlog) -> None:
    conn = sqlite3.connect(sample)
    _append_row(conn, '{"asset":"BTC","at":"2024-03-01T12:00:00Z","price":"10","qty":"5","type":"buy","wallet":"w"}')
    conn.commit()
    conn.close()
    assert gainlog("--strict", "report", "income", "--year", "2024").err == (
        "gainlog: the log changed since the last verify (seq 52 is not the end of the last batch): "
        "run `gainlog verify`\n"
    )


def test_gainlogs_own_appends_are_no_change(sample: Path, gainlog: Gainlog, tmp_path: Path) -> None:
    assert gainlog("import", str(write_jsonl(tmp_path / "more.jsonl", [BUY, SELL]))).code == 0
    assert gainlog("retract", "more.jsonl:" + gainlog("log", "--json").json()[-1]["key"].split(":", 1)[1]).code == 0
    assert gainlog("tag", "after").code == 0
    result = gainlog("--strict", "report", "schedule-d", "--year", "2024", "--json")
    assert result.code == 0 and result.err == ""


def test_a_new_ledger_starts_verified(db: Path, gainlog: Gainlog, tmp_path: Path) -> None:
    assert gainlog("import", str(write_jsonl(tmp_path / "t.jsonl", [BUY, SELL]))).code == 0
    result = gainlog("--strict", "report", "schedule-d", "--year", "2024", "--json")
    assert result.code == 0 and result.err == ""


# -- ledgers created before issue #18 ----------------------------------------------------------


def _legacy(path: Path) -> Path:
    """A ledger as gainlog wrote it before issue #18: no genesis, no verified record, tags without hash."""
    conn = schema.connect(str(path))
    conn.execute("PRAGMA journal_mode = WAL")
    for statement in (*schema.TABLES, *schema.INDEXES, *schema.guards()):
        conn.execute(statement)
    conn.executemany("INSERT INTO meta (name, value) VALUES (?, ?)", [("timezone", "UTC"), ("schema_version", "1")])
    conn.close()
    return path


def test_an_older_ledger_keeps_working_with_a_note(tmp_path: Path, gainlog: Gainlog) -> None:
    old = _legacy(tmp_path / "old.db")
    assert gainlog("import", str(SAMPLE), ledger=old).code == 0
    with Store.open(old) as store:
        assert store.conn.execute("SELECT prev_hash FROM events WHERE seq = 1").fetchone()[0] == "0" * 64
    assert gainlog("tag", "filed", ledger=old).code == 0
    quiet = gainlog("report", "schedule-d", "--year", "2024", "--json", ledger=old)
    assert quiet.code == 0 and quiet.err == ""  # never verified: no warning on every report
    strict = gainlog("--strict", "report", "schedule-d", "--year", "2024", "--json", ledger=old)
    assert strict.code == 4 and strict.err == (
        "gainlog: the log was never verified: run `gainlog verify` once (--strict needs a verified log)\n"
    )
    ok = gainlog("verify", ledger=old)
    assert ok.code == 0, ok.err
    assert ok.err == (
        "gainlog: note: this ledger predates the genesis record: its time zone and schema version are not in "
        "the hash chain (a manifest from `report all` still covers them)\n"
        "gainlog: note: 1 tag(s) made before tags kept their head's hash: only their seq is checked\n"
    )
    assert gainlog("--strict", "report", "schedule-d", "--year", "2024", "--json", ledger=old).code == 0
    with behind_the_back(old) as conn:
        conn.execute("UPDATE tags SET seq = 99")
    assert gainlog("verify", ledger=old).err == "gainlog: tag 'filed': names seq 99, but the log ends at seq 51\n"


def test_a_deleted_verified_record(sample: Path, gainlog: Gainlog) -> None:
    conn = sqlite3.connect(sample)
    conn.execute("DELETE FROM meta WHERE name = 'verified'")
    conn.commit()
    conn.close()
    assert gainlog("report", "income", "--year", "2024").err == (
        "gainlog: warning: the log changed since the last verify (the record of the last verify is missing): "
        "run `gainlog verify`\n"
    )
    assert broken(gainlog) == (
        "meta: the 'verified' record (what the last verify saw) is missing: deleted behind gainlog's back"
    )


def test_events_deleted_then_a_later_add_reuses_the_seq(sample: Path, gainlog: Gainlog, tmp_path: Path) -> None:
    """The issue's case: an earlier tag would now cover the new event; the hash it names does not."""
    assert gainlog("import", str(write_jsonl(tmp_path / "more.jsonl", [BUY, SELL, {**BUY, "qty": "2"}]))).code == 0
    assert gainlog("tag", "t54").code == 0
    with Store.open(sample) as store:
        tagged = store.hash_at(54)
    with behind_the_back(sample) as conn:
        conn.execute("DELETE FROM events WHERE seq > 52")
        conn.execute("UPDATE batches SET last_seq = 52 WHERE batch = 2")
    assert gainlog("add", "buy", "--at", "2025-06-01", "--wallet", "w", "--asset", "BTC", "--qty", "1",
                   "--price", "1").code == 0
    assert gainlog("add", "buy", "--at", "2025-06-02", "--wallet", "w", "--asset", "BTC", "--qty", "1",
                   "--price", "1").code == 0  # seq 54 again
    with Store.open(sample) as store:
        now = store.hash_at(54)
    report = gainlog("report", "schedule-d", "--year", "2025", "--as-of", "t54", "--json")
    assert report.code == 0 and report.err == (
        "gainlog: warning: the log changed since the last verify (tag 't54' no longer names the hash it was made "
        "for): run `gainlog verify`\n"
    )
    assert broken(gainlog) == f"tag 't54': names seq 54 with hash {tagged}, but the chain has {now} there"


def test_tag_prints_the_head(sample: Path, gainlog: Gainlog) -> None:
    with Store.open(sample) as store:
        head = store.hash_at(51)
    result = gainlog("tag", "filed-2024")
    assert result.code == 0 and result.out.split("\n")[-2] == f"Head 51:{head}"
    assert "Tagged seq 51 as 'filed-2024'." in result.out


def test_checkpoints_saved_before_digests_are_ignored_then_remade(sample: Path, gainlog: Gainlog) -> None:
    from gainlog.ledger import checkpoints as saved

    before = gainlog("report", "schedule-d", "--year", "2024", "--json").out
    conn = sqlite3.connect(sample)  # the tables as a gainlog before issue #18 made them, holding garbage
    conn.execute("CREATE TABLE checkpoints (seq INTEGER, hash TEXT, version TEXT, horizon TEXT, created_at TEXT,"
                 " state BLOB, PRIMARY KEY (version, seq))")
    conn.execute("CREATE TABLE checkpoint_parts (version TEXT, seq INTEGER, name TEXT, blob BLOB,"
                 " PRIMARY KEY (version, seq, name))")
    conn.execute("INSERT INTO checkpoints SELECT seq, hash, 'v', '', '', x'00' FROM events WHERE seq = 51")
    conn.commit()
    conn.close()
    assert gainlog("report", "schedule-d", "--year", "2024", "--json").out == before
    ok = gainlog("verify")
    assert ok.code == 0 and ok.err == (
        "gainlog: note: checkpoints saved by an older gainlog are ignored (no digests); `gainlog checkpoint` "
        "remakes them\n"
    )
    assert gainlog("checkpoint").code == 0
    with Store.open(sample) as store:
        assert [c.seq for c in saved.usable(store, at_or_before=51, version=saved.code_version())] == [51]
    assert gainlog("verify").err == ""
    assert gainlog("report", "schedule-d", "--year", "2024", "--json").out == before


def test_type_or_target_column_edited_without_the_body(
    sample: Path, gainlog: Gainlog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The type and target columns are checked against the body; a body the fast path takes (the
    trades: 44 of the sample's 51) is decoded once for it, not a second time (`decode_body`)."""
    from gainlog.ledger import codec

    decoded: list[bytes] = []
    decode_body = codec.decode_body

    def counted(body: bytes) -> object:
        decoded.append(body)
        return decode_body(body)

    monkeypatch.setattr(codec, "decode_body", counted)
    assert gainlog("verify").code == 0
    assert len(decoded) == 7  # the method, the four profiles and the two wallets
    conn = sqlite3.connect(sample)
    (seq,) = conn.execute("SELECT min(seq) FROM events WHERE type = 'buy'").fetchone()
    conn.close()
    for column, value in (("type", "sell"), ("target", "x:y")):
        with behind_the_back(sample) as conn:
            conn.execute(f"UPDATE events SET {column} = ? WHERE seq = ?", (value, seq))
        assert broken(gainlog) == f"seq {seq}: the type/target columns disagree with the body"
        with behind_the_back(sample) as conn:
            conn.execute(f"UPDATE events SET {column} = ? WHERE seq = ?", ("buy" if column == "type" else None, seq))
    assert gainlog("verify").code == 0
