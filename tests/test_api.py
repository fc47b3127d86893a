"""The library API (api/, docs/api.md): documented function by function, and the same numbers as the CLI.

Every public function of an `api` module has a bullet in its section of docs/api.md (`## api.reports`)
that gives its signature (each parameter named) and the `gainlog` command it backs; the example in
docs/api.md runs on the sample ledger and prints what the page says; and the API called directly on
the sample ledger returns what the CLI's `--json` prints.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import io
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import Result

ROOT = Path(__file__).resolve().parent.parent
API_MD = ROOT / "docs" / "api.md"
SAMPLE = ROOT / "fixtures" / "sample" / "events.jsonl"
API_MODULES = sorted(p.stem for p in (ROOT / "api").glob("*.py") if p.stem != "__init__")


def public_functions() -> Iterator[tuple[str, str, Callable[..., Any]]]:
    """(module, name, function) for every public function defined in an api module."""
    for stem in API_MODULES:
        module = importlib.import_module(f"gainlog.api.{stem}")
        for name, value in vars(module).items():
            if inspect.isfunction(value) and not name.startswith("_") and value.__module__ == module.__name__:
                yield stem, name, value


def sections(text: str) -> dict[str, str]:
    """`## api.X` heading -> the text under it."""
    parts = re.split(r"^## (api\.\w+)\s*$", text, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_every_api_module_has_a_section() -> None:
    assert set(sections(API_MD.read_text(encoding="utf-8"))) == {f"api.{stem}" for stem in API_MODULES}


@pytest.mark.parametrize(("stem", "name", "function"), list(public_functions()),
                         ids=[f"{s}.{n}" for s, n, _ in public_functions()])
def test_public_function_is_documented(stem: str, name: str, function: Callable[..., Any]) -> None:
    section = sections(API_MD.read_text(encoding="utf-8")).get(f"api.{stem}", "")
    named = rf"`(gainlog\.)?(api\.{stem}\.)?{name}\("
    bullets = [b for b in re.split(r"^- ", section, flags=re.MULTILINE) if re.search(named, b)]
    assert bullets, f"docs/api.md, section api.{stem}: no bullet gives `{name}(...)`"
    bullet = " ".join(bullets[0].split())
    for parameter in inspect.signature(function).parameters:
        assert re.search(rf"\b{parameter}\b", bullet), f"docs/api.md: `{name}` without its parameter `{parameter}`"
    assert "`gainlog " in bullet, f"docs/api.md: `{name}` names no command (`gainlog ...`) it backs"


def test_the_example_prints_what_the_page_says(monkeypatch: pytest.MonkeyPatch) -> None:
    text = API_MD.read_text(encoding="utf-8")
    code = re.search(r"^```python\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)
    expected = re.search(r"^prints\n\n```text\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)
    assert code and expected
    monkeypatch.chdir(ROOT)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code.group(1), "docs/api.md", "exec"), {})
    assert out.getvalue() == expected.group(1)


@pytest.fixture
def sample(db: Path, gainlog: Callable[..., Result]) -> Path:
    """The sample ledger imported through the CLI (time zone UTC)."""
    assert gainlog("import", str(SAMPLE)).code == 0
    return db


def _cli_json(gainlog: Callable[..., Result], *args: str) -> Any:
    result = gainlog(*args, "--json")
    assert result.code == 0, result.err
    return result.json()


@pytest.mark.parametrize("year", [2022, 2023, 2024, 2025])
def test_reports_equal_the_cli(sample: Path, gainlog: Callable[..., Result], year: int) -> None:
    from gainlog.api import reports
    from gainlog.ledger.speed import gc_paused
    from gainlog.projections.reports import form8949_json

    assert reports.schedule_d_json(reports.schedule_d(sample, year)) == _cli_json(
        gainlog, "report", "schedule-d", "--year", str(year))
    assert reports.income(sample, year).to_json() == _cli_json(gainlog, "report", "income", "--year", str(year))
    with gc_paused():
        form = reports.form8949(sample, year)
        rows = [row for chunk in form.chunks for row in chunk]
    assert form8949_json(rows) == _cli_json(gainlog, "report", "8949", "--year", str(year))
    assert form.empty_year() == ""


def test_real_numbers_equal_the_cli(sample: Path, gainlog: Callable[..., Result]) -> None:
    """2022 of the sample: a net capital loss above the $3,000 limit, the rest carried forward."""
    from gainlog.api import reports

    sd = reports.schedule_d(sample, 2022)
    cli = _cli_json(gainlog, "report", "schedule-d", "--year", "2022")
    assert (str(sd.netting.line16), cli["net"]) == ("-9585.84", "-9585.84")
    assert cli["deduction"] == "3000.00" and sd.netting.deduction == 3000
    assert (str(sd.carryover_out.short_term), cli["carryover_out"]["short_term"]) == ("6585.84", "6585.84")
    assert reports.income(sample, 2024).to_json()["total"] == "165.00" == _cli_json(
        gainlog, "report", "income", "--year", "2024")["total"]


def test_lots_equal_the_cli(sample: Path, gainlog: Callable[..., Result]) -> None:
    from gainlog.api.lots import open_lots

    held = open_lots(sample, year_end=2024)
    cli = _cli_json(gainlog, "lots", "--year-end", "2024")
    assert held.to_json() == cli
    assert (len(held.lots), cli[0]["asset"], cli[0]["cost_basis"]) == (14, "AAPL", "3200.00")
    assert str(held.day) == "2024-12-31"


def test_audit_equals_the_cli(sample: Path, gainlog: Callable[..., Result]) -> None:
    from gainlog.api import audit

    assert audit.year_diff(sample, 2024, "3").to_json() == _cli_json(gainlog, "diff", "--year", "2024", "--from", "3")
    explained = audit.explain(sample, 2024).to_json()
    assert explained == _cli_json(gainlog, "explain", "--year", "2024")
    rule = "min(|line 16|, 3,000; 1,500 if mfs) when line 16 is a loss (R5.2)"  # from projections.rules.netting
    assert explained["sources"]["deduction"]["rule"] == rule
    one = audit.explain(sample, 2024, row=1).to_json()["rows"][0]["8949"]
    assert (one["description"], one["gain"], one["box"]) == ("0.24975 BTC", "7210.28", "F")


def test_write_reports_equals_the_cli(sample: Path, gainlog: Callable[..., Result], tmp_path: Path) -> None:
    from gainlog.api.manifest import file_digests, manifest_problem, read_manifest
    from gainlog.api.reports import write_reports

    out = tmp_path / "reports"
    cli = _cli_json(gainlog, "report", "all", "--out", str(out))
    cli_files = file_digests(out)
    written = write_reports(sample, out)
    assert written.to_json() == cli
    assert file_digests(out) == cli_files  # byte-identical files
    assert [(y.year, y.rows) for y in written.summary] == [(2022, 6), (2023, 5), (2024, 7), (2025, 13)]
    assert manifest_problem(sample, read_manifest(out / "manifest.json")) is None


def test_strict_refuses_a_changed_log(sample: Path, gainlog: Callable[..., Result]) -> None:
    """`strict=True` is `--strict`: the same IntegrityViolation, named the same way."""
    import sqlite3

    from gainlog.api.reports import schedule_d
    from gainlog.ledger.errors import IntegrityViolation

    assert gainlog("verify").code == 0
    with contextlib.closing(sqlite3.connect(sample)) as conn:  # a change the next verify would find
        conn.execute("DROP TRIGGER IF EXISTS events_no_update")
        conn.commit()
    cli = gainlog("--strict", "report", "schedule-d", "--year", "2024", "--json")
    with pytest.raises(IntegrityViolation) as raised:
        schedule_d(sample, 2024, strict=True)
    assert cli.code == 4 and cli.err == f"gainlog: {raised.value}\n"


def test_the_cli_repeats_no_rule_constant() -> None:
    """The loss limit and Schedule D's line map live in projections.rules (netting, schedule_d_lines);
    cli/ renders them, never writes them again."""
    pattern = re.compile(r"\b(3,?000|1,?500)\b|\"(1a|1b|8a|8b)\"|BOX_TO_LINE\s*=")
    found = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for path in sorted((ROOT / "cli").glob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert found == []


def test_every_box_has_a_schedule_d_line() -> None:
    from typing import get_args

    from gainlog.projections.rules.form_box import Box
    from gainlog.projections.rules.schedule_d_lines import BOX_TO_LINE

    assert sorted(BOX_TO_LINE) == sorted(get_args(Box))
    assert {BOX_TO_LINE[b] for b in "ABCGHI"} == {"1b", "2", "3"}
    assert {BOX_TO_LINE[b] for b in "DEFJKL"} == {"8b", "9", "10"}


def test_a_large_replay_shows_the_display_the_caller_set(gainlog: Callable[..., Result]) -> None:
    """`api.progress.working` uses `status_display` only for a large replay; the CLI sets its spinner."""
    from gainlog.api.progress import status_display, working

    shown: list[str] = []

    @contextlib.contextmanager
    def display(what: str) -> Iterator[None]:
        shown.append(what)
        yield

    token = status_display.set(display)
    try:
        with working("small", large=False), working("Replaying 60,000 events", large=True):
            pass
    finally:
        status_display.reset(token)
    assert shown == ["Replaying 60,000 events"]
    assert gainlog("log").code == 0
    from gainlog.cli.app import _spinner

    assert status_display.get() is _spinner


def test_the_api_runs_without_the_cli(sample: Path) -> None:
    """In a fresh process, the API reports without importing cli, typer, click or rich."""
    import subprocess
    import sys

    code = (
        "import sys; from pathlib import Path; from gainlog.api import audit, lots, reports; "
        f"db = Path({str(sample)!r}); "
        "print(reports.schedule_d_json(reports.schedule_d(db, 2022))['net'], "
        "len(lots.open_lots(db, year_end=2024).lots), len(audit.explain(db, 2024).to_json()['rows'])); "
        "names = {m.removeprefix('gainlog.').split('.')[0] for m in sys.modules}; "
        "print(sorted(names & {'cli', 'typer', 'click', 'rich'}))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout == "-9585.84 14 7\n[]\n"


# -- the write side (api.ledger_ops) -------------------------------------------------------------


def examples(text: str) -> list[tuple[str, str]]:
    """(code, what it prints) of every ```python block that a "prints" block follows."""
    found = re.findall(r"^```python\n(.*?)^```\n\nprints\n\n```text\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)
    return [(code, printed) for code, printed in found]


def test_the_write_example_prints_what_the_page_says(monkeypatch: pytest.MonkeyPatch) -> None:
    """The second example of docs/api.md: init, import, add (and a duplicate), tag, retract, verify, backup."""
    text = API_MD.read_text(encoding="utf-8")
    found = examples(text)
    assert len(found) == 2 and "ledger_ops.add_event(" in found[1][0] and "Store" not in found[1][0]
    monkeypatch.chdir(ROOT)
    for code, printed in found:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, "docs/api.md", "exec"), {})
        assert out.getvalue() == printed


BUY_ONE = {"type": "buy", "id": "b1", "at": "2025-03-01", "wallet": "cold", "asset": "BTC", "qty": "0.1",
           "price": "90000"}


def test_the_write_api_equals_the_cli(tmp_path: Path, gainlog: Callable[..., Result]) -> None:
    """The same writes through the library and through the CLI's `--json`, on two ledgers."""
    from gainlog.api import ledger_ops

    mine = tmp_path / "api.db"
    made = ledger_ops.init_ledger(mine, timezone="America/New_York")
    cli_db = tmp_path / "cli.db"
    assert made.to_json() == {"db": str(mine), "timezone": "America/New_York"}
    assert _cli_json(gainlog, "--db", str(cli_db), "init", "--timezone", "America/New_York") == {
        "db": str(cli_db), "timezone": "America/New_York"}

    def cli(*args: str) -> Any:
        return _cli_json(gainlog, "--db", str(cli_db), *args)

    imported = ledger_ops.import_file(mine, SAMPLE, source="sample").to_json()
    by_cli = cli("import", str(SAMPLE), "--source", "sample")
    assert imported == by_cli and (imported["added"], imported["last_seq"], imported["format"]) == (51, 51, "jsonl")
    assert ledger_ops.add_event(mine, BUY_ONE).to_json() == cli(
        "add", "buy", "--id", "b1", "--at", "2025-03-01", "--wallet", "cold", "--asset", "BTC", "--qty", "0.1",
        "--price", "90000") == {"seq": 52, "key": "cli:b1", "duplicate": False}
    tagged, by_cli = ledger_ops.tag(mine, "t").to_json(), cli("tag", "t")
    assert (tagged["tag"], tagged["seq"]) == (by_cli["tag"], by_cli["seq"]) == ("t", 52)
    assert ledger_ops.retract(mine, "cli:b", reason="x").to_json() == cli("retract", "cli:b", "--reason", "x") == {
        "seq": 53, "key": "cli:retract#53", "target": "cli:b1"}
    verified, by_cli = ledger_ops.verify(mine).to_json(), cli("verify")
    assert {**verified, "head": None} == {**by_cli, "head": None} and verified["ok"] is True
    copied, by_cli = ledger_ops.backup(mine, tmp_path / "a.bak").to_json(), cli("backup", str(tmp_path / "c.bak"))
    assert (copied["events"], copied["ok"]) == (by_cli["events"], by_cli["ok"]) == (53, True)
    with ledger_ops.read_log(mine, "t") as log:
        assert [row["seq"] for row in log.rows] == list(range(1, 53))


def test_the_write_api_raises_the_errors_the_cli_maps(tmp_path: Path) -> None:
    from gainlog.api import ledger_ops
    from gainlog.ledger.errors import InvalidEvent, LedgerNotFound, UsageError

    with pytest.raises(LedgerNotFound, match="no ledger at .*none.db: run `gainlog init` first"):
        ledger_ops.tag(tmp_path / "none.db", "t")
    db = ledger_ops.init_ledger(tmp_path / "l.db").db
    with pytest.raises(UsageError, match="already holds a ledger"):
        ledger_ops.init_ledger(db)
    with pytest.raises(InvalidEvent, match="^add: "):
        ledger_ops.add_event(db, {**BUY_ONE, "qty": "-1"})
    with pytest.raises(UsageError, match="^--wallet applies to a converted export"):
        ledger_ops.import_file(db, SAMPLE, wallet="w")
    broken = ledger_ops.verify(db, head="1:" + "0" * 64)
    assert broken.ok is False and broken.to_json()["problem"] == broken.outcome.problem is not None


def test_a_write_opens_the_ledger_as_writing_says(tmp_path: Path) -> None:
    from gainlog.api import ledger_ops

    db = ledger_ops.init_ledger(tmp_path / "l.db").db
    opened: list[Any] = []
    writing = ledger_ops.Writing(wait=2.5, on_open=opened.append)
    ledger_ops.add_event(db, BUY_ONE, writing=writing)
    assert [(store.wait, store.written) for store in opened] == [(2.5, 1)]


def test_the_write_api_runs_without_the_cli(tmp_path: Path) -> None:
    """In a fresh process, init, import and add without importing cli, typer, click or rich."""
    import subprocess
    import sys

    db = tmp_path / "l.db"
    code = (
        "from pathlib import Path; from gainlog.api import ledger_ops; import sys; "
        f"db = Path({str(db)!r}); ledger_ops.init_ledger(db); "
        f"print(ledger_ops.import_file(db, Path({str(SAMPLE)!r})).to_json()['added'], "
        f"ledger_ops.add_event(db, {BUY_ONE!r}).to_json()['seq']); "
        "names = {m.removeprefix('gainlog.').split('.')[0] for m in sys.modules}; "
        "print(sorted(names & {'cli', 'typer', 'click', 'rich'}))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout == "51 52\n[]\n"
