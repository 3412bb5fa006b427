"""The efficiency reward: its cost per item against accuracy alone, and its stability.

    PYTHONPATH=$PWD python benchmarks/bench_efficiency.py [--sandbox local|docker] [--repeats 10]

Cost: the same code items (passing and failing, stdin and function-call tests) scored with
`accuracy` alone and with `accuracy` + `efficiency` (reference_solution, then reference_time_s),
rounds alternated so that machine load hits each alike; seconds per item and the ratio to
accuracy alone. Stability: one program scored `--repeats` times, each a separate scoring call (the
reference and the start-up are measured again each time, as for a new request), on a quiet host
and then with `--burners` CPU burner processes running; min / median / max / stdev of the score.
The programs take 3x the reference's work, so their score (about 0.33) is not capped at 1.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from reward_server.config import Settings
from reward_server.schemas import ScoreItem, ScoreRequest
from reward_server.services import Services, start_services

N = 1_000_000  # the reference's loop: about 70 ms of CPU in CPython here, over twice the start-up
LOOP = "n = int(input())\ns = 0\nfor i in range(n):\n    s += i\nprint(s)\n"
THREEFOLD = (
    "n = int(input())\nfor _ in range(3):\n    s = 0\n    for i in range(n):\n        s += i\nprint(s)\n"
)
CLOSED = "n = int(input())\nprint(n * (n - 1) // 2)\n"
WRONG = "n = int(input())\nprint(n)\n"
LOOP_FN = "def triangle(n):\n    s = 0\n    for i in range(n):\n        s += i\n    return s\n"
THREEFOLD_FN = (
    "def triangle(n):\n    for _ in range(3):\n        s = 0\n        for i in range(n):\n"
    "            s += i\n    return s\n"
)
CLOSED_FN = "def triangle(n):\n    return n * (n - 1) // 2\n"
WRONG_FN = "def triangle(n):\n    return n\n"


def fenced(code: str) -> str:
    return f"```python\n{code}```"


def stdio_task(reference: dict[str, Any]) -> dict[str, Any]:
    """Two tests: one with the work, one tiny (all start-up)."""
    total = N * (N - 1) // 2
    tests = [{"stdin": f"{N}\n", "expected_stdout": str(total)}, {"stdin": "10\n", "expected_stdout": "45"}]
    return {"type": "code", "language": "python", "tests": tests} | reference


def function_task(reference: dict[str, Any]) -> dict[str, Any]:
    test_code = f"def check(f):\n    assert f({N}) == {N * (N - 1) // 2}\n    assert f(10) == 45\n"
    return {
        "type": "code",
        "language": "python",
        "test_code": test_code,
        "entry_point": "triangle",
    } | reference


def cost_items(by_time: bool) -> list[ScoreItem]:
    stdio = {"reference_time_s": 0.03} if by_time else {"reference_solution": LOOP}
    function = {"reference_time_s": 0.03} if by_time else {"reference_solution": LOOP_FN}
    rows = [(c, stdio_task(stdio)) for c in (CLOSED, LOOP, THREEFOLD, WRONG)]
    rows += [(c, function_task(function)) for c in (CLOSED_FN, LOOP_FN, THREEFOLD_FN, WRONG_FN)]
    return [
        ScoreItem.model_validate({"id": i, "completion": fenced(c), "task": t})
        for i, (c, t) in enumerate(rows)
    ]


async def score(services: Services, items: list[ScoreItem], rewards: dict[str, float]) -> list[Any]:
    results = await services.backend.score(ScoreRequest(items=items, rewards=rewards))
    errors = [r.error for r in results if r.error]
    if errors:
        raise SystemExit(f"scoring failed: {errors[0]}")
    return results


async def measure_cost(services: Services, rounds: int) -> None:
    variants = {
        "accuracy alone": (cost_items(False), {"accuracy": 1.0}),
        "+ efficiency (reference_solution)": (cost_items(False), {"accuracy": 1.0, "efficiency": 1.0}),
        "+ efficiency (reference_time_s)": (cost_items(True), {"accuracy": 1.0, "efficiency": 1.0}),
    }
    seconds: dict[str, list[float]] = {name: [] for name in variants}
    await score(services, *variants["accuracy alone"])  # warm-up: pools, page cache
    for _ in range(rounds):
        for name, (items, rewards) in variants.items():
            start = time.perf_counter()
            await score(services, items, rewards)
            seconds[name].append((time.perf_counter() - start) / len(items))
    base = statistics.median(seconds["accuracy alone"])
    print(f"cost per item, median of {rounds} rounds of {len(cost_items(False))} items (wall clock):")
    for name, samples in seconds.items():
        per_item = statistics.median(samples)
        print(f"  {name:36s} {per_item * 1e3:8.1f} ms/item   x{per_item / base:5.2f} of accuracy alone")


async def stability(services: Services, repeats: int, label: str) -> None:
    programs = {
        "stdin tests, 3x work": (fenced(THREEFOLD), stdio_task({"reference_solution": LOOP})),
        "function-call tests, 3x work": (
            fenced(THREEFOLD_FN),
            function_task({"reference_solution": LOOP_FN}),
        ),
    }
    for name, (completion, task) in programs.items():
        scores, runs = [], []
        for _ in range(repeats):
            [result] = await score(
                services,
                [ScoreItem.model_validate({"completion": completion, "task": task})],
                {"accuracy": 0.0, "efficiency": 1.0},
            )
            scores.append(result.scores["efficiency"])
            runs.append(len(result.details["efficiency"]["round_scores"]))
        print(
            f"  {label:10s} {name:30s} min {min(scores):.3f}  median {statistics.median(scores):.3f}  "
            f"max {max(scores):.3f}  stdev {statistics.stdev(scores):.3f}  "
            f"(rounds {min(runs)}-{max(runs)}, n={repeats})"
        )


def _burn() -> None:
    while True:
        pass


@contextmanager
def burners(count: int) -> Iterator[None]:
    processes = [multiprocessing.Process(target=_burn, daemon=True) for _ in range(count)]
    for process in processes:
        process.start()
    try:
        yield
    finally:
        for process in processes:
            process.kill()
            process.join()


async def main() -> None:
    global N
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sandbox", choices=["local", "docker"], default="local")
    parser.add_argument("--repeats", type=int, default=10, help="scores per program for the spread")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the cost comparison")
    parser.add_argument("--burners", type=int, default=2, help="CPU burner processes for the busy run")
    parser.add_argument("--n", type=int, default=N, help="loop length of the reference's big test")
    args = parser.parse_args()
    N = args.n
    services = await start_services(Settings(sandbox=args.sandbox, cpu_workers=1))
    try:
        print(
            f"sandbox {args.sandbox}; n={N}; {os.cpu_count()} CPUs; load average at start {os.getloadavg()}"
        )
        await measure_cost(services, args.rounds)
        print(f"efficiency over {args.repeats} scorings of the same program:")
        await stability(services, args.repeats, "quiet")
        with burners(args.burners):
            await stability(services, args.repeats, f"busy (+{args.burners} burners)")
        print(f"load average at end {os.getloadavg()}")
    finally:
        await services.close()


if __name__ == "__main__":
    asyncio.run(main())
