"""Entry point: register the command modules, map project errors to one-line messages and exit codes.

Every `GainlogError` becomes `gainlog: <one sentence>` on stderr and its `exit_code`; click's usage
errors keep click's own message (exit 2); a missing or unreadable file, a database that is not a
ledger, or Ctrl-C never shows a traceback (CONTRACT §1). Ctrl-C says whether the command had
committed a write (exit 130); `--db` and `--wait` are accepted after the command too (`hoist_db`).
"""

from __future__ import annotations

import copy
import sys
from typing import Any, NoReturn

from . import app as _app_module
from .app import app

PACKAGE = __name__.rpartition(".")[0]  # gainlog.cli
ROOT = PACKAGE.rpartition(".")[0]  # gainlog
COMMAND_MODULES = tuple(f"{PACKAGE}.{name}" for name in ("cmd_ledger", "cmd_add_events", "cmd_report", "cmd_audit",
                                                          "cmd_tools", "cmd_lots", "cmd_export", "cmd_harvest",
                                                          "cmd_whatif", "cmd_transfers"))
# The module that registers each top-level command: only that one is imported (and built by typer)
# for a command line that names it; help, and anything unrecognised, registers all of them.
COMMAND_TO_MODULE = {
    **dict.fromkeys(("init", "import", "log", "tag", "retract", "verify", "demo", "backup"), f"{PACKAGE}.cmd_ledger"),
    "add": f"{PACKAGE}.cmd_add_events",  # which imports cmd_ledger (`add buy`, ...) first: every `add` subcommand
    "report": f"{PACKAGE}.cmd_report",
    "diff": f"{PACKAGE}.cmd_audit",
    "explain": f"{PACKAGE}.cmd_audit",
    "generate": f"{PACKAGE}.cmd_tools",
    "checkpoint": f"{PACKAGE}.cmd_tools",
    "lots": f"{PACKAGE}.cmd_lots",
    "export": f"{PACKAGE}.cmd_export",
    "reconcile": f"{PACKAGE}.cmd_export",
    "harvest": f"{PACKAGE}.cmd_harvest",
    "whatif": f"{PACKAGE}.cmd_whatif",
    "transfers": f"{PACKAGE}.cmd_transfers",
}
_registered: set[str] = set()


GLOBAL_OPTIONS = ("--db", "--wait")  # the root command's options that take a value
GLOBAL_FLAGS = ("--strict",)  # and the one that takes none


def _words(argv: list[str]) -> list[str]:
    """The command and subcommand words a command line starts with (after `--db`, `--wait`), up to any
    option."""
    words: list[str] = []
    args = iter(argv)
    for arg in args:
        if not words and arg in GLOBAL_OPTIONS:
            next(args, None)
        elif not words and (arg.startswith(tuple(f"{name}=" for name in GLOBAL_OPTIONS)) or arg in GLOBAL_FLAGS):
            continue
        elif arg.startswith("-"):
            break  # --help or an unknown option: click answers with every command
        else:
            words.append(arg)
            if len(words) == 2:
                break
    return words


def hoist_db(argv: list[str]) -> list[str]:
    """`argv` with every `--db PATH` / `--db=PATH` (and `--wait SECONDS`, `--strict`) that follows the
    command moved to the front.

    `--db` is the root command's option, so click only takes it before the command; people also
    write it last (`gainlog report schedule-d --year 2024 --db x.db`). Anything after `--` is left
    alone. A `--db` given as another option's value (`--note --db`) is taken as `--db` too.
    """
    front: list[str] = []
    rest: list[str] = []
    args = iter(argv)
    for arg in args:
        if arg == "--":
            rest.append(arg)
            rest.extend(args)
        elif arg in GLOBAL_OPTIONS:
            value = next(args, None)
            if value is None:  # the line ends without its value: click says so for the root alone
                return [*front, arg]
            front += (arg, value)
        elif arg.startswith(tuple(f"{name}=" for name in GLOBAL_OPTIONS)) or arg in GLOBAL_FLAGS:
            front.append(arg)
        else:
            rest.append(arg)
    return [*front, *rest]


def _modules_for(argv: list[str]) -> tuple[str, ...]:
    """The command modules a command line needs: the one defining its command, else all."""
    words = _words(argv)
    module = COMMAND_TO_MODULE.get(words[0]) if words else None
    return (module,) if module is not None else COMMAND_MODULES


def _register(argv: list[str] | None = None) -> None:
    """Import the command modules `argv` needs (all when None), once each, keeping the help order."""
    import importlib

    wanted = COMMAND_MODULES if argv is None else _modules_for(argv)
    new = [name for name in wanted if name not in _registered]
    if not new:
        return
    for name in new:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
        _registered.add(name)
    if len(_registered) > len(new):  # registered in several steps: restore the order of COMMAND_MODULES
        rank = {name: i for i, name in enumerate(COMMAND_MODULES)}
        app.registered_commands.sort(key=lambda c: rank.get(getattr(c.callback, "__module__", ""), len(rank)))


def _narrowed(words: list[str]) -> Any:
    """`app` holding only the command (and subcommand) `words` name; `app` itself when it has no such.

    typer builds every registered command on each call (~25 ms for all of them, under 1 ms for one)
    and a line naming a command needs no other; help and unknown names keep them all. Shallow copies,
    so `app` itself never changes.
    """
    if not words:
        return app
    commands = [c for c in app.registered_commands if c.name == words[0]]
    groups = [g for g in app.registered_groups if g.name == words[0]]
    if not commands and not groups:
        return app
    narrow = copy.copy(app)
    narrow.registered_commands = commands
    narrow.registered_groups = [_narrowed_group(g, words[1:]) for g in groups]
    return narrow


def _narrowed_group(info: Any, words: list[str]) -> Any:
    """A group's `TyperInfo` holding only the subcommand `words` names (the same info without one)."""
    group = info.typer_instance
    chosen = [c for c in group.registered_commands if c.name == words[0]] if words and group else []
    if not chosen:
        return info
    group = copy.copy(group)
    group.registered_commands = chosen
    info = copy.copy(info)
    info.typer_instance = group
    return info


class Interrupted(BaseException):
    """Ctrl-C (SIGINT) while a command runs.

    Not a KeyboardInterrupt: typer turns that into a silent exit 130 before `main` could say whether
    anything was written. As a BaseException it still rolls back an open write transaction.
    """


def _interrupt(signum: int, frame: Any) -> None:
    """The SIGINT handler while a command runs: later Ctrl-Cs are ignored until `main` returns, so
    the rollback (or the closing of a committed write) and the message are not cut short."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise Interrupted


def main(argv: list[str] | None = None) -> int:
    """Run one command line; the exit status (0 on success)."""
    import signal
    import threading

    args = hoist_db(sys.argv[1:] if argv is None else argv)
    _app_module.State.writers = []
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, _interrupt) if in_main_thread else None
    try:
        return _run(args)
    except (Interrupted, KeyboardInterrupt):  # a Ctrl-C outside any command (start-up, shut-down)
        return _interrupted(args)
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def _interrupted(args: list[str]) -> int:
    """Exit 130, saying whether the interrupted command had committed a write (`Store.written`)."""
    written = sum(store.written for store in _app_module.State.writers)
    if not written:
        return _fail("interrupted: nothing was written", 130)
    what = "the import was" if _words(args)[:1] == ["import"] else "the write was"
    return _fail(f"interrupted: {what} committed ({written} event{'' if written == 1 else 's'})", 130)


def _run(args: list[str]) -> int:
    import sqlite3

    from ..ledger.errors import GainlogError

    _register(args)
    try:
        rv = _narrowed(_words(args))(args=args, prog_name="gainlog", standalone_mode=False)
    except GainlogError as exc:
        return _fail(str(exc), exc.exit_code)
    except _exits() as exc:
        return int(getattr(exc, "exit_code", 0) or 0)
    except _aborts():
        return _fail("aborted", 1)
    except _click_errors() as exc:  # usage errors: click's own message
        exc.show()  # type: ignore[attr-defined]
        return int(exc.exit_code)  # type: ignore[attr-defined]
    except (Interrupted, KeyboardInterrupt):
        return _interrupted(args)
    except BrokenPipeError:
        return 0
    except sqlite3.Error as exc:
        from ..api.ledger_ops import describe_sqlite_error

        return _fail(describe_sqlite_error(_app_module.State.db, exc) or f"database error: {exc}", 1)
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

    try:
        from typer._click.exceptions import ClickException
    except ImportError:  # typer before 0.27 uses click itself
        return (click.ClickException,)
    return (ClickException, click.ClickException)


def _fail(message: str, code: int) -> int:
    """`gainlog: MESSAGE` on stderr, one line: user text in it (a file name, a key) with its
    control characters made visible (`cli.render.visible`)."""
    from .render import visible

    sys.stdout.flush()
    print(f"gainlog: {visible(message)}", file=sys.stderr)
    return code


def run() -> NoReturn:
    """The `gainlog` console script: `main`, then the quick exit (`quick_exit`)."""
    try:
        code = main()
    except SystemExit as exc:  # click's own exit: 1 after a broken pipe, with its quiet stdout in place
        if not isinstance(exc.code, int):
            raise
        code = exc.code
    quick_exit(code)


def quick_exit(code: int) -> NoReturn:
    """End the process with `code`, skipping the interpreter's shut-down (its last garbage collection
    and the freeing of every module: ~45M instructions after a 20k-event import or `report all`).

    What that shut-down would do that shows is done first: the ledger files still open are closed
    (`api.shutdown.close_ledgers`: SQLite checkpoints the WAL and removes the `-wal` file), stdout
    and stderr flushed. When more is owed (an atexit handler: multiprocessing's workers, a
    `weakref.finalize`; a thread still running; a profiler or tracer) or a flush fails (a closed
    pipe: Python's own message and exit 120), the regular `sys.exit` runs instead. Only for the
    console script: `main` returns to its caller (the tests call it in-process).
    """
    import atexit
    import os
    import threading

    owed = getattr(atexit, "_ncallbacks", lambda: 1)  # CPython's count; elsewhere assume something is owed
    if owed() or threading.active_count() > 1 or sys.getprofile() or sys.gettrace():
        sys.exit(code)  # a profiler or tracer (`python -m cProfile -o F`, coverage) writes its file at exit
    if f"{ROOT}.ledger.schema" in sys.modules:  # a ledger may be open
        from ..api.shutdown import close_ledgers

        close_ledgers()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:
        sys.exit(code)
    os._exit(code)


__all__ = ["main", "run", "quick_exit", "_app_module"]


if __name__ == "__main__":  # `python -m gainlog.cli.main ...` (e.g. under `python -X importtime`): the
    import importlib  # module under its own name (this copy, `__main__`, has no package to import from)

    importlib.import_module(__spec__.name).run()
