"""The `efficiency` reward: how little CPU time passing code needs, against a reference.

For a code task, opt-in (weight 0 unless asked):
- code that fails any test scores 0 (the verdict is the `accuracy` run's own: the two components
  share one sandbox run per item within a scoring call, see `rewards.shared_runs`);
- passing code scores `min(1, max(reference, floor) / max(own, floor))`, or 1.0 when both are
  under `floor` (10 ms: below that, start-up jitter is larger than the difference). `own` and
  `reference` are CPU seconds summed over the tests, each test's time the least of 3 to 9 runs
  (repeated until the two least run totals agree within 10 %) less the language's start-up (the
  least CPU time of a program that does nothing, run the same way in the same sandbox). The
  reference is the task's `reference_solution` run in the same sandbox on the same tests, or
  else its `reference_time_s` (a total over the tests, start-up excluded).

CPU time comes from the sandbox (`RunResult.cpu_time_s`: the cgroup's count for the whole process
tree where the backend has one, else the kernel's rusage of the process), never the wall clock,
so a busy host changes it little. For function-call tests the code under test runs in its own
interpreter behind the judge: its time is the run's CPU less the judge's own share.

Example: the reference takes 40 ms over the tests, the completion 160 ms -> 0.25.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from reward_server.rewards.base import ComponentOutcome, ComponentScore, ItemError
from reward_server.rewards.code import CodeChecker, CodeRun
from reward_server.rewards.shared_runs import run_once
from reward_server.rewards.text import completion_text
from reward_server.schemas import CodeTask, ScoreItem
from sandboxes.languages import resolve_language

__all__ = ["FLOOR_S", "EfficiencyComponent", "efficiency_score"]

FLOOR_S = 0.010
"""CPU seconds below which two times are not told apart (start-up jitter is a few ms)."""
MIN_RUNS = 3
"""Runs per program at least; each test's time is its least CPU time over the runs (interference
from other work only ever adds CPU time: cache misses, a busy sibling hyperthread, so the minimum
is the estimate a busy host moves least)."""
MAX_RUNS = 9
"""Runs at most for a program whose first run took under `LONG_RUN_S` in all (cheap to repeat)."""
MAX_LONG_RUNS = 5
LONG_RUN_S = 0.5
AGREEMENT = 0.10
"""Repeats stop once the two least run totals agree within 10 % (or `FLOOR_S` / 5)."""

# A program that does nothing, per language: its CPU time is the language's start-up.
_IDLE_PROGRAMS = {
    "python": "pass\n",
    "cpp": "int main() { return 0; }\n",
    "c": "int main(void) { return 0; }\n",
    "javascript": "0;\n",
    "java": "public class Main { public static void main(String[] args) {} }\n",
    "go": "package main\n\nfunc main() {}\n",
    "rust": "fn main() {}\n",
}
_IDLE_FUNCTION = ("def idle():\n    return 1\n", "assert idle() == 1\n")


def efficiency_score(own_s: float, reference_s: float, floor_s: float = FLOOR_S) -> float:
    """`min(1, max(reference_s, floor_s) / max(own_s, floor_s))`; 1.0 when both are under `floor_s`.

    >>> efficiency_score(0.160, 0.040)
    0.25
    """
    if own_s < floor_s and reference_s < floor_s:
        return 1.0
    return min(1.0, max(reference_s, floor_s) / max(own_s, floor_s))


def _digest(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8", "surrogatepass") + b"\0")
    return digest.hexdigest()


def _verdicts(run: CodeRun) -> list[str]:
    outcome = run.outcome
    return list(outcome.details.get("verdicts", [])) if isinstance(outcome, ComponentScore) else []


class _Failed(Exception):
    """A repeat run did not pass (or could not run): `outcome` is what the item gets."""

    def __init__(self, outcome: ComponentOutcome) -> None:
        super().__init__(str(outcome))
        self.outcome = outcome


class EfficiencyComponent:
    """Scores passing code by its CPU time against a reference (see the module docstring)."""

    name = "efficiency"

    def __init__(self, checker: CodeChecker, *, floor_s: float = FLOOR_S) -> None:
        self.checker = checker
        self.floor_s = floor_s

    async def score(self, items: Sequence[ScoreItem]) -> list[ComponentOutcome]:
        return list(await asyncio.gather(*(self._score_item(item) for item in items)))

    async def _score_item(self, item: ScoreItem) -> ComponentOutcome:
        task = item.task
        if not isinstance(task, CodeTask):
            return ItemError(
                "efficiency scores code tasks only: give the item a code task, or drop the efficiency weight"
            )
        if task.reference_solution is None and task.reference_time_s is None:
            return ItemError(
                "efficiency needs a reference: give the task a reference_solution (code in the task's "
                "language that passes its tests) or reference_time_s (the reference's CPU seconds over "
                "all tests, start-up excluded)"
            )
        completion = completion_text(item.completion)
        first = await self.checker.shared_run(completion, task)
        if isinstance(first.outcome, ItemError):
            return first.outcome
        if not first.accepted:
            details = {k: first.outcome.details[k] for k in ("passed", "total") if k in first.outcome.details}
            return ComponentScore(0.0, details | {"reason": "the code fails a test"})
        try:
            return await self._compare(first, completion, task)
        except _Failed as failed:
            return failed.outcome

    async def _compare(self, first: CodeRun, completion: str, task: CodeTask) -> ComponentScore:
        own_runs, startup_s, reference = await asyncio.gather(
            self._repeat(first, lambda: self.checker.run(completion, task), "the code"),
            self._startup_s(task),
            self._reference(task),
        )
        own = _least(own_runs)
        own_s = _net(own, startup_s)
        details: dict[str, Any] = {
            "own_cpu_s": own,
            "startup_cpu_s": round(startup_s, 6),
            "own_s": own_s,
            "runs": len(own_runs),
            "floor_s": self.floor_s,
        }
        if isinstance(reference, list):  # per-test times of the reference solution
            reference_s = _net(reference, startup_s)
            details |= {"reference": "reference_solution", "reference_cpu_s": reference}
        else:
            reference_s = reference
            details["reference"] = "reference_time_s"
        details["reference_s"] = reference_s
        return ComponentScore(efficiency_score(own_s, reference_s, self.floor_s), details)

    async def _repeat(
        self, first: CodeRun, again: Callable[[], Awaitable[CodeRun]], who: str
    ) -> list[tuple[float, ...]]:
        """CPU times per test of `first` and of the repeats, run one after another (runs of the
        same program in parallel would compete for the same caches) until `_settled`."""
        runs = [first.cpu_time_s]
        limit = MAX_RUNS if sum(first.cpu_time_s) < LONG_RUN_S else MAX_LONG_RUNS
        while not _settled([sum(r) for r in runs], limit, self.floor_s):
            run = await again()
            if isinstance(run.outcome, ItemError):
                raise _Failed(run.outcome)
            if not run.accepted:
                reason = f"{who} failed a test on repeat run {len(runs) + 1} (verdicts {_verdicts(run)})"
                raise _Failed(ComponentScore(0.0, {"reason": reason}))
            runs.append(run.cpu_time_s)
        return runs

    async def _reference(self, task: CodeTask) -> list[float] | float:
        """Per-test CPU seconds (least of the runs) of the reference solution, or `reference_time_s`."""
        code = task.reference_solution
        if code is None:
            assert task.reference_time_s is not None
            return task.reference_time_s
        key = ("efficiency-reference", id(self), _digest(task.model_dump_json()))
        return await run_once(key, lambda: self._time_reference(code, task))

    async def _time_reference(self, code: str, task: CodeTask) -> list[float]:
        first = await self.checker.run_code(code, task)
        if isinstance(first.outcome, ItemError):
            raise _Failed(ItemError(f"reference_solution could not be run: {first.outcome.message}"))
        if not first.accepted:
            details = first.outcome.details
            raise _Failed(
                ItemError(
                    "reference_solution fails the task's own tests "
                    f"({details.get('passed', 0)}/{details.get('total', '?')} passed, verdicts "
                    f"{details.get('verdicts')}): fix it or give reference_time_s instead"
                )
            )
        try:
            runs = await self._repeat(first, lambda: self.checker.run_code(code, task), "reference_solution")
        except _Failed as failed:
            message = (
                failed.outcome.details["reason"] if isinstance(failed.outcome, ComponentScore) else failed
            )
            raise _Failed(ItemError(f"reference_solution is not reliable: {message}")) from None
        return _least(runs)

    async def _startup_s(self, task: CodeTask) -> float:
        """Least CPU seconds of a program that does nothing, in this task's language and test style
        (measured once per scoring call); 0 for a language without an idle program here."""
        language = resolve_language(task.language)
        name = language.name if language else task.language
        style = "function" if task.tests is None else "stdio"
        if style == "stdio" and name not in _IDLE_PROGRAMS:
            return 0.0
        key = ("efficiency-startup", id(self), name, style)
        return await run_once(key, lambda: self._time_startup(name, style))

    async def _time_startup(self, language: str, style: str) -> float:
        if style == "function":
            code, test_code = _IDLE_FUNCTION
            idle = CodeTask.model_validate({"type": "code", "language": language, "test_code": test_code})
        else:
            code = _IDLE_PROGRAMS[language]
            idle = CodeTask.model_validate(
                {"type": "code", "language": language, "tests": [{"stdin": "", "expected_stdout": ""}]}
            )
        times: list[float] = []
        while not _settled(times, MAX_RUNS, self.floor_s):
            run = await self.checker.run_code(code, idle)
            if isinstance(run.outcome, ItemError):
                raise _Failed(ItemError(f"measuring {language} start-up failed: {run.outcome.message}"))
            if not run.accepted:  # a toolchain that cannot run an empty program: no subtraction
                return 0.0
            times.append(run.cpu_time_s[0])
        return min(times)


def _settled(totals: list[float], limit: int, floor_s: float) -> bool:
    """Enough runs: `limit` of them, or at least `MIN_RUNS` whose two least totals agree."""
    if len(totals) >= limit:
        return True
    if len(totals) < MIN_RUNS:
        return False
    least, second = sorted(totals)[:2]
    return second - least <= max(AGREEMENT * least, floor_s / 5)


def _least(runs: list[tuple[float, ...]]) -> list[float]:
    return [round(min(times), 6) for times in zip(*runs, strict=True)]


def _net(per_test: list[float], startup_s: float) -> float:
    return round(sum(max(0.0, t - startup_s) for t in per_test), 6)
