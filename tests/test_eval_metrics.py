"""pass@k is the unbiased estimator; maj@n is a majority vote over extracted answers."""

from __future__ import annotations

import itertools
import math

import pytest

from reward_server.eval_metrics import group_summary, majority_correct, pass_at_k, summarize


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
    assert majority_correct([(None, False)]) is None


def row(group: str, accuracy: float | None, extracted: str | None, reward: float | None = 1.0) -> dict:
    scores = {} if accuracy is None else {"accuracy": accuracy, "format": 1.0}
    details = {} if accuracy is None else {"accuracy": {"extracted": extracted}}
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
