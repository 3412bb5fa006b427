"""Process set-up for math workers: math-verify's global switches and the warm-up.

Importing the math package changes no state of other libraries: `configure_math_verify` does, and
it runs in each pool worker's initializer (`warm_up`), or by hand in a process that scores inline.
"""

from __future__ import annotations

import logging

__all__ = ["WARM_UP_PAIRS", "configure_math_verify", "warm_up"]


def configure_math_verify() -> None:
    """We run math-verify with its SIGALRM timeouts off (the pool kills overrunning workers), so its
    one-time "timeout is disabled" warning is noise; its parse failures are expected, not errors."""
    import math_verify.grader
    import math_verify.parser

    math_verify.parser.TIMEOUT_WARNING_SHOWN = True
    math_verify.grader.TIMEOUT_WARNING_SHOWN = True
    logging.getLogger("math_verify").setLevel(logging.ERROR)
    logging.getLogger("latex2sympy2_extended").setLevel(logging.ERROR)


WARM_UP_PAIRS = (
    ("\\boxed{\\frac{1}{2}}", "0.5"),
    ("\\boxed{(x+1)^2}", "x^2+2x+1"),
    ("\\boxed{[1, 2)}", "(-\\infty, 3]"),
    ("\\boxed{2\\sqrt{3}}", "\\sqrt{12}"),
    ("\\boxed{\\pi/3}", "\\frac{\\pi}{3}"),
    ("\\boxed{\\frac{-x-1}{1-x}}", "\\frac{x+1}{x-1}"),
    (
        "\\boxed{\\begin{bmatrix}1 & 2\\\\ 3 & 4\\end{bmatrix}}",
        "\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}",
    ),
    ("\\boxed{\\{1, 2\\}}", "\\{2, 1\\}"),
    ("\\boxed{\\sin(\\pi/6) + \\log_2 8 + e^{2}}", "3.5 + e^2"),
    ("\\boxed{y = 2x + 1}", "2x - y + 1 = 0"),
    ("\\boxed{x \\in (1, 2)}", "1 < x < 2"),
    ("The answer is $x = 5$.", "5"),
)


def warm_up() -> None:
    """Pay the first-use costs in a fresh worker instead of in its first items: imports, and the
    LaTeX grammar's prediction caches (its first parse of each construct costs 50-500 ms)."""
    from reward_server.rewards.math.verdict import check_math

    configure_math_verify()
    for completion, gold in WARM_UP_PAIRS:
        check_math(completion, gold)
        check_math(f"\\boxed{{{gold}}}", completion[7:-1] if completion.startswith("\\boxed") else gold)
