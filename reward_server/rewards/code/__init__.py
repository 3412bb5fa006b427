"""The code accuracy checker: runs a completion's code against its task's tests in the sandbox.

Two task styles:
- HumanEval style (`test_code` + `entry_point`): the program is the extracted code, then
  `test_code`, then `check(entry_point)`; it passes when it exits 0. One test.
- Judge style (`tests`: stdin / expected stdout pairs): compiled once, run once per test; outputs
  are compared line by line, ignoring trailing whitespace, with the same number of lines, and
  numbers within `float_tolerance` when one is given.

Score = fraction of tests accepted. `details["verdicts"]` lists one verdict per test run. Only
`sandbox_error` is retried; if it persists the item gets an error (no made-up 0).
"""

from __future__ import annotations

import asyncio
import logging
import math
import secrets
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from reward_server import metrics
from reward_server.rewards.base import ComponentScore, ItemError
from reward_server.rewards.text import completion_text, fenced_blocks, tag_block
from reward_server.schemas import CodeTask, ScoreItem
from sandboxes import Execution, Limits, RunResult, Sandbox, UnsupportedLanguage, Verdict
from sandboxes.languages import language_names, resolve_language

log = logging.getLogger(__name__)

_TAIL = 2000  # characters of stderr kept in details


def extract_code(text: str, language: str, *, answer_tag: str = "answer") -> str:
    """The code to run: the last fenced block of `language` in the `<answer>` block, else in the
    whole text; an untagged fence counts when no block names the language; with no fence at all,
    the `<answer>` block's text, else the whole text.

    >>> extract_code("<answer>```python\\nprint(1)\\n```</answer>", "python")
    'print(1)\\n'
    """
    names = language_names(language)
    answer = tag_block(text, answer_tag)
    for scope in ([answer] if answer is not None else []) + [text]:
        blocks = fenced_blocks(scope)
        tagged = [code for lang, code in blocks if lang in names]
        if tagged:
            return tagged[-1]
        untagged = [code for lang, code in blocks if not lang]
        if untagged:
            return untagged[-1]
    return answer if answer is not None else text


def _lines(output: str) -> list[str]:
    lines = [line.rstrip() for line in output.replace("\r\n", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _same_token(actual: str, expected: str, tolerance: float) -> bool:
    if actual == expected:
        return True
    try:
        a, e = float(actual), float(expected)
    except ValueError:
        return False
    if math.isnan(a) or math.isnan(e):
        return math.isnan(a) and math.isnan(e)
    return abs(a - e) <= tolerance * max(1.0, abs(e))


def outputs_match(actual: str, expected: str, float_tolerance: float | None = None) -> bool:
    """Line-by-line comparison ignoring trailing whitespace (and trailing blank lines).

    With `float_tolerance`, lines may also match token by token where numbers differ by at most
    the tolerance (absolute below 1, relative above).
    """
    got, want = _lines(actual), _lines(expected)
    if len(got) != len(want):
        return False
    for line_got, line_want in zip(got, want, strict=True):
        if line_got == line_want:
            continue
        if float_tolerance is None:
            return False
        tokens_got, tokens_want = line_got.split(), line_want.split()
        if len(tokens_got) != len(tokens_want):
            return False
        if not all(_same_token(a, e, float_tolerance) for a, e in zip(tokens_got, tokens_want, strict=True)):
            return False
    return True


def humaneval_program(code: str, test_code: str, entry_point: str | None, *, token: str | None = None) -> str:
    """The code, then the tests, then `check(entry_point)`; then, with `token`, a line printing it.

    The token proves the tests ran to the end: code that exits early with status 0 (`sys.exit(0)`,
    `os._exit(0)` at top level, a classic reward hack) never prints it.
    """
    program = f"{code.rstrip()}\n\n{test_code.rstrip()}\n"
    if entry_point:
        program += f"\n\ncheck({entry_point})\n"
    if token:
        program += f'\n__import__("sys").stdout.write("\\n{token}\\n")\n'
    return program


def _ran_to_the_end(stdout: str, token: str) -> bool:
    lines = stdout.rstrip("\n").rsplit("\n", 1)
    return lines[-1] == token


class CodeChecker:
    """Scores `task.type == "code"` items by running them in `sandbox`."""

    def __init__(
        self,
        sandbox: Sandbox,
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
            return ItemError(str(exc))

    def _limits(self, task: CodeTask) -> Limits:
        limits = self.default_limits
        if task.time_limit_s is not None:
            limits = replace(limits, time_limit_s=task.time_limit_s)
        if task.memory_limit_mb is not None:
            limits = replace(limits, memory_limit_mb=task.memory_limit_mb)
        return limits

    async def check(self, completion: str, task: CodeTask) -> ComponentScore | ItemError:
        """Score one completion against one code task."""
        language = resolve_language(task.language)
        name = language.name if language else task.language
        code = extract_code(completion, name, answer_tag=self.answer_tag)
        details: dict[str, Any] = {"language": name}
        if not code.strip():
            return ComponentScore(0.0, details | {"verdicts": [], "reason": "no code in the completion"})
        limits = self._limits(task)
        if task.tests is not None:
            tests = task.tests
            expected = [t.expected_stdout for t in tests]

            def verdict(index: int, result: RunResult) -> Verdict:
                if result.status is not Verdict.OK:
                    return result.status
                ok = outputs_match(result.stdout, expected[index], task.float_tolerance)
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
        else:
            # `check(entry_point)` is Python's HumanEval convention; other languages' tests carry a main.
            python = name == "python"
            token = secrets.token_hex(16) if python else None
            program = humaneval_program(
                code, task.test_code or "", task.entry_point if python else None, token=token
            )

            def verdict(index: int, result: RunResult) -> Verdict:
                if result.status is Verdict.OK:
                    if token is not None and not _ran_to_the_end(result.stdout, token):
                        return Verdict.WRONG_ANSWER  # exited 0 before the tests finished
                    return Verdict.ACCEPTED
                if result.status is Verdict.RUNTIME_ERROR and "AssertionError" in result.stderr[-_TAIL:]:
                    return Verdict.WRONG_ANSWER
                return result.status

            execution = await self._execute(name, program, [""], limits, None)
            total = 1
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
        self, language: str, code: str, stdins: list[str], limits: Limits, should_stop: Any
    ) -> Execution | ItemError:
        for attempt in range(self.retries + 1):
            execution = await self.sandbox.execute(
                language, code, stdins, limits=limits, should_stop=should_stop
            )
            problem = execution.sandbox_error
            if problem is None:
                return execution
            # Verdicts of finished runs are counted from the results by /v1/score; failed attempts only here.
            metrics.record_sandbox_verdict("sandbox_error")
            log.warning("sandbox error (attempt %d of %d): %s", attempt + 1, self.retries + 1, problem)
        return ItemError(f"sandbox error after {self.retries + 1} attempts: {problem}")
