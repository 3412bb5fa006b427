"""Special judges: a task's checker program decides whether each output is accepted.

The calling convention is testlib's (Codeforces, Polygon): `checker <input> <output> <answer>`
with the test's input, the program's output and the expected output as files; exit status 0
accepts, 1 (wrong answer) and 2 (presentation error) reject, 3 is the checker's own failure, and
anything else (a crash, 7 = partial points) is treated as the checker failing. The checker runs in
the sandbox like any program: it is compiled once, then run once per judged test, with the files of
every test in its workspace and the test's number on stdin, which a small wrapper turns into argv.
C/C++ checkers must declare `int main(int argc, char* argv[])`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from reward_server.outcomes import ItemError, UnusableGold
from reward_server.schemas import CheckerProgram, CodeTest
from sandboxes import Limits, RunResult, Verdict
from sandboxes.languages import resolve_language

if TYPE_CHECKING:
    from reward_server.rewards.code import CodeChecker

__all__ = ["run_checker"]

# A Python checker that raises (or does not even compile) has failed: exit 3, not 1 (a rejection).
_PYTHON_WRAPPER = """import runpy, sys, traceback
index = int(sys.stdin.readline())
sys.argv = ["checker", f"in{index}.txt", f"out{index}.txt", f"ans{index}.txt"]
try:
    runpy.run_path("checker.py", run_name="__main__")
except SystemExit:
    raise
except BaseException:
    traceback.print_exc()
    sys.exit(3)
"""

_C_WRAPPER = """#define main reward_checker_main
#include "checker.{ext}"
#undef main
#include <stdio.h>
int main(void) {{
    int index = -1;
    if (scanf("%d", &index) != 1) return 3;
    static char in[64], out[64], ans[64];
    snprintf(in, sizeof in, "in%d.txt", index);
    snprintf(out, sizeof out, "out%d.txt", index);
    snprintf(ans, sizeof ans, "ans%d.txt", index);
    char name[] = "checker";
    char *argv[] = {{name, in, out, ans, 0}};
    return reward_checker_main(4, argv);
}}
"""

_REJECT = {1: "wrong answer", 2: "presentation error"}
_CHECKER_COMPILE_S = 120.0


async def run_checker(
    owner: CodeChecker,
    checker: CheckerProgram,
    tests: Sequence[CodeTest],
    runs: Sequence[RunResult],
    verdicts: list[Verdict],
    limits: Limits,
) -> list[Verdict] | ItemError:
    """The final verdicts: each run that finished (provisionally `accepted`) is judged by the
    checker; other verdicts stand. An ItemError when the checker fails or does not compile."""
    judged = [i for i, v in enumerate(verdicts) if v is Verdict.ACCEPTED]
    if not judged:
        return verdicts
    lang = resolve_language(checker.language)
    assert lang is not None  # the schema allows python, cpp and c only
    files: dict[str, str] = dict(checker.files)
    for i in judged:
        files[f"in{i}.txt"] = tests[i].stdin
        files[f"out{i}.txt"] = runs[i].stdout
        files[f"ans{i}.txt"] = tests[i].expected_stdout
    if lang.name == "python":
        files["checker.py"] = checker.code
        main = _PYTHON_WRAPPER
    else:
        ext = "c" if lang.name == "c" else "cpp"
        files[f"checker.{ext}"] = checker.code
        main = _C_WRAPPER.format(ext=ext)
    # testlib.h takes long to compile (tens of seconds on a loaded machine): give checkers room.
    limits = replace(limits, compile_time_limit_s=max(limits.compile_time_limit_s, _CHECKER_COMPILE_S))
    execution = await owner._execute(lang.name, main, [f"{i}\n" for i in judged], limits, None, files=files)
    if isinstance(execution, ItemError):
        return execution
    if execution.compile is not None and execution.compile.status is not Verdict.OK:
        compiled = execution.compile
        return UnusableGold(
            f"the task's checker does not compile ({compiled.status.value}, exit status "
            f"{compiled.exit_code}, {compiled.wall_time_s:.1f} s): {compiled.stderr[-500:]}"
        )
    final = list(verdicts)
    for i, result in zip(judged, execution.runs, strict=True):
        code = result.exit_code
        if result.status is Verdict.OK:
            final[i] = Verdict.ACCEPTED
        elif result.status is Verdict.RUNTIME_ERROR and code in _REJECT:
            final[i] = Verdict.WRONG_ANSWER
        else:
            reason = f"exit status {code}" if code is not None else result.status.value
            return UnusableGold(f"the task's checker failed on test {i} ({reason}): {result.stderr[-500:]}")
    return final
