"""Running a peer's own code (installed in its venv by `scripts/peer-venvs`) against reward-server.

Each peer lives in its own virtual environment, so a test runs a driver script from
`tests/peers/drivers/` with that venv's Python; the driver prints one JSON line with what the
peer's code produced, and the test judges it. The repository root is on the driver's
`PYTHONPATH`, so it imports this checkout's `trainer_client` and `tests.support.tiny_lm`.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from tests.support.services import require_service

REPO = Path(__file__).resolve().parents[2]
DRIVERS = Path(__file__).resolve().parent / "drivers"
VENVS = Path(os.environ.get("REWARD_SERVER_PEER_VENVS", "/work/venvs"))


def peer_python(peer: str) -> Path:
    """The venv's interpreter; fails in CI and skips elsewhere (with the command) when it is missing."""
    python = VENVS / peer / "bin" / "python"
    stamp = VENVS / peer / ".peer-stamp"
    require_service(
        python.exists() and stamp.exists(),
        f"the {peer} venv ({VENVS / peer})",
        f"build it with `scripts/peer-venvs {peer}`",
    )
    return python


def run_driver(peer: str, driver: str, *args: str, timeout_s: float = 600) -> dict[str, Any]:
    """Run `drivers/<driver>` with the peer's Python; returns the JSON it printed last."""
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "TOKENIZERS_PARALLELISM": "false",
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "RAY_USAGE_STATS_ENABLED": "0",
        "WANDB_MODE": "disabled",
    }
    completed = subprocess.run(
        [str(peer_python(peer)), str(DRIVERS / driver), *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
    lines = [line for line in completed.stdout.splitlines() if line.startswith("{")]
    assert completed.returncode == 0 and lines, (
        f"{driver} exited {completed.returncode}\n--- stdout\n{completed.stdout[-4000:]}\n"
        f"--- stderr\n{completed.stderr[-6000:]}"
    )
    result: dict[str, Any] = json.loads(lines[-1])
    return result
