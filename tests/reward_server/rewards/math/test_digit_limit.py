"""One digit limit in the math reward (`numbers.MAX_DIGITS`): the exact path reads every literal the
guard lets through, so a long number is decided by exact rationals, never by a parser's rounding."""

from __future__ import annotations

from reward_server.rewards.math import check_math
from reward_server.rewards.math.guards import guard_reason
from reward_server.rewards.math.numbers import MAX_DIGITS, parse_plain_number

LONG = "7" * 600  # past the exact path's old 400-digit cap, within the answer-length guard


def test_a_long_literal_is_decided_exactly_both_ways() -> None:
    right = check_math(f"\\boxed{{{LONG}}}", f"{LONG}.0")
    assert (right.score, right.details["decided_by"]) == (1.0, "exact")
    wrong = check_math(f"The answer is \\boxed{{{LONG[:-1]}8}}", LONG)
    assert (wrong.score, wrong.details["decided_by"]) == (0.0, "exact")


def test_the_guard_and_the_exact_path_share_the_limit() -> None:
    at_limit, over = "7" * MAX_DIGITS, "7" * (MAX_DIGITS + 1)
    assert parse_plain_number(at_limit) is not None
    assert parse_plain_number(over) is None
    assert guard_reason(at_limit, limit=10 * MAX_DIGITS) is None
    assert guard_reason(over, limit=10 * MAX_DIGITS) == f"a number with more than {MAX_DIGITS} digits"
