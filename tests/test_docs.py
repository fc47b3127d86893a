"""The docs cover the CLI (STYLE.md 19, after sqlite-utils' test_docs.py).

Walks the typer app as click sees it: every command and subcommand must have help text, a heading
in docs/cli.md (`## init`, `### report schedule-d`), and every option must have help text and
appear in docs/cli.md. The README's first two code blocks must stay the demo command and the test
command that `.ci/run` runs.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers import root_command, walk_commands

ROOT = Path(__file__).resolve().parent.parent
CLI_MD = ROOT / "docs" / "cli.md"
README = ROOT / "README.md"
CI_RUN = ROOT / ".ci" / "run"
DEMO_COMMAND = "python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/gainlog demo"


ROOT_COMMAND = root_command()
COMMANDS = list(walk_commands(ROOT_COMMAND))
OPTIONS = sorted(
    {
        (path, opt)
        for path, command in COMMANDS
        for param in command.params
        if getattr(param, "param_type_name", "") == "option"
        for opt in param.opts
    }
)

GLOBAL_OPTIONS = {opt for param in ROOT_COMMAND.params for opt in param.opts}  # --db


def _headings(text: str) -> set[str]:
    return {m.group(1).strip() for m in re.finditer(r"^#{2,4} +(.+?) *$", text, flags=re.MULTILINE)}


def _code_blocks(text: str) -> list[str]:
    return [m.group(1).strip() for m in re.finditer(r"^```[^\n]*\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)]


@pytest.fixture(scope="module")
def cli_md() -> str:
    return CLI_MD.read_text(encoding="utf-8")


TOP_LEVEL = {"init", "import", "add", "log", "lots", "report", "diff", "explain", "retract", "tag", "verify", "demo"}
REPORTS = {"report 8949", "report schedule-d", "report income", "report all"}
ADD_TYPES = ("buy", "sell", "swap", "transfer", "fee", "income", "method", "profile", "carryover", "policy")
MORE_EVENTS = ("split", "rename", "reorg", "gift-in", "gift-out", "donate", "lost", "worthless", "withdrawal",
               "deposit")
ADDS = {f"add {name}" for name in (*ADD_TYPES, "wallet", "allocate", *MORE_EVENTS)}
EXPECTED = TOP_LEVEL | {"generate"} | REPORTS | ADDS


def test_the_walk_finds_every_command() -> None:
    """A command module that fails to register (cli/main.py skips a missing one) cannot go unnoticed."""
    assert {path for path, _ in COMMANDS} >= EXPECTED


@pytest.mark.parametrize("path", [path for path, _ in COMMANDS])
def test_command_has_help(path: str) -> None:
    command = dict(COMMANDS)[path]
    assert (command.help or "").strip(), f"`gainlog {path}` has no help text"


@pytest.mark.parametrize("path", [path for path, _ in COMMANDS])
def test_command_has_a_heading_in_cli_md(path: str, cli_md: str) -> None:
    assert path in _headings(cli_md), f"docs/cli.md has no heading `## {path}` (or ### for a subcommand)"


@pytest.mark.parametrize(("path", "option"), OPTIONS)
def test_option_has_help(path: str, option: str) -> None:
    command = dict(COMMANDS)[path]
    param = next(p for p in command.params if option in p.opts)
    assert (getattr(param, "help", None) or "").strip(), f"`gainlog {path} {option}` has no help text"


@pytest.mark.parametrize("option", sorted({opt for _, opt in OPTIONS} | GLOBAL_OPTIONS))
def test_option_is_documented(option: str, cli_md: str) -> None:
    assert re.search(re.escape(option) + r"(?![\w-])", cli_md), f"docs/cli.md never mentions {option}"


def test_readme_starts_with_the_demo_and_the_test_command() -> None:
    blocks = _code_blocks(README.read_text(encoding="utf-8"))
    ci_command = [line for line in CI_RUN.read_text(encoding="utf-8").splitlines() if line.startswith("python3 ")]
    assert len(ci_command) == 1, ".ci/run should run one setup-and-test command line"
    assert blocks[0] == DEMO_COMMAND
    assert blocks[1] == ci_command[0]


def test_docs_links_resolve() -> None:
    """Every relative link in the README and docs/ points at a file that exists."""
    pages = [README, ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").glob("*.md"))]
    for page in pages:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            if "://" in target:
                continue
            assert (page.parent / target).exists(), f"{page.relative_to(ROOT)} links to missing {target}"
