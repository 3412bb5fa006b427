"""The code accuracy checker: runs a completion's code against its task's tests in the sandbox.

Two task styles:
- Function-call tests (`test_code`, Python: HumanEval `check(candidate)` + `entry_point`, MBPP
  top-level asserts, KodCode `test_*` functions): the judge (`harness/`) runs the tests in its own
  process and the code in another, behind handles; one test, accepted when every test passed and
  at least one assertion ran against the code.
- Judge style (`tests`: stdin / expected stdout pairs): compiled once, run once per test; outputs
  compared as `compare` says (see `compare.py`), or by the task's checker program.

Score = fraction of tests accepted. `details["verdicts"]` lists one verdict per test run. Only
`sandbox_error` is retried; if it persists the item gets an error of class `sandbox_error` (no
made-up 0). Tests or a checker that cannot run are `unusable_gold`; a language the sandbox does not
have is `invalid_item`.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from reward_server import metrics
from reward_server.outcomes import Failure, ItemError, UnusableGold
from reward_server.rewards.base import ComponentScore
from reward_server.rewards.code.compare import outputs_match
from reward_server.rewards.code.extract import extract_code, program_code
from reward_server.rewards.code.harness import judge_program, read_verdict
from reward_server.rewards.code.special_judge import run_checker
from reward_server.rewards.text import completion_text
from reward_server.sandbox_gate import SandboxGate
from reward_server.schemas import CodeTask, ScoreItem
from sandboxes import Execution, Limits, RunResult, Sandbox, UnsupportedLanguage, Verdict
from sandboxes.base import StopRule

__all__ = ["CodeChecker", "extract_code", "humaneval_program", "outputs_match"]

log = logging.getLogger(__name__)

_TAIL = 2000  # characters of stderr kept in details
# A failed test that raised one of these is a wrong answer; any other exception a runtime error.
_WRONG_ANSWER_ERRORS = ("AssertionError", "Failed")


def humaneval_program(code: str, test_code: str, entry_point: str | None) -> str:
    """The code, then the tests, then `check(entry_point)` in one file: what HumanEval's own
    harness runs. Not used for scoring (the code could read or cheat its tests); kept as the
    baseline of `benchmarks/bench_sandbox_humaneval.py`."""
    program = f"{code.rstrip()}\n\n{test_code.rstrip()}\n"
    if entry_point:
        program += f"\n\ncheck({entry_point})\n"
    return program


class CodeChecker:
    """Scores `task.type == "code"` items by running them in `sandbox`."""

    def __init__(
        self,
        sandbox: Sandbox | SandboxGate,
        *,
        default_limits: Limits | None = None,
        answer_tag: str = "answer",
        retries: int = 2,
    ) -> None:
        self.sandbox = sandbox
        self.default_limits = default_limits or Limits()
        self.answer_tag = answer_tag
        self.retries = retries

    async def score(self, items: Sequence[ScoreItem]) -> list[ComponentScore | ItemError]:
        return list(await asyncio.gather(*(self._score_item(item) for item in items)))

    async def _score_item(self, item: ScoreItem) -> ComponentScore | ItemError:
        task = item.task
        assert isinstance(task, CodeTask)
        try:
            return await self.check(completion_text(item.completion), task)
        except UnsupportedLanguage as exc:
            return ItemError(str(exc), failure=Failure.INVALID_ITEM)

    def _limits(self, task: CodeTask) -> Limits:
        limits = self.default_limits
        if task.time_limit_s is not None:
            limits = replace(limits, time_limit_s=task.time_limit_s)
        if task.memory_limit_mb is not None:
            limits = replace(limits, memory_limit_mb=task.memory_limit_mb)
        return limits

    async def check(self, completion: str, task: CodeTask) -> ComponentScore | ItemError:
        """Score one completion against one code task."""
        program = program_code(completion, task, answer_tag=self.answer_tag)
        name, code = program.language, program.code
        details: dict[str, Any] = {"language": name}
        if not program.body.strip():
            return ComponentScore(0.0, details | {"verdicts": [], "reason": "no code in the completion"})
        limits = self._limits(task)
        if task.tests is None:
            return await self._check_function_calls(code, task, limits, details)
        return await self._check_outputs(name, code, task, limits, details)

    async def _check_function_calls(
        self, code: str, task: CodeTask, limits: Limits, details: dict[str, Any]
    ) -> ComponentScore | ItemError:
        nonce = secrets.token_hex(16)
        program = judge_program(
            code,
            task.test_code or "",
            entry_point=(task.entry_point or "").strip() or None,
            nonce=nonce,
            helpers=task.prompt_code,
        )
        execution = await self._execute(
            "python", program.main, [program.stdin], limits, None, files=program.files
        )
        if isinstance(execution, ItemError):
            return execution
        [run] = execution.runs
        verdict = read_verdict(run.stdout, nonce)
        outcome = verdict.get("status") if verdict else None
        if outcome in ("unsupported", "error"):
            return UnusableGold(f"the task's tests cannot be run: {verdict and verdict.get('reason')}")
        if outcome == "passed" and run.status is Verdict.OK:
            status = Verdict.ACCEPTED
        elif run.status is not Verdict.OK:
            status = run.status  # time, memory or output limit: the whole run stopped
        elif verdict is not None and verdict.get("error") not in (None, *_WRONG_ANSWER_ERRORS):
            status = Verdict.RUNTIME_ERROR  # the code crashed or raised, as a program would
        else:
            status = Verdict.WRONG_ANSWER
        accepted = status is Verdict.ACCEPTED
        details |= {"verdicts": [status.value], "passed": int(accepted), "total": 1}
        if verdict is not None:
            details |= {k: verdict[k] for k in ("tests", "failed", "assertions", "calls") if k in verdict}
            if verdict.get("reason"):
                details["reason"] = str(verdict["reason"])[:_TAIL]
        elif run.status is Verdict.OK:
            details["reason"] = "the judge gave no verdict"
        if not accepted and run.stderr:
            details["stderr"] = run.stderr[-_TAIL:]
        return ComponentScore(1.0 if accepted else 0.0, details)

    async def _check_outputs(
        self, name: str, code: str, task: CodeTask, limits: Limits, details: dict[str, Any]
    ) -> ComponentScore | ItemError:
        tests = task.tests or []

        def verdict(index: int, result: RunResult) -> Verdict:
            if result.status is not Verdict.OK:
                return result.status
            if task.checker is not None:
                return Verdict.ACCEPTED  # provisional: the checker decides below
            test = tests[index]
            tolerance = test.float_tolerance if test.float_tolerance is not None else task.float_tolerance
            ok = outputs_match(result.stdout, test.expected_stdout, tolerance, task.compare, task.float_error)
            return Verdict.ACCEPTED if ok else Verdict.WRONG_ANSWER

        def should_stop(index: int, result: RunResult) -> bool:
            return verdict(index, result) is not Verdict.ACCEPTED

        execution = await self._execute(
            name,
            code,
            [t.stdin for t in tests],
            limits,
            should_stop if task.stop_on_first_failure else None,
        )
        total = len(tests)
        if isinstance(execution, ItemError):
            return execution
        if execution.compile is not None and execution.compile.status is Verdict.COMPILE_ERROR:
            details |= {
                "verdicts": [Verdict.COMPILE_ERROR.value] * total,
                "passed": 0,
                "total": total,
                "compile_output": execution.compile.stderr[-_TAIL:],
            }
            return ComponentScore(0.0, details)
        verdicts = [verdict(i, r) for i, r in enumerate(execution.runs)]
        if task.checker is not None:
            judged = await run_checker(
                self, task.checker, tests, execution.runs, verdicts, self.default_limits
            )
            if isinstance(judged, ItemError):
                return judged
            verdicts = judged
        passed = sum(v is Verdict.ACCEPTED for v in verdicts)
        details |= {"verdicts": [v.value for v in verdicts], "passed": passed, "total": total}
        if len(verdicts) < total:
            details["skipped"] = total - len(verdicts)
        failed = next(
            (r for v, r in zip(verdicts, execution.runs, strict=True) if v is not Verdict.ACCEPTED), None
        )
        if failed is not None and failed.stderr:
            details["stderr"] = failed.stderr[-_TAIL:]
        return ComponentScore(passed / total, details)

    async def _execute(
        self,
        language: str,
        code: str,
        stdins: list[str],
        limits: Limits,
        should_stop: StopRule | None,
        *,
        files: Mapping[str, str | bytes] | None = None,
    ) -> Execution | ItemError:
        for attempt in range(self.retries + 1):
            execution = await self.sandbox.execute(
                language, code, stdins, files=files, limits=limits, should_stop=should_stop
            )
            problem = execution.sandbox_error
            if problem is None:
                return execution
            # Verdicts of finished runs are counted from the results by /v1/score; failed attempts only here.
            metrics.record_sandbox_verdict("sandbox_error")
            log.warning("sandbox error (attempt %d of %d): %s", attempt + 1, self.retries + 1, problem)
        return ItemError(
            f"sandbox error after {self.retries + 1} attempts: {problem}",
            failure=Failure.SANDBOX_ERROR,
            details={"attempts": self.retries + 1},
        )
