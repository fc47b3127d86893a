"""What `pip install .` ships: every package of the repository, so a non-editable install runs.

An editable install finds a package missing from pyproject.toml through the source tree, so only a
test like this one (or an install from a wheel) notices it.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_package_is_listed_in_pyproject() -> None:
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {
        ".".join(("gainlog", *init.parent.relative_to(ROOT).parts))
        for init in ROOT.rglob("__init__.py")
        if not {".venv", "tests", "build"} & set(init.relative_to(ROOT).parts)
    }
    assert listed == found
