"""Exact canonical forms: equal exactly when the mathematics is equal, None outside the class."""

from __future__ import annotations

import random

import pytest
from math_verify import parse, verify

from reward_server.rewards.math.comparison import compare_answer, compare_exact_forms, last_right_hand_side
from reward_server.rewards.math.exact_forms import forms_equal, parse_exact
from reward_server.rewards.math.exact_lists import (
    exact_lists_equal,
    exact_matrices_equal,
    parse_exact_list,
    parse_exact_matrix,
)
from tests.support.adversarial_math import COSTLY_FORMS


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("(x+1)^2", "x^2+2x+1"),
        ("(x+2)(x-3)", "x^2 - x - 6"),
        ("\\sqrt{12}", "2\\sqrt{3}"),
        ("\\frac{1}{\\sqrt{3}}", "\\frac{\\sqrt{3}}{3}"),
        ("\\sqrt{\\frac{1}{2}}", "\\frac{\\sqrt{2}}{2}"),
        ("(1+\\sqrt{2})^2", "3 + 2\\sqrt{2}"),
        ("\\sqrt{2}\\sqrt{6}", "2\\sqrt{3}"),
        ("\\frac{x^2-1}{2}", "\\frac{1}{2}x^2 - \\frac12"),
        ("391 - 16", "375"),
        ("2^{10}", "1024"),
        ("2^{-3}", "\\frac{1}{8}"),
        ("3 \\cdot 4 \\times 5", "60"),
        ("x^2y", "y x^2"),
        ("\\left(a+b\\right)^2", "a^2 + 2ab + b^2"),
        ("\\frac{x+7}{x-7}", "\\frac{-x-7}{7-x}"),
        ("\\frac{x^2-1}{x-1}", "x+1"),
        ("x^{-1}", "\\frac{1}{x}"),
        ("\\frac{1}{x} + \\frac{1}{y}", "\\frac{x+y}{xy}"),
        ("\\frac{\\pi}{3}", "\\frac{2\\pi}{6}"),
        # an integer then a fraction of integers is a mixed number, as latex2sympy reads it
        ("3\\frac{1}{2}", "\\frac{7}{2}"),
        ("-3\\frac{1}{2}", "-\\frac{7}{2}"),
        ("x + 3\\frac12", "x + \\frac{7}{2}"),
        ("3 \\cdot \\frac{1}{2}", "\\frac{3}{2}"),
        ("2\\frac{x}{3}", "\\frac{2x}{3}"),
    ],
)
def test_equal_forms(a: str, b: str) -> None:
    fa, fb = parse_exact(a), parse_exact(b)
    assert fa is not None and fb is not None
    assert forms_equal(fa, fb) is True


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("4", "4\\sqrt{2}"),
        ("\\frac{1}{2^{99}}", "\\frac{1}{2^{98}}"),
        ("x^2+2x+1", "x^2+2x-1"),
        ("(x+1)^2", "(x-1)^2"),
        ("\\sqrt{2}", "\\sqrt{3}"),
        ("x^2", "t^2"),
        ("\\frac{x+7}{x-7}", "\\frac{x-7}{x+7}"),
        ("\\frac{1}{x}", "x"),
    ],
)
def test_different_forms(a: str, b: str) -> None:
    fa, fb = parse_exact(a), parse_exact(b)
    assert fa is not None and fb is not None
    assert forms_equal(fa, fb) is False


@pytest.mark.parametrize(
    "text",
    [
        "e^2", "2i", "\\sin x", "\\frac{1}{x+\\sqrt{x}}", "\\sqrt{x}", "0.5x", "2^10", "x^23", "1/2x",
        "p(t)", "x(x+1)", "x^{1/2}", "(x+1)^{100}", "\\sqrt{-4}", "5!", "|x|", "x < 2", "",
    ],
)  # fmt: skip
def test_outside_the_class_is_refused(text: str) -> None:
    assert parse_exact(text) is None


def test_bracketed_lists() -> None:
    tuple_a, tuple_b = parse_exact_list("(1, 2)"), parse_exact_list("\\left(1,\\ 2\\right)")
    assert tuple_a and tuple_b and exact_lists_equal(tuple_a, tuple_b)
    swapped = parse_exact_list("(2, 1)")
    assert swapped and not exact_lists_equal(tuple_a, swapped)
    closed, half_open = parse_exact_list("[1, 2]"), parse_exact_list("[1, 2)")
    assert closed and half_open and not exact_lists_equal(closed, half_open)
    set_a, set_b = parse_exact_list("\\{1, \\sqrt{4}, 3\\}"), parse_exact_list("\\{3, 2, 1\\}")
    assert set_a and set_b and exact_lists_equal(set_a, set_b)
    assert parse_exact_list("(1, 2) \\cup (3, 4)") is None


def test_equations_compare_their_last_right_hand_side() -> None:
    assert last_right_hand_side("x = 4", "4") == "4"
    assert last_right_hand_side("391 - 16 = 375", "375") == "375"
    assert last_right_hand_side("x = 1, y = 2", "(1, 2)") is None
    assert last_right_hand_side("y = 2x + 1", "2x - y + 1 = 0") is None
    assert last_right_hand_side("x \\le 3", "3") is None
    verdict = compare_answer("p(t) = (t-1)(t-2)", "t^2 - 3t + 2")
    assert verdict.equal and "right-hand side" in verdict.details["compared"]


def test_exact_forms_decide_without_the_parser() -> None:
    verdict = compare_answer("\\sqrt{567}", "9\\sqrt{7}", allow_parser=False)
    assert verdict.equal and verdict.decided_by == "exact"
    verdict = compare_answer("(1, 2)", "x^2", allow_parser=False)
    assert not verdict.equal and "bracketed list" in verdict.details["rule"]


@pytest.mark.parametrize("text", COSTLY_FORMS)
@pytest.mark.timeout(10)  # a hang guard; the 50 ms target is benchmarks/bench_math_inline.py's
def test_costly_forms_are_refused_quickly(text: str) -> None:
    # this runs on the event loop (the inline path): it must stay cheap whatever the input
    parse_exact(text)


def test_pi_is_exact_as_a_transcendental() -> None:
    third, also_third, pi = parse_exact("\\frac{\\pi}{3}"), parse_exact("\\pi/3"), parse_exact("\\pi")
    two_pi = parse_exact("2\\pi")
    assert third and also_third and pi and two_pi
    assert forms_equal(third, also_third) is True
    assert forms_equal(two_pi, pi) is False
    assert compare_answer("\\frac{2\\pi}{6}", "\\pi/3", allow_parser=False).equal


def test_infinite_interval_ends() -> None:
    left_ray = parse_exact_list("(-\\infty, 3]")
    spelled, closed = parse_exact_list("\\left(-\\infty, 3\\right]"), parse_exact_list("[-\\infty, 3]")
    assert left_ray and spelled and closed
    assert exact_lists_equal(left_ray, spelled) is True
    assert exact_lists_equal(left_ray, closed) is True  # sympy's Interval opens an infinite end
    open_ray = parse_exact_list("(-\\infty, 3)")
    assert left_ray and open_ray and not exact_lists_equal(left_ray, open_ray)
    assert parse_exact_list("\\{1, \\infty\\}") is None


def test_matrices() -> None:
    p = parse_exact_matrix("\\begin{pmatrix} 1 & \\sqrt{8} \\\\ -1 & -6 \\end{pmatrix}")
    b = parse_exact_matrix("\\begin{bmatrix}1 & 2\\sqrt{2}\\\\ -1 & -6\\end{bmatrix}")
    assert p is not None and b is not None and exact_matrices_equal(p, b) is True
    assert parse_exact_matrix("\\begin{pmatrix} 1 & 2 \\\\ 3 \\end{pmatrix}") is None  # ragged
    assert parse_exact_matrix("\\begin{vmatrix} 1 & 2 \\\\ 3 & 4 \\end{vmatrix}") is None  # a determinant
    verdict = compare_answer(
        "\\begin{pmatrix}1&2\\\\3&5\\end{pmatrix}", "\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}"
    )
    assert not verdict.equal and verdict.decided_by == "exact"


_ATOMS = [
    "x", "y", "2", "3", "7", "\\sqrt{2}", "\\sqrt{8}", "\\pi", "\\frac{1}{2}", "\\frac{x}{3}", "x^2",
    "x^{-1}",
    "(x+1)", "(x-1)", "(y+2)", "\\frac{x+1}{x-1}", "2^{3}", "\\sqrt{\\frac{1}{2}}", "-(x+1)", "2(x+1)",
    "\\frac{-1}{x}", "{x}^{2}", "\\left(x+2\\right)", "\\frac{1}{\\sqrt{3}}", "x^{2}y", "xy", "\\pi^{2}",
    "3\\frac{1}{4}", "\\dfrac{2}{3}", "\\frac{x^2-1}{x+1}", "(-x)^{3}", "\\sqrt{\\frac{4}{9}}",
]  # fmt: skip


def _random_expression(rng: random.Random) -> str:
    terms = []
    for _ in range(rng.randint(1, 3)):
        factors = [rng.choice(_ATOMS) for _ in range(rng.randint(1, 2))]
        terms.append(rng.choice(["", "\\cdot ", " "]).join(factors))
    text = terms[0] + "".join(rng.choice(["+", "-"]) + t for t in terms[1:])
    if rng.random() < 0.2:
        text = f"({text})^{{2}}"
    if rng.random() < 0.2:
        denominator = rng.choice(["2", "x", "x+1", "\\sqrt{3}"])
        text = f"\\frac{{{text}}}{{{denominator}}}"
    return text


def test_exact_verdicts_agree_with_math_verify_on_random_expressions() -> None:
    """Differential check of the parser-free path: wherever it decides, math-verify agrees."""
    rng = random.Random(20261124)
    decided = 0
    for _ in range(120):
        gold = _random_expression(rng)
        answer = (
            _random_expression(rng) if rng.random() < 0.5 else gold.replace("\\cdot ", "").replace(" ", "")
        )
        verdict = compare_exact_forms(answer, gold)
        if verdict is None:
            continue
        decided += 1
        theirs = verify(parse(f"\\boxed{{{gold}}}"), parse(f"\\boxed{{{answer}}}"))
        assert verdict.equal == theirs, (gold, answer)
    assert decided >= 80
