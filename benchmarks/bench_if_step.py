"""Does a GRPO step slow down when 30 % of its items are instruction-following items?

    python3 benchmarks/bench_if_step.py --rounds 6 --batch 256 --cpu-workers 2

Starts a local `reward-server serve`, then alternates two batches of the same size, one POST each
(a step's scoring call): the baseline is `load_test.make_batch`'s GRPO-step batch (math items,
right / wrong / unparseable, with format; `--language` adds the language reward); the variant
replaces `--if-share` of its items with `instruction_following` items (IFEval and IFBench ids,
half strict, half loose, a think block then a ~1 kB answer, 8 differently worded samples per
prompt). Prints the median step time of each and the ratio variant / baseline.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from typing import Any

import httpx

from benchmarks.client_throughput import local_server
from benchmarks.load_test import make_batch

INSTRUCTIONS: list[tuple[list[str], list[dict[str, Any] | None]]] = [
    (
        ["punctuation:no_comma", "length_constraints:number_words"],
        [None, {"num_words": 120, "relation": "at least"}],
    ),
    (
        ["length_constraints:number_sentences", "keywords:existence"],
        [{"num_sentences": 8, "relation": "at least"}, {"keywords": ["river", "stone"]}],
    ),
    (
        ["detectable_format:number_highlighted_sections", "startend:end_checker"],
        [{"num_highlights": 2}, {"end_phrase": "Any other questions?"}],
    ),
    (["count:word_count_range", "words:alphabet"], [{"min_words": 50, "max_words": 300}, None]),
    (
        ["format:title_case", "count:unique_word_count", "keywords:frequency"],
        [None, {"N": 40}, {"keyword": "stone", "frequency": 2, "relation": "at least"}],
    ),
]
WORDS = ["river", "stone", "light", "across", "the", "valley", "morning", "quiet", "water", "slowly", "sea"]


def if_item(rng: random.Random, index: int) -> dict[str, Any]:
    ids, kwargs = INSTRUCTIONS[(index // 8) % len(INSTRUCTIONS)]
    sentences = [
        " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 14))).capitalize() + "."
        for _ in range(rng.randint(8, 16))
    ]
    answer = "*Part one*\n\n" + " ".join(sentences[:5]) + "\n\n*Part two*\n\n" + " ".join(sentences[5:])
    answer += "\nAny other questions?" if rng.random() < 0.5 else ""
    think = "<think>" + "Let me plan the answer, step by step. " * rng.randint(5, 40) + "</think>\n\n"
    return {
        "id": index,
        "prompt": "Describe a river. Follow the instructions.",
        "completion": think + answer,
        "task": {
            "type": "instruction_following",
            "instruction_id_list": ids,
            "kwargs": kwargs,
            "mode": "loose" if index % 2 else "strict",
        },
    }


def mixed(batch: dict[str, Any], share: float, rng: random.Random) -> dict[str, Any]:
    items = list(batch["items"])
    for index in rng.sample(range(len(items)), round(share * len(items))):
        items[index] = if_item(rng, index)
    return {"items": items, "rewards": batch["rewards"]}


def step(http: httpx.Client, body: dict[str, Any]) -> float:
    start = time.perf_counter()
    response = http.post("/v1/score", json=body)
    elapsed = time.perf_counter() - start
    response.raise_for_status()
    errors = [r["error"] for r in response.json()["results"] if r["error"]]
    assert not errors, errors[:3]
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--cpu-workers", type=int, default=2)
    parser.add_argument("--if-share", type=float, default=0.3)
    parser.add_argument(
        "--language", action="store_true", help="add the language reward (weight 0) as load_test does"
    )
    args = parser.parse_args()
    rng = random.Random(0)
    with local_server(args.cpu_workers) as url, httpx.Client(base_url=url, timeout=600) as http:
        baseline_s: list[float] = []
        variant_s: list[float] = []
        warm = make_batch(rng, args.batch, language=args.language)
        step(http, warm)
        step(http, mixed(warm, args.if_share, rng))  # the first IF batch imports the checkers in every worker
        for _ in range(args.rounds):
            batch = make_batch(rng, args.batch, language=args.language)
            baseline_s.append(step(http, batch))
            variant_s.append(step(http, mixed(batch, args.if_share, rng)))
    base, variant = statistics.median(baseline_s), statistics.median(variant_s)
    print(f"batch {args.batch} items, {args.cpu_workers} pool workers, {args.rounds} rounds (alternating)")
    for name, times in (("baseline (no IF items)", baseline_s), (f"{args.if_share:.0%} IF items", variant_s)):
        print(
            f"{name:>24}: median {statistics.median(times) * 1000:.0f} ms, "
            f"all {sorted(round(t * 1000) for t in times)}"
        )
    print(f"ratio variant / baseline: {variant / base:.2f}")


if __name__ == "__main__":
    main()
