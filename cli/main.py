"""Entry point: register the command modules, map project errors to one-line messages and exit codes.

Every `GainlogError` becomes `gainlog: <one sentence>` on stderr and its `exit_code`; click's usage
errors keep click's own message (exit 2); a missing or unreadable file, a database that is not a
ledger, or Ctrl-C never shows a traceback (CONTRACT §1).
"""

from __future__ import annotations

import sys

from cli import app as _app_module
from cli.app import app

COMMAND_MODULES = ("cli.cmd_ledger", "cli.cmd_report", "cli.cmd_audit", "cli.cmd_tools", "cli.cmd_lots")
_registered = False


def _register() -> None:
    global _registered
    if _registered:
        return
    import importlib

    for name in COMMAND_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
    _registered = True


def main(argv: list[str] | None = None) -> int:
    """Run one command line; the exit status (0 on success)."""
    import sqlite3

    from ledger.errors import GainlogError

    _register()
    try:
        rv = app(args=argv, prog_name="gainlog", standalone_mode=False)
    except GainlogError as exc:
        return _fail(str(exc), exc.exit_code)
    except _exits() as exc:
        return int(getattr(exc, "exit_code", 0) or 0)
    except _aborts():
        return _fail("aborted", 1)
    except _click_errors() as exc:  # usage errors: click's own message
        exc.show()  # type: ignore[attr-defined]
        return int(exc.exit_code)  # type: ignore[attr-defined]
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    except BrokenPipeError:
        return 0
    except sqlite3.Error as exc:
        return _fail(f"database error: {exc}", 1)
    except OSError as exc:
        name = f"{exc.filename}: " if exc.filename else ""
        return _fail(f"{name}{exc.strerror or exc}", 1)
    return rv if isinstance(rv, int) else 0


def _exits() -> tuple[type[BaseException], ...]:
    import click
    import typer

    return (typer.Exit, click.exceptions.Exit)


def _aborts() -> tuple[type[BaseException], ...]:
    import click
    import typer

    return (typer.Abort, click.exceptions.Abort)


def _click_errors() -> tuple[type[BaseException], ...]:
    """Usage errors of typer's bundled click and of click itself (a command may use either)."""
    import click
    from typer._click.exceptions import ClickException

    return (ClickException, click.ClickException)


def _fail(message: str, code: int) -> int:
    sys.stdout.flush()
    print(f"gainlog: {message}", file=sys.stderr)
    return code


def run() -> None:
    """The `gainlog` console script."""
    sys.exit(main())


__all__ = ["main", "run", "_app_module"]
