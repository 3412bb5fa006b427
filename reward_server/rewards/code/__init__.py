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
import hashlib
import logging
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from reward_server import metrics
from reward_server.outcomes import Failure, ItemError, UnusableGold
from reward_server.rewards.base import ComponentScore
from reward_server.rewards.code.compare import outputs_match
from reward_server.rewards.code.extract import extract_code, program_code
from reward_server.rewards.code.harness import judge_program, read_verdict
from reward_server.rewards.code.special_judge import run_checker
from reward_server.rewards.shared_runs import run_once
from reward_server.rewards.text import completion_text
from reward_server.sandbox_gate import SandboxGate
from reward_server.schemas import CodeTask, ScoreItem
from sandboxes import Execution, Limits, RunResult, Sandbox, UnsupportedLanguage, Verdict
from sandboxes.base import StopRule
from sandboxes.languages import resolve_language

__all__ = ["CodeChecker", "CodeRun", "extract_code", "humaneval_program", "outputs_match"]

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


@dataclass(frozen=True, slots=True)
class CodeRun:
    """One judged run of a program: the accuracy outcome and, per test run, the CPU seconds the
    code under test used (judge style: each run's `cpu_time_s`; function-call tests: one entry,
    the run's CPU less the judge's own share). `cpu_time_s` is empty when nothing ran."""

    outcome: ComponentScore | ItemError
    cpu_time_s: tuple[float, ...] = ()

    @property
    def accepted(self) -> bool:
        """Every test passed."""
        return isinstance(self.outcome, ComponentScore) and self.outcome.score == 1.0


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
        return (await self.shared_run(completion_text(item.completion), task)).outcome

    async def shared_run(self, completion: str, task: CodeTask) -> CodeRun:
        """`run(completion, task)`, done once per scoring call for the same completion and task
        (see `rewards.shared_runs`): `accuracy` and `efficiency` share it."""
        digest = hashlib.sha256(task.model_dump_json().encode())
        digest.update(b"\0" + completion.encode("utf-8", "surrogatepass"))
        key = ("code", id(self), digest.hexdigest())
        return await run_once(key, lambda: self.run(completion, task))

    async def run(self, completion: str, task: CodeTask) -> CodeRun:
        """Run one completion's code against its task's tests: the outcome and the CPU times."""
        try:
            return await self._run(*self._program(completion, task), task)
        except UnsupportedLanguage as exc:
            return CodeRun(ItemError(str(exc), failure=Failure.INVALID_ITEM))

    async def run_code(self, code: str, task: CodeTask) -> CodeRun:
        """Run `code`, taken as is (no extraction; for `prompt_code` tasks, the body that
        continues the prompt), against the task's tests: a reference solution's run."""
        program = task.prompt_code + code if task.prompt_code is not None else code
        try:
            return await self._run(program, code, task)
        except UnsupportedLanguage as exc:
            return CodeRun(ItemError(str(exc), failure=Failure.INVALID_ITEM))

    def _limits(self, task: CodeTask) -> Limits:
        limits = self.default_limits
        if task.time_limit_s is not None:
            limits = replace(limits, time_limit_s=task.time_limit_s)
        if task.memory_limit_mb is not None:
            limits = replace(limits, memory_limit_mb=task.memory_limit_mb)
        return limits

    async def check(self, completion: str, task: CodeTask) -> ComponentScore | ItemError:
        """Score one completion against one code task."""
        return (await self.run(completion, task)).outcome

    def _program(self, completion: str, task: CodeTask) -> tuple[str, str]:
        """The program to run and the part of it the completion wrote."""
        program = program_code(completion, task, answer_tag=self.answer_tag)
        return program.code, program.body

    async def _run(self, code: str, body: str, task: CodeTask) -> CodeRun:
        language = resolve_language(task.language)
        name = language.name if language else task.language
        details: dict[str, Any] = {"language": name}
        if not body.strip():
            return CodeRun(
                ComponentScore(0.0, details | {"verdicts": [], "reason": "no code in the completion"})
            )
        limits = self._limits(task)
        if task.tests is None:
            return await self._check_function_calls(code, task, limits, details)
        return await self._check_outputs(name, code, task, limits, details)

    async def _check_function_calls(
        self, code: str, task: CodeTask, limits: Limits, details: dict[str, Any]
    ) -> CodeRun:
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
            return CodeRun(execution)
        [run] = execution.runs
        verdict = read_verdict(run.stdout, nonce)
        outcome = verdict.get("status") if verdict else None
        if outcome in ("unsupported", "error"):
            return CodeRun(
                UnusableGold(f"the task's tests cannot be run: {verdict and verdict.get('reason')}")
            )
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
        return CodeRun(ComponentScore(1.0 if accepted else 0.0, details), (_candidate_cpu_s(run, verdict),))

    async def _check_outputs(
        self, name: str, code: str, task: CodeTask, limits: Limits, details: dict[str, Any]
    ) -> CodeRun:
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
            return CodeRun(execution)
        if execution.compile is not None and execution.compile.status is Verdict.COMPILE_ERROR:
            details |= {
                "verdicts": [Verdict.COMPILE_ERROR.value] * total,
                "passed": 0,
                "total": total,
                "compile_output": execution.compile.stderr[-_TAIL:],
            }
            return CodeRun(ComponentScore(0.0, details))
        verdicts = [verdict(i, r) for i, r in enumerate(execution.runs)]
        if task.checker is not None:
            judged = await run_checker(
                self, task.checker, tests, execution.runs, verdicts, self.default_limits
            )
            if isinstance(judged, ItemError):
                return CodeRun(judged)
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
        cpu = tuple(r.cpu_time_s for r in execution.runs)
        return CodeRun(ComponentScore(passed / total, details), cpu)

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


def _candidate_cpu_s(run: RunResult, verdict: Mapping[str, Any] | None) -> float:
    """The CPU seconds of the code under test in a function-call run: everything the run used
    (the sandbox's measure: the whole process tree where cgroups count it) less the judge's own
    share, and never less than what the kernel charged the candidate's interpreter itself."""
    cpu = verdict.get("cpu") if verdict else None
    if not isinstance(cpu, Mapping):
        return run.cpu_time_s
    judge, candidate = cpu.get("judge_s"), cpu.get("candidate_s")
    if not isinstance(judge, int | float) or not isinstance(candidate, int | float):
        return run.cpu_time_s
    return max(float(candidate), run.cpu_time_s - float(judge), 0.0)
