"""The import contracts in pyproject.toml (`[tool.importlinter]`, checked by import-linter): no import
circle between sibling modules or subpackages, and the libraries never import the service."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def lint_imports(cwd: Path, pythonpath: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(pythonpath)}
    code = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports(no_cache=True))"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def test_the_packages_keep_their_import_contracts() -> None:
    result = lint_imports(ROOT, ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_no_contract_ignores_an_import() -> None:
    """An ignored edge is a circle kept on purpose; cut it instead (the core defines what a
    subpackage implements, as `errors.Refused` does for the queue's errors)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    contracts = config["tool"]["importlinter"]["contracts"]
    assert [c["name"] for c in contracts if c.get("ignore_imports")] == []


def test_the_contract_catches_a_circle_between_subpackages(tmp_path: Path) -> None:
    """The same contract type, over a package whose two subpackages import each other."""
    package = tmp_path / "circle"
    for sub, other in (("left", "right"), ("right", "left")):
        (package / sub).mkdir(parents=True)
        (package / sub / "__init__.py").write_text("")
        (package / sub / "module.py").write_text(f"from circle.{other} import module\n")
    (package / "__init__.py").write_text("")
    (tmp_path / ".importlinter").write_text(
        textwrap.dedent(
            """\
            [importlinter]
            root_package = circle

            [importlinter:contract:acyclic]
            name = acyclic
            type = acyclic_siblings
            ancestors = circle
            """
        )
    )
    result = lint_imports(tmp_path, tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 broken" in result.stdout
