"""The function-call judge: what runs inside the sandbox for HumanEval / MBPP / KodCode tasks.

`judge_program` builds the sandbox run: `main.py` loads the judge (judge.py, compiled here), the code
under test is `solution.py`, run by `judge_candidate.py` in its own interpreter, and the tests travel
on the judge's stdin (a sealed file on both backends), which the candidate never inherits and, the
judge being non-dumpable, cannot reach through /proc. `read_verdict` takes the
judge's answer from the run's stdout (its last line, which must carry the run's nonce).
"""

from __future__ import annotations

import importlib.util
import json
import marshal
from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["JudgeProgram", "judge_program", "read_verdict"]

_HERE = Path(__file__).parent


@cache
def _source(name: str) -> str:
    return (_HERE / name).read_text(encoding="utf-8")


class JudgeProgram:
    """The judge's main file, the other files of one run, and its stdin (the tests, as JSON)."""

    def __init__(self, main: str, files: dict[str, str | bytes], stdin: str) -> None:
        self.main = main
        self.files = files
        self.stdin = stdin


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
    config = {
        "nonce": nonce,
        "test_code": test_code,
        "entry_point": entry_point,
        "module_name": module_name,
        "helpers": helpers,
    }
    judge_source, host_source = _programs()
    files: dict[str, str | bytes] = {
        "judge_candidate.py": _LOADER.format(name="judge_candidate"),
        "judge_candidate_source.py": host_source,
        "judge_candidate.bin": _bytecode("judge_candidate", host_source),
        "judge_source.py": judge_source,
        "judge.bin": _bytecode("judge", judge_source),
        "judge_pytest.py": _source("pytest_shim.py"),
        "solution.py": code,
    }
    return JudgeProgram(_LOADER.format(name="judge"), files, json.dumps(config))


# Compiling the judge (~800 lines) costs more CPU than most tasks' tests: each run gets it compiled
# by this process, and compiles the source only when the sandbox's Python has another bytecode
# version (another minor release).
_LOADER = """import marshal
import _frozen_importlib_external


def _load():
    try:
        with open("{name}.bin", "rb") as f:
            blob = f.read()
        if blob[:4] == _frozen_importlib_external.MAGIC_NUMBER:
            return marshal.loads(blob[4:])
    except (OSError, ValueError, EOFError, TypeError):
        pass
    with open("{name}_source.py", encoding="utf-8") as f:
        return compile(f.read(), "{name}.py", "exec")


exec(_load())
"""


@cache
def _programs() -> tuple[str, str]:
    wire = _source("wire.py")
    return wire + "\n" + _source("judge.py"), wire + "\n" + _source("candidate.py")


@cache
def _bytecode(name: str, source: str) -> bytes:
    return importlib.util.MAGIC_NUMBER + marshal.dumps(compile(source, f"{name}.py", "exec"))


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
