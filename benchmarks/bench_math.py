"""Math accuracy throughput: `/v1/score` versus a sequential math-verify loop, same run, same items.

    PYTHONPATH=$PWD python benchmarks/bench_math.py [--items 2000] [--batch 256] [--workers 2]

Baseline: the loop open-r1 and TRL use, one process: `parse(completion)`, `parse("$gold$")`,
`verify(gold, answer)` per item (math-verify defaults, SIGALRM timeouts on: we are in the main thread).
Ours: the real app (`create_app`) in process through httpx's ASGITransport, its lifespan started, the
items posted in batches of `--batch` with only the accuracy reward. Both are warmed up before timing.
The workload (benchmarks/math_workload.py) is GRPO-shaped: groups of 8 completions per prompt,
labelled right/wrong by construction, so we also report where each side is wrong and check that our
verdict equals math-verify's wherever math-verify is right.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
from math_verify import parse, verify

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.math_workload import Item, build_workload  # noqa: E402
from reward_server.app import create_app  # noqa: E402
from reward_server.config import Settings  # noqa: E402


def run_baseline(items: list[Item]) -> tuple[list[bool], float]:
    verify(parse("$1$"), parse("\\boxed{1}"))  # warm up
    start = time.perf_counter()
    verdicts = [bool(verify(parse(f"${it.gold}$"), parse(it.completion))) for it in items]
    return verdicts, time.perf_counter() - start


async def run_service(items: list[Item], batch: int, workers: int) -> tuple[list[bool], float, Counter[str]]:
    app = create_app(Settings(cpu_workers=workers, max_batch_items=max(batch, 1)))
    statuses: Counter[str] = Counter()
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=600) as client:

            async def post(chunk: list[Item]) -> list[dict[str, object]]:
                body = {
                    "items": [
                        {"completion": it.completion, "task": {"type": "math", "answer": it.gold}}
                        for it in chunk
                    ],
                    "rewards": {"accuracy": 1.0},
                }
                response = await client.post("/v1/score", json=body)
                response.raise_for_status()
                return response.json()["results"]  # type: ignore[no-any-return]

            # warm-up: the pool's workers start and run their initializers
            await post(items[: min(16, len(items))])
            start = time.perf_counter()
            results: list[dict[str, object]] = []
            for i in range(0, len(items), batch):
                results.extend(await post(items[i : i + batch]))
            elapsed = time.perf_counter() - start
    verdicts = []
    for result in results:
        scores = result["scores"]
        assert isinstance(scores, dict)
        verdicts.append(scores.get("accuracy") == 1.0)
        details = result["details"]
        assert isinstance(details, dict)
        accuracy = details.get("accuracy", {})
        statuses[str(accuracy.get("decided_by") or accuracy.get("status"))] += 1
    return verdicts, elapsed, statuses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    items = build_workload(args.items)
    print(f"{len(items)} items: {dict(Counter(it.kind for it in items))}; {os.cpu_count()} cores")

    ours, t_ours, statuses = asyncio.run(run_service(items, args.batch, args.workers))
    theirs, t_base = run_baseline(items)

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
