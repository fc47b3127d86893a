#!/usr/bin/env python3
"""The gainlog benchmark (issue #7): import, full replay, the report after one more event, memory.

    python bench/run.py [--sizes 10000,100000,1000000] [--repeat 3] [--one-asset 20000] [--rp2-us PATH]
    python bench/run.py --vs-rp2 [--one-asset 20000] [--repeat 3] [--rp2-us PATH]

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
    report html --year LAST --out FILE; report html --year LAST-1 --out FILE;
    report donations --year LAST --json    the other `report` commands after the appends
    lots --year-end LAST-1 --json          "lots"
    explain --year LAST-1 --json           "explain": the trail of every 8949 row of the year
    explain --year LAST-1 --row 1 --json   "explain (one row)": the trail of the first row only
    diff --year LAST-1 --from bench-base --json
                                           "diff": the year at the tag made right after the import,
                                           and at the head (two replays)

A step's peak memory is the sum of the proportional set size over its process and every process
under it (a sharded `report all`'s workers), sampled from /proc (`TreePeak`), or the process's own
ru_maxrss from `os.wait4` when that is larger. Figures are medians over the repeats. The one-asset
case (issues #7, #19: 20k trades of one asset, FIFO) times `init` + `import` + `report all` end to
end, and RP2 (`rp2_us`, installed apart: bench/rp2_feed.py) on the same ledger in the same run, each
repeat one after the other, the ratio of the medians against the target of 50×; without RP2 the
comparison is skipped with a message.
`--vs-rp2` runs that comparison alone (and prints it; `--results FILE` also writes it).
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

import rp2_feed as rp2  # noqa: E402  (bench/rp2_feed.py, next to this file)
from gainlog.api.parallel import usable_cores  # noqa: E402
from gainlog.fixtures.generate import generate, write  # noqa: E402

RP2_RATIO = 50  # gainlog at least this many times faster than RP2 on the one-asset case (issues #7, #19)
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
# in their own table; the main table's peak MB is over REPORT_STEPS
AUDIT_STEPS = ("lots", "explain", "explain_row", "diff")
OTHER_REPORT_STEPS = ("html_after_append", "html_earlier_after_append", "donations_after_append")  # their own table
APPEND_AT = "2026-06-30T23:59:59Z"  # after every generated event: a new trade, today


@dataclass
class Run:
    """One child process: wall seconds, peak memory, and whether it worked; `cpu`: its user + system
    seconds (steadier than wall time on a shared machine)."""

    seconds: float
    peak_mb: float
    ok: bool
    error: str = ""
    cpu: float = 0.0


@dataclass
class Step:
    """The repeats of one step."""

    name: str
    runs: list[Run] = field(default_factory=list)
    same: list[bool] = field(default_factory=list)  # `report_all_one`: the same files as the default run

    @property
    def ok(self) -> bool:
        return bool(self.runs) and all(r.ok for r in self.runs)

    def median(self) -> float | None:
        return statistics.median(r.seconds for r in self.runs) if self.ok else None

    def peak(self) -> float | None:
        return max(r.peak_mb for r in self.runs) if self.runs else None

    def error(self) -> str:
        return next((r.error for r in self.runs if not r.ok), "")

    def cpu(self) -> float | None:
        return statistics.median(r.cpu for r in self.runs) if self.ok else None


def gainlog_command() -> list[str]:
    """The installed console script next to this interpreter (else the one on PATH)."""
    script = Path(sys.executable).parent / "gainlog"
    if script.exists():
        return [str(script)]
    found = shutil.which("gainlog")
    if found:
        return [found]
    return [sys.executable, "-c", "from gainlog.cli.main import run; run()"]


def child_env() -> dict[str, str]:
    """The children's environment: ours, but Python may cache bytecode (`compiled` made it), as an
    installed gainlog runs; with PYTHONDONTWRITEBYTECODE and no cache every step would compile its
    modules again (tens of ms per process, not gainlog's own cost)."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def compiled() -> None:
    """Byte-compile gainlog's sources once (into their __pycache__), before anything is timed."""
    import compileall

    for package in ("ledger", "projections", "api", "cli", "fixtures"):
        compileall.compile_dir(ROOT / package, quiet=1)
    compileall.compile_file(ROOT / "__init__.py", quiet=1)


def run_child(argv: Sequence[str], *, workdir: Path) -> Run:
    """Run one process; wall time and peak RSS: the larger of its own (os.wait4 gives that child's
    rusage) and the sum over it and the processes under it, sampled (`TreePeak`: a sharded `report
    all`'s workers are not its children to wait4, and they run at the same time as it)."""
    with open(workdir / "stdout", "wb") as out, open(workdir / "stderr", "wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=err, cwd=workdir, env=child_env())
        with TreePeak(proc.pid) as tree:
            _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
    peak_mb = max(usage.ru_maxrss, tree.peak_kib) / 1024  # KiB on Linux
    cpu = usage.ru_utime + usage.ru_stime
    if proc.returncode == 0:
        return Run(seconds, peak_mb, ok=True, cpu=cpu)
    lines = (workdir / "stderr").read_text(encoding="utf-8", errors="replace").strip().splitlines()
    return Run(seconds, peak_mb, ok=False, error=(lines[-1] if lines else f"exit {proc.returncode}")[:160], cpu=cpu)


class TreePeak:
    """The largest sum of resident memory over a process and every process under it, sampled every
    `EVERY` seconds from /proc (`task/*/children` and `statm`) while the block runs; 0 where /proc
    has no children lists. Sampling misses a peak shorter than `EVERY`: the figure is a floor."""

    EVERY = 0.05

    def __init__(self, pid: int) -> None:
        import threading

        self.pid, self.peak_kib = pid, 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._page_kib = os.sysconf("SC_PAGE_SIZE") // 1024

    def __enter__(self) -> TreePeak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._done.wait(self.EVERY):
            self.peak_kib = max(self.peak_kib, self._tree_kib())

    def _tree_kib(self) -> int:
        total, todo = 0, [self.pid]
        while todo:
            pid = todo.pop()
            try:
                with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
                    total += int(next(line for line in f if line.startswith(b"Pss:")).split()[1])
                for task in os.scandir(f"/proc/{pid}/task"):
                    with open(f"{task.path}/children", "rb") as f:
                        todo += [int(child) for child in f.read().split()]
            except (OSError, ValueError):
                continue  # it ended between two reads
        return total


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
                                           "explain", "explain_row", "diff", "report_all_one",
                                           *OTHER_REPORT_STEPS)}
    same: list[bool] = []  # per repeat: `report all --jobs 1` wrote what the default run did, byte for byte
    for r in range(repeat):
        with tempfile.TemporaryDirectory(prefix="gainlog-bench-") as tmp:
            work = Path(tmp)
            db = ["--db", str(work / "bench.db")]
            steps["init"].runs.append(run_child([*gainlog, *db, "init"], workdir=work))
            steps["import"].runs.append(run_child([*gainlog, *db, "import", str(ledger)], workdir=work))
            run_child([*gainlog, *db, "tag", "bench-base"], workdir=work)
            report_all = [*gainlog, *db, "report", "all", "--out", str(work / "reports")]
            steps["report_all"].runs.append(run_child(report_all, workdir=work))
            one = [*gainlog, *db, "report", "all", "--out", str(work / "reports-one"), "--jobs", "1"]
            steps["report_all_one"].runs.append(run_child(one, workdir=work))
            same.append(tree_digest(work / "reports") == tree_digest(work / "reports-one"))
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
            for name, page_year in (("html_after_append", str(last_year)), ("html_earlier_after_append", year)):
                html = [*gainlog, *db, "report", "html", "--year", page_year, "--out", str(work / f"{page_year}.html")]
                steps[name].runs.append(run_child(html, workdir=work))
            donations = [*gainlog, *db, "report", "donations", "--year", str(last_year), "--json"]
            steps["donations_after_append"].runs.append(run_child(donations, workdir=work))
            steps["lots"].runs.append(run_child([*gainlog, *db, "lots", "--year-end", year, "--json"], workdir=work))
            steps["explain"].runs.append(run_child([*gainlog, *db, "explain", "--year", year, "--json"], workdir=work))
            one_row = [*gainlog, *db, "explain", "--year", year, "--row", "1", "--json"]
            steps["explain_row"].runs.append(run_child(one_row, workdir=work))
            diff = [*gainlog, *db, "diff", "--year", year, "--from", "bench-base", "--json"]
            steps["diff"].runs.append(run_child(diff, workdir=work))
        done = [f"{s.name} {s.runs[-1].seconds:.2f}s" + ("" if s.runs[-1].ok else " (failed)")
                for s in steps.values()]
        print(f"  repeat {r + 1}/{repeat}: " + ", ".join(done), file=sys.stderr)
    steps["report_all_one"].same = same
    return steps


def tree_digest(folder: Path) -> str:
    """SHA-256 over a folder's files (relative names and bytes, in name order); "" when there is none."""
    if not folder.is_dir():
        return ""
    h = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            h.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def _together(runs: list[Run]) -> Run:
    """Several processes run one after the other as one figure: their seconds added, the largest peak."""
    failed = next((r for r in runs if not r.ok), None)
    return Run(seconds=sum(r.seconds for r in runs), peak_mb=max(r.peak_mb for r in runs),
               ok=failed is None, error=failed.error if failed else "", cpu=sum(r.cpu for r in runs))


def bench_one_asset(gainlog: list[str], ledger: Path, repeat: int, rp2_us: str | None = None) -> tuple[Step, Step]:
    """init + import + report all, end to end, as one figure per repeat; and RP2's run on the same
    ledger right after each (no runs when `rp2_us` is None)."""
    step, rp2_step = Step("one_asset"), Step("rp2")
    for _ in range(repeat):
        with tempfile.TemporaryDirectory(prefix="gainlog-bench-") as tmp:
            work = Path(tmp)
            db = ["--db", str(work / "bench.db")]
            step.runs.append(_together([
                run_child([*gainlog, *db, "init"], workdir=work),
                run_child([*gainlog, *db, "import", str(ledger)], workdir=work),
                run_child([*gainlog, *db, "report", "all", "--out", str(work / "reports")], workdir=work),
            ]))
            if rp2_us is not None:
                # RP2 reads its own spreadsheet, written here untimed (in RP2's favour): `rp2_us` alone is
                # its import, computation and reports
                config, ods = rp2.write_input(ledger.read_bytes().splitlines(), work)
                rp2_step.runs.append(run_child(rp2.command(rp2_us, config, ods, work / "rp2-out"), workdir=work))
    return step, rp2_step


def one_asset_lines(size: int, step: Step, rp2_step: Step, rp2_us: str | None) -> list[str]:
    """The one-asset figures and the ratio to RP2's, timed in the same run (never a recorded figure)."""
    seconds = step.median()
    line = (f"One asset, FIFO, {size:,} trades: `init` + `import` + `report all` end to end: "
            f"**{_s(seconds)} s** (peak {_s(step.peak())} MB)")
    if rp2_us is None:
        return [f"{line}; RP2 not installed (`--rp2-us PATH` or `rp2_us` on PATH): no comparison."]
    theirs = rp2_step.median()
    if seconds is None or theirs is None:
        return [f"{line}; RP2 {_s(theirs)} s: no ratio (a step failed: `{step.error() or rp2_step.error()}`)."]
    ratio = theirs / seconds
    verdict = "✓" if ratio >= RP2_RATIO else f"✗, {RP2_RATIO / ratio:.1f}× short"
    ours_cpu, theirs_cpu = step.cpu(), rp2_step.cpu()
    cpu = (f" CPU time (user + system, steadier on a shared machine): gainlog {ours_cpu:.2f} s, RP2 "
           f"{theirs_cpu:.2f} s, {theirs_cpu / ours_cpu:.0f}×." if ours_cpu and theirs_cpu else "")
    return [
        f"{line}; RP2 (`rp2_us -m fifo`, {rp2_version(rp2_us)}) on the same ledger in the same run: "
        f"**{_s(theirs)} s** (peak {_s(rp2_step.peak())} MB): gainlog **{ratio:.0f}×** faster "
        f"({verdict}; target at least {RP2_RATIO}×). Each repeat ran gainlog, then RP2; medians of "
        f"{len(step.runs)}: gainlog {', '.join(f'{r.seconds:.2f}' for r in step.runs)} s, "
        f"RP2 {', '.join(f'{r.seconds:.2f}' for r in rp2_step.runs)} s.{cpu}",
    ]


def rp2_version(rp2_us: str) -> str:
    """RP2's version, from the interpreter next to its `rp2_us`."""
    python = Path(rp2_us).parent / "python"
    try:
        done = subprocess.run([str(python), "-c", "from importlib.metadata import version; print(version('rp2'))"],
                              capture_output=True, text=True, timeout=60)
        return f"RP2 {done.stdout.strip()}" if done.returncode == 0 and done.stdout.strip() else "RP2"
    except (OSError, subprocess.SubprocessError):
        return "RP2"


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
    usable = usable_cores()
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


def _seconds_and_peaks(results: dict[int, SizeResult], names: tuple[str, ...], title: str, head: str) -> list[str]:
    """A table of `names`' median seconds and peak MB (against the 1 GB target) for each size."""
    lines = ["", title, "", head, "|---:|" + "---:|---:|" * len(names)]
    for size, result in results.items():
        cells = [f"{_s(step.median())} | {_s(step.peak())}{_target(step.peak(), 'peak_mb', size)}"
                 for step in (result.steps[n] for n in names)]
        lines.append(f"| {size:,} | " + " | ".join(cells) + " |")
    return lines


def table(results: dict[int, SizeResult], one_asset: list[str] | None) -> list[str]:
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
    lines += _seconds_and_peaks(
        results, AUDIT_STEPS,
        "Audit commands after the appends (seconds, and peak MB against the same 1 GB target at 1M events):",
        "| events | lots s | lots MB | explain s | explain MB | explain one row s | explain one row MB "
        "| diff s | diff MB |",
    )
    lines += _seconds_and_peaks(
        results, OTHER_REPORT_STEPS,
        "The other `report` commands after the appends (seconds, and peak MB; served from the checkpoint "
        "`report all` left, issue #19):",
        "| events | html --year LAST s | MB | html --year LAST-1 s | MB | donations --year LAST s | MB |",
    )
    jobs = usable_cores()
    lines += [
        "",
        f"Parallel replay (issue #19): `report all --jobs 1` (one process) against the default `report all` (sharded "
        f"by asset on the {jobs} usable cores; one process below 200,000 events); the two folders compared by "
        "digest in every repeat (the default runs first and leaves the checkpoint):",
        "",
        f"| events | report all --jobs 1 s | report all (default, {jobs} jobs) s | speed-up | peak MB (1 / default) "
        "| same bytes |",
        "|---:|---:|---:|---:|---:|---|",
    ]
    for size, result in results.items():
        one, default = result.steps["report_all_one"], result.steps["report_all"]
        a, b = one.median(), default.median()
        speedup = f"{a / b:.2f}×" if a and b else "n/a"
        same = "n/a" if not one.same else ("yes" if all(one.same) else "NO")
        lines.append(f"| {size:,} | {_s(a)} | {_s(b)} | {speedup} | {_s(one.peak())} / {_s(default.peak())} "
                     f"| {same} |")
    if one_asset:
        lines += ["", *one_asset]
    if notes:
        lines += ["", "Steps that failed (recorded as n/a):", *notes]
    return lines


KEPT = "\n## Measured by hand"  # a section of results.md from here on is kept when the table is rewritten


def kept_notes(results: Path) -> str:
    """The hand-measured section at the end of the results file (`KEPT` on), if there is one."""
    try:
        text = results.read_text(encoding="utf-8")
    except OSError:
        return ""
    at = text.find(KEPT)
    return text[at:] if at >= 0 else ""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The gainlog benchmark (issue #7).")
    parser.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated event counts")
    parser.add_argument("--repeat", type=int, default=3, help="runs per step; the median is reported")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--one-asset", type=int, default=20_000, help="trades in the RP2 case (0: skip)")
    parser.add_argument("--out-dir", type=Path, default=HERE / "out", help="the cache of generated ledgers")
    parser.add_argument("--results", type=Path, default=None, help="where to write the results "
                        "(default bench/results.md; with --vs-rp2 only printed unless given)")
    parser.add_argument("--rp2-us", default=None, help="RP2's `rp2_us` (default: the one on PATH, if any)")
    parser.add_argument("--vs-rp2", action="store_true",
                        help="only the one-asset case, gainlog and RP2 side by side")
    parser.add_argument("--startup", action="store_true",
                        help="only start-up: each command's CPU time and modules on a 100-event ledger")
    args = parser.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    gainlog = gainlog_command()
    compiled()
    rp2_us = rp2.rp2_command(args.rp2_us)
    if args.rp2_us and rp2_us is None:
        print(f"--rp2-us {args.rp2_us}: not found; RP2 is skipped", file=sys.stderr)
    if args.vs_rp2:
        return vs_rp2(gainlog, args, rp2_us, argv)
    if args.startup:
        return startup(gainlog, args, argv)
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
        one_asset = one_asset_lines(args.one_asset, *bench_one_asset(gainlog, ledger, args.repeat, rp2_us), rp2_us)
    command = "python bench/run.py " + " ".join(argv if argv is not None else sys.argv[1:])
    report = [
        "# gainlog benchmark results",
        "",
        f"Command: `{command.strip()}` (medians of {args.repeat} run(s); each step a separate `gainlog` "
        "process; peak MB = the largest peak memory of any step, summed over its process tree (PSS: a sharded "
        "`report all`'s workers too), the audit commands apart in their own table).",
        "",
        *machine(),
        "",
        *table(results, one_asset),
        "",
        "Targets (issue #7, 1M events): import ≤ 20 s; full replay with all years' reports ≤ 6 s; "
        "schedule-d after appending one event ≤ 0.3 s; peak memory ≤ 1 GB; one asset 20k FIFO ≥ 50× RP2 "
        "(timed in the same run). "
        "Issue #19: `report all` after one appended event ≤ 1 s, `report 8949 --year 2026` after it ≤ 0.5 s. "
        "A full `report all` of 50,000 events or more leaves a checkpoint, sharded or not (issue #19), so the "
        "`checkpoint` step after it finds one at the head and keeps it.",
        "",
        "Steps per repeat, in a fresh database: `gainlog --db DB init`; `import LEDGER`; "
        "`report all --out DIR` (the default `--jobs`: the usable cores); `report all --out DIR1 --jobs 1`; "
        "`checkpoint`; "
        "`import ONE-LINE --source bench-append`; `report all --out DIR`; "
        "`import ONE-LINE --source bench-append`; `report schedule-d --year 2026 --json`; "
        "`report 8949 --year 2026 --json`; `report html --year 2026 --out F`; `report html --year 2025 --out F`; "
        "`report donations --year 2026 --json`; "
        "`lots --year-end 2025 --json`; `explain --year 2025 --json`; `explain --year 2025 --row 1 --json`; "
        "`diff --year 2025 --from bench-base --json` (`tag bench-base` right after the import).",
    ]
    results = args.results or HERE / "results.md"
    text = "\n".join(report) + "\n" + kept_notes(results)
    print(text)
    results.write_text(text, encoding="utf-8")
    print(f"wrote {results}", file=sys.stderr)
    return 0


STARTUP_PROBE = (
    "import sys; from gainlog.cli.main import main\n"
    "code = main(sys.argv[1:])\n"
    "print(len(sys.modules), sum(m.startswith('gainlog.') for m in sys.modules), file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def startup(gainlog: list[str], args: argparse.Namespace, argv: Sequence[str] | None) -> int:
    """`--startup`: each command's CPU time (user + system, median of the repeats) and how many modules
    it loads, on a 100-event ledger: what the process costs before and around the command's work."""
    repeat = args.repeat
    with tempfile.TemporaryDirectory(prefix="gainlog-bench-") as tmp:
        work = Path(tmp)
        ledger = work / "l.jsonl"
        write(ledger, generate(100, args.seed))
        db = ["--db", str(work / "l.db")]
        run_child([*gainlog, *db, "init"], workdir=work)
        run_child([*gainlog, *db, "import", str(ledger)], workdir=work)
        probe = [sys.executable, "-c", STARTUP_PROBE]
        commands = {
            "`python -c pass`": [sys.executable, "-c", "pass"],
            "`--help`": [*probe, "--help"],
            "`init`": [*probe, "--db", str(work / "new.db"), "init"],
            "`import` (one line)": [*probe, *db, "import", str(append_file(work, 1)), "--source", "one"],
            "`report schedule-d --json`": [*probe, *db, "report", "schedule-d", "--year", "2024", "--json"],
            "`report schedule-d`": [*probe, *db, "report", "schedule-d", "--year", "2024"],
            "`report all`": [*probe, *db, "report", "all", "--out", str(work / "out")],
        }
        lines = ["| command | CPU ms (median) | wall ms (median) | modules (gainlog's) |", "|---|---:|---:|---:|"]
        for name, command in commands.items():
            runs = []
            for _ in range(repeat):
                (work / "new.db").unlink(missing_ok=True)
                runs.append(run_child(command, workdir=work))
            modules = (work / "stderr").read_text().strip().splitlines()[-1:] if name != "`python -c pass`" else []
            count = modules[0].replace(" ", " (") + ")" if modules else ""
            cpu = statistics.median(r.cpu for r in runs) * 1000
            wall = statistics.median(r.seconds for r in runs) * 1000
            failed = next((r.error for r in runs if not r.ok), "")
            lines.append(f"| {name} | {cpu:.0f} | {wall:.0f} | {count} |" + (f" failed: `{failed}`" if failed else ""))
    command = "python bench/run.py " + " ".join(argv if argv is not None else sys.argv[1:])
    text = "\n".join([f"Command: `{command.strip()}` (each command a new process, {repeat} runs, bytecode "
                      "cached; `import` appends one line, so every run after the first finds it a duplicate)",
                      "", *machine(), "", *lines]) + "\n"
    print(text)
    if args.results:
        args.results.write_text(text, encoding="utf-8")
        print(f"wrote {args.results}", file=sys.stderr)
    return 0


def vs_rp2(gainlog: list[str], args: argparse.Namespace, rp2_us: str | None, argv: Sequence[str] | None) -> int:
    """`--vs-rp2`: the one-asset case alone, gainlog and RP2 on the same ledger in the same run."""
    size = args.one_asset or 20_000
    print(f"one asset, {size:,} trades" + ("" if rp2_us else " (RP2 not installed: gainlog alone)"),
          file=sys.stderr)
    ledger = ledger_file(size, args.seed, one_asset=True, out_dir=args.out_dir)
    lines = one_asset_lines(size, *bench_one_asset(gainlog, ledger, args.repeat, rp2_us), rp2_us)
    command = "python bench/run.py " + " ".join(argv if argv is not None else sys.argv[1:])
    text = "\n".join([f"Command: `{command.strip()}`", "", *machine(), "", *lines]) + "\n"
    print(text)
    if args.results:
        args.results.write_text(text, encoding="utf-8")
        print(f"wrote {args.results}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
