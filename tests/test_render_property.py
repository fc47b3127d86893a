"""Random Unicode through every user-text field, every human command (issue #17, "Done when").

Markup brackets, emoji codes, control characters, bidi marks and plain Unicode go into ids, notes,
assets, wallets, sources (a file name and `--source`), tag names, a retract reason and a txid. Every
command exits 0 (or refuses a name with one `gainlog:` line and exit 2, when validation forbids it;
the text then falls back to a safe one), no output holds a raw control character, and each text
is shown exactly as stored with its non-printable characters escaped (`cli.render.visible`).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Result
from gainlog.cli.render import visible
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FRAGMENTS = ["[/b]", "[bold]", "[/]", "[red]x[/red]", ":smile:", ":tada:", "[", "]", "\\", "\x1b[2J",
             "\x1b]0;t\x07", "\x1b]8;;http://x\x1b\\", "\x9b", "\x7f", "\n", "\t", "\r", "\u202e", "\u200f",
             "\u2066", "\u2028", "  ", "é", "漢字", "🙂", "#", "@"]
CHARS = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
TEXT = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(CHARS, min_size=1, max_size=4)),
                min_size=1, max_size=5).map("".join)
NAME = TEXT.map(lambda t: t.replace("/", "_"))  # can be a file name
FALLBACK = {"id": "i[/b]:smile:", "asset": "[b]ASSET", "wallet": "w[/red]:tada:", "source": "src [final]",
            "file": "trades [final]", "tag": "t[/b]x", "sell_id": "s[/]1"}

Run = Callable[..., Result]


def _ok(result: Result, what: str) -> None:
    assert "Traceback" not in result.err, (what, result.err)
    assert result.code == 0, (what, result.code, result.err)
    shown = result.out + result.err
    assert [c for c in shown if not c.isprintable() and c != "\n"] == [], what


def _refused(result: Result) -> bool:
    """A one-line `gainlog:` refusal of bad input (exit 2), never a traceback."""
    assert "Traceback" not in result.err
    if result.code == 0:
        return False
    assert result.code == 2 and result.err.startswith("gainlog: ") and result.err.count("\n") == 1, result
    assert [c for c in result.err if not c.isprintable() and c != "\n"] == [], result.err
    return True


@pytest.fixture
def run_in(capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    from gainlog.cli.main import main

    def run(db: Path, *args: str) -> Result:
        capsys.readouterr()
        code = main(["--db", str(db), *args])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(note=TEXT, reason=TEXT, txid=TEXT, id_=TEXT, sell_id=TEXT, asset=TEXT, wallet=TEXT, source=NAME,
       file=NAME, tag=TEXT)
def test_user_text_is_shown_literally_by_every_command(
    run_in: Callable[..., Result], note: str, reason: str, txid: str, id_: str, sell_id: str, asset: str,
    wallet: str, source: str, file: str, tag: str,
) -> None:
    from gainlog.ledger.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        db = folder / "l.db"
        Store.create(db).close()

        def run(*args: str) -> Result:
            return run_in(db, *args)

        # add: id, asset, wallet, note, txid (a name validation refuses falls back to a safe one)
        texts = {"id": id_, "asset": asset, "wallet": wallet}
        for attempt in range(len(texts) + 1):
            added = run("add", "buy", "--at=2024-01-02", f"--wallet={texts['wallet']}", f"--asset={texts['asset']}",
                        "--qty=3", "--price=10", f"--id={texts['id']}", f"--note={note}", f"--txid={txid}")
            if not _refused(added):
                break
            field = ("id", "asset", "wallet")[attempt]
            texts[field] = FALLBACK[field]
        _ok(added, "add")
        assert added.out == f"Added seq 1: cli:{visible(texts['id'])}\n"
        id_, asset, wallet = texts["id"], texts["asset"], texts["wallet"]

        # import: a file name as the default source, then --source; a sell id
        events = [{"type": "sell", "id": sell_id, "at": "2024-03-02T12:00:00Z", "wallet": wallet, "asset": asset,
                   "qty": "1", "price": "12", "note": note, "txid": txid},
                  {"type": "income", "at": "2024-04-02T12:00:00Z", "wallet": wallet, "asset": asset, "qty": "1",
                   "value": "5", "kind": "staking", "note": note}]
        names = {"file": file, "sell_id": sell_id}
        for attempt in range(3):
            path = folder / f"{names['file']}.jsonl"
            events[0]["id"] = names["sell_id"]
            path.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
            imported = run("import", "--", str(path))
            if not _refused(imported):
                break
            names[("file", "sell_id", "file")[attempt]] = FALLBACK[("file", "sell_id", "file")[attempt]]
        _ok(imported, "import")
        default_source = path.name
        assert f"source '{visible(default_source)}'" in imported.out
        assert imported.out.startswith(f"{visible(str(path))}: 2 added")
        sell_key = f"{default_source}:{names['sell_id']}"

        second = folder / "second.jsonl"
        second.write_text(json.dumps({**events[1], "at": "2024-05-02T12:00:00Z"}) + "\n", encoding="utf-8")
        with_source = run("import", f"--source={source}", "--", str(second))
        if _refused(with_source):
            source = FALLBACK["source"]
            with_source = run("import", f"--source={source}", "--", str(second))
        _ok(with_source, "import --source")
        assert f"source '{visible(source)}'" in with_source.out

        tagged = run("tag", "--", tag)
        if _refused(tagged):
            tag = FALLBACK["tag"]
            tagged = run("tag", "--", tag)
        _ok(tagged, "tag")
        assert tagged.out.startswith(f"Tagged seq 4 as '{visible(tag)}'.\nHead 4:")

        retracted = run("retract", f"--reason={reason}", "--", sell_key)
        _ok(retracted, "retract")
        assert retracted.out == f"Retracted {visible(sell_key)} (seq 5).\n"
        again = run("add", "sell", "--at=2024-06-02", f"--wallet={wallet}", f"--asset={asset}", "--qty=1",
                    "--price=20", f"--note={note}")
        _ok(again, "add sell")

        shown = {
            ("log",): [f"cli:{id_}", f"({wallet})", f"{asset} @ 10", f"# {note}", source],
            ("log", "--all"): [f"# {note}", f"{sell_key} {reason}", f"cli:{id_}"],
            ("lots", "--on", "2024-12-31"): [asset, f"cli:{id_}", f"{asset} total"],
            ("explain", "--year", "2024"): [f"1 {asset}", f"cli:{id_} — {note}"],
            ("report", "8949", "--year", "2024"): [f"1 {asset}"],
            ("report", "schedule-d", "--year", "2024"): [],
            ("report", "income", "--year", "2024"): [asset, wallet],
            # (a tag name with blanks around it is stored as given but looked up stripped: use its seq)
            ("diff", "--year", "2024", f"--from={tag if tag == tag.strip() else 4}"): [f"1 {asset}", sell_key],
            ("verify",): [],
        }
        for command, texts_shown in shown.items():
            result = run(*command)
            _ok(result, " ".join(command))
            for text in texts_shown:
                assert visible(text) in result.out, (command, text, result.out)
        stored = run("log", "--all", "--json").json()
        assert stored[0]["note"] == note and stored[0]["txid"] == txid and stored[0]["key"] == f"cli:{id_}"
        assert stored[4]["reason"] == reason
