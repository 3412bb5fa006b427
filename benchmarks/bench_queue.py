"""Queue overhead and worker scaling, against a real redis-server started here.

    PYTHONPATH=$PWD python benchmarks/bench_queue.py [--items 2048] [--cpu-items 192] [--repeats 3]

1. Overhead: the same batch scored in process (`Scorer`, the baseline, 1 cpu process) and through Redis by
   one `reward-server worker` (1 cpu process): enqueue, chunk delivery, result write, wait, read back. Three
   batches: format-only (pure queue cost), the math benchmark's realistic GRPO mix, its parser-bound golds.
   Prints both times, the per-item overhead and the ratio.
2. Scaling: parser-bound math items (every gold needs sympy) through the queue with 1 and then 2 workers
   (1 cpu process each). Prints items/s for each and the ratio; the ideal is 2.0 on two idle cores.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import redis

from benchmarks.math_workload import build_workload
from reward_server.config import Settings
from reward_server.queue.client import JobQueue
from reward_server.schemas import ScoreItem, ScoreRequest
from reward_server.services import Services, queue_config, start_services


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def redis_server() -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        sys.exit("redis-server is not installed (apt-get install redis-server)")
    port, directory = free_port(), tempfile.mkdtemp()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--save", "", "--appendonly", "no", "--dir", directory],
        stdout=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port)
    for _ in range(200):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.02)
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.kill()
        proc.wait()
        shutil.rmtree(directory, ignore_errors=True)


@contextmanager
def workers(url: str, prefix: str, count: int) -> Iterator[None]:
    env = {
        **os.environ,
        "REWARD_SERVER_CPU_WORKERS": "1",
        "REWARD_SERVER_WORKER_CONCURRENCY": "2",
        "REWARD_SERVER_LOG_LEVEL": "warning",
        "REWARD_SERVER_SANDBOX": "none",
        "REWARD_SERVER_MATH_TIMEOUT_S": "60",
    }
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "reward_server", "worker", "--redis-url", url, "--queue-prefix", prefix],
            env=env,
        )
        for _ in range(count)
    ]
    client = redis.Redis.from_url(url)
    while client.zcount(f"{prefix}:workers", int(client.time()[0]), "+inf") < count:
        time.sleep(0.05)
    try:
        yield
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait()


def format_items(n: int) -> ScoreRequest:
    items = [ScoreItem(id=i, completion=f"<think>step {i}</think><answer>{i}</answer>") for i in range(n)]
    return ScoreRequest(items=items, rewards={"format": 1.0})


def math_items(n: int, *, hard_only: bool = False, seed: int = 7) -> ScoreRequest:
    """GRPO groups from the math benchmark's workload; `hard_only`: every gold needs sympy.

    The checker caches parses per process, so every timed run gets a fresh `seed`: a repeated batch would
    measure cache hits, not checking.
    """
    items = [
        ScoreItem.model_validate(
            {"id": i, "completion": item.completion, "task": {"type": "math", "answer": item.gold}}
        )
        for i, item in enumerate(build_workload(n, hard_only=hard_only, seed=seed))
    ]
    return ScoreRequest(items=items, rewards={"accuracy": 1.0})


async def timed_local(services: Services, request: ScoreRequest) -> float:
    started = time.perf_counter()
    await services.backend.score(request)
    return time.perf_counter() - started


async def timed_queue(queue: JobQueue, request: ScoreRequest) -> float:
    started = time.perf_counter()
    job_id = await queue.enqueue(request)
    info = await queue.wait(job_id, timeout_s=600)
    assert info.results is not None and len(info.results) == len(request.items), info
    return time.perf_counter() - started


def report(what: str, n: int, repeats: int, local: float, queued: float) -> None:
    print(f"overhead: {what}, median of {repeats}")
    print(f"  in-process Scorer (baseline): {local * 1000:8.1f} ms ({local / n * 1e6:8.1f} us/item)")
    print(f"  through Redis, 1 worker:      {queued * 1000:8.1f} ms ({queued / n * 1e6:8.1f} us/item)")
    per_item_us = (queued - local) / n * 1e6
    print(f"  queue overhead {per_item_us:.1f} us/item; ratio queue/in-process {queued / local:.2f}")


async def overhead(url: str, batches: dict[str, Callable[[int], ScoreRequest]], repeats: int) -> None:
    """Each batch in process (1 cpu process) and through the queue (1 worker with 1 cpu process)."""
    prefix = f"bench-{uuid.uuid4().hex[:6]}"
    settings = Settings(
        redis_url=url, queue_prefix=prefix, cpu_workers=1, queue_chunk_items=64, sandbox="none"
    )
    services = await start_services(settings)
    queue = JobQueue(queue_config(settings))
    try:
        with workers(url, prefix, 1):
            for warm in (format_items(8), math_items(8)):  # warm both paths, imports included
                await timed_queue(queue, warm)
                await timed_local(services, warm)
            for name, make in batches.items():
                n = len(make(0).items)
                locals_, queueds = [], []
                for run in range(1, repeats + 1):  # interleaved, so drifting load hits both alike
                    request = make(run)  # the same fresh batch for both sides (separate processes' caches)
                    locals_.append(await timed_local(services, request))
                    queueds.append(await timed_queue(queue, request))
                local, queued = statistics.median(locals_), statistics.median(queueds)
                report(f"{n} {name} items, chunks of {settings.queue_chunk_items}", n, repeats, local, queued)
    finally:
        await queue.close()
        await services.close()


async def scaling(url: str, n: int, repeats: int) -> None:
    rates: dict[int, float] = {}
    for count in (1, 2):
        prefix = f"bench-{uuid.uuid4().hex[:6]}"
        settings = Settings(redis_url=url, queue_prefix=prefix, queue_chunk_items=8, sandbox="none")
        queue = JobQueue(queue_config(settings))
        try:
            with workers(url, prefix, count):
                await timed_queue(queue, math_items(8 * count, hard_only=True))  # warm every worker
                runs = [math_items(n, hard_only=True, seed=100 * count + run) for run in range(repeats)]
                elapsed = statistics.median([await timed_queue(queue, request) for request in runs])
        finally:
            await queue.close()
        rates[count] = n / elapsed
        print(f"scaling: {n} parser-bound math items, {count} worker(s) x 1 cpu: {rates[count]:7.1f} items/s")
    print(f"  throughput ratio 2 workers / 1 worker: {rates[2] / rates[1]:.2f} (cores: {os.cpu_count()})")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=2048)
    parser.add_argument("--cpu-items", type=int, default=192)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with redis_server() as url:
        batches: dict[str, Callable[[int], ScoreRequest]] = {
            "format-only": lambda _seed: format_items(args.items),
            "math (realistic mix)": lambda seed: math_items(args.items, seed=seed),
            "math (parser-bound)": lambda seed: math_items(args.cpu_items, hard_only=True, seed=seed),
        }
        asyncio.run(overhead(url, batches, args.repeats))
        asyncio.run(scaling(url, args.cpu_items, args.repeats))


if __name__ == "__main__":
    main()
