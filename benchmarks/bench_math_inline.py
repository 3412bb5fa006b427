"""The math reward's inline path on adversarial text: how long the event loop can be blocked.

`check_math_quick` and `parse_exact` run on the API's event loop (no pool round trip), so no input
may make them slow. Target: every adversarial input under 50 ms. Baseline, in the same run: the
same calls on an ordinary completion (`The answer is \\boxed{5}.`); the ratio says how much worse
the worst adversarial input is than the everyday case.

    python benchmarks/bench_math_inline.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from functools import partial

from reward_server.rewards.math import check_math_quick
from reward_server.rewards.math.exact_forms import parse_exact
from tests.support.adversarial_math import ADVERSARIAL_COMPLETIONS, COSTLY_FORMS

TARGET_MS = 50.0

ORDINARY = "Adding the two cases gives 5. The answer is \\boxed{5}."


def _median_ms(call: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=5, help="runs per input; the median counts (default 5)")
    args = parser.parse_args()

    baseline = max(
        _median_ms(lambda: check_math_quick(ORDINARY, "5"), args.repeat),
        _median_ms(lambda: parse_exact("5"), args.repeat),
    )
    rows = [
        (
            f"check_math_quick {text[:24]!r}… ({len(text)} chars)",
            _median_ms(partial(check_math_quick, text, "5"), args.repeat),
        )
        for text in ADVERSARIAL_COMPLETIONS
    ] + [
        (f"parse_exact {text!r}", _median_ms(partial(parse_exact, text), args.repeat))
        for text in COSTLY_FORMS
    ]
    print(f"load average {os.getloadavg()[0]:.1f}; baseline (ordinary completion) {baseline:.3f} ms")
    for name, ms in rows:
        flag = "" if ms < TARGET_MS else "  OVER TARGET"
        print(f"{ms:9.2f} ms  {ms / baseline:8.0f}× baseline  {name}{flag}")
    worst = max(ms for _, ms in rows)
    print(f"worst {worst:.2f} ms (target < {TARGET_MS:.0f} ms): {'ok' if worst < TARGET_MS else 'MISSED'}")


if __name__ == "__main__":
    main()
