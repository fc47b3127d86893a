#!/usr/bin/env python3
"""The gainlog benchmark (issue #7): import, full replay, the report after one more event, memory.

    python bench/run.py [--sizes 10000,100000,1000000] [--repeat 3] [--one-asset 20000]

For each size a synthetic ledger is generated once (`fixtures.generate`, cached under bench/out/)
and then, `--repeat` times, in a fresh database, each step as its own `gainlog` process (the
console script next to this Python), exactly as a user would run it:

    init                                   (not timed separately)
    import FILE                            "import"
    report all --out DIR                   "full replay": every year's 8949, Schedule D, income
    checkpoint                             "checkpoint": save the lot engine's state at the head
    import ONE-LINE-FILE; report all       "report all after +1 event" (from the checkpoint)
    import ONE-LINE-FILE; report schedule-d --year LAST --json
                                           "schedule-d after +1 event"
    report 8949 --year LAST --json         "8949 after +1 event" (the same append; from the
                                           checkpoint `report all` left, issue #19)
    lots --year-end LAST-1 --json          "lots"
    explain --year LAST-1 --json           "explain": the trail of every 8949 row of the year
    diff --year LAST-1 --from bench-base --json
                                           "diff": the year at the tag made right after the import,
                                           and at the head (two replays)

Each child's peak resident memory comes from `os.wait4` (the kernel's ru_maxrss for exactly that
process). Figures are medians over the repeats. The one-asset case (issue #7: 20k trades of one
asset, FIFO, against RP2 1.7.2's 43.8 s) times `init` + `import` + `report all` end to end.
The audit commands print JSON (a table of every open lot would time rich, not the replay).
A step that fails (e.g. a command not written yet) is recorded as "n/a" with its first error line;
the run goes on. The table is printed and written to bench/results.md with the machine's
description.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from gainlog.fixtures.generate import generate, write  # noqa: E402

RP2_SECONDS = 43.8  # RP2 1.7.2 on the 20k one-asset FIFO case (issue #7)
RP2_TRADES = 20_000
TARGETS = {  # issue #7, for the 1M-event ledger
    "import": 20.0,
    "report_all": 6.0,
    "schedule_d_after_append": 0.3,
    "peak_mb": 1024.0,
    "report_all_after_append": 1.0,  # issue #19
    "form8949_after_append": 0.5,  # issue #19
}
REPORT_STEPS = ("import", "report_all", "checkpoint", "report_all_after_append", "schedule_d_after_append",
                "form8949_after_append", "init")
AUDIT_STEPS = ("lots", "explain", "diff")  # in their own table; the main table's peak MB is over REPORT_STEPS
APPEND_AT = "2026-06-30T23:59:59Z"  # after every generated event: a new trade, today


@dataclass
class Run:
    """One child process: wall seconds, peak memory, and whether it worked."""

    seconds: float
    peak_mb: float
    ok: bool
    error: str = ""


@dataclass
class Step:
    """The repeats of one step."""

    name: str
    runs: list[Run] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.runs) and all(r.ok for r in self.runs)

    def median(self) -> float | None:
        return statistics.median(r.seconds for r in self.runs) if self.ok else None

    def peak(self) -> float | None:
        return max(r.peak_mb for r in self.runs) if self.runs else None

    def error(self) -> str:
        return next((r.error for r in self.runs if not r.ok), "")


def gainlog_command() -> list[str]:
    """The installed console script next to this interpreter (else the one on PATH)."""
    script = Path(sys.executable).parent / "gainlog"
    if script.exists():
        return [str(script)]
    found = shutil.which("gainlog")
    if found:
        return [found]
    return [sys.executable, "-c", "from gainlog.cli.main import run; run()"]


def run_child(argv: Sequence[str], *, workdir: Path) -> Run:
    """Run one process; wall time and its own peak RSS (os.wait4 gives that child's rusage)."""
    with open(workdir / "stdout", "wb") as out, open(workdir / "stderr", "wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=err, cwd=workdir)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
    peak_mb = usage.ru_maxrss / 1024  # KiB on Linux
    if proc.returncode == 0:
        return Run(seconds, peak_mb, ok=True)
    lines = (workdir / "stderr").read_text(encoding="utf-8", errors="replace").strip().splitlines()
    return Run(seconds, peak_mb, ok=False, error=(lines[-1] if lines else f"exit {proc.returncode}")[:160])


def ledger_file(size: int, seed: int, *, one_asset: bool, out_dir: Path) -> Path:
    """The generated ledger, cached by size, seed and the generator's own source."""
    digest = hashlib.sha256((ROOT / "fixtures" / "generate.py").read_bytes()).hexdigest()[:10]
    kind = "one-asset" if one_asset else "ledger"
    path = out_dir / f"{kind}-{size}-s{seed}-{digest}.jsonl"
    if not path.exists():
        out_dir.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        tmp = path.with_suffix(".tmp")
        write(tmp, generate(size, seed, one_asset=one_asset))
        tmp.replace(path)
        print(f"  generated {path.name} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return path


def append_file(workdir: Path, n: int) -> Path:
    """A one-line file: one more buy, after every generated event."""
    path = workdir / f"append-{n}.jsonl"
    path.write_text(
        f'{{"type":"buy","id":"bench-append-{n}","at":"{APPEND_AT}","wallet":"coinbase","asset":"C00",'
        '"qty":"0.01","price":"100"}\n',
        encoding="utf-8",
    )
    return path


def bench_size(gainlog: list[str], ledger: Path, repeat: int, last_year: int) -> dict[str, Step]:
    """The steps for one ledger, each repeated in a fresh database."""
    steps = {name: Step(name) for name in ("import", "report_all", "checkpoint", "report_all_after_append",
                                           "schedule_d_after_append", "form8949_after_append", "init", "lots",
                                           "explain", "diff")}
    for r in range(repeat):
        with tempfile.TemporaryDirectory(prefix="gainlog-bench-") as tmp:
            work = Path(tmp)
            db = ["--db", str(work / "bench.db")]
            steps["init"].runs.append(run_child([*gainlog, *db, "init"], workdir=work))
            steps["import"].runs.append(run_child([*gainlog, *db, "import", str(ledger)], workdir=work))
            run_child([*gainlog, *db, "tag", "bench-base"], workdir=work)
            report_all = [*gainlog, *db, "report", "all", "--out", str(work / "reports")]
            steps["report_all"].runs.append(run_child(report_all, workdir=work))
            steps["checkpoint"].runs.append(run_child([*gainlog, *db, "checkpoint"], workdir=work))
            run_child([*gainlog, *db, "import", str(append_file(work, 1)), "--source", "bench-append"],
                      workdir=work)
            steps["report_all_after_append"].runs.append(run_child(report_all, workdir=work))
            run_child([*gainlog, *db, "import", str(append_file(work, 2)), "--source", "bench-append"],
                      workdir=work)
            schedule_d = [*gainlog, *db, "report", "schedule-d", "--year", str(last_year), "--json"]
            steps["schedule_d_after_append"].runs.append(run_child(schedule_d, workdir=work))
            form8949 = [*gainlog, *db, "report", "8949", "--year", str(last_year), "--json"]
            steps["form8949_after_append"].runs.append(run_child(form8949, workdir=work))
            year = str(last_year - 1)
            steps["lots"].runs.append(run_child([*gainlog, *db, "lots", "--year-end", year, "--json"], workdir=work))
            steps["explain"].runs.append(run_child([*gainlog, *db, "explain", "--year", year, "--json"], workdir=work))
            diff = [*gainlog, *db, "diff", "--year", year, "--from", "bench-base", "--json"]
            steps["diff"].runs.append(run_child(diff, workdir=work))
        done = [f"{s.name} {s.runs[-1].seconds:.2f}s" + ("" if s.runs[-1].ok else " (failed)")
                for s in steps.values()]
        print(f"  repeat {r + 1}/{repeat}: " + ", ".join(done), file=sys.stderr)
    return steps


def bench_one_asset(gainlog: list[str], ledger: Path, repeat: int) -> Step:
    """init + import + report all, end to end, as one figure per repeat."""
    step = Step("one_asset")
    for _ in range(repeat):
        with tempfile.TemporaryDirectory(prefix="gainlog-bench-") as tmp:
            work = Path(tmp)
            db = ["--db", str(work / "bench.db")]
            runs = [
                run_child([*gainlog, *db, "init"], workdir=work),
                run_child([*gainlog, *db, "import", str(ledger)], workdir=work),
                run_child([*gainlog, *db, "report", "all", "--out", str(work / "reports")], workdir=work),
            ]
            failed = next((r for r in runs if not r.ok), None)
            step.runs.append(Run(
                seconds=sum(r.seconds for r in runs), peak_mb=max(r.peak_mb for r in runs),
                ok=failed is None, error=failed.error if failed else "",
            ))
    return step


def machine() -> list[str]:
    """What the figures were measured on."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return [
        f"- Platform: {platform.platform()}",
        f"- CPU: {cpu}; {os.cpu_count()} logical cores ({usable} usable by this process)",
        f"- Memory: {memory}",
        f"- Python: {platform.python_version()} ({platform.python_implementation()})",
        f"- Date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- gainlog commit: {_commit()}",
    ]


def _commit() -> str:
    try:
        done = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, timeout=10)
        return done.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _s(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _target(value: float | None, key: str, size: int) -> str:
    """A check mark against the issue's target (only the 1M-event figures have one)."""
    if size != 1_000_000 or value is None:
        return ""
    return " ✓" if value <= TARGETS[key] else " ✗"


@dataclass
class SizeResult:
    """One ledger size: its file and its steps."""

    file_mb: float
    steps: dict[str, Step]


def table(results: dict[int, SizeResult], one_asset: tuple[int, Step] | None) -> list[str]:
    """The results as a markdown table, plus the failures."""
    lines = [
        "| events | file MB | import s | report all s (full replay) | checkpoint s | report all s after +1 event "
        "| schedule-d s after +1 event | 8949 --year LAST s after +1 event | peak MB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    notes: list[str] = []
    for size, result in results.items():
        steps = result.steps
        peak = max((p for n in REPORT_STEPS if (p := steps[n].peak()) is not None), default=None)
        imp, full = steps["import"].median(), steps["report_all"].median()
        again, one = steps["report_all_after_append"].median(), steps["schedule_d_after_append"].median()
        saved, rows = steps["checkpoint"].median(), steps["form8949_after_append"].median()
        lines.append(
            f"| {size:,} | {result.file_mb:.1f} | {_s(imp)}{_target(imp, 'import', size)} "
            f"| {_s(full)}{_target(full, 'report_all', size)} | {_s(saved)} "
            f"| {_s(again)}{_target(again, 'report_all_after_append', size)} "
            f"| {_s(one)}{_target(one, 'schedule_d_after_append', size)} "
            f"| {_s(rows)}{_target(rows, 'form8949_after_append', size)} "
            f"| {_s(peak)}{_target(peak, 'peak_mb', size)} |"
        )
        notes += [f"- {size:,} events, {s.name}: failed: `{s.error()}`" for s in steps.values() if not s.ok]
    lines += [
        "",
        "Peak memory per step (MB, the largest over the repeats):",
        "",
        "| events | import | report all | checkpoint | report all after +1 | schedule-d after +1 | 8949 after +1 |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for size, result in results.items():
        peaks = [_s(result.steps[name].peak()) + _target(result.steps[name].peak(), "peak_mb", size)
                 for name in ("import", "report_all", "checkpoint", "report_all_after_append",
                              "schedule_d_after_append", "form8949_after_append")]
        lines.append(f"| {size:,} | " + " | ".join(peaks) + " |")
    lines += [
        "",
        "Audit commands after the appends (seconds, and peak MB against the same 1 GB target at 1M events):",
        "",
        "| events | lots s | lots MB | explain s | explain MB | diff s | diff MB |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for size, result in results.items():
        cells = [f"{_s(step.median())} | {_s(step.peak())}{_target(step.peak(), 'peak_mb', size)}"
                 for step in (result.steps[n] for n in AUDIT_STEPS)]
        lines.append(f"| {size:,} | " + " | ".join(cells) + " |")
    if one_asset:
        size, step = one_asset
        seconds = step.median()
        if seconds is None:
            speedup, verdict = "n/a", ""
        elif size == RP2_TRADES:
            speedup = f"{RP2_SECONDS / seconds:.0f}× faster than RP2 ({RP2_SECONDS} s)"
            verdict = " ✓" if RP2_SECONDS / seconds >= 50 else " ✗"
        else:
            speedup, verdict = f"no RP2 comparison (RP2's {RP2_SECONDS} s is for {RP2_TRADES:,} trades)", ""
        lines += [
            "",
            f"One asset, FIFO, {size:,} trades: `init` + `import` + `report all` end to end: "
            f"**{_s(seconds)} s** (peak {_s(step.peak())} MB): {speedup}{verdict} (target: at least 50×, "
            f"i.e. ≤ {RP2_SECONDS / 50:.3f} s).",
        ]
        if not step.ok:
            notes.append(f"- one-asset case: failed: `{step.error()}`")
    if notes:
        lines += ["", "Steps that failed (recorded as n/a):", *notes]
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The gainlog benchmark (issue #7).")
    parser.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated event counts")
    parser.add_argument("--repeat", type=int, default=3, help="runs per step; the median is reported")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--one-asset", type=int, default=20_000, help="trades in the RP2 case (0: skip)")
    parser.add_argument("--out-dir", type=Path, default=HERE / "out", help="the cache of generated ledgers")
    parser.add_argument("--results", type=Path, default=HERE / "results.md")
    args = parser.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    gainlog = gainlog_command()
    results: dict[int, SizeResult] = {}
    for size in sizes:
        print(f"{size:,} events", file=sys.stderr)
        ledger = ledger_file(size, args.seed, one_asset=False, out_dir=args.out_dir)
        steps = bench_size(gainlog, ledger, args.repeat, last_year=2026)
        results[size] = SizeResult(ledger.stat().st_size / 1e6, steps)
    one_asset = None
    if args.one_asset:
        print(f"one asset, {args.one_asset:,} trades", file=sys.stderr)
        ledger = ledger_file(args.one_asset, args.seed, one_asset=True, out_dir=args.out_dir)
        one_asset = (args.one_asset, bench_one_asset(gainlog, ledger, args.repeat))
    command = "python bench/run.py " + " ".join(argv if argv is not None else sys.argv[1:])
    report = [
        "# gainlog benchmark results",
        "",
        f"Command: `{command.strip()}` (medians of {args.repeat} run(s); each step a separate `gainlog` "
        "process; peak MB = the largest peak resident memory of any step's process, the audit commands "
        "apart in their own table).",
        "",
        *machine(),
        "",
        *table(results, one_asset),
        "",
        "Targets (issue #7, 1M events): import ≤ 20 s; full replay with all years' reports ≤ 6 s; "
        "schedule-d after appending one event ≤ 0.3 s; peak memory ≤ 1 GB; one asset 20k FIFO ≥ 50× RP2. "
        "Issue #19: `report all` after one appended event ≤ 1 s, `report 8949 --year 2026` after it ≤ 0.5 s. "
        "A full `report all` of 50,000 events or more leaves a checkpoint (issue #19), so the `checkpoint` "
        "step after it finds one at the head and keeps it.",
        "",
        "Steps per repeat, in a fresh database: `gainlog --db DB init`; `import LEDGER`; "
        "`report all --out DIR`; `checkpoint`; `import ONE-LINE --source bench-append`; `report all --out DIR`; "
        "`import ONE-LINE --source bench-append`; `report schedule-d --year 2026 --json`; "
        "`report 8949 --year 2026 --json`; "
        "`lots --year-end 2025 --json`; `explain --year 2025 --json`; "
        "`diff --year 2025 --from bench-base --json` (`tag bench-base` right after the import).",
    ]
    text = "\n".join(report) + "\n"
    print(text)
    args.results.write_text(text, encoding="utf-8")
    print(f"wrote {args.results}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
