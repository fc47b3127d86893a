"""Entry point: register the command modules, map project errors to one-line messages."""

from __future__ import annotations

import sys

from cli import app as _app_module
from cli.app import app


def _register() -> None:
    import importlib

    for name in ("cli.cmd_ledger", "cli.cmd_report", "cli.cmd_audit", "cli.cmd_tools"):
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise


def run() -> None:
    """The `gainlog` console script."""
    from ledger.errors import GainlogError

    _register()
    try:
        app(standalone_mode=False)
    except GainlogError as exc:
        print(f"gainlog: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except _click_errors() as exc:  # usage errors: typer/click's own one-line message
        exc.show()
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        print("gainlog: interrupted", file=sys.stderr)
        sys.exit(130)


def _click_errors() -> tuple[type[BaseException], ...]:
    import click

    return (click.ClickException,)


__all__ = ["run", "_app_module"]
