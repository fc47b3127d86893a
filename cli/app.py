"""The typer application, the options every command shares, and output helpers (STYLE.md 18).

Command modules register on `app` (and `report_app`) and import heavy modules inside their
functions, so that `gainlog --help` and small commands start fast.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

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
    wait: float = 30.0  # = ledger.store.DEFAULT_WAIT (not imported here: start-up time)
    writers: list[Any] = []  # the stores `cli.cmd_ledger.open_store` opened: what a Ctrl-C interrupted


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
    State.wait = _wait_seconds(wait)


def _wait_seconds(option: str | None) -> float:
    """`--wait`, else $GAINLOG_WAIT, else 30: seconds from 0 to a day (UsageError otherwise)."""
    import math

    from ledger.errors import UsageError

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
YearOpt = Annotated[int, typer.Option("--year", help="The tax year.")]


def emit_json(value: Any) -> None:
    """Valid JSON and nothing else on stdout."""
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")


def console() -> Any:
    """A rich console for people (imported lazily)."""
    from rich.console import Console

    return Console()


def err_console() -> Any:
    from rich.console import Console

    return Console(stderr=True)


def say(text: str) -> None:
    """Print a message for people exactly as `console().print(text)` does.

    Plain text going to a pipe or a file is written here, word-wrapped at the console width the way
    rich wraps it; anything rich would colour, interpret or wrap otherwise (a terminal, markup, emoji
    codes, a word longer than a line, non-ASCII) goes through rich. One-line commands such as
    `init` and `import` so skip importing rich (~17 ms). tests/test_say.py compares the two.
    """
    width = _plain_width(text)
    if width is None:
        console().print(text)
        return
    lines: list[str] = []
    line = ""
    for word in text.split(" "):
        if line and len(line) + len(word) > width:
            lines.append(line[:width])  # rich keeps a line's last space unless it is beyond the width
            line = ""
        line += word + " "
    lines.append(line[:-1])
    sys.stdout.write("\n".join(lines) + "\n")


_EMOJI_CODE = re.compile(r":\S*?:")  # what rich might replace by an emoji


def _plain_width(text: str) -> int | None:
    """The width rich would wrap `text` at, when it would print it as plain text; else None."""
    if (
        sys.platform == "win32"
        or "FORCE_COLOR" in os.environ
        or "TTY_COMPATIBLE" in os.environ
        or not (text.isascii() and text.isprintable())
        or text != text.strip()
        or "  " in text
        or "[" in text
        or _EMOJI_CODE.search(text)
        or _isatty(sys.stdout)
    ):
        return None
    columns = os.environ.get("COLUMNS")
    if columns is not None:
        width = int(columns) if columns.isdigit() else 0
        if width < 1:
            return None
    else:  # rich: the first standard stream that is a terminal, else 80
        for fd in (0, 1, 2):
            try:
                width = os.get_terminal_size(fd).columns
            except (AttributeError, ValueError, OSError):
                continue
            break
        else:
            width = 0
        width = width or 80
    if max(len(word) for word in text.split(" ")) > width:
        return None
    return width


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return True  # unknown: let rich decide
