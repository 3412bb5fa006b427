"""check_math: the final answer a completion commits to, checked against the gold answer."""

from __future__ import annotations

import json
import pickle
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reward_server.outcomes import UnusableGold
from reward_server.rewards.base import ComponentScore
from reward_server.rewards.math import check_math, check_math_quick
from reward_server.rewards.math.extraction import extract_answer, find_boxed, split_alternatives
from reward_server.rewards.math.numbers import numbers_equal, parse_plain_number
from tests.support.adversarial_math import ADVERSARIAL_COMPLETIONS


def score(completion: str, gold: str) -> float:
    return check_math(completion, gold).score


def boxed(answer: str) -> str:
    return f"<think>Some reasoning with 3 and 7 in it.</think><answer>\\boxed{{{answer}}}</answer>"


@pytest.mark.parametrize(
    ("answer", "gold"),
    [
        ("\\frac{1}{2}", "0.5"),
        ("0.5", "\\frac12"),
        ("\\dfrac{3}{4}", "0.75"),
        ("\\frac{6}{8}", "\\frac{3}{4}"),
        ("2\\frac{1}{2}", "\\frac{5}{2}"),
        ("\\sqrt{12}", "2\\sqrt{3}"),
        ("\\frac{\\sqrt{3}}{2}", "\\sin\\left(\\frac{\\pi}{3}\\right)"),
        ("(x+1)^2", "x^2+2x+1"),
        ("\\{3, 1, 2\\}", "\\{1,2,3\\}"),
        ("\\left[1, 2\\right)", "[1,2)"),
        ("\\left(1,\\ 2\\right)", "(1, 2)"),
        ("\\begin{bmatrix}1 & 2\\\\3 & 4\\end{bmatrix}", "\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}"),
        ("5\\text{ cm}", "5"),
        ("25\\%", "0.25"),
        ("1.5\\times 10^{3}", "1500"),
        ("30^\\circ", "30"),
        ("x = 5", "5"),
        ("6x - 2y + 26 = 0", "3x - y + 13 = 0"),
        ("\\frac{1}{\\sqrt{n}}", "\\sqrt{\\frac{1}{n}}"),
        ("1/\\sqrt{n}", "\\sqrt{1/n}"),
        ("0.333333", "\\frac{1}{3}"),
        ("1,000", "1000"),
        ("2^{10}", "1024"),
    ],
)
def test_equivalent_forms_score_one(answer: str, gold: str) -> None:
    assert score(boxed(answer), gold) == 1.0


@pytest.mark.parametrize(
    ("answer", "gold"),
    [
        # math-verify 0.9.0 judges these equal; issue 8 lists them
        ("1+\\frac{1}{e}", "1-\\frac{1}{e}"),
        ("\\frac{1}{2006!}", "\\frac{1}{2004!}"),
        ("\\frac{1}{2^{98}}", "\\frac{1}{2^{99}}"),
        ("4\\sqrt{2}", "4"),
        ("3x+4y+14=0", "3x-y+13=0"),
        # other near misses
        ("-\\frac{3}{4}", "\\frac{3}{4}"),
        ("(1, 2]", "[1, 2)"),
        ("(2, 1)", "(1, 2)"),
        ("\\{1, 2\\}", "\\{1, 2, 3\\}"),
        ("x - 1", "|x - 1|"),
        ("0.33", "\\frac{1}{3}"),
        ("2\\times 10^{-9}", "1\\times 10^{-9}"),
        ("x^2+2x-1", "x^2+2x+1"),
        ("\\begin{pmatrix}1&2\\\\3&5\\end{pmatrix}", "\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}"),
    ],
)
def test_near_misses_score_zero(answer: str, gold: str) -> None:
    result = check_math(boxed(answer), gold)
    assert result.score == 0.0, result.details


def test_counterexample_overrules_math_verify_false_equality() -> None:
    result = check_math(boxed("\\frac{1}{2006!}"), "\\frac{1}{2004!}")
    assert result.score == 0.0
    assert result.details["second_check"] == "not_equal"
    assert "counterexample" in result.details["rule"]
    assert result.details["math_verify"] == "not run"  # its "equal" would be overruled anyway


def test_math_verify_false_inequality_is_overruled_and_recorded() -> None:
    result = check_math(boxed("\\frac{1}{\\sqrt{n}}"), "\\sqrt{\\frac{1}{n}}")
    assert result.score == 1.0
    assert result.details["math_verify"] is False
    assert result.details["second_check"] == "equal"
    assert "identity" in result.details["rule"]


def test_plain_numbers_are_decided_exactly_without_math_verify() -> None:
    result = check_math(boxed("-\\frac{6}{8}"), "-0.75")
    assert result.score == 1.0
    assert result.details["decided_by"] == "exact"
    assert "math_verify" not in result.details


@pytest.mark.parametrize(
    "completion",
    [
        "The answer is $\\boxed{1}$, $\\boxed{2}$.",
        "So it is \\boxed{1} or \\boxed{2}.",
        "<answer>\\boxed{1 \\text{ or } 2}</answer>",
        "<answer>The answer is 1 or 2.</answer>",
        "<answer>It is either 2 or 1</answer>",
        "\\boxed{1}, \\boxed{2}, \\boxed{3}, \\boxed{4}, \\boxed{5}, \\boxed{6}",
    ],
)
def test_several_different_answers_at_once_score_zero(completion: str) -> None:
    for gold in ("1", "2"):
        result = check_math(completion, gold)
        assert result.score == 0.0, result.details
        assert "hedge" in result.details


def test_equal_answers_offered_together_are_fine() -> None:
    assert score("\\boxed{\\frac12} which is \\boxed{0.5}", "1/2") == 1.0
    assert score("\\boxed{2}. Checking again we still get \\boxed{2}.", "2") == 1.0


def test_self_correction_commits_to_the_last_answer() -> None:
    completion = "So the answer is \\boxed{3}. Wait, actually I dropped a term: it's 4. \\boxed{4}"
    assert score(completion, "4") == 1.0
    result = check_math(completion, "3")
    assert result.score == 0.0
    assert any("superseded" in note for note in result.details["extraction_notes"])


def test_intermediate_box_followed_by_reasoning_is_superseded() -> None:
    completion = (
        "The first part gives \\boxed{12}. Now using this value in the second equation, we substitute "
        "and simplify the whole expression carefully, which leads to the final value \\boxed{15}"
    )
    assert score(completion, "15") == 1.0


def test_roots_joined_by_or_match_a_set_gold() -> None:
    assert score("\\boxed{x = 2 \\text{ or } x = -3}", "\\{-3, 2\\}") == 1.0
    assert score("\\boxed{x = 2 \\text{ or } x = 3}", "\\{-3, 2\\}") == 0.0


def test_answer_block_is_preferred_over_the_thinking() -> None:
    completion = "<think>maybe \\boxed{5}?</think><answer>\\boxed{7}</answer>"
    assert score(completion, "7") == 1.0
    assert score(completion, "5") == 0.0
    assert score("<think>x</think><answer>7</answer>", "7") == 1.0
    assert score("<think>x</think><answer>The answer is $7$.</answer>", "7") == 1.0


def test_unmarked_answers_fall_back_to_math_verify_forms() -> None:
    assert score("After simplifying, the final answer is 42.", "42") == 1.0
    assert score("Therefore $x = \\frac{3}{2}$", "1.5") == 1.0
    result = check_math("I could not solve it.", "42")
    assert result.score == 0.0


def test_custom_answer_tag() -> None:
    completion = "<sol>\\boxed{9}</sol> \\boxed{8}"
    assert check_math(completion, "9", answer_tag="sol").score == 1.0
    assert check_math(completion, "9").score == 0.0


@pytest.mark.parametrize(
    "answer",
    [
        "9^{9^{9^{9}}}",
        "10^{10^{10}}",
        "2^{1000000000}",
        "(100000!)!",
        "{" * 300 + "1" + "}" * 300,
        "\\frac{" * 120 + "1" + "}{2}" * 120,
        "1" * 10_000,
        "x+" * 5_000 + "1",
        "\\left(" * 500 + "1" + "\\right)" * 500,
    ],
)
def test_pathological_answers_come_back_fast(answer: str) -> None:
    for completion in (f"\\boxed{{{answer}}}", f"<answer>{answer}</answer>"):
        start = time.perf_counter()
        result = check_math(completion, "7")
        assert time.perf_counter() - start < 1.0
        assert result.score == 0.0


def test_a_boxed_gold_is_unwrapped() -> None:
    assert score(boxed("0.5"), "$\\boxed{\\frac{1}{2}}$") == 1.0


def test_empty_gold_is_an_unusable_gold_error() -> None:
    with pytest.raises(UnusableGold, match="gold") as error:
        check_math("\\boxed{1}", "  ")
    assert error.value.failure == "unusable_gold"


def test_result_is_picklable_and_json_serialisable() -> None:
    result = check_math(boxed("\\frac{1}{2006!}"), "\\frac{1}{2004!}")
    assert isinstance(result, ComponentScore)
    assert pickle.loads(pickle.dumps(result)) == result
    json.dumps(result.details)
    for key in ("extracted_from", "extracted", "decided_by", "rule", "status"):
        assert key in result.details


def test_find_boxed_handles_nesting_and_fbox() -> None:
    text = "a \\boxed{\\frac{1}{2}} b \\fbox{3} c \\boxed 7."
    assert [c for _, _, c in find_boxed(text)] == ["\\frac{1}{2}", "3", "7"]


def test_split_alternatives_only_at_top_level() -> None:
    assert split_alternatives("1 \\text{ or } 2") == ["1", "2"]
    assert split_alternatives("x = 1 or x = 2") == ["x = 1", "x = 2"]
    assert split_alternatives("\\{1, 2\\}") == ["\\{1, 2\\}"]


def test_extraction_reports_its_source() -> None:
    assert extract_answer("\\boxed{1}").source == "boxed"
    assert extract_answer("The final answer is 5.").answers == ("5",)
    assert extract_answer("<answer>3.5</answer>").answers == ("3.5",)
    assert extract_answer("nothing here").source == "none"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("-\\frac{3}{4}", "-3/4"),
        ("\\dfrac{-3}{4}", "-3/4"),
        ("2\\frac{1}{2}", "5/2"),
        ("1,000,000", "1000000"),
        ("1.5\\times10^{3}", "1500"),
        ("3e-2", "3/100"),
        ("\\$5", "5"),
        ("12\\text{ cm}", "12"),
        ("\\frac12", "1/2"),
    ],
)
def test_plain_number_grammar(text: str, value: str) -> None:
    parsed = parse_plain_number(text)
    assert parsed is not None and str(parsed.value) == value


@pytest.mark.parametrize("text", ["x", "\\sqrt{2}", "1,2", "(1,2)", "\\frac{1}{0}", "2^{3}", ""])
def test_plain_number_grammar_refuses_anything_else(text: str) -> None:
    assert parse_plain_number(text) is None


def test_percentages_follow_math_verify() -> None:
    pct, half, nine = parse_plain_number("50\\%"), parse_plain_number("0.5"), parse_plain_number("9")
    assert pct and half and nine
    assert numbers_equal(pct, half)[0] and numbers_equal(half, pct)[0]
    nine_pct = parse_plain_number("9\\%")
    assert nine_pct and numbers_equal(nine_pct, nine)[0]


_PIECES = [
    "\\boxed{", "}", "{", "\\frac", "\\sqrt", "x", "1", "23", "-", "+", "^", "(", ")", "[", "]", ",", "=",
    " or ", "\\{", "\\}", "$", "\\left(", ".", "/", "\\pi", "!", "<answer>", "</answer>", "Wait, ", "\\infty",
    "&", "\\\\", "%", "answer is ", "\\", "0.5", "\\le",
]  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.sampled_from(_PIECES), max_size=25).map("".join),
    st.sampled_from(["1", "x^2+1", "\\frac{1}{2}", "[1, 2)", "(1, 2)", "\\{1,2\\}", "\\pi", "x=1", "50\\%"]),
)
def test_any_text_gets_a_verdict_in_range(completion: str, gold: str) -> None:
    quick = check_math_quick(completion, gold)
    full = check_math(completion, gold)
    assert 0.0 <= full.score <= 1.0
    assert quick is None or quick == full


@pytest.mark.parametrize("completion", ADVERSARIAL_COMPLETIONS)
@pytest.mark.timeout(10)  # a hang guard; the 50 ms target is benchmarks/bench_math_inline.py's
def test_the_inline_path_stays_cheap_on_adversarial_text(completion: str) -> None:
    # check_math_quick runs on the API's event loop: no input may make it block for long
    check_math_quick(completion, "5")
