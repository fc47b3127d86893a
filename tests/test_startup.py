"""Start-up (issue #19): each command loads only what it needs, and `python -m gainlog.cli.main` runs
the CLI (so `python -X importtime -m gainlog.cli.main ...` measures a command's imports).

Each command line runs in a fresh process and reports which of the heavy or optional libraries
ended up in `sys.modules`: the chart writer (`api.charts`) only for the year pages, no charting
library ever (pygal, which drew them before, is a test's reference now), the PDF library (fpdf2) only
for `export --format pdf`, rich only where a table is printed, the test libraries never.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import REPO, write_jsonl

HEAVY = ("pygal", "fpdf", "hypothesis", "pytest", "rich", "sqlite_utils", "markdown_it", "pygments", "PIL",
         "pypdf", "importlib_metadata", "freezegun", "dataclasses", "html")
OURS = ("gainlog.projections", "gainlog.projections.engine", "gainlog.ledger.store", "gainlog.api.year_html",
        "gainlog.cli.export_pdf", "gainlog.api.charts", "gainlog.ledger.importer", "gainlog.ledger.write_plan",
        "gainlog.cli.cmd_add_events", "gainlog.projections.shards")
PROBE = (
    "import json, sys; from gainlog.cli.main import main\n"
    "code = main(sys.argv[1:])\n"
    "loaded = sorted(m for m in json.loads(sys.stdin.read()) if m in sys.modules)\n"
    "print('LOADED', json.dumps(loaded), code, file=sys.stderr)\n"
)
BUY = {"type": "buy", "at": "2024-01-02T15:00:00Z", "wallet": "w", "asset": "BTC", "qty": "1", "price": "100"}
SELL = {"type": "sell", "at": "2024-03-02T15:00:00Z", "wallet": "w", "asset": "BTC", "qty": "1", "price": "150"}


def loaded_by(*args: str, cwd: Path = REPO) -> tuple[int, list[str]]:
    """Run `gainlog ARGS` in a new process (in `cwd`): its exit code and which of HEAVY and OURS it loaded."""
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], input=json.dumps([*HEAVY, *OURS]),
                          capture_output=True, text=True, cwd=cwd, timeout=120)
    line = next(x for x in proc.stderr.splitlines() if x.startswith("LOADED "))
    names, code = line.removeprefix("LOADED ").rsplit(" ", 1)
    return int(code), json.loads(names)


def test_each_command_loads_only_what_it_needs(tmp_path: Path) -> None:
    db = str(tmp_path / "l.db")
    ledger = write_jsonl(tmp_path / "t.jsonl", [BUY, SELL])
    never = {"fpdf", "hypothesis", "pytest", "sqlite_utils", "PIL", "pypdf", "freezegun", "gainlog.cli.export_pdf",
             "pygal", "importlib_metadata"}
    charts = {"gainlog.api.charts", "gainlog.api.year_html"}
    tables = {"rich", "markdown_it", "pygments"}
    replay = {"gainlog.projections", "gainlog.projections.engine"}
    writes = {"gainlog.ledger.importer", "gainlog.ledger.write_plan"}  # the store imports them where used
    # init and import build no dataclass (`api.ledger_ops` results are NamedTuples: ~0.6 ms a class less),
    # nor the `add` subcommands of cli.cmd_add_events
    adds = {"gainlog.cli.cmd_add_events"}
    code, names = loaded_by("--db", db, "init")
    assert code == 0 and not set(names) & (never | charts | tables | replay | adds | {"gainlog.ledger.store",
                                                                                     "dataclasses"})
    code, names = loaded_by("--db", db, "import", str(ledger))
    assert code == 0 and {"gainlog.ledger.store"} | writes <= set(names)
    assert not set(names) & (never | charts | tables | replay | adds | {"dataclasses"})
    code, names = loaded_by("--db", db, "report", "schedule-d", "--year", "2024", "--json")
    assert code == 0 and not set(names) & (never | charts | tables | writes)
    # a table for people: rich, without its markdown and syntax highlighting
    code, names = loaded_by("--db", db, "report", "schedule-d", "--year", "2024")
    assert code == 0 and "rich" in names and not set(names) & (never | charts | {"markdown_it", "pygments"})
    # the year pages of `report all` need the chart writer, never a charting or the PDF library;
    # its summary table goes to a pipe as text, without rich (cli.render.plain_number_table), unless
    # its title (naming DIR) is wider than the table: rich wraps that
    # nor a dataclass (results are Structs: ~0.5 ms a class less), `html` (its entity table: `year_html._escape`)
    # or, for a log too small to shard, the shards' merge
    code, names = loaded_by("--db", db, "report", "all", "--out", "out", cwd=tmp_path)
    assert code == 0 and charts <= set(names) and not set(names) & (never | tables | writes)
    assert not set(names) & {"dataclasses", "html", "gainlog.projections.shards"}
    # an empty ledger: one line, written to a pipe without rich too
    empty = str(tmp_path / "empty.db")
    assert loaded_by("--db", empty, "init")[0] == 0
    code, names = loaded_by("--db", empty, "report", "all", "--out", "empty-out", cwd=tmp_path)
    assert code == 0 and not set(names) & (never | tables | writes)
    code, names = loaded_by("--db", db, "report", "all", "--out", str(tmp_path / ("o" * 80)))
    assert code == 0 and charts | {"rich"} <= set(names) and not set(names) & never
    # help lists every command without loading what any of them runs
    code, names = loaded_by("--help")
    assert code == 0 and not set(names) & (never | charts | replay | {"gainlog.ledger.store"})


BUILT = (
    "import sys; from gainlog.cli.main import main\n"
    "code = main(sys.argv[1:])\n"
    "canonical = sys.modules.get('gainlog.ledger.codec.canonical')\n"
    "print('BUILT', code, canonical and canonical._body_decoder.cache_info().currsize, file=sys.stderr)\n"
)


def test_the_body_decoder_is_built_only_to_read_the_log(tmp_path: Path) -> None:
    """`msgspec.json.Decoder(Event)` takes ~4 ms to build: an import, which never reads a stored
    body, does without it; a report builds it once."""
    db = str(tmp_path / "l.db")
    ledger = write_jsonl(tmp_path / "t.jsonl", [BUY, SELL])
    built = []
    for args in (["init"], ["import", str(ledger)], ["report", "schedule-d", "--year", "2024", "--json"]):
        proc = subprocess.run([sys.executable, "-c", BUILT, "--db", db, *args], capture_output=True, text=True,
                              cwd=REPO, timeout=120)
        built.append(next(x for x in proc.stderr.splitlines() if x.startswith("BUILT ")))
    assert built == ["BUILT 0 None", "BUILT 0 0", "BUILT 0 1"]


def test_the_snapshot_decoder_is_built_only_to_read_a_checkpoint(tmp_path: Path) -> None:
    """`msgspec.msgpack.Decoder(EngineSnapshot)` resolves ~30 Structs' annotations (~2 ms): the replay
    of `report all`, which imports `projections.checkpoint` to keep a checkpoint of a large log, does
    without it for a small one."""
    db = str(tmp_path / "l.db")
    ledger = write_jsonl(tmp_path / "t.jsonl", [BUY, SELL])
    probe = BUILT.replace("ledger.codec.canonical", "projections.checkpoint").replace("_body_decoder", "_decoder")
    for args in (["init"], ["import", str(ledger)]):
        assert subprocess.run([sys.executable, "-c", probe, "--db", db, *args], capture_output=True,
                              cwd=REPO, timeout=120).returncode == 0
    proc = subprocess.run([sys.executable, "-c", probe, "--db", db, "report", "all", "--out", "out"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert next(x for x in proc.stderr.splitlines() if x.startswith("BUILT ")) == "BUILT 0 0"


def test_python_m_runs_the_cli(tmp_path: Path) -> None:
    db = tmp_path / "l.db"
    done = subprocess.run([sys.executable, "-m", "gainlog.cli.main", "--db", str(db), "init"],
                          capture_output=True, text=True, cwd=REPO, timeout=120)
    assert (done.returncode, done.stderr) == (0, "") and done.stdout.startswith(f"Created ledger {db}")
    done = subprocess.run([sys.executable, "-m", "gainlog.cli.main", "--db", str(tmp_path / "none.db"), "log"],
                          capture_output=True, text=True, cwd=REPO, timeout=120)
    assert done.returncode == 2 and done.stderr.startswith("gainlog: no ledger at ") and len(
        done.stderr.splitlines()) == 1
