"""How much reward latency the GRPO trainer's overlap modes hide, against a live reward-server.

    PYTHONPATH=. python benchmarks/grpo_overlap.py --steps 20

Trains the tiny test model (tests/support/tiny_lm.py) for the same number of steps in each `--overlap` mode
and compares with the baseline `none` (generate everything, then score): mean step time, time
blocked on rewards (`reward_wait_s`) and the exposed share of scoring latency.
`--reward-delay-s` adds a fixed latency to every scoring call, as a remote or busy service would,
so the effect shows even where local scoring is fast.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.client_throughput import local_server
from tests.support.tiny_lm import build_tiny_model, write_prompts
from trainer_client import RewardClient
from trainer_client.grpo import GRPOConfig, GRPOTrainer, Overlap
from trainer_client.types import ScoreResult


class DelayedClient(RewardClient):
    """A RewardClient whose every call takes `delay_s` longer, as a distant or loaded service would."""

    def __init__(self, *args: Any, delay_s: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.delay_s = delay_s

    async def ascore(self, *args: Any, **kwargs: Any) -> list[ScoreResult]:
        await asyncio.sleep(self.delay_s)
        return await super().ascore(*args, **kwargs)


def run_mode(
    model: Path, prompts: Path, url: str, mode: Overlap, args: argparse.Namespace, log: Path
) -> dict[str, float]:
    config = GRPOConfig(
        model=model,
        prompts=prompts,
        reward_url=url,
        log=log,
        steps=args.steps,
        group_size=8,
        prompts_per_step=8,
        max_new_tokens=args.max_new_tokens,
        learning_rate=0.02,
        rewards={"accuracy": 1.0},
        overlap=mode,
        generation_chunks=4,
        seed=0,
    )
    client = DelayedClient(url, delay_s=args.reward_delay_s, timeout_s=120)
    started = time.perf_counter()
    with client:
        rows = GRPOTrainer(config, client).train()
    wall_s = time.perf_counter() - started
    rows = rows[1:]  # the first step includes one-off warm-up
    return {
        "wall_s": wall_s,
        "step_s": statistics.mean(r["step_s"] for r in rows),
        "reward_wait_s": statistics.mean(r["reward_wait_s"] for r in rows),
        "reward_latency_s": statistics.mean(r["reward_latency_s"] for r in rows),
        "exposed": statistics.mean(r["reward_exposed_frac"] for r in rows),
        "final_reward": rows[-1]["reward_mean"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", help="a running reward-server (default: start one here)")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--max-new-tokens", type=int, default=4)
    parser.add_argument("--reward-delay-s", type=float, default=0.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        root = Path(tmp)
        model = build_tiny_model(root / "model")
        prompts = write_prompts(root / "prompts.jsonl")
        url = args.url or stack.enter_context(local_server(2))
        results = {
            mode: run_mode(model, prompts, url, mode, args, root / f"{mode}.jsonl") for mode in Overlap
        }
    base = results[Overlap.NONE]
    print(f"steps={args.steps} max_new_tokens={args.max_new_tokens} reward_delay_s={args.reward_delay_s}")
    for mode, r in results.items():
        print(
            f"{mode:>9}: step {r['step_s']:.3f} s ({base['step_s'] / r['step_s']:.2f}x vs none), "
            f"reward wait {r['reward_wait_s']:.3f} s of {r['reward_latency_s']:.3f} s latency "
            f"(exposed {r['exposed']:.0%}), final reward_mean {r['final_reward']}"
        )
    print(json.dumps({str(k): v for k, v in results.items()}))


if __name__ == "__main__":
    main()
