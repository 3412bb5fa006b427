"""Sandbox overhead for a trivial Python program on a warm pool, against named baselines.

    PYTHONPATH=$PWD python benchmarks/bench_sandbox_overhead.py [--runs 200]

Overhead = what the caller waits minus what the program itself takes. Measured three ways in the
same run: (1) latency minus the program's wall time measured inside the container; (2) latency
minus the same interpreter running the same file directly on this machine (`/usr/bin/python3`,
the Debian build the image also carries); plus the baselines `docker exec` and `docker run`
per program, and the local bubblewrap backend.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

from sandboxes import DockerConfig, DockerSandbox, LocalConfig, LocalSandbox
from sandboxes.build_images import ensure_images
from sandboxes.languages import image_tag

PROGRAM = "pass\n"


def _stats(samples: list[float]) -> str:
    ordered = sorted(samples)
    p90 = ordered[int(0.9 * (len(ordered) - 1))]
    return f"median {statistics.median(ordered) * 1e3:7.2f} ms   p90 {p90 * 1e3:7.2f} ms   (n={len(ordered)})"


def _time(fn: Callable[[], object], runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


async def warm_pool_and_bare(runs: int) -> tuple[list[float], list[float], list[float]]:
    """Alternate one sandboxed run and one bare run, so machine load hits both alike."""
    python = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
    sandbox = DockerSandbox(DockerConfig(pool_size=1, prewarm=("python",)))
    await sandbox.start()
    try:
        with tempfile.TemporaryDirectory() as workspace:
            path = os.path.join(workspace, "main.py")
            with open(path, "w") as f:
                f.write(PROGRAM)
            for _ in range(10):  # warm-up: page cache, first forks
                await sandbox.execute("python", PROGRAM)
                subprocess.run([python, "-I", path], cwd=workspace, check=True)
            latencies, inside, bare = [], [], []
            for _ in range(runs):
                start = time.perf_counter()
                execution = await sandbox.execute("python", PROGRAM)
                latencies.append(time.perf_counter() - start)
                inside.append(execution.runs[0].wall_time_s)
                assert execution.runs[0].status.value == "ok", execution
                start = time.perf_counter()
                subprocess.run([python, "-I", path], cwd=workspace, check=True)
                bare.append(time.perf_counter() - start)
        return latencies, inside, bare
    finally:
        await sandbox.close()


def docker_exec(runs: int) -> list[float]:
    import docker

    client = docker.from_env()
    container = client.containers.run(
        image_tag("python"), ["sleep", "infinity"], detach=True, network_mode="none", remove=True
    )
    try:
        return _time(lambda: container.exec_run(["python3", "-I", "-c", PROGRAM]), runs)
    finally:
        container.remove(force=True)


def docker_run(runs: int) -> list[float]:
    import docker

    client = docker.from_env()
    return _time(
        lambda: client.containers.run(
            image_tag("python"), ["python3", "-I", "-c", PROGRAM], network_mode="none", remove=True
        ),
        runs,
    )


async def local_bwrap(runs: int) -> list[float]:
    sandbox = LocalSandbox(LocalConfig(use_bubblewrap=True))
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        await sandbox.execute("python", PROGRAM)
        samples.append(time.perf_counter() - start)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--docker-run-runs", type=int, default=10)
    args = parser.parse_args()
    ensure_images(["python"], log=lambda _: None)

    latencies, inside, bare = asyncio.run(warm_pool_and_bare(args.runs))
    execs = docker_exec(max(10, args.runs // 10))
    runs = docker_run(args.docker_run_runs)
    overhead_inside = [lat - own for lat, own in zip(latencies, inside, strict=True)]
    overhead_bare = [lat - own for lat, own in zip(latencies, bare, strict=True)]

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"trivial Python program ({PROGRAM.strip()!r}), {os.cpu_count()} CPUs, load average {load}")
    print(f"  bare /usr/bin/python3 -I, no isolation : {_stats(bare)}")
    print(f"  warm pool: caller latency              : {_stats(latencies)}")
    print(f"  warm pool: program wall inside         : {_stats(inside)}")
    print(f"  overhead = latency - inside wall       : {_stats(overhead_inside)}")
    print(f"  overhead = latency - bare (paired)     : {_stats(overhead_bare)}")
    print(f"  baseline docker exec per program       : {_stats(execs)}")
    print(f"  baseline docker run per program        : {_stats(runs)}")
    if shutil.which("bwrap"):
        local = asyncio.run(local_bwrap(min(args.runs, 50)))
        print(f"  local backend (bubblewrap)             : {_stats(local)}")
    median_latency = statistics.median(latencies)
    print(f"ratio docker run / warm pool  : {statistics.median(runs) / median_latency:6.1f}x")
    print(f"ratio docker exec / warm pool : {statistics.median(execs) / median_latency:6.1f}x")
    for name, overhead in (("inside wall", overhead_inside), ("bare run", overhead_bare)):
        ms = statistics.median(overhead) * 1e3
        verdict = "PASS" if ms < 10 else "FAIL"
        print(f"median sandbox overhead vs {name}: {ms:.2f} ms (target < 10 ms): {verdict}")


if __name__ == "__main__":
    main()
