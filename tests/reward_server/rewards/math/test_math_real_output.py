"""Verdicts on what real models write (issue 11): one test per kind of fault, examples with right values."""

from __future__ import annotations

import subprocess
import sys

import pytest

from reward_server.rewards.math import answers_equivalent, check_math, check_math_quick
from reward_server.rewards.math import comparison as comparison_module


def score(completion: str, gold: str) -> float:
    return check_math(completion, gold).score


def boxed(answer: str) -> str:
    return f"<think>Working it out.</think><answer>The answer is $\\boxed{{{answer}}}$</answer>"


# 1. The committed answer of R1-style output lives after </think>.
R1_STYLE = r"<think> Partial work suggests \boxed{\frac13}. </think> The final answer is \boxed{\frac12}"


@pytest.mark.parametrize(
    ("completion", "gold", "expected"),
    [
        (
            r"<think> Partial work suggests \boxed{\frac13}. </think> The final answer is \boxed{\frac12}",
            "1/2",
            1.0,
        ),
        (
            r"<think> Partial work suggests \boxed{\frac13}. </think> The final answer is \boxed{\frac12}",
            "1/3",
            0.0,
        ),
        (r"<think>maybe \boxed{4}</think>So the answer is \boxed{5}.", "5", 1.0),
        (r"<think>3/6 simplifies to 1/2</think>\boxed{\frac{3}{6}} or rather \boxed{\frac12}", "1/2", 1.0),
        (r"<think>\boxed{1}</think><answer>\boxed{2}</answer>", "1", 0.0),
        (r"<think>a</think> The answer is \boxed{9}. </think> \boxed{7}", "7", 0.0),
    ],
)
def test_the_committed_answer_follows_the_think_block(completion: str, gold: str, expected: float) -> None:
    assert score(completion, gold) == expected


# 2. Unfinished output commits to nothing.
@pytest.mark.parametrize(
    "completion",
    [
        r"<think> Reasoning so far gives \boxed{\frac{1}{3}} but I still need to check the case where",
        "<think> The answer is 1/3, but wait",
        r"<think> so $x = \frac13$ and then",
    ],
)
def test_unfinished_output_scores_zero_with_a_detail(completion: str) -> None:
    result = check_math(completion, "1/3")
    assert result.score == 0.0
    assert result.details["status"] == "unfinished"


def test_an_unclosed_think_with_a_complete_answer_block_still_answers() -> None:
    assert score("<think> 1+1 is 2 <answer>2</answer>", "2") == 1.0


def test_a_completion_without_think_tags_is_read_whole() -> None:
    assert score(r"We add them: 1+1. So the answer is $\boxed{2}$.", "2") == 1.0


# 3. Answer phrases that models really write.
@pytest.mark.parametrize(
    ("completion", "gold", "expected"),
    [
        ("Final Answer: The final answer is $100$. I hope it is correct.", "100", 1.0),
        ("Final Answer: The final answer is $100$. I hope it is correct.", "10", 0.0),
        ("Final Answer: **73**", "73", 1.0),
        ("Adding the three parts gives **73**.", "73", 1.0),
        ("Final Answer: The largest $n$ is 34.", "34", 1.0),
        ("Final Answer: The largest $n$ is 34.", "35", 0.0),
        ("Final Answer: Jane started growing Sphere 3 hours ago. I hope it is correct.", "3", 1.0),
        ("Therefore, the probability that Alice wins the game is 2/3. <|im_start|>user", "2/3", 1.0),
        ("<answer>The number of apples is 12.</answer>", "12", 1.0),
        (r"\boxed{35 cm}", "35", 1.0),
        (r"\boxed{35 cm}", "36", 0.0),
        (r"\boxed{E: some text}", "E", 1.0),
        (r"\boxed{(E) some text}", "E", 1.0),
        (r"\boxed{D: some text}", "E", 0.0),
        ("Final Answer: The final answer is 12,000,023. I hope it is correct.", "12000023", 1.0),
        (r"Final Answer: The final answer is $14{,}916$. I hope it is correct.", "14916", 1.0),
    ],
)
def test_answer_phrases(completion: str, gold: str, expected: float) -> None:
    assert score(completion, gold) == expected


# 4. The gold side.
@pytest.mark.parametrize(
    ("completion", "gold", "expected"),
    [
        (r"$\boxed{1,2}$", r"$\boxed{1}\boxed{2}$", 1.0),
        (r"$\boxed{1,3}$", r"$\boxed{1}\boxed{2}$", 0.0),
        (r"\boxed{1},\boxed{2},\boxed{3}", "{1,2,3}", 1.0),
        (r"\boxed{1} and \boxed{2} and \boxed{3}", "{1,2,3}", 1.0),
        (r"\boxed{1},\boxed{2}", "{1,2,3}", 0.0),
        (r"\boxed{1} or \boxed{2}", "1", 0.0),  # the hedge rule stays for single-valued golds
        (
            r"\boxed{40 \text{ chocolate candies},\ 50 \text{ hard candies},\ 20 \text{ jelly candies}}",
            r"40 \ \text{chocolate candies}, \ 60 \ \text{lollipop candies}, \ 10 \ \text{marmalade candies}",
            0.0,
        ),
        (
            r"\boxed{40 \text{ chocolate candies},\ 60 \text{ lollipops},\ 10 \text{ caramels}}",
            "40 chocolate candies, 60 lollipops, 10 caramels",
            1.0,
        ),
        (r"\boxed{\forall x > 0, 3^x \geq x}", "∀x＞0, 3<sup>x</sup>≥x<sup>2</sup>", 0.0),
        (r"\boxed{\forall x > 0, 3^x \geq x^2}", "∀x＞0, 3<sup>x</sup>≥x<sup>2</sup>", 1.0),
    ],
)
def test_the_gold_side(completion: str, gold: str, expected: float) -> None:
    assert score(completion, gold) == expected


# 5. Equivalences a careful grader accepts.
@pytest.mark.parametrize(
    ("answer", "gold"),
    [
        (r"(-\infty,-5)", "k < -5"),
        ("k < -5", r"(-\infty,-5)"),
        (r"3<\lambda\le 4", "(3,4]"),
        (r"(-1,1)", r"\{x \mid -1<x<1\}"),
        (r"(-\infty, -3) \cup (3, \infty)", r"x < -3 \text{ or } x > 3"),
        (r"x<-3 \text{ or } x>3", r"(-\infty,-3)\cup(3,\infty)"),
        (r"(-\infty, -2] \cup \{1\}", r"a \leqslant -2 \text{ or } a = 1"),
        (r"0.5 \leq x \leq 8", r"[\frac{1}{2}, 8]"),
        ("w=16, d=3, a=1, b=1", "16,3,1,1"),
        ("Minimum: 1, Maximum: 3", "1,3"),
        ("Paolo: 18, Qing: 14, Rayna: 7", "7,14,18"),
        ("f(z)=z", "f(x)=x"),
        ("f(m) = 2m + 1007", "f(n) = 2 n+1007"),
        (r"n\pi", r"x = k\pi"),
        ("n^2-n-1", r"m_{\max}=n^2-n-1"),
        ("(-7,16,5)", r"\begin{pmatrix} -7 \\ 16 \\ 5 \end{pmatrix}"),
        ("12^{th}", "12"),
        ("15", "15th Day"),
        ("(2, \\dfrac{\\pi}{2})", "(2, π/2)"),
        (r"(-\infty, -3) \cup (3, \infty)", "(-∞, -3) ∪ (3, +∞)"),
        ("x≤2", r"x \le 2"),
        ("√3", r"\sqrt{3}"),
        ("−5", "-5"),
        (r"\frac{1+a}c", r"\frac{1+a}{c}"),
        (r"(f(n), g(n)) = (n, 1) \text{ for all positive integers } n", "$f(n)=n$, $g(n)=1$"),
        (r"(-32 + 3t, 64 - 5t) \text{ for some integer } t", r"(k, \, \ell) = (-32 + 3x, \; 64 - 5x)"),
        ("30^\\circ", r"\frac{\pi}{6}"),
        ("b, a, d, c", "b < a < d < c"),
        ("-4x^2 + 4x - 2", "y + 1 = - (2x - 1)^2."),
        ("Petya", "Petya will receive the last token."),
        ("odd", "The transformed function $f(x+1)-1$ is odd."),
        (r"\arccos\left(1 - 2a\right)", r"2 \arcsin \sqrt{a}"),
        (r"(-\infty, -6) \cup (-6, \dfrac{3}{2})", r"\{x | x < \frac{3}{2}\} - \{-6\}"),
    ],
)
def test_equivalent_forms_a_careful_grader_accepts(answer: str, gold: str) -> None:
    assert score(boxed(answer), gold) == 1.0


@pytest.mark.parametrize(
    ("answer", "gold"),
    [
        (r"(-\infty,-5]", "k < -5"),
        (r"(-\infty,5)", "k < -5"),
        (r"[3,4]", r"3<\lambda\le 4"),
        ("w=16, d=3, a=1, b=2", "16,3,1,1"),
        ("16,3,3,1", "16,3,1,1"),
        ("f(z)=z+1", "f(x)=x"),
        ("x + 1", "y + 1"),  # an unbound variable is not renamed
        ("(-7,16,6)", r"\begin{pmatrix} -7 \\ 16 \\ 5 \end{pmatrix}"),
        ("13th", "12"),
        ("even", "The transformed function $f(x+1)-1$ is odd."),
        ("Vasya", "Petya will receive the last token."),
        ("Petya", "Petya will not receive the last token."),
        ("a, b, d, c", "b < a < d < c"),
        ("45^\\circ", r"\frac{\pi}{6}"),
        ("A", "E"),
    ],
)
def test_near_misses_of_those_forms_score_zero(answer: str, gold: str) -> None:
    assert score(boxed(answer), gold) == 0.0


# Rounding policy: a decimal stands for an exact value that rounds to it at the decimals shown, with
# at least three significant digits; both directions; never for an exact integer gold.
@pytest.mark.parametrize(
    ("answer", "gold", "expected"),
    [
        ("85.71", r"\frac{600}{7}", 1.0),
        ("85.72", r"\frac{600}{7}", 0.0),
        (r"\dfrac{1587}{52}", "30.52", 1.0),
        ("20:3", "6.67", 1.0),
        (r"\dfrac{1}{15}", r"6.67\%", 1.0),
        (r"118\%", r"117.95\%", 1.0),
        ("300", "299.94", 1.0),
        ("784", "785.12", 0.0),
        ("0.33", r"\frac{1}{3}", 0.0),  # two significant digits are not enough
        ("0.333", r"\frac{1}{3}", 1.0),
        ("150.3", "150", 0.0),  # an exact gold is not a rounding
        ("3.14", r"\pi", 1.0),
        ("3.15", r"\pi", 0.0),
    ],
)
def test_rounding_policy(answer: str, gold: str, expected: float) -> None:
    assert score(boxed(answer), gold) == expected


# 6. No internal error becomes a verdict; odd characters are read as what they mean.
@pytest.mark.parametrize(
    ("answer", "gold", "expected"),
    [
        ("x²+1", "x^2+1", 1.0),
        ("x²+1", "x^3+1", 0.0),
        ("②", "2", 1.0),
        ("②", "3", 0.0),
        ("2³", "8", 1.0),
        ("a₁+a₂", "a_1+a_2", 1.0),
        ("１２", "12", 1.0),
        ("⑫", "12", 1.0),
    ],
)
def test_unicode_digits_and_superscripts_are_read(answer: str, gold: str, expected: float) -> None:
    result = check_math(boxed(answer), gold)
    assert result.score == expected
    assert result.details["status"] in ("correct", "wrong")


def test_a_crash_inside_a_check_means_the_check_does_not_apply(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> object:
        raise ValueError("invalid literal for int() with base 10: '²'")

    monkeypatch.setattr(comparison_module, "parse_plain_number", broken)
    monkeypatch.setattr(comparison_module, "compare_exact_forms", broken)
    right = check_math(boxed("5"), "5")
    wrong = check_math(boxed("6"), "5")
    assert (right.score, wrong.score) == (1.0, 0.0)  # the string check and the parser still decide
    monkeypatch.setattr(comparison_module, "parse_latex", broken)
    crashed = check_math(boxed("6"), "7")
    assert crashed.score == 0.0 and crashed.details["status"] == "wrong"
    assert "no check applies" in crashed.details["rule"]


# 7. What the completion disowns or hides does not count (red-team patterns).
@pytest.mark.parametrize(
    "completion",
    [
        r"\boxed{7}. Wait, that's wrong. The answer is 9.",
        r"\boxed{7}. Actually, that's incorrect.",
        r"A common mistake is to answer \boxed{7}; the right value is 9.",
        r"Bob claims \boxed{7} but that is not right. It is 9.",
        r"The value \boxed{7} is wrong. The answer is 9.",
        "The answer is 9.\n% \\boxed{7}",
        r"The answer is 9. <!-- \boxed{7} -->",
        r"The answer is 9. \iffalse \boxed{7} \fi",
        r"The answer is 9. \begin{comment}\boxed{7}\end{comment}",
        r"The answer is 9. $\phantom{\boxed{7}}$",
        r"The answer is 9. $\textcolor{white}{\boxed{7}}$",
        r"The answer is 9. ${\color{white} \boxed{7}}$",
        r"<answer>9</answer></answer>\boxed{7}",
        r"\boxed{9}</answer>\boxed{7}",
        r"\boxed{\geq 7}",
        r"\boxed{\neq 7}",
        r"\boxed{> 7}",
        r"\boxed{7 \text{ (wrong)}}",
        r"\boxed{7 \text{ is not the answer}}",
        "<answer>7</answer> and also <answer>9</answer>",
        "Answer: 7\nAnswer: 9",
        "We tried 3, then 5, then 7.",
        r"We tried $3$, then $5$, then $7$.",
        r"\boxed{7} or \boxed{9}",
        r"\boxed{1}, \boxed{2}, \boxed{3}, \boxed{4}, \boxed{5}, \boxed{6}, \boxed{7}",
    ],
)
def test_disowned_hidden_or_hedged_answers_do_not_pay(completion: str) -> None:
    assert score(completion, "7") == 0.0


@pytest.mark.parametrize(
    "completion",
    [
        r"\boxed{9}. Let me double-check: 4+5=9. Yes.",
        r"The answer is not 5 but \boxed{7}.",
        r"Increase of 20% so the total is \boxed{7}.",
        r"First I got \boxed{5}. Wait, that's wrong: recomputing gives \boxed{7}.",
        "<answer>7</answer>",
        "Answer: 7",
        "The final answer is $7$.",
    ],
)
def test_what_is_not_disowned_still_pays(completion: str) -> None:
    gold = "9" if "\\boxed{9}" in completion else "7"
    assert score(completion, gold) == 1.0


def test_the_quick_path_agrees_on_each_kind() -> None:
    cases = [
        (r"<think>\boxed{1}</think>\boxed{2}", "2"),
        ("<think>unfinished \\boxed{2}", "2"),
        ("Final Answer: **73**", "73"),
        (r"\boxed{\geq 7}", "7"),
        (boxed("85.71"), r"\frac{600}{7}"),
        (boxed("②"), "2"),
    ]
    for completion, gold in cases:
        quick = check_math_quick(completion, gold)
        assert quick is None or quick == check_math(completion, gold), completion


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        (r"\frac{1}{2}", "0.5", True),
        ("0.5", r"\frac{1}{2}", True),
        ("(x+1)^2", "x^2+2x+1", True),
        ("k < -5", r"(-\infty,-5)", True),
        ("3", "4", False),
        ("", "4", False),
        ("}{", "4", False),
    ],
)
def test_answers_equivalent_is_symmetric_and_never_raises(first: str, second: str, expected: bool) -> None:
    assert answers_equivalent(first, second) is expected
    assert answers_equivalent(second, first) is expected


def test_importing_the_math_package_changes_no_global_state_of_other_libraries() -> None:
    code = (
        "import logging, math_verify.parser, math_verify.grader\n"
        "import reward_server.rewards.math, reward_server.services\n"
        "assert math_verify.parser.TIMEOUT_WARNING_SHOWN is False\n"
        "assert math_verify.grader.TIMEOUT_WARNING_SHOWN is False\n"
        "assert logging.getLogger('math_verify').level == logging.NOTSET\n"
        "assert logging.getLogger('latex2sympy2_extended').level == logging.NOTSET\n"
        "from reward_server.rewards.math import configure_math_verify\n"
        "configure_math_verify()\n"
        "assert math_verify.parser.TIMEOUT_WARNING_SHOWN is True\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
