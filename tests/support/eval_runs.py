"""What the `reward-server eval` tests share: eval rows, JSONL files, the command as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any


def sample(answer: str, think: bool = True) -> str:
    """A completion in the R1 template whose final answer is `\\boxed{answer}`."""
    return ("<think>working</think>" if think else "") + f"<answer>\\boxed{{{answer}}}</answer>"


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def run_eval(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m reward_server eval ARGS --no-progress` with one CPU worker; output captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "reward_server", "eval", *map(str, args), "--no-progress"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "REWARD_SERVER_CPU_WORKERS": "1", **(env or {})},
    )
