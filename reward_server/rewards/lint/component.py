"""The lint reward: how clean a linter finds the code of a code task (opt-in: weight 0 unless asked).

The code is the program the accuracy checker runs (`program_code`); Python goes to ruff on the
host, C, C++, Java, Rust and Go to their compiler or `go vet` inside the language's sandbox, under
`lint_timeout_s` of CPU time and `lint_memory_limit_mb`. Nothing runs the program. Scores and
penalties: see `findings`; Python that can run code from a string (`exec`, `eval`, a module that
imports or starts processes, ...: `dynamic`) scores 0. A linter that does not finish (time,
memory, crash, a sandbox error that persists), a language without a linter, or an item that is
not a code task gets an item error, never a made-up score.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from typing import Any

from reward_server.rewards.base import ComponentScore, Failure, ItemError
from reward_server.rewards.code.extract import ProgramCode, program_code
from reward_server.rewards.lint.dynamic import hidden_code
from reward_server.rewards.lint.findings import PENALTY_PER_FINDING, lint_score, unlintable_score
from reward_server.rewards.lint.linters import SANDBOX_LINTERS, SandboxLinter, suppression
from reward_server.rewards.lint.ruff import (
    EXEC_RULE,
    RULES,
    RuffFailed,
    ruff_version,
    run_hidden_code_check,
    run_ruff,
)
from reward_server.rewards.text import completion_text
from reward_server.sandbox_gate import SandboxGate
from reward_server.schemas import CodeTask, ScoreItem
from sandboxes import Limits, Sandbox, UnsupportedLanguage, Verdict

__all__ = ["LINTED_LANGUAGES", "LintComponent"]

LINTED_LANGUAGES = ("python", *SANDBOX_LINTERS)
_UNREAD = re.compile(r"\b(?:warning|error)\b", re.I)
_TAIL = 1000
INLINE_CHECK_CHARS = 16_000
"""Programs up to this size get the hidden-code check in the server's process (about 1 ms for a
typical solution, ~40 ms at 16 000 on a busy host); larger ones in a child process under the lint limits."""


class LintComponent:
    """Scores code-task items by their linter findings, each in [0, 1]."""

    name = "lint"

    def __init__(
        self,
        sandbox: Sandbox | SandboxGate | None,
        *,
        time_limit_s: float = 10.0,
        memory_limit_mb: int = 2048,
        answer_tag: str = "answer",
        retries: int = 2,
    ) -> None:
        self.sandbox = sandbox
        self.time_limit_s, self.memory_limit_mb = time_limit_s, memory_limit_mb
        self.answer_tag, self.retries = answer_tag, retries
        self.limits = Limits(
            time_limit_s=time_limit_s,
            memory_limit_mb=memory_limit_mb,
            compile_time_limit_s=time_limit_s,
            compile_memory_limit_mb=memory_limit_mb,
        )

    async def score(self, items: Sequence[ScoreItem]) -> list[ComponentScore | ItemError]:
        return list(await asyncio.gather(*(self._score_item(item) for item in items)))

    async def _score_item(self, item: ScoreItem) -> ComponentScore | ItemError:
        task = item.task
        if not isinstance(task, CodeTask):
            return ItemError(
                'lint scores code tasks only: give the item a task such as {"type": "code", '
                '"language": "python", ...}, or drop the lint weight'
            )
        return await self.check(completion_text(item.completion), task)

    async def check(self, completion: str, task: CodeTask) -> ComponentScore | ItemError:
        """Lint the program `completion` gives for `task`."""
        program = program_code(completion, task, answer_tag=self.answer_tag)
        language = program.language
        if language != "python" and language not in SANDBOX_LINTERS:
            return ItemError(
                f"no linter for {language}: lint supports {', '.join(LINTED_LANGUAGES)}; "
                "drop the lint weight for these items"
            )
        details: dict[str, Any] = {"language": language}
        if not program.body.strip():
            return unlintable_score("no code in the completion", details)
        suppressed = suppression(language, program.code)
        if suppressed is not None:
            return unlintable_score(f"the code turns linter warnings off: {suppressed[:100]!r}", details)
        if language == "python":
            return await self._ruff(program, details)
        return await self._in_sandbox(program, SANDBOX_LINTERS[language], details)

    async def _ruff(self, program: ProgramCode, details: dict[str, Any]) -> ComponentScore | ItemError:
        details |= {"linter": ruff_version(), "rules": list(RULES)}
        try:
            report = await run_ruff(
                program.code, time_limit_s=self.time_limit_s, memory_limit_mb=self.memory_limit_mb
            )
        except RuffFailed as exc:
            return ItemError(f"lint: {exc}", failure=Failure.TIMEOUT)
        if report.truncated:
            details["truncated"] = True
            if len(report.findings) * PENALTY_PER_FINDING < 1:
                return ItemError(
                    "lint: ruff's report passed its size limit before it could be read",
                    failure=Failure.INTERNAL_ERROR,
                )
        if any(f.code == EXEC_RULE and not f.error for f in report.findings):
            return unlintable_score("the code runs code from a string (exec), which no linter sees", details)
        if not any(f.error for f in report.findings):
            try:
                hidden = await self._hidden_code(program.code)
            except RuffFailed as exc:
                return ItemError(f"lint: {exc}", failure=Failure.TIMEOUT)
            if hidden:
                return unlintable_score(f"the code can run code that no linter sees: it {hidden}", details)
        return lint_score(report.findings, details, prompt_lines=program.prompt_lines)

    async def _hidden_code(self, code: str) -> str | None:
        if len(code) <= INLINE_CHECK_CHARS:
            try:
                return hidden_code(code)
            except MemoryError:  # the parser's stack limit (`-` * 6000 + `1`): no real shortage at this size
                return "is nested too deeply to check (line ?)"
        return await run_hidden_code_check(
            code, time_limit_s=self.time_limit_s, memory_limit_mb=self.memory_limit_mb
        )

    async def _in_sandbox(
        self, program: ProgramCode, linter: SandboxLinter, details: dict[str, Any]
    ) -> ComponentScore | ItemError:
        details["linter"] = linter.tool
        if self.sandbox is None:
            return ItemError(f"lint for {program.language} runs in the sandbox, and this server has none")
        problem = ""
        for _ in range(self.retries + 1):
            try:
                execution = await self.sandbox.execute(
                    program.language, program.code, [""], limits=self.limits, command=linter.command
                )
            except UnsupportedLanguage as exc:
                return ItemError(f"lint: {exc}")
            problem = execution.sandbox_error or ""
            if not problem:
                break
        else:
            return ItemError(
                f"lint: sandbox error after {self.retries + 1} attempts: {problem}",
                failure=Failure.SANDBOX_ERROR,
            )
        [run] = execution.runs
        output = f"{run.stdout}\n{run.stderr}"
        findings = linter.parse(output)
        errors = any(f.error for f in findings)
        if run.status is Verdict.OUTPUT_LIMIT and len(findings) * PENALTY_PER_FINDING >= 1:
            details["truncated"] = True  # past the output limit: far more findings than a 0 takes
        elif not (run.status is Verdict.OK or (run.status is Verdict.RUNTIME_ERROR and errors)):
            limit = f" ({run.killed_by.value})" if run.killed_by not in (None, run.status) else ""
            return ItemError(
                f"lint: {linter.tool} did not finish: {run.status.value}{limit} under "
                f"{self.time_limit_s:g} s CPU and {self.memory_limit_mb} MB (lint_timeout_s, "
                f"lint_memory_limit_mb): {output.strip()[-_TAIL:]}",
                failure=Failure.TIMEOUT,
            )
        elif not findings and _UNREAD.search(output):
            return ItemError(
                f"lint: could not read {linter.tool}'s output: {output.strip()[-_TAIL:]}",
                failure=Failure.INTERNAL_ERROR,
            )
        return lint_score(findings, details, prompt_lines=program.prompt_lines)
