"""Golden files: the exact human (non-JSON) output of every reporting command on the sample ledger.

The ledger is fixtures/sample/events.jsonl imported into `init --timezone America/New_York`, tagged
`filed-2024`, then corrected: a `--replace` import of the same source in which `btc-sell-2024-03`
sold at 70500 instead of 71000 (a retraction and the new sell, seqs 52-53), so that `diff` has
something to show. Every command runs in-process (stdout is not a terminal, so tables are as wide
as their content and never wrapped) under freezegun's `freeze_time`: the import is recorded at
2026-01-15 12:00 UTC and the correction at 2026-01-20 12:00 UTC, so the recording times `log`
shows are the same on every run. `report all` writes to a relative `--out reports` from inside a
temporary directory, so its summary names no per-run path.

Each case compares stdout with tests/golden/NAME.txt byte for byte. After a deliberate change of
output, regenerate the files and review the diff:

    GAINLOG_UPDATE_GOLDEN=1 .venv/bin/python -m pytest -q tests/test_golden.py
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import chdir
from pathlib import Path

import pytest
from freezegun import freeze_time

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "fixtures" / "sample" / "events.jsonl"
GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("GAINLOG_UPDATE_GOLDEN") == "1"
IMPORTED_AT = "2026-01-15T12:00:00Z"
CORRECTED_AT = "2026-01-20T12:00:00Z"
RUN_AT = "2026-02-01T12:00:00Z"  # when the reports run (nothing shown depends on it)

YEARS = (2022, 2023, 2024, 2025)
CASES: dict[str, tuple[str, ...]] = {
    "log": ("log",),
    "log-all": ("log", "--all"),
    "lots-year-end-2024": ("lots", "--year-end", "2024"),
    **{f"report-8949-{y}": ("report", "8949", "--year", str(y)) for y in YEARS},
    **{f"report-schedule-d-{y}": ("report", "schedule-d", "--year", str(y)) for y in YEARS},
    **{f"report-income-{y}": ("report", "income", "--year", str(y)) for y in YEARS},
    "explain-2024": ("explain", "--year", "2024"),
    "explain-2022-row-5": ("explain", "--year", "2022", "--row", "5"),
    "diff-2024-from-filed-2024": ("diff", "--year", "2024", "--from", "filed-2024"),
    "report-all": ("report", "all", "--out", "reports"),
}


def _run(capsys: pytest.CaptureFixture[str], db: Path, *args: str) -> str:
    from gainlog.cli.main import main

    capsys.readouterr()
    code = main(["--db", str(db), *args])
    out, err = capsys.readouterr()
    assert code == 0, f"gainlog {' '.join(args)}: exit {code}: {err}"
    return out


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample ledger, tagged and corrected as the module docstring says (built once)."""
    from gainlog.cli.main import main

    folder = tmp_path_factory.mktemp("golden")
    db = folder / "sample.db"
    corrected = folder / "corrected" / SAMPLE.name  # the same source name: --replace corrects it
    corrected.parent.mkdir()
    text = SAMPLE.read_text(encoding="utf-8")
    old = '"id":"btc-sell-2024-03","at":"2024-03-11T13:00:00Z","wallet":"kraken","asset":"BTC","qty":"0.25",' \
        '"price":"71000"'
    assert text.count(old) == 1
    corrected.write_text(text.replace(old, old.replace('"71000"', '"70500"')), encoding="utf-8")
    # Every step runs once unfrozen first: msgspec resolves a struct's `date` annotations on first
    # use, and under freeze_time the module global `date` is freezegun's FakeDate, which no decoded
    # value matches (and which would stay cached for the rest of the session).
    warm = folder / "warm.db"
    assert main(["--db", str(warm), "init", "--timezone", "America/New_York"]) == 0
    assert main(["--db", str(warm), "import", str(SAMPLE)]) == 0
    assert main(["--db", str(warm), "tag", "filed-2024"]) == 0
    assert main(["--db", str(warm), "import", "--replace", str(corrected)]) == 0
    for args in CASES.values():
        args = tuple(str(folder / "warm-reports") if a == "reports" else a for a in args)
        assert main(["--db", str(warm), *args]) == 0
    with freeze_time(IMPORTED_AT):
        assert main(["--db", str(db), "init", "--timezone", "America/New_York"]) == 0
        assert main(["--db", str(db), "import", str(SAMPLE)]) == 0
        assert main(["--db", str(db), "tag", "filed-2024"]) == 0
    with freeze_time(CORRECTED_AT), chdir(folder):  # relative: the retraction's note names the file
        assert main(["--db", str(db), "import", "--replace", str(corrected.relative_to(folder))]) == 0
    return db


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.chdir(tmp_path)
    yield tmp_path


@pytest.mark.parametrize("name", CASES)
def test_human_output_matches_its_golden_file(
    name: str, sample_db: Path, in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with freeze_time(RUN_AT):
        out = _run(capsys, sample_db, *CASES[name])
    golden = GOLDEN / f"{name}.txt"
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        golden.write_text(out, encoding="utf-8")
    assert golden.exists(), f"{golden.name} missing: run with GAINLOG_UPDATE_GOLDEN=1 to write it"
    assert out == golden.read_text(encoding="utf-8"), f"gainlog {' '.join(CASES[name])} differs from {golden.name}"


def test_every_golden_file_has_a_case() -> None:
    """No stale file left behind by a renamed case."""
    assert sorted(p.stem for p in GOLDEN.glob("*.txt")) == sorted(CASES)


def test_report_all_wrote_its_files(sample_db: Path, in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The summary's `--out reports` is the folder written (relative to the working directory)."""
    with freeze_time(RUN_AT):
        _run(capsys, sample_db, "report", "all", "--out", "reports")
    assert (in_tmp / "reports").is_dir() and any((in_tmp / "reports").iterdir())
