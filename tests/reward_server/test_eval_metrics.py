"""pass@k is the unbiased estimator; maj@n is a majority vote over extracted answers."""

from __future__ import annotations

import itertools
import math

import pytest

from reward_server.eval_metrics import (
    answers_equivalent,
    default_ks,
    group_summary,
    majority_correct,
    pass_at_k,
    summarize,
)


def brute_force_pass_at_k(n: int, c: int, k: int) -> float:
    """The definition: the share of k-subsets of the n samples that contain a correct one."""
    samples = [True] * c + [False] * (n - c)
    subsets = list(itertools.combinations(range(n), k))
    return sum(any(samples[i] for i in subset) for subset in subsets) / len(subsets)


@pytest.mark.parametrize(("n", "c", "k"), [(5, 0, 1), (5, 1, 1), (5, 2, 3), (8, 3, 4), (6, 6, 2), (7, 1, 7)])
def test_pass_at_k_matches_its_definition(n: int, c: int, k: int) -> None:
    assert pass_at_k(n, c, k) == pytest.approx(brute_force_pass_at_k(n, c, k))


def test_pass_at_1_is_the_fraction_correct() -> None:
    assert pass_at_k(64, 16, 1) == pytest.approx(0.25)


def test_pass_at_k_is_stable_for_large_n() -> None:
    # C(1000, 500) overflows floats; the product form does not.
    value = pass_at_k(1000, 3, 500)
    assert math.isfinite(value) and value == pytest.approx(1 - (500 * 499 * 498) / (1000 * 999 * 998))


def test_pass_at_k_refuses_impossible_counts() -> None:
    with pytest.raises(ValueError, match="k <= n"):
        pass_at_k(4, 1, 5)


def test_majority_vote_takes_the_most_frequent_answer() -> None:
    assert majority_correct([("2", False), ("1", True), ("1", True), ("2", False), ("1", True)]) is True
    assert majority_correct([("2", False), ("2", False), ("1", True)]) is False


def test_samples_without_an_answer_do_not_vote_and_ties_go_to_the_first_seen() -> None:
    assert majority_correct([(None, False), (None, False), ("1", True)]) is True
    assert majority_correct([("3", False), ("4", True)]) is False
    assert majority_correct([(None, False)]) is False  # no answer at all: a majority miss


def row(group: str, accuracy: float | None, extracted: str | None, reward: float | None = 1.0) -> dict:
    """A scored sample as the math check reports it (`extracted` missing when it found no answer)."""
    scores = {} if accuracy is None else {"accuracy": accuracy, "format": 1.0}
    found = {"extracted_from": "boxed", "extracted": extracted} if extracted is not None else {}
    details = {} if accuracy is None else {"accuracy": {"extracted_from": "none", **found}}
    return {"group": group, "reward": reward, "scores": scores, "details": details, "error": None}


def test_group_summary_reports_pass_at_powers_of_two_and_n() -> None:
    rows = [
        row("g", 1.0, "1"),
        row("g", 0.0, "2"),
        row("g", 0.0, "2"),
        row("g", 1.0, "1"),
        row("g", 0.0, "3"),
    ]
    summary = group_summary("g", rows)
    assert summary["n"] == 5 and summary["correct"] == 2
    assert list(summary["pass_at_k"]) == ["1", "2", "4", "5"]
    assert summary["pass_at_k"]["1"] == pytest.approx(0.4)
    assert summary["pass_at_k"]["5"] == 1.0
    assert summary["maj"] is True  # "1" and "2" tie at two votes each; "1" was seen first and is correct


def test_summary_averages_pass_at_k_over_groups_that_have_k_samples() -> None:
    rows = [
        row("a", 1.0, "1"),
        row("a", 0.0, "2"),
        row("b", 0.0, "5"),
        row("b", 0.0, "5"),
        row("b", 0.0, "5"),
    ]
    rows.append({"group": None, "reward": None, "scores": {}, "details": {}, "error": "accuracy: no task"})
    summary = summarize(rows)
    assert summary["rows"] == 6 and summary["errors"] == 1 and summary["groups"] == 2
    assert summary["components"]["accuracy"] == {"mean": pytest.approx(0.2), "count": 5}
    assert summary["pass_at_k"]["1"] == pytest.approx((0.5 + 0.0) / 2)
    assert summary["pass_at_k"]["3"] == 0.0  # only group b has three samples
    assert summary["maj_at_n"] == pytest.approx(0.5)  # a: tie → "1", correct; b: "5", wrong


def test_pass_at_k_counts_every_group_with_at_least_k_samples() -> None:
    # The example: 3 samples (2 correct) and 5 samples (2 correct) both count for pass@3.
    # a: 3 - 2 = 1 wrong < 3, so pass@3 = 1. b: 1 - C(3,3)/C(5,3) = 1 - 1/10 = 0.9. Mean 0.95.
    rows = [row("a", 1.0, "1"), row("a", 1.0, "1"), row("a", 0.0, "2")]
    rows += [
        row("b", 1.0, "1"),
        row("b", 1.0, "1"),
        row("b", 0.0, "2"),
        row("b", 0.0, "3"),
        row("b", 0.0, "4"),
    ]
    summary = summarize(rows)
    assert list(summary["pass_at_k"]) == ["1", "2", "3", "4", "5"]
    assert summary["pass_at_k"]["3"] == pytest.approx(0.95)
    # pass@2: a = 1 - C(1,2)/C(3,2) = 1; b = 1 - C(3,2)/C(5,2) = 1 - 3/10 = 0.7.
    assert summary["pass_at_k"]["2"] == pytest.approx(0.85)
    assert summary["pass_at_k"]["5"] == pytest.approx(1.0)  # b alone
    assert summary["pass_at_k_groups"] == {"1": 2, "2": 2, "3": 2, "4": 1, "5": 1}


def test_the_k_values_asked_for_are_the_ones_reported() -> None:
    # x: 8 samples, 2 correct. y: 64 samples, 1 correct.
    rows = [row("x", float(i < 2), str(i)) for i in range(8)] + [
        row("y", float(i == 0), str(i)) for i in range(64)
    ]
    summary = summarize(rows, ks=[1, 8, 64, 128])
    assert list(summary["pass_at_k"]) == ["1", "8", "64"]
    assert summary["pass_at_k"]["1"] == pytest.approx((2 / 8 + 1 / 64) / 2)
    # x: 6 wrong < 8, pass@8 = 1. y: 1 - C(63,8)/C(64,8) = 1 - 56/64 = 0.125.
    assert summary["pass_at_k"]["8"] == pytest.approx((1.0 + 0.125) / 2)
    assert summary["pass_at_k"]["64"] == pytest.approx(1.0)
    assert summary["pass_at_k_groups"]["128"] == 0
    assert default_ks([3, 5]) == [1, 2, 3, 4, 5] and default_ks([8]) == [1, 2, 4, 8]


def test_maj_at_n_counts_a_group_without_answers_as_a_miss() -> None:
    rows = [row("a", 1.0, "1"), row("a", 1.0, "1"), row("b", 0.0, None), row("b", 0.0, None)]
    summary = summarize(rows)
    assert summary["maj_groups"] == 2
    assert summary["maj_at_n"] == pytest.approx(0.5)  # a: "1" correct; b: nothing to vote for
    assert summary["maj_at_n"] <= summary["pass_at_k"]["2"]


def test_equivalent_answers_vote_together() -> None:
    assert answers_equivalent("\\frac{1}{2}", "0.5") and answers_equivalent("0.5", "1/2")
    assert answers_equivalent("1/2", "\\frac{1}{2}") and not answers_equivalent("3", "1/2")
    # Three spellings of one half beat a wrong answer given twice.
    samples = [("3", False), ("\\frac{1}{2}", True), ("3", False), ("0.5", True), ("1/2", True)]
    assert majority_correct(samples) is True
    rows = [row("g", float(ok), answer) for answer, ok in samples]
    assert group_summary("g", rows)["maj"] is True


def test_groups_whose_check_extracts_no_answers_have_no_majority() -> None:
    code_rows = [
        {"group": "c", "reward": 1.0, "scores": {"accuracy": 1.0}, "details": {"accuracy": {"passed": 3}}}
    ]
    summary = summarize(code_rows)
    assert summary["per_group"][0]["maj"] is None and summary["maj_at_n"] is None


@pytest.mark.timeout(90)
def test_a_pathological_answer_cannot_hang_the_vote() -> None:
    # Comparing 3 with (10^{10})! runs for ever in sympy; the vote must still come back, with the
    # pathological answer its own class.
    samples = [("(10^{10})!", False), ("3", True), ("3", True)]
    rows = [row("g", float(ok), answer) for answer, ok in samples]
    summary = summarize(rows, equivalence_timeout_s=1.0)
    assert summary["per_group"][0]["maj"] is True and summary["maj_at_n"] == 1.0
    # Equivalent spellings still vote together through the bounded comparison.
    halves = [("3", False), ("1/2", True), ("3", False), ("0.5", True), ("\\frac{1}{2}", True)]
    assert majority_correct(halves)


def test_math_checks_that_timed_out_are_errors_not_misses() -> None:
    # A timeout is no verdict (reward_server.outcomes): it is counted as an error and left out of
    # pass@k and maj@n instead of lowering them as a made-up wrong answer.
    timed_out = {
        "group": "b",
        "reward": None,
        "scores": {},
        "details": {"accuracy": {"failure": "timeout", "budget_s": 10.0}},
        "error": "accuracy: math check exceeded its 10 s budget",
    }
    rows = [row("a", 1.0, "1"), row("a", 1.0, "1"), timed_out, dict(timed_out)]
    summary = summarize(rows)
    assert summary["errors"] == 2
    assert summary["maj_groups"] == 1
    assert summary["maj_at_n"] == pytest.approx(1.0)
    assert summary["pass_at_k_groups"]["2"] == 1
