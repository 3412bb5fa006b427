"""Sustained load against a loopback `reward-server serve`: latency percentiles, errors, RSS over time.

Starts its own server, warms it up, runs a serial baseline (one client) and then `--clients` concurrent
clients posting mixed batches (math right/wrong/unparseable, format; language with --language) until
`--duration-s` or `--max-requests`, whichever comes first, sampling the resident memory of the server and
its pool workers as it goes.
Prints the figures, the concurrent-vs-serial throughput ratio and the memory ratio (last window / first
window after warm-up), and exits 1 on any error or on memory growth over `--max-rss-growth`.

    python benchmarks/load_test.py --duration-s 180 --clients 8 --cpu-workers 2
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.support.serve_process import wait_until_healthy

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_mb(pid: int) -> float:
    """Resident memory of `pid` and all its descendants (the pool workers), in MiB."""
    total_kb = 0
    pids = [pid]
    while pids:
        current = pids.pop()
        try:
            with open(f"/proc/{current}/status") as handle:
                for line in handle:
                    if line.startswith("VmRSS:"):
                        total_kb += int(line.split()[1])
            with open(f"/proc/{current}/task/{current}/children") as handle:
                pids += [int(child) for child in handle.read().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue  # a pool worker replaced between listing and reading
    return total_kb / 1024


def make_batch(rng: random.Random, size: int, language: bool = False) -> dict[str, Any]:
    """A batch like a GRPO step sends: several samples per prompt, most parseable, some wrong or junk."""
    items = []
    for i in range(size):
        a, b = rng.randint(1, 99), rng.randint(1, 99)
        kind = rng.random()
        if kind < 0.5:
            answer = f"{a + b}"
        elif kind < 0.8:
            answer = f"{a + b + rng.randint(1, 5)}"
        elif kind < 0.9:
            answer = f"\\frac{{{2 * (a + b)}}}{{2}}"
        else:
            answer = "I am not sure"
        think = "<think>" + f"{a} plus {b} " * rng.randint(1, 30) + "</think>"
        items.append(
            {
                "id": i,
                "prompt": f"What is {a} + {b}?",
                "completion": think + f"<answer>\\boxed{{{answer}}}</answer>",
                "task": {"type": "math", "answer": str(a + b)},
                "language": "en",
            }
        )
    rewards = {"accuracy": 1.0, "format": 0.5, **({"language": 0.0} if language else {})}
    return {"items": items, "rewards": rewards}


@dataclass
class Phase:
    name: str
    latencies_s: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    items: int = 0
    wall_s: float = 0.0

    def figures(self) -> dict[str, Any]:
        lat = sorted(self.latencies_s)

        def pct(p: float) -> float:
            return lat[min(len(lat) - 1, int(p / 100 * len(lat)))] * 1000 if lat else float("nan")

        return {
            "requests": len(lat),
            "errors": len(self.errors),
            "items_per_s": self.items / self.wall_s if self.wall_s else 0.0,
            "p50_ms": pct(50),
            "p90_ms": pct(90),
            "p99_ms": pct(99),
            "max_ms": lat[-1] * 1000 if lat else float("nan"),
            "mean_ms": statistics.fmean(lat) * 1000 if lat else float("nan"),
        }


async def drive(
    url: str,
    phase: Phase,
    clients: int,
    batch_size: int,
    deadline: float,
    max_requests: int,
    seed: int,
    language: bool = False,
) -> None:
    sent = 0

    async def client(index: int) -> None:
        nonlocal sent
        rng = random.Random(seed * 1000 + index)
        async with httpx.AsyncClient(base_url=url, timeout=120) as http:
            while time.monotonic() < deadline and sent < max_requests:
                sent += 1
                body = make_batch(rng, batch_size, language)
                started = time.perf_counter()
                try:
                    response = await http.post("/v1/score", json=body)
                    elapsed = time.perf_counter() - started
                    if response.status_code != 200:
                        phase.errors.append(f"HTTP {response.status_code}: {response.text[:200]}")
                        continue
                    results = response.json()["results"]
                    bad = [r for r in results if r["error"]]
                    if len(results) != batch_size or bad:
                        phase.errors.append(f"{len(bad)} item errors, e.g. {bad[:1]}")
                        continue
                    phase.latencies_s.append(elapsed)
                    phase.items += batch_size
                except httpx.HTTPError as exc:
                    phase.errors.append(f"{type(exc).__name__}: {exc}")

    started = time.monotonic()
    await asyncio.gather(*(client(i) for i in range(clients)))
    phase.wall_s = time.monotonic() - started


async def sample_memory(
    pid: int, samples: list[tuple[float, float]], stop: asyncio.Event, every_s: float
) -> None:
    while not stop.is_set():
        samples.append((time.monotonic(), rss_mb(pid)))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every_s)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration-s", type=float, default=180.0, help="length of the concurrent phase")
    parser.add_argument("--baseline-s", type=float, default=20.0, help="length of the one-client baseline")
    parser.add_argument(
        "--max-requests", type=int, default=20_000, help="hard cap on concurrent-phase requests"
    )
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--cpu-workers", type=int, default=2)
    parser.add_argument("--sample-every-s", type=float, default=5.0)
    parser.add_argument("--max-rss-growth", type=float, default=1.10, help="fail above this last/first ratio")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--language", action="store_true", help="also compute the language reward")
    args = parser.parse_args()

    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "REWARD_SERVER_LOG_LEVEL": "warning"}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "reward_server",
            "serve",
            "--port",
            str(port),
            "--cpu-workers",
            str(args.cpu_workers),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        if not wait_until_healthy(url, timeout_s=60, alive=lambda: server.poll() is None, poll_s=0.2):
            print("server did not start", file=sys.stderr)
            return 1

        async def run() -> tuple[Phase, Phase, list[tuple[float, float]], float]:
            baseline, loaded = Phase("serial (1 client)"), Phase(f"concurrent ({args.clients} clients)")
            samples: list[tuple[float, float]] = []
            stop = asyncio.Event()
            sampler = asyncio.create_task(sample_memory(server.pid, samples, stop, args.sample_every_s))
            # Warm-up (imports in the pool workers), not measured: a few batches per worker.
            warmup = Phase("warm-up")
            await drive(
                url, warmup, args.cpu_workers, args.batch_size, time.monotonic() + 60, 2 * args.cpu_workers, 0
            )
            baseline_end = time.monotonic() + args.baseline_s
            await drive(
                url, baseline, 1, args.batch_size, baseline_end, 10**9, seed=1, language=args.language
            )
            loaded_start = time.monotonic()
            await drive(
                url,
                loaded,
                args.clients,
                args.batch_size,
                time.monotonic() + args.duration_s,
                args.max_requests,
                seed=2,
                language=args.language,
            )
            stop.set()
            await sampler
            return baseline, loaded, samples, loaded_start

        origin = time.monotonic()
        baseline, loaded, samples, loaded_start = asyncio.run(run())
    finally:
        server.terminate()
        server.wait(timeout=60)

    # Memory: compare the first and last quarter of the concurrent phase (the baseline phase is warm-up).
    loaded_samples = [mb for t, mb in samples if t >= loaded_start]
    quarter = max(1, len(loaded_samples) // 4)
    first = statistics.fmean(loaded_samples[:quarter])
    last = statistics.fmean(loaded_samples[-quarter:])
    figures = {
        "command": " ".join(sys.argv),
        "baseline": baseline.figures(),
        "concurrent": loaded.figures(),
        "rss_mb": {"first_quarter": first, "last_quarter": last, "max": max(loaded_samples)},
        "rss_samples": [(round(t - origin, 1), round(mb, 1)) for t, mb in samples],
        "rss_ratio_last_over_first": last / first,
        "throughput_ratio_concurrent_over_serial": loaded.figures()["items_per_s"]
        / baseline.figures()["items_per_s"],
        "errors": baseline.errors[:5] + loaded.errors[:5],
    }
    for phase in (baseline, loaded):
        f = phase.figures()
        print(
            f"{phase.name:<26} {f['requests']:>6} req  {f['errors']:>3} err  "
            f"{f['items_per_s']:8.1f} items/s  "
            f"p50 {f['p50_ms']:7.1f} ms  p90 {f['p90_ms']:7.1f} ms  p99 {f['p99_ms']:7.1f} ms  "
            f"max {f['max_ms']:7.1f} ms"
        )
    print(
        f"throughput ratio concurrent/serial: {figures['throughput_ratio_concurrent_over_serial']:.2f}x   "
        f"RSS first/last quarter: {first:.0f}/{last:.0f} MiB "
        f"(ratio {figures['rss_ratio_last_over_first']:.3f}, "
        f"max {max(loaded_samples):.0f} MiB)"
    )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    failed = baseline.errors or loaded.errors or figures["rss_ratio_last_over_first"] > args.max_rss_growth
    for error in figures["errors"]:
        print(f"error: {error}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
