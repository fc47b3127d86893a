"""`report all` writes DIR/manifest.json and `verify --manifest` replays it (issue #18, CONTRACT §4
Integrity): an untouched ledger passes however much was appended since; a changed stored body, tag,
time zone or checkpoint fails (exit 4, naming the first bad place). `report all` replaces DIR as a
whole (a retracted year leaves no stale folder) and refuses a DIR holding files it did not write.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import BUY, SELL, Result, write_jsonl
from gainlog.ledger import chain
from gainlog.ledger.store import Store
from tampering import SAMPLE, behind_the_back, edit_price, recompute_chain

Gainlog = Callable[..., Result]


@pytest.fixture
def filed(db: Path, gainlog: Gainlog, tmp_path: Path) -> Path:
    """The sample ledger tagged `filed` and reported: the manifest's path."""
    assert gainlog("import", str(SAMPLE)).code == 0
    assert gainlog("tag", "filed").code == 0
    assert gainlog("report", "all", "--out", str(tmp_path / "filed")).code == 0
    return tmp_path / "filed" / "manifest.json"


def _fails(gainlog: Gainlog, manifest: Path) -> str:
    result = gainlog("verify", "--manifest", str(manifest))
    assert result.code == 4, (result.out, result.err)
    return result.err.removeprefix("gainlog: ").rstrip("\n")


def test_the_manifest_names_seq_head_tags_and_every_file(filed: Path, db: Path) -> None:
    manifest = json.loads(filed.read_text())
    with Store.open(db) as store:
        head = store.hash_at(51)
    assert (manifest["seq"], manifest["head"], manifest["tags"]) == (51, head, {"filed": f"51:{head}"})
    folder = filed.parent
    on_disk = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()} - {"manifest.json"}
    assert set(manifest["files"]) == on_disk and len(on_disk) == 20  # 2022-2025, five files each
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest


def test_untouched_ledger_passes_also_after_appends(filed: Path, gainlog: Gainlog, tmp_path: Path) -> None:
    ok = gainlog("verify", "--manifest", str(filed))
    assert ok.code == 0 and "20 file(s) replay byte-identical (--manifest)" in " ".join(ok.out.split())
    assert gainlog("import", str(write_jsonl(tmp_path / "more.jsonl", [BUY, SELL]))).code == 0
    assert gainlog("add", "sell", "--at", "2025-12-01", "--wallet", "coinbase", "--asset", "ETH", "--qty", "0.1",
                   "--price", "3000").code == 0
    assert gainlog("tag", "later").code == 0
    assert gainlog("verify", "--manifest", str(filed)).code == 0


def test_a_manifest_as_of_a_knowledge_point(db: Path, gainlog: Gainlog, tmp_path: Path) -> None:
    assert gainlog("import", str(SAMPLE)).code == 0
    assert gainlog("report", "all", "--out", str(tmp_path / "r"), "--as-of", "30").code == 0
    assert json.loads((tmp_path / "r" / "manifest.json").read_text())["seq"] == 30
    assert gainlog("verify", "--manifest", str(tmp_path / "r" / "manifest.json")).code == 0


def test_a_changed_body_with_the_chain_recomputed(filed: Path, db: Path, gainlog: Gainlog) -> None:
    with behind_the_back(db) as conn:
        edit_price(conn, 3, "4200")
        recompute_chain(conn, genesis=chain.genesis("UTC", "1"))
    assert gainlog("verify").code == 0  # consistent inside the file
    assert _fails(gainlog, filed).startswith("--manifest: the chain's hash at seq 51 is ")


def test_a_changed_body_against_a_forged_head(filed: Path, db: Path, gainlog: Gainlog) -> None:
    """Even with the manifest's head made to agree, the files do not."""
    with behind_the_back(db) as conn:
        edit_price(conn, 3, "4200")
        head = recompute_chain(conn, genesis=chain.genesis("UTC", "1"))
    manifest = json.loads(filed.read_text())
    manifest["head"], manifest["tags"] = head, {}
    filed.write_text(json.dumps(manifest))
    message = _fails(gainlog, filed)
    assert message.startswith("--manifest: 2022/form8949.csv would not be written byte-identical: replaying the log "
                              "as of seq 51 gives sha256 ")
    assert message.endswith(f"the manifest says {manifest['files']['2022/form8949.csv']}")


def test_a_changed_body_without_recomputing(filed: Path, db: Path, gainlog: Gainlog) -> None:
    with behind_the_back(db) as conn:
        edit_price(conn, 3, "4200")
    assert _fails(gainlog, filed) == (
        "hash chain broken at seq 3: the log was edited behind gainlog's back (seq 3 was edited)"
    )


def test_a_tag_moved_to_another_batch_end(db: Path, gainlog: Gainlog, tmp_path: Path) -> None:
    assert gainlog("import", str(SAMPLE)).code == 0
    assert gainlog("import", str(write_jsonl(tmp_path / "more.jsonl", [BUY, SELL]))).code == 0
    assert gainlog("tag", "filed").code == 0  # seq 53
    assert gainlog("report", "all", "--out", str(tmp_path / "r"), "--as-of", "filed").code == 0
    with behind_the_back(db) as conn:
        conn.execute("UPDATE tags SET seq = 51, hash = (SELECT hash FROM events WHERE seq = 51)")
    assert gainlog("verify").code == 0  # consistent inside the file
    with Store.open(db) as store:
        at_53, at_51 = store.hash_at(53), store.hash_at(51)
    assert _fails(gainlog, tmp_path / "r" / "manifest.json") == (
        f"--manifest: tag 'filed' named 53:{at_53} when the manifest was written; it now names 51:{at_51}"
    )


def test_a_changed_time_zone(filed: Path, db: Path, gainlog: Gainlog) -> None:
    conn = sqlite3.connect(db)
    conn.execute("UPDATE meta SET value = 'Pacific/Kiritimati' WHERE name = 'timezone'")
    conn.commit()
    conn.close()
    assert _fails(gainlog, filed).startswith("meta: the time zone 'Pacific/Kiritimati' and schema version 1")


def test_a_changed_time_zone_with_everything_recomputed(filed: Path, db: Path, gainlog: Gainlog) -> None:
    genesis = chain.genesis("Pacific/Kiritimati", "1")
    with behind_the_back(db) as conn:
        conn.execute("UPDATE meta SET value = 'Pacific/Kiritimati' WHERE name = 'timezone'")
        conn.execute("UPDATE meta SET value = ? WHERE name = 'genesis'", (genesis,))
        head = recompute_chain(conn, genesis=genesis)
        conn.execute("UPDATE meta SET value = ? WHERE name = 'verified'",
                     (chain.verified_text(51, head, "Pacific/Kiritimati", "1"),))
    assert gainlog("verify").code == 0  # consistent inside the file
    manifest = json.loads(filed.read_text())
    manifest["head"], manifest["tags"] = head, {}  # even with the anchor forged: the files move a day
    filed.write_text(json.dumps(manifest))
    assert _fails(gainlog, filed).startswith("--manifest: 2022/form8949.csv would not be written byte-identical")


def test_a_changed_checkpoint(filed: Path, db: Path, gainlog: Gainlog) -> None:
    assert gainlog("checkpoint").code == 0
    assert gainlog("verify", "--manifest", str(filed)).code == 0
    conn = sqlite3.connect(db)
    blob = conn.execute("SELECT blob FROM checkpoint_parts WHERE name = 'years'").fetchone()[0]
    conn.execute("UPDATE checkpoint_parts SET blob = ? WHERE name = 'years'", (blob.replace(b"8030.03", b"9030.03"),))
    conn.commit()
    conn.close()
    assert _fails(gainlog, filed) == (
        "checkpoint at seq 51: its part 'years' does not match its digest (edited behind gainlog's back)"
    )


def test_a_manifest_that_is_not_one(db: Path, gainlog: Gainlog, tmp_path: Path) -> None:
    bad = tmp_path / "m.json"
    bad.write_text('{"seq": "x", "head": "", "files": {}}')
    result = gainlog("verify", "--manifest", str(bad))
    assert result.code == 2 and result.err == (
        f"gainlog: --manifest {bad}: field 'seq': missing or not what `report all` writes\n"
    )


def test_a_bad_head_option(db: Path, gainlog: Gainlog) -> None:
    result = gainlog("verify", "--head", "12")
    assert result.code == 2 and result.err.startswith("gainlog: --head '12': expected SEQ:HASH")


def test_report_all_replaces_dir_as_a_whole(db: Path, gainlog: Gainlog, tmp_path: Path) -> None:
    """A retracted year leaves no stale folder (CONTRACT §4)."""
    late = {**BUY, "id": "late", "at": "2031-01-02T12:00:00Z"}
    assert gainlog("import", str(write_jsonl(tmp_path / "t.jsonl", [BUY, SELL, late]))).code == 0
    out = tmp_path / "out"
    assert gainlog("report", "all", "--out", str(out)).code == 0
    assert (out / "2031").is_dir()
    assert gainlog("retract", "t.jsonl:late").code == 0
    assert gainlog("report", "all", "--out", str(out)).code == 0
    assert sorted(p.name for p in out.iterdir()) == ["2024", "manifest.json"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out.")] == []  # no temporary folder left
    assert gainlog("verify", "--manifest", str(out / "manifest.json")).code == 0


def test_report_all_refuses_a_dir_holding_other_files(db: Path, gainlog: Gainlog, tmp_path: Path) -> None:
    assert gainlog("import", str(write_jsonl(tmp_path / "t.jsonl", [BUY, SELL]))).code == 0
    out = tmp_path / "out"
    assert gainlog("report", "all", "--out", str(out)).code == 0
    (out / "2024" / "notes.txt").write_text("mine")
    result = gainlog("report", "all", "--out", str(out))
    assert result.code == 2 and result.err == (
        f"gainlog: --out {out}: holds '2024', which `report all` did not write; it replaces the folder as a "
        "whole, so give an empty or new folder (or one it wrote before)\n"
    )
    assert (out / "2024" / "notes.txt").read_text() == "mine"
