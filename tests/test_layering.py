"""Import direction, checked the way a docs test checks docs (STYLE.md 1; eventsourcing layers).

    ledger/events.py  -> stdlib + msgspec only (the vocabulary everyone shares)
    ledger/           -> never projections or cli (the write side knows no reports)
    projections/      -> ledger.events only from ledger, never api or cli; no database or UI library
                         (projections are pure folds, STYLE.md 8)
    api/              -> ledger, projections, stdlib, msgspec, sqlite-utils; never cli or a UI library
                         (the library API the CLI mirrors, docs/api.md)
    cli/              -> api, projections, ledger's vocabulary (events, errors, limits, codec, ...), typer, rich;
                         never the write side's machinery (`ledger.store`, `ledger.importer`, `ledger.schema`,
                         `ledger.transaction`, `ledger.integrity`, `ledger.checkpoints`, `ledger.formats`,
                         `ledger.write_plan`): every write goes through `api.ledger_ops` (docs/api.md)

Every `import` and `from ... import` is read with `ast`, including the ones inside functions, so
a lazy import cannot sneak past. A failure names the offending file:line.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STDLIB = frozenset(sys.stdlib_module_names) | {"__future__"}
IMPURE = frozenset({"sqlite3", "sqlite_utils", "typer", "click", "rich"})  # I/O and UI, never in a fold
UI = frozenset({"typer", "click", "rich"})  # the CLI's libraries, never in the library API
# the modules that open, write and check a ledger file: the CLI reaches them only through `api`
WRITE_SIDE = ("store", "importer", "schema", "transaction", "integrity", "checkpoints", "formats", "write_plan")


def package_of(path: Path, root: Path) -> str:
    """The dotted module name of a file under root: projections/rules/x.py -> projections.rules.x."""
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, *, root: Path = ROOT) -> Iterator[tuple[int, str]]:
    """(line, absolute dotted module) for every import in a file; `from a import b` gives a.b too."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    here = package_of(path, root)
    is_package = path.name == "__init__.py"
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = here.split(".")
                anchor = anchor if is_package else anchor[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            yield node.lineno, base
            for alias in node.names:
                if alias.name != "*":
                    yield node.lineno, f"{base}.{alias.name}" if base else alias.name


def modules(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def violations(paths: list[Path], allowed: object) -> list[str]:
    """`file:line imports X` for every import the predicate `allowed(module)` refuses."""
    assert callable(allowed)
    return [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in paths
        for line, module in imports(path)
        if not allowed(module)
    ]


def events_may_import(module: str) -> bool:
    return module.split(".")[0] in STDLIB or within(module, "msgspec")


def ledger_may_import(module: str) -> bool:
    return not (within(module, "projections") or within(module, "api") or within(module, "cli"))


def projections_may_import(module: str) -> bool:
    top = module.split(".")[0]
    if top == "ledger":
        return module == "ledger" or within(module, "ledger.events")
    return top not in ("api", "cli") and top not in IMPURE


def api_may_import(module: str) -> bool:
    top = module.split(".")[0]
    return top in STDLIB or top in ("api", "ledger", "projections", "msgspec", "sqlite_utils")


def test_no_module_imports_a_charting_library() -> None:
    # issue #19: api/charts.py writes the year pages' charts (pygal's bytes); pygal is the tests' reference
    importers = sorted({path.split(":")[0] for path in violations(
        [*modules("ledger"), *modules("projections"), *modules("api"), *modules("cli")],
        lambda module: module.split(".")[0] != "pygal")})
    assert importers == []


def cli_may_import(module: str) -> bool:
    return not any(within(module, f"ledger.{name}") for name in WRITE_SIDE)


def test_the_layers_exist() -> None:
    assert (ROOT / "ledger" / "events.py").is_file()
    assert modules("ledger") and modules("projections") and modules("api") and modules("cli")


def test_events_depend_only_on_stdlib_and_msgspec() -> None:
    assert violations([ROOT / "ledger" / "events.py"], events_may_import) == []


def test_ledger_never_imports_projections_or_cli() -> None:
    assert violations(modules("ledger"), ledger_may_import) == []


def test_projections_import_only_events_from_ledger_and_never_cli() -> None:
    assert violations(modules("projections"), projections_may_import) == []


def test_api_imports_ledger_and_projections_never_cli_or_a_ui_library() -> None:
    assert violations(modules("api"), api_may_import) == []


def test_cli_reaches_the_store_and_the_importer_only_through_api() -> None:
    """The commands parse, call an `api` function, render and map errors (STYLE.md 17): no store,
    importer, schema, integrity check or format converter of their own."""
    assert violations(modules("cli"), cli_may_import) == []


@pytest.mark.parametrize(
    ("source", "offender"),
    [
        ("from ..ledger.store import Store\n", "ledger.store.Store"),
        ("def f() -> None:\n    from ..ledger import importer\n", "ledger.importer"),
        ("if TYPE_CHECKING:\n    from ..ledger.store import ImportResult\n", "ledger.store"),
        ("from ..ledger.formats import detect\n", "ledger.formats.detect"),
        ("import ledger.integrity\n", "ledger.integrity"),
    ],
)
def test_the_checker_catches_the_cli_importing_the_write_side(tmp_path: Path, source: str, offender: str) -> None:
    (tmp_path / "cli").mkdir()
    bad = tmp_path / "cli" / "bad.py"
    bad.write_text(source, encoding="utf-8")
    assert offender in [m for _, m in imports(bad, root=tmp_path) if not cli_may_import(m)]


def test_the_checker_lets_the_cli_use_the_api_and_the_vocabulary() -> None:
    for ok in ("api.ledger_ops", "api.reading.load", "ledger.errors.UsageError", "ledger.events", "ledger.codec",
               "ledger.limits", "projections.form8949", "typer", "rich.table"):
        assert cli_may_import(ok), ok
    assert cli_may_import("ledger.storage_x")  # a name that only starts like one is not refused


@pytest.mark.parametrize(
    ("source", "offender"),
    [
        ("from cli.app import State\n", "cli.app"),
        ("def f() -> None:\n    import typer\n", "typer"),
        ("from rich.console import Console\n", "rich.console"),
        ("import click\n", "click"),
    ],
)
def test_the_checker_catches_a_bad_import_in_api(tmp_path: Path, source: str, offender: str) -> None:
    """An api module importing the CLI or a UI library is refused."""
    (tmp_path / "api").mkdir()
    bad = tmp_path / "api" / "bad.py"
    bad.write_text(source, encoding="utf-8")
    assert offender in [m for _, m in imports(bad, root=tmp_path) if not api_may_import(m)]


def test_the_checker_allows_what_api_needs() -> None:
    for ok in ("ledger.store", "ledger.checkpoints.save", "projections.pipeline", "api.reading", "msgspec.json",
               "sqlite_utils", "tempfile"):
        assert api_may_import(ok), ok
    assert not ledger_may_import("api.reports")
    assert not projections_may_import("api.reading")


@pytest.mark.parametrize(
    ("source", "offender", "line"),
    [
        ("from ledger.store import Store\n", "ledger.store", 1),
        ("import json\nfrom ledger import codec\n", "ledger.codec", 2),
        ("def f() -> None:\n    import cli.app\n", "cli.app", 2),
        ("from ... import cli\n", "cli", 1),
        ("import sqlite_utils\n", "sqlite_utils", 1),
    ],
)
def test_the_checker_catches_a_bad_import(tmp_path: Path, source: str, offender: str, line: int) -> None:
    """The meta-test is not vacuous: each of these is refused in a projections module, at its line."""
    (tmp_path / "projections" / "rules").mkdir(parents=True)
    bad = tmp_path / "projections" / "rules" / "bad.py"
    bad.write_text(source, encoding="utf-8")
    found = [(n, m) for n, m in imports(bad, root=tmp_path) if not projections_may_import(m)]
    assert (line, offender) in found


def test_relative_imports_resolve_to_absolute_names(tmp_path: Path) -> None:
    (tmp_path / "projections" / "rules").mkdir(parents=True)
    ok = tmp_path / "projections" / "rules" / "ok.py"
    ok.write_text("from ..model import Slice\nfrom . import holding_period\n", encoding="utf-8")
    assert list(imports(ok, root=tmp_path)) == [
        (1, "projections.model"), (1, "projections.model.Slice"),
        (2, "projections.rules"), (2, "projections.rules.holding_period"),
    ]


def test_the_checker_allows_events_and_stdlib() -> None:
    assert projections_may_import("ledger.events")
    assert projections_may_import("ledger.events.Buy")
    assert projections_may_import("zoneinfo")
    assert projections_may_import("msgspec")
    assert not events_may_import("sqlite_utils")
    assert not ledger_may_import("projections.pipeline")


def test_no_test_module_imports_another() -> None:
    """Shared test code lives in helpers.py, strategies.py and conftest.py, never in a test module."""
    tests = ROOT / "tests"
    bad = [
        f"{path.name}:{line} imports {module}"
        for path in sorted(tests.glob("*.py"))
        for line, module in imports(path, root=tests)
        if module.split(".")[0].startswith("test_")
    ]
    assert bad == []


PACKAGE_FOLDERS = ("ledger", "projections", "api", "cli", "fixtures")


def test_package_code_imports_its_siblings_relatively() -> None:
    """The folders install as `gainlog.ledger`, `gainlog.cli`, ... (pyproject.toml `package-dir`): an
    absolute `from ledger.x import` would work from a checkout (the current directory is on sys.path)
    and fail once installed; a `from gainlog.x import` would defeat mypy, which checks the folders."""
    bad = []
    for folder in PACKAGE_FOLDERS:
        for path in modules(folder):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = (
                    [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level
                    else [a.name for a in node.names] if isinstance(node, ast.Import) else []
                )
                for name in names:
                    if name.split(".")[0] in (*PACKAGE_FOLDERS, "gainlog"):
                        bad.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {name}")
    assert bad == []
