"""Dynamic batching versus one forward pass per request, under many concurrent clients.

Each client sends one (prompt, completion) at a time and waits for its score, the way a
trainer's reward workers call the service. Both modes load the same checkpoint; the
baseline runs every request alone (`max_batch_size=1`, no wait).

    python benchmarks/bench_reward_model.py                       # small random Llama, CPU
    python benchmarks/bench_reward_model.py --model /models/rm --device cuda --clients 256

Prints requests/s, tokens/s and latency for each mode, the throughput ratio, and the
largest score difference between the modes (batching must not change scores).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from reward_server.reward_model import BatcherStats, RewardInput, RewardModelSpec
from reward_server.reward_model.engine import RewardModel, load_reward_model
from reward_server.rewards.base import ComponentScore
from tests.support.tiny_reward_models import CORPUS, build_llama_reward_model


@dataclass
class Run:
    mode: str
    seconds: float
    requests: int
    tokens: int
    forwards: int
    padded_tokens: int
    latencies_ms: list[float]
    scores: dict[int, float]

    def line(self) -> str:
        lat = sorted(self.latencies_ms)
        p50, p99 = statistics.median(lat), lat[int(0.99 * (len(lat) - 1))]
        return (
            f"{self.mode:>12}: {self.requests / self.seconds:8.1f} req/s  "
            f"{self.tokens / self.seconds:9.0f} tok/s  "
            f"p50 {p50:7.1f} ms  p99 {p99:7.1f} ms  forwards {self.forwards}  "
            f"padding {self.padded_tokens / self.tokens - 1:.0%}"
        )


def make_workload(n: int, seed: int) -> list[RewardInput]:
    """Completions of mixed length (about 10 to 300 tokens), like sampled RL rollouts."""
    rng = random.Random(seed)
    words = " ".join(CORPUS).split()
    items = []
    for _ in range(n):
        length = int(rng.lognormvariate(3.5, 0.8)) + 5
        completion = " ".join(rng.choice(words) for _ in range(min(length, 250)))
        items.append(RewardInput(rng.choice(CORPUS[:5]), completion))
    return items


async def run_mode(mode: str, model: RewardModel, items: list[RewardInput], clients: int) -> Run:
    """`clients` concurrent clients send `items` one at a time until none is left."""
    model.batcher.stats = BatcherStats()
    queue: asyncio.Queue[int] = asyncio.Queue()
    for index in range(len(items)):
        queue.put_nowait(index)
    latencies: list[float] = []
    scores: dict[int, float] = {}

    async def client() -> None:
        while not queue.empty():
            index = queue.get_nowait()
            start = time.perf_counter()
            [result] = await model.score([items[index]])
            latencies.append((time.perf_counter() - start) * 1000)
            assert isinstance(result, ComponentScore), result
            scores[index] = result.score

    start = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    seconds = time.perf_counter() - start
    stats = model.batcher.stats
    return Run(
        mode, seconds, len(items), stats.tokens, stats.forwards, stats.padded_tokens, latencies, scores
    )


def merge(runs: list[Run]) -> Run:
    return Run(
        runs[0].mode,
        sum(r.seconds for r in runs),
        sum(r.requests for r in runs),
        sum(r.tokens for r in runs),
        sum(r.forwards for r in runs),
        sum(r.padded_tokens for r in runs),
        [x for r in runs for x in r.latencies_ms],
        runs[0].scores,
    )


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", help="checkpoint directory (default: build a small random Llama)")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--requests", type=int, default=256, help="requests per round and mode")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--hidden", type=int, default=256, help="hidden size of the built model")
    parser.add_argument("--layers", type=int, default=4, help="layers of the built model")
    parser.add_argument("--max-batch-tokens", type=int, default=16384)
    parser.add_argument("--max-wait-ms", type=float, default=5.0)
    parser.add_argument(
        "--torch-threads",
        type=int,
        default=0,
        help="intra-op CPU threads (0: torch's default); 1 avoids OpenMP spinning on a busy shared machine",
    )
    args = parser.parse_args()
    if args.torch_threads:
        import torch

        torch.set_num_threads(args.torch_threads)

    with tempfile.TemporaryDirectory() as tmp:
        path = args.model or str(
            build_llama_reward_model(Path(tmp) / "rm", layers=args.layers, hidden=args.hidden)
        )
        items = make_workload(args.requests, seed=0)
        common = {"path": path, "device": args.device}
        batched = RewardModelSpec(
            name="batched", max_batch_tokens=args.max_batch_tokens, max_wait_ms=args.max_wait_ms, **common
        )
        single = RewardModelSpec(name="per-request", max_batch_size=1, max_wait_ms=0, **common)
        models = {"per-request": load_reward_model(single), "batched": load_reward_model(batched)}
        for model in models.values():
            await model.score(items[:4])  # warm-up: the first forward allocates
        # Rounds alternate which mode goes first, so a shared machine's load drifts evenly over both.
        runs: dict[str, list[Run]] = {"per-request": [], "batched": []}
        for round_ in range(args.rounds):
            order = ["per-request", "batched"] if round_ % 2 == 0 else ["batched", "per-request"]
            for mode in order:
                runs[mode].append(await run_mode(mode, models[mode], items, args.clients))
        for model in models.values():
            await model.aclose()
        baseline, dynamic = merge(runs["per-request"]), merge(runs["batched"])

    import torch

    where = (
        "cuda " + torch.cuda.get_device_name()
        if "cuda" in str(args.device) or (args.device == "auto" and torch.cuda.is_available())
        else f"cpu ({torch.get_num_threads()} torch threads)"
    )
    print(f"model: {args.model or f'random Llama {args.layers}x{args.hidden}'} on {where}")
    print(
        f"{args.rounds} rounds x {args.requests} requests per mode, {args.clients} concurrent clients, "
        f"{dynamic.tokens} tokens per mode"
    )
    print(baseline.line())
    print(dynamic.line())
    ratio = (dynamic.requests / dynamic.seconds) / (baseline.requests / baseline.seconds)
    drift = max(abs(dynamic.scores[i] - baseline.scores[i]) for i in baseline.scores)
    spread = statistics.pstdev(baseline.scores.values())
    print(f"throughput ratio batched / per-request: {ratio:.2f}x")
    print(f"largest score difference between modes {drift:.2e} (score std {spread:.2f})")


if __name__ == "__main__":
    asyncio.run(main())
