"""Math accuracy throughput: `/v1/score` versus a sequential math-verify loop, same run, same items.

    PYTHONPATH=$PWD python benchmarks/bench_math.py [--items 2000] [--batch 256] [--workers 2] [--hard-only]

Baseline: the loop open-r1 and TRL use, one process: `parse(completion)`, `parse("$gold$")`,
`verify(gold, answer)` per item (math-verify defaults, SIGALRM timeouts on: we are in the main thread).
Ours: the real app (`create_app`) in process through httpx's ASGITransport, its lifespan started, the
items posted in batches of `--batch` with only the accuracy reward. Both sides get the same warm-up
before timing, and run batch by batch, alternating which goes first, so that load from other
processes on a shared machine hits both alike.
The workload (benchmarks/math_workload.py) is GRPO-shaped: groups of 8 completions per prompt,
labelled right/wrong by construction, so we also report where each side is wrong and check that our
verdict equals math-verify's wherever math-verify is right.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import time
from collections import Counter
from typing import Any

import httpx
from math_verify import parse, verify

from benchmarks.math_workload import Item, build_workload
from reward_server.app import create_app
from reward_server.config import Settings
from reward_server.rewards.math import WARM_UP_PAIRS


def baseline_verdicts(items: list[Item]) -> list[bool]:
    return [bool(verify(parse(f"${it.gold}$"), parse(it.completion))) for it in items]


def warm_baseline() -> None:
    """The same warm-up our workers get (the LaTeX grammar's caches), so neither side pays it timed."""
    for completion, gold in WARM_UP_PAIRS:
        verify(parse(f"${gold}$"), parse(completion))
        verify(parse(completion), parse(f"${gold}$"))


async def run(
    items: list[Item], batch: int, workers: int
) -> tuple[list[bool], float, list[bool], float, Counter[str]]:
    """Both sides batch by batch, alternating which goes first, so load changes hit both alike."""
    app = create_app(Settings(cpu_workers=workers, max_batch_items=max(batch, len(WARM_UP_PAIRS))))
    statuses: Counter[str] = Counter()
    ours: list[bool] = []
    theirs: list[bool] = []
    t_ours = t_base = 0.0
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=600) as client:

            async def post(pairs: list[tuple[str, str]]) -> list[dict[str, Any]]:
                body = {
                    "items": [{"completion": c, "task": {"type": "math", "answer": g}} for c, g in pairs],
                    "rewards": {"accuracy": 1.0},
                }
                response = await client.post("/v1/score", json=body)
                response.raise_for_status()
                return response.json()["results"]  # type: ignore[no-any-return]

            # warm-up, untimed: the pool starts its workers and they run their initializers
            await post([(f"\\boxed{{{g}}} and \\boxed{{{c}}}", g) for c, g in WARM_UP_PAIRS] * workers)
            warm_baseline()
            for n, start in enumerate(range(0, len(items), batch)):
                chunk = items[start : start + batch]
                for side in ("ours", "base") if n % 2 == 0 else ("base", "ours"):
                    began = time.perf_counter()
                    if side == "ours":
                        results = await post([(it.completion, it.gold) for it in chunk])
                        t_ours += time.perf_counter() - began
                        for result in results:
                            ours.append(result["scores"].get("accuracy") == 1.0)
                            accuracy = result["details"].get("accuracy", {})
                            statuses[str(accuracy.get("decided_by") or accuracy.get("status"))] += 1
                    else:
                        theirs.extend(baseline_verdicts(chunk))
                        t_base += time.perf_counter() - began
    return ours, t_ours, theirs, t_base, statuses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--hard-only", action="store_true", help="only golds that need the full parser")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    items = build_workload(args.items, hard_only=args.hard_only)
    print(f"{len(items)} items: {dict(Counter(it.kind for it in items))}; {os.cpu_count()} cores")

    ours, t_ours, theirs, t_base, statuses = asyncio.run(run(items, args.batch, args.workers))

    print(f"math-verify sequential loop: {t_base:6.2f} s  {len(items) / t_base:7.0f} items/s")
    print(
        f"/v1/score (batches of {args.batch}, {args.workers} workers): {t_ours:6.2f} s  "
        f"{len(items) / t_ours:7.0f} items/s"
    )
    print(f"ratio: {t_base / t_ours:.2f}x")
    print("decided by:", dict(statuses.most_common()))
    labels = [it.correct for it in items]
    mv_wrong = sum(v != label for v, label in zip(theirs, labels, strict=True))
    our_wrong = sum(v != label for v, label in zip(ours, labels, strict=True))
    differ_where_mv_right = [
        (it.kind, it.gold, it.completion[-60:])
        for it, v, o in zip(items, theirs, ours, strict=True)
        if v == it.correct and o != v
    ]
    print(f"wrong against the labels: math-verify {mv_wrong}, reward-server {our_wrong}")
    print(f"verdicts differing from math-verify where math-verify is right: {len(differ_where_mv_right)}")
    for row in differ_where_mv_right[:10]:
        print("  ", row)


if __name__ == "__main__":
    main()
