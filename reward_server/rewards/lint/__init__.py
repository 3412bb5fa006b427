"""The lint reward: a linter's findings on a code task's program, as a score in [0, 1]."""

from __future__ import annotations

from reward_server.rewards.lint.component import LINTED_LANGUAGES, LintComponent
from reward_server.rewards.lint.findings import PENALTY_PER_FINDING, Finding, lint_score

__all__ = ["LINTED_LANGUAGES", "PENALTY_PER_FINDING", "Finding", "LintComponent", "lint_score"]
