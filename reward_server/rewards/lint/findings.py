"""What a linter found in one program, and the score that makes of it.

score = max(0, 1 - PENALTY_PER_FINDING × findings): every finding costs the same tenth, so ten
findings (or more) score 0. A flat count, not a rate per line, because GRPO compares completions
of the same prompt with each other, where lengths are alike, and a rate could be bought by padding
the program with clean lines. Code that does not parse (or compile, for the compilers), and code
that switches the linter's warnings off, scores 0.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from reward_server.rewards.base import ComponentScore

__all__ = ["MAX_LISTED", "PENALTY_PER_FINDING", "Finding", "lint_score", "unlintable_score"]

PENALTY_PER_FINDING = 0.1
MAX_LISTED = 20  # findings listed one by one in details; `counts` covers them all
BODY_RULES = frozenset({"C901"})
"""Rules reported on a function's `def` line but about its body: with `prompt_code` the `def` is the
prompt's and the body the completion's, so these count even on a prompt line."""
_MESSAGE_CHARS = 300


@dataclass(frozen=True, slots=True)
class Finding:
    """One diagnostic: `code` is the linter's rule (ruff `F401`, gcc `-Wunused-variable`, javac
    `rawtypes`, rustc `unused_variables`, go vet `printf`); `error` marks code the tool could not
    parse or compile; `line` is 1-based, None when the tool gave none."""

    code: str
    message: str
    line: int | None = None
    error: bool = False

    def as_detail(self) -> dict[str, Any]:
        return {"code": self.code, "line": self.line, "message": self.message[:_MESSAGE_CHARS]}


def lint_score(
    findings: Sequence[Finding], details: dict[str, Any], *, prompt_lines: int = 0
) -> ComponentScore:
    """The score of a program from its `findings`, with rule codes and messages in details.

    Findings on the first `prompt_lines` lines (the task's `prompt_code`, not the completion's
    doing) are left out and counted as `ignored_in_prompt`, except `BODY_RULES` (a too complex
    function is reported at its `def`, which a HumanEval prompt holds); a parse error counts
    wherever it is.

    >>> lint_score([Finding("F401", "`os` imported but unused", 1)], {}).score
    0.9
    """
    errors = [f for f in findings if f.error]
    if errors:
        return unlintable_score(
            "the code does not parse or compile", details, [f.as_detail() for f in errors[:MAX_LISTED]]
        )
    own = [f for f in findings if f.line is None or f.line > prompt_lines or f.code in BODY_RULES]
    if len(own) < len(findings):
        details["ignored_in_prompt"] = len(findings) - len(own)
    score = max(0.0, 1.0 - PENALTY_PER_FINDING * len(own))
    details |= {
        "findings": len(own),
        "penalty_per_finding": PENALTY_PER_FINDING,
        "counts": dict(Counter(f.code for f in own).most_common()),
        "messages": [f.as_detail() for f in own[:MAX_LISTED]],
    }
    return ComponentScore(round(score, 10), details)


def unlintable_score(
    reason: str, details: dict[str, Any], messages: list[dict[str, Any]] | None = None
) -> ComponentScore:
    """0 for code the linter cannot vouch for (no code, no parse, warnings switched off)."""
    details |= {"reason": reason, "penalty_per_finding": PENALTY_PER_FINDING}
    if messages:
        details["messages"] = messages
    return ComponentScore(0.0, details)
