"""The math reward: extract the final answer a completion commits to and check it against the gold.

Modules, in the order a verdict goes through them:
- `extraction` — where the committed answer is (after `</think>`, in `<answer>`, the last box, answer
  phrases), hedges, retractions, disowned and hidden boxes;
- `verdict` — `check_math` / `check_math_quick`: the gold side, hedges and lists, the free-text fallback;
- `comparison` — one answer string against the gold: string, guards, exact numbers, exact forms,
  then math-verify with the independent numeric check;
- `guards` — refusals without a parser (too costly, disowning wording, golds read only in part);
- `equivalence` — rewrites a careful grader accepts (intervals vs inequalities, labels, ordinals…);
- `numbers`, `exact_forms`, `exact_lists`, `numeric_check` — the checks themselves;
- `checker` — `MathChecker`, the accuracy component's math checker (inline verdicts and pool tasks);
- `setup` — math-verify's process-wide switches and the pool worker warm-up.
"""

from __future__ import annotations

from reward_server.rewards.math.checker import MathChecker
from reward_server.rewards.math.comparison import answers_equivalent
from reward_server.rewards.math.setup import WARM_UP_PAIRS, configure_math_verify, warm_up
from reward_server.rewards.math.verdict import check_math, check_math_quick, clean_gold

__all__ = [
    "MathChecker",
    "WARM_UP_PAIRS",
    "answers_equivalent",
    "check_math",
    "check_math_quick",
    "clean_gold",
    "configure_math_verify",
    "warm_up",
]
