"""The function-call judge: what runs inside the sandbox for HumanEval / MBPP / KodCode tasks.

`judge_program` builds the sandbox run: `main.py` is the judge (judge.py), the code under test is
`solution.py`, run by `judge_candidate.py` in its own interpreter, and the tests travel in
`judge_tests.json`, which the judge unlinks before the candidate starts. `read_verdict` takes the
judge's answer from the run's stdout (its last line, which must carry the run's nonce).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["JudgeProgram", "judge_program", "read_verdict"]

_HERE = Path(__file__).parent


@cache
def _source(name: str) -> str:
    return (_HERE / name).read_text(encoding="utf-8")


class JudgeProgram:
    """The judge's main file and the other files of one run."""

    def __init__(self, main: str, files: dict[str, str]) -> None:
        self.main = main
        self.files = files


def judge_program(
    code: str,
    test_code: str,
    *,
    entry_point: str | None,
    nonce: str,
    helpers: str | None = None,
    module_name: str = "solution",
) -> JudgeProgram:
    """The run for one completion: `code` is the candidate's module, `test_code` the task's tests
    (HumanEval `check(candidate)`, MBPP top-level asserts or pytest-style `test_*` functions);
    `helpers` is trusted task code (a HumanEval prompt) whose helper functions the tests use in
    place of the candidate's."""
    wire = _source("wire.py")
    config = {
        "nonce": nonce,
        "test_code": test_code,
        "entry_point": entry_point,
        "module_name": module_name,
        "helpers": helpers,
    }
    files = {
        "judge_candidate.py": wire + "\n" + _source("candidate.py"),
        "judge_pytest.py": _source("pytest_shim.py"),
        "judge_tests.json": json.dumps(config),
        "solution.py": code,
    }
    return JudgeProgram(wire + "\n" + _source("judge.py"), files)


def read_verdict(stdout: str, nonce: str) -> dict[str, Any] | None:
    """The judge's verdict from the run's stdout, or None when there is none with this nonce."""
    last = stdout.rstrip("\n").rsplit("\n", 1)[-1]
    try:
        verdict = json.loads(last)
    except ValueError:
        return None
    if not isinstance(verdict, dict) or verdict.get("nonce") != nonce:
        return None
    return verdict
