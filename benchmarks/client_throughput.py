"""RewardClient throughput against a live reward-server, compared with two common calling patterns.

    PYTHONPATH=. python benchmarks/client_throughput.py --items 1000
    PYTHONPATH=. python benchmarks/client_throughput.py --url http://host:8000 --items 4000

Baselines, measured in the same run on the same server:
- `per-sample`: one POST per completion, one after another (a reward function that loops over
  samples, and OpenRLHF's client since 0.9.1 when its requests are not overlapped);
- `one-request`: the whole batch in a single POST.
Reported: items/s and the ratio of RewardClient to each baseline. Verdicts must agree.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from typing import Any

import httpx

from tests.support.serve_process import wait_until_healthy
from trainer_client import RewardClient

ANSWERS = ["42", "\\frac{1}{2}", "3\\sqrt{2}", "(1, 2]", "x^2 + 1", "0.25", "17", "\\{1, 2, 3\\}"]
EQUIVALENT = {"\\frac{1}{2}": "0.5", "0.25": "\\frac{1}{4}", "\\{1, 2, 3\\}": "\\{3, 2, 1\\}"}


def make_items(count: int, seed: int = 0) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    items = []
    for i in range(count):
        gold = rng.choice(ANSWERS)
        kind = rng.random()
        if kind < 0.4:
            shown = gold
        elif kind < 0.55:
            shown = EQUIVALENT.get(gold, gold)
        elif kind < 0.9:
            shown = rng.choice([a for a in ANSWERS if a != gold])
        else:
            shown = None
        reasoning = " ".join(
            rng.choice(["so", "then", "we", "get", "the", "value", "step"]) for _ in range(150)
        )
        answer = f"\\boxed{{{shown}}}" if shown is not None else "I cannot solve this."
        items.append(
            {
                "id": str(i),
                "prompt": "Solve the problem.",
                "completion": f"<think>{reasoning}</think><answer>{answer}</answer>",
                "task": {"type": "math", "answer": gold},
            }
        )
    return items


@contextlib.contextmanager
def local_server(workers: int) -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "REWARD_SERVER_CPU_WORKERS": str(workers), "REWARD_SERVER_MAX_BATCH_ITEMS": "100000"}
    with tempfile.TemporaryFile() as output:
        command = [sys.executable, "-m", "reward_server", "serve", "--host", "127.0.0.1", "--port", str(port)]
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            if not wait_until_healthy(url, timeout_s=60):
                raise RuntimeError("reward-server did not start")
            yield url
        finally:
            process.terminate()
            process.wait(timeout=20)


def per_sample(url: str, items: list[dict[str, Any]], rewards: dict[str, float]) -> list[float | None]:
    with httpx.Client(base_url=url, timeout=300) as http:
        return [
            http.post("/v1/score", json={"items": [item], "rewards": rewards}).json()["results"][0]["reward"]
            for item in items
        ]


def one_request(url: str, items: list[dict[str, Any]], rewards: dict[str, float]) -> list[float | None]:
    response = httpx.post(f"{url}/v1/score", json={"items": items, "rewards": rewards}, timeout=600)
    response.raise_for_status()
    return [r["reward"] for r in response.json()["results"]]


def reward_client(url: str, items: list[dict[str, Any]], rewards: dict[str, float]) -> list[float | None]:
    with RewardClient(url, timeout_s=600) as client:
        return [r["reward"] for r in client.score(items, rewards)]


def rate(
    fn: Any, url: str, items: list[dict[str, Any]], weights: dict[str, float]
) -> tuple[float, list[Any]]:
    started = time.perf_counter()
    rewards = fn(url, items, weights)
    return len(items) / (time.perf_counter() - started), rewards


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", help="a running reward-server (default: start one here)")
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument(
        "--per-sample-items", type=int, default=300, help="the slow baseline runs on a prefix"
    )
    parser.add_argument("--repeats", type=int, default=3, help="rounds, interleaved; the median is reported")
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 2, help="cpu workers of a local server"
    )
    args = parser.parse_args()
    items = make_items(args.items)
    weights = {"accuracy": 1.0, "format": 0.5}
    ways = {
        "RewardClient": (reward_client, items),
        "one-request": (one_request, items),
        "per-sample": (per_sample, items[: args.per_sample_items]),
    }
    rates: dict[str, list[float]] = {name: [] for name in ways}
    verdicts: dict[str, list[Any]] = {}
    with contextlib.ExitStack() as stack:
        url = args.url or stack.enter_context(local_server(args.workers))
        one_request(url, items[:64], weights)  # warm the server's worker processes
        for _ in range(args.repeats):
            for name, (fn, subset) in ways.items():
                items_per_s, verdicts[name] = rate(fn, url, subset, weights)
                rates[name].append(items_per_s)
    prefix = args.per_sample_items
    assert verdicts["RewardClient"] == verdicts["one-request"], "RewardClient and one-request disagree"
    assert verdicts["RewardClient"][:prefix] == verdicts["per-sample"], "RewardClient and per-sample disagree"
    median = {name: statistics.median(values) for name, values in rates.items()}
    for name, value in median.items():
        print(
            f"{name:>13}: {value:7.1f} items/s (median of {args.repeats}; runs: "
            f"{', '.join(f'{v:.0f}' for v in rates[name])})"
        )
    print(f"RewardClient vs per-sample:  {median['RewardClient'] / median['per-sample']:5.2f}x")
    print(f"RewardClient vs one-request: {median['RewardClient'] / median['one-request']:5.2f}x")


if __name__ == "__main__":
    main()
