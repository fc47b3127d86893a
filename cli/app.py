"""The typer application, the options every command shares, and output helpers (STYLE.md 18).

Command modules register on `app` (and `report_app`) and import heavy modules inside their
functions, so that `gainlog --help` and small commands start fast.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import islice
from pathlib import Path
from typing import Annotated, Any

import typer

from ..ledger.limits import MAX_YEAR, MIN_YEAR, year_problem

app = typer.Typer(
    name="gainlog",
    help="An event-sourced capital-gains ledger for US taxpayers who hold crypto and stocks.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},  # inherited by every subcommand
)
report_app = typer.Typer(help="Tax reports: Form 8949, Schedule D, income.", no_args_is_help=True)
add_app = typer.Typer(
    help="Append one event from options (same fields as an imported line).", no_args_is_help=True
)
app.add_typer(report_app, name="report")
app.add_typer(add_app, name="add")


class State:
    """Global options, set by the callback before any command runs."""

    db: Path = Path("gainlog.db")
    strict: bool = False
    drift_checked: bool = False  # the "changed since the last verify" check ran (cli.usecases.load)
    wait: float = 30.0  # = ledger.transaction.DEFAULT_WAIT (not imported here: start-up time)
    writers: list[Any] = []  # the stores the writes opened (`cli.cmd_ledger.writing`): what a Ctrl-C interrupted


MAX_WAIT = 86_400.0  # --wait: one day at most


def version_text() -> str:
    """`gainlog 0.1.0`: the installed package's version."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"gainlog {version('gainlog')}"
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "gainlog (version unknown: not installed)"


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(version_text() + "\n")
        raise typer.Exit()


@app.callback()
def _main(
    db: Annotated[
        Path | None,
        typer.Option(
            "--db",
            help="The ledger file (default: $GAINLOG_DB, else ./gainlog.db); also accepted after the command.",
            show_default=False,
        ),
    ] = None,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict",
            help="Refuse to report (exit 4) when the log changed since the last `verify`, or was never verified.",
        ),
    ] = False,
    wait: Annotated[
        str | None,
        typer.Option(
            "--wait",
            metavar="SECONDS",
            help="How long a write waits for another gainlog writing to the same ledger, then exit 3 "
            "(default: $GAINLOG_WAIT, else 30).",
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option("--version", help="Print gainlog's version and exit.", is_eager=True, callback=_version),
    ] = False,
) -> None:
    State.db = db if db is not None else Path(os.environ.get("GAINLOG_DB") or "gainlog.db")
    State.strict = strict
    State.drift_checked = False
    State.wait = _wait_seconds(wait)
    from ..api.progress import status_display

    status_display.set(_spinner)  # a long replay shows a spinner on a terminal


@contextmanager
def _spinner(what: str) -> Iterator[None]:
    """A spinner on stderr while a long replay runs, only when stderr is a terminal."""
    if not sys.stderr.isatty():
        yield
        return
    from rich.console import Console

    with Console(stderr=True).status(what):
        yield


def _wait_seconds(option: str | None) -> float:
    """`--wait`, else $GAINLOG_WAIT, else 30: seconds from 0 to a day (UsageError otherwise)."""
    import math

    from ..ledger.errors import UsageError

    name, text = ("--wait", option) if option is not None else ("$GAINLOG_WAIT", os.environ.get("GAINLOG_WAIT"))
    if text is None or (option is None and not text.strip()):
        return 30.0
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not 0 <= seconds <= MAX_WAIT:  # NaN fails too
        raise UsageError(f"{name} {text!r}: give a number of seconds from 0 to {MAX_WAIT:.0f}")
    return seconds


JsonOpt = Annotated[bool, typer.Option("--json", help="Machine output on stdout, nothing else.")]
CsvOpt = Annotated[bool, typer.Option("--csv", help="CSV on stdout.")]
AsOfOpt = Annotated[
    str | None,
    typer.Option("--as-of", help="Knowledge point: a seq, a tag name, or @RFC3339 recording time."),
]


def check_year(param: typer.CallbackParam, value: int | None) -> int | None:
    """Option callback: a year outside MIN_YEAR-MAX_YEAR is a one-line usage error (exit 2)."""
    from ..ledger.errors import UsageError

    problem = None if value is None else year_problem(value)
    if problem is not None:
        raise UsageError(f"{param.opts[0]}: {problem}")
    return value


YearOpt = Annotated[
    int, typer.Option("--year", help=f"The tax year ({MIN_YEAR}-{MAX_YEAR}).", callback=check_year)
]


JSON_BATCH = 16384  # pieces of encoded JSON per write of `emit_json`


def emit_json(value: Any) -> None:
    """Valid JSON and nothing else on stdout, written as it is encoded (`explain --json` of a large
    year is tens of MB: never one string, nor the list of its pieces, in memory)."""
    pieces = json.JSONEncoder(indent=2, ensure_ascii=False).iterencode(value)
    while batch := list(islice(pieces, JSON_BATCH)):  # a write per piece would cost seconds
        sys.stdout.write("".join(batch))
    sys.stdout.write("\n")


def console() -> Any:
    """A rich console for people: user text shown literally, full width off a terminal (cli.render)."""
    from .render import console as safe_console

    return safe_console()


def err_console() -> Any:
    from .render import console as safe_console

    return safe_console(stderr=True)


def say(text: str) -> None:
    """Print a one-line message for people, literally (no markup or emoji codes), control
    characters made visible (`cli.render.visible`).

    To a pipe or a file it is written as is, never wrapped; a terminal gets it through rich, which
    wraps it at the terminal's width. One-line commands such as `init` and `import` so skip
    importing rich (~17 ms) when piped.
    """
    from .render import visible

    if _isatty(sys.stdout):
        console().print(text)
    else:
        sys.stdout.write(visible(text) + "\n")


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return True  # unknown: let rich decide
