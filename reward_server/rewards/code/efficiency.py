"""The `efficiency` reward: how little CPU time passing code needs, against a reference.

For a code task, opt-in (weight 0 unless asked):
- code that fails any test scores 0 (the verdict is the `accuracy` run's own: the two components
  share one sandbox run per item within a scoring call, see `rewards.shared_runs`);
- passing code is scored in rounds; each round runs the code, the reference and an idle program
  (a program that does nothing: the language's start-up) back to back in the same sandbox, so the
  load of that moment weighs on all three alike. A round's score is
  `min(1, max(reference, floor) / max(own, floor))`, or 1.0 when both are under `floor` (10 ms, or
  half the start-ups the tests paid when that is more: CPU time that small is start-up jitter on a
  busy host, not the program's work), where `own` and `reference` are
  CPU seconds summed over the tests less one start-up per test (the median idle time of the
  rounds: each test's start-up is a draw from the same spread as the idle runs, so subtracting
  their least would charge the code with the spread). The item gets the median of 5 round scores
  (3 when a first run took 0.5 s or more), the first round reusing the accuracy run.
  The reference is the task's `reference_solution` run on the same tests, or else its
  `reference_time_s` (a total over the tests, start-up excluded) in every round.

CPU time comes from the sandbox (`RunResult.cpu_time_s`: the cgroup's count for the whole process
tree where the backend has one, else the kernel's rusage of the process), never the wall clock,
so a busy host changes it little. For function-call tests the code under test runs in its own
interpreter behind the judge: its time is the run's CPU less the judge's own share.

Example: the reference takes 40 ms over the tests, the completion 160 ms -> 0.25.
"""

from __future__ import annotations

import asyncio
import statistics
from collections.abc import Awaitable, Sequence
from typing import Any

from reward_server.outcomes import UnusableGold
from reward_server.rewards.base import ComponentOutcome, ComponentScore, ItemError
from reward_server.rewards.code import CodeChecker, CodeRun
from reward_server.rewards.text import completion_text
from reward_server.schemas import CodeTask, ScoreItem
from sandboxes import LocalSandbox, Sandbox
from sandboxes.languages import resolve_language

__all__ = ["FLOOR_S", "EfficiencyComponent", "counts_program_cpu", "efficiency_score"]

FLOOR_S = 0.010
# Below this share of the start-ups a run paid (one per test), a difference is start-up jitter.
STARTUP_JITTER = 0.5
"""CPU seconds below which two times are not told apart (start-up jitter is a few ms)."""
ROUNDS = 5
"""Rounds per item: the median of 5 round scores stays put when two rounds are disturbed."""
LONG_ROUNDS = 3
"""Rounds when the first runs of the code or the reference took `LONG_RUN_S` or more in all."""
LONG_RUN_S = 0.5

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


def counts_program_cpu(sandbox: Sandbox) -> bool:
    """Whether `sandbox` counts the CPU time of a program's whole process tree (a cgroup), which
    `efficiency` needs: without it a program could move its work into a child nobody waits for
    (rlimits only), or the count would be bubblewrap's own time, and slow code would score high."""
    if isinstance(sandbox, LocalSandbox):
        how, _ = sandbox.enforcement()
        return "cgroup" in how.get("cpu_time", "")
    return True  # Docker: the runner counts its container's cgroup less its own time


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
        """`ROUNDS` rounds of the code, the reference and an idle program run back to back, so that
        the load the host has in that moment weighs on all three alike; each round is scored on
        its own and the item gets the median round score."""
        reference = task.reference_solution
        idle = _idle_program(task)
        rounds = LONG_ROUNDS if sum(first.cpu_time_s) >= LONG_RUN_S else ROUNDS
        own: list[tuple[float, ...]] = [first.cpu_time_s]  # the first round's is the accuracy run
        refs: list[tuple[float, ...]] = []
        idles: list[float] = []
        for round_number in range(rounds):
            if round_number > 0:
                own.append(await self._again(self.checker.run(completion, task), "the code", len(own)))
            if reference is not None:
                refs.append(await self._reference_run(reference, task, len(refs)))
                if round_number == 0 and sum(refs[0]) >= LONG_RUN_S:
                    rounds = LONG_ROUNDS
            if idle is not None:
                idle_run = await self.checker.run_code(*idle)
                if isinstance(idle_run.outcome, ItemError):
                    raise _Failed(
                        ItemError(
                            f"measuring start-up failed: {idle_run.outcome.message}",
                            failure=idle_run.outcome.failure,
                        )
                    )
                if idle_run.accepted:  # else a toolchain that cannot run an empty program: no subtraction
                    idles.append(idle_run.cpu_time_s[0])
            if len(own) >= rounds:
                break
        # Start-up is the median idle time: the start-ups inside the code's runs spread as the idle
        # runs do (±5 ms for python3 on a quiet host), and the least of them would charge the code
        # with that spread. The code and the reference of the same round are compared (they shared
        # that round's load).
        startup = statistics.median(idles) if idles else 0.0
        tests = len(first.cpu_time_s)
        own_s = [max(0.0, sum(run) - tests * startup) for run in own]
        if reference is not None:
            reference_s = [max(0.0, sum(run) - tests * startup) for run in refs]
        else:
            assert task.reference_time_s is not None
            reference_s = [task.reference_time_s] * len(own)
        floor_s = max(self.floor_s, STARTUP_JITTER * tests * startup)
        scores = [efficiency_score(o, r, floor_s) for o, r in zip(own_s, reference_s, strict=True)]
        details: dict[str, Any] = {
            "own_cpu_s": _least(own),
            "startup_cpu_s": round(startup, 6),
            "own_s": round(statistics.median(own_s), 6),
            "reference_s": round(statistics.median(reference_s), 6),
            "round_scores": [round(x, 4) for x in scores],
            "floor_s": round(floor_s, 6),
        }
        if reference is not None:
            details |= {"reference": "reference_solution", "reference_cpu_s": _least(refs)}
        else:
            details["reference"] = "reference_time_s"
        return ComponentScore(statistics.median(scores), details)

    async def _again(self, running: Awaitable[CodeRun], who: str, done: int) -> tuple[float, ...]:
        """The CPU times of one more run of the code; a failed test on a repeat scores 0."""
        run = await running
        if isinstance(run.outcome, ItemError):
            raise _Failed(run.outcome)
        if not run.accepted:
            reason = f"{who} failed a test on repeat run {done + 1} (verdicts {_verdicts(run)})"
            raise _Failed(ComponentScore(0.0, {"reason": reason}))
        return run.cpu_time_s

    async def _reference_run(self, code: str, task: CodeTask, done: int) -> tuple[float, ...]:
        """One run of the reference solution; one that fails or cannot run makes the item an error."""
        run = await self.checker.run_code(code, task)
        if isinstance(run.outcome, ItemError):
            raise _Failed(
                ItemError(
                    f"reference_solution could not be run: {run.outcome.message}", failure=run.outcome.failure
                )
            )
        if not run.accepted:
            details = run.outcome.details
            problem = "fails the task's own tests" if done == 0 else f"failed a test on run {done + 1}"
            raise _Failed(
                UnusableGold(
                    f"reference_solution {problem} ({details.get('passed', 0)}/{details.get('total', '?')} "
                    f"passed, verdicts {details.get('verdicts')}): fix it or give reference_time_s instead"
                )
            )
        return run.cpu_time_s


def _idle_program(task: CodeTask) -> tuple[str, CodeTask] | None:
    """A program that does nothing, run the way `task` runs code (its CPU time is the start-up),
    or None for a language without one here."""
    language = resolve_language(task.language)
    name = language.name if language else task.language
    if task.tests is None:
        code, test_code = _IDLE_FUNCTION
        return code, CodeTask.model_validate({"type": "code", "language": name, "test_code": test_code})
    if name not in _IDLE_PROGRAMS:
        return None
    tests = [{"stdin": "", "expected_stdout": ""}]
    return _IDLE_PROGRAMS[name], CodeTask.model_validate({"type": "code", "language": name, "tests": tests})


def _least(runs: list[tuple[float, ...]]) -> list[float]:
    return [round(min(times), 6) for times in zip(*runs, strict=True)]
