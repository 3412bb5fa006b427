"""False positives / negatives of reward-server's math check versus math-verify alone, same run.

    PYTHONPATH=$PWD python benchmarks/bench_math_corpus.py [--corpus tests/support/math_corpus/corpus.jsonl]

math-verify alone is the pattern open-r1 and TRL use: `parse(completion)`, `parse("$gold$")`,
`verify(gold, answer)`, here with its own SIGALRM timeouts on (we run in the main thread), so a
pathological input costs it up to its 5 s default. Ours is `check_math` called in-process.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from math_verify import parse, verify

from reward_server.rewards.math import check_math
from reward_server.rewards.math import comparison as math_check
from reward_server.rewards.math.numeric_check import compare_numeric
from tests.support.paths import MATH_CORPUS_DIR

CORPUS = MATH_CORPUS_DIR / "corpus.jsonl"


def load_corpus(path: Path = CORPUS) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def math_verify_alone(completion: str, gold: str) -> bool:
    gold_parsed = parse(f"${gold}$")
    answer = parse(completion)
    return bool(verify(gold_parsed, answer))


def ours(completion: str, gold: str) -> bool:
    return check_math(completion, gold).score == 1.0


class SecondCheckTimer:
    """Wraps the mpmath second check to measure what it costs inside `check_math`."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.calls = 0
        self._inner = compare_numeric

    def __call__(self, gold: Any, answer: Any) -> Any:
        start = time.perf_counter()
        try:
            return self._inner(gold, answer)
        finally:
            self.seconds += time.perf_counter() - start
            self.calls += 1


def tally(cases: list[dict[str, Any]], verdicts: list[bool]) -> dict[str, dict[str, int]]:
    table: dict[str, dict[str, int]] = defaultdict(lambda: {"n": 0, "fp": 0, "fn": 0})
    for case, verdict in zip(cases, verdicts, strict=True):
        for key in (case["family"], "all"):
            row = table[key]
            row["n"] += 1
            row["fp"] += int(verdict and not case["correct"])
            row["fn"] += int(case["correct"] and not verdict)
    return dict(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    cases = load_corpus(args.corpus)
    results: dict[str, tuple[list[bool], float, float]] = {}
    timer = SecondCheckTimer()
    vars(math_check)["compare_numeric"] = timer  # comparison.py calls it through its module global
    for name, fn in (("math-verify", math_verify_alone), ("reward-server", ours)):
        verdicts, worst = [], 0.0
        start = time.perf_counter()
        for case in cases:
            t = time.perf_counter()
            verdicts.append(fn(case["completion"], case["gold"]))
            worst = max(worst, time.perf_counter() - t)
        results[name] = (verdicts, time.perf_counter() - start, worst)
    print(f"{len(cases)} cases from {args.corpus}")
    tables = {name: tally(cases, v) for name, (v, _, _) in results.items()}
    families = sorted(tables["reward-server"], key=lambda f: (f == "all", f))
    print(f"{'family':14} {'n':>5} | {'math-verify FP':>14} {'FN':>4} | {'reward-server FP':>16} {'FN':>4}")
    for fam in families:
        mv, rs = tables["math-verify"][fam], tables["reward-server"][fam]
        print(f"{fam:14} {rs['n']:5} | {mv['fp']:14} {mv['fn']:4} | {rs['fp']:16} {rs['fn']:4}")
    for name, (_, total, worst) in results.items():
        print(
            f"{name}: {total:.2f} s total, {1000 * total / len(cases):.1f} ms/case mean, "
            f"worst {1000 * worst:.0f} ms"
        )
    print(
        f"second check (mpmath): {timer.calls} calls, {timer.seconds:.2f} s = "
        f"{timer.seconds / results['reward-server'][1]:.1%} of reward-server's total time"
    )
    mv_all, rs_all = tables["math-verify"]["all"], tables["reward-server"]["all"]
    n = rs_all["n"]
    print(
        f"FP rate: math-verify {mv_all['fp'] / n:.1%}, reward-server {rs_all['fp'] / n:.1%}; "
        f"FN rate: math-verify {mv_all['fn'] / n:.1%}, reward-server {rs_all['fn'] / n:.1%}"
    )
    mv_wrong = Counter(
        f"{c['family']}/{c['kind']}"
        for c, v in zip(cases, results["math-verify"][0], strict=True)
        if v != c["correct"]
    )
    print("math-verify's errors by kind:", ", ".join(f"{k} {n}" for k, n in mv_wrong.most_common()))
    wrong = [
        (c["id"], c["gold"], c["completion"][-80:])
        for c, v in zip(cases, results["reward-server"][0], strict=True)
        if v != c["correct"]
    ]
    for row in wrong[:40]:
        print("reward-server wrong:", row)


if __name__ == "__main__":
    main()
