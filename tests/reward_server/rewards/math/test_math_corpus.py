"""The labelled corpus (tests/support/math_corpus): our verdicts against the labels and math-verify."""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from typing import Any

import pytest
from math_verify import parse, verify

from reward_server.rewards.math import check_math, check_math_quick
from tests.support.paths import MATH_CORPUS_DIR

CORPUS_DIR = MATH_CORPUS_DIR
ZERO_FP_FAMILIES = {"near_miss", "hedge", "pathological"}
PATHOLOGICAL_BUDGET_S = 1.0


def load() -> list[dict[str, Any]]:
    return [json.loads(line) for line in (CORPUS_DIR / "corpus.jsonl").read_text().splitlines()]


@pytest.fixture(scope="module")
def corpus() -> list[dict[str, Any]]:
    return load()


@pytest.fixture(scope="module")
def our_verdicts(corpus: list[dict[str, Any]]) -> dict[str, tuple[bool, float]]:
    verdicts = {}
    for case in corpus:
        start = time.perf_counter()
        result = check_math(case["completion"], case["gold"])
        verdicts[case["id"]] = (result.score == 1.0, time.perf_counter() - start)
    return verdicts


def test_corpus_is_large_and_covers_every_family(corpus: list[dict[str, Any]]) -> None:
    assert len(corpus) >= 500
    families = Counter(case["family"] for case in corpus)
    assert set(families) == {"equivalent", "near_miss", "latex_noise", "hedge", "free_text", "pathological"}
    assert len({case["id"] for case in corpus}) == len(corpus)


def test_corpus_file_is_what_the_generator_writes(corpus: list[dict[str, Any]]) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("generate", CORPUS_DIR / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.build() == corpus


def test_no_false_positive_on_near_misses_hedges_or_pathological(
    corpus: list[dict[str, Any]], our_verdicts: dict[str, tuple[bool, float]]
) -> None:
    false_positives = [
        (c["id"], c["gold"], c["completion"][-80:])
        for c in corpus
        if c["family"] in ZERO_FP_FAMILIES and our_verdicts[c["id"]][0] and not c["correct"]
    ]
    assert false_positives == []


def test_overall_error_rates_are_low(
    corpus: list[dict[str, Any]], our_verdicts: dict[str, tuple[bool, float]]
) -> None:
    errors = [c["id"] for c in corpus if our_verdicts[c["id"]][0] != c["correct"]]
    assert len(errors) <= len(corpus) // 100, errors


def test_pathological_inputs_come_back_within_budget(
    corpus: list[dict[str, Any]], our_verdicts: dict[str, tuple[bool, float]]
) -> None:
    slow = [
        (c["id"], round(our_verdicts[c["id"]][1], 3))
        for c in corpus
        if c["family"] == "pathological" and our_verdicts[c["id"]][1] > PATHOLOGICAL_BUDGET_S
    ]
    assert slow == []


def test_fewer_false_positives_and_negatives_than_math_verify(
    corpus: list[dict[str, Any]], our_verdicts: dict[str, tuple[bool, float]]
) -> None:
    # math-verify's own timeouts would spend 5 s on each pathological case: leave those out.
    logging.disable(logging.WARNING)
    try:
        mv_fp = mv_fn = our_fp = our_fn = 0
        for case in corpus:
            if case["family"] == "pathological":
                continue
            theirs = bool(verify(parse(f"${case['gold']}$"), parse(case["completion"])))
            ours = our_verdicts[case["id"]][0]
            mv_fp += theirs and not case["correct"]
            mv_fn += case["correct"] and not theirs
            our_fp += ours and not case["correct"]
            our_fn += case["correct"] and not ours
    finally:
        logging.disable(logging.NOTSET)
    assert our_fp < mv_fp
    assert our_fn < mv_fn


def test_quick_path_agrees_with_the_full_check_wherever_it_answers(corpus: list[dict[str, Any]]) -> None:
    answered = 0
    for case in corpus:
        quick = check_math_quick(case["completion"], case["gold"])
        if quick is None:
            continue
        answered += 1
        assert quick == check_math(case["completion"], case["gold"]), case["id"]
    assert answered >= len(corpus) // 4  # plain numbers, hedges of them, refused inputs
