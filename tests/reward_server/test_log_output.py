"""What a `reward-server serve` process writes on stderr: one JSON object per line when collected
(model loading included: no progress bars), text on a terminal, and a failed start in one line."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.serve_process import serve_process
from tests.support.services import free_port
from tests.support.tiny_reward_models import build_llama_reward_model


@pytest.mark.timeout(300)
def test_loading_a_reward_model_keeps_one_json_object_per_line(tmp_path: Path) -> None:
    model = build_llama_reward_model(tmp_path / "rm")
    args = ["--sandbox", "none", "--reward-model", f"rm={model},device=cpu"]
    log_path = tmp_path / "serve.log"
    with serve_process(log_path, args, {"HF_HUB_OFFLINE": "1"}, start_timeout_s=240):
        pass
    lines = [line for line in log_path.read_text().splitlines() if line.strip()]
    for line in lines:
        entry = json.loads(line)  # a tqdm bar or a bare transformers line would not parse
        assert {"ts", "level", "logger", "msg"} <= set(entry), line
    assert any(json.loads(line)["msg"].startswith("reward model rm loaded") for line in lines)


def test_logs_are_text_on_a_terminal(tmp_path: Path) -> None:
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "reward_server", "serve", "--port", str(free_port()), "--sandbox", "none"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=follower,
        env={**os.environ, "REWARD_SERVER_CPU_WORKERS": "1"},
    )
    os.close(follower)
    output = b""
    try:
        deadline = time.monotonic() + 120
        while b"Application startup complete" not in output and time.monotonic() < deadline:
            if select.select([leader], [], [], 1)[0]:
                try:
                    output += os.read(leader, 4096)
                except OSError:
                    break
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        os.close(leader)
    text = output.decode(errors="replace")
    assert "Application startup complete" in text, text
    first = text.strip().splitlines()[0]
    assert not first.startswith("{") and " INFO " in first, first


def test_a_start_that_fails_inside_the_service_is_one_line(tmp_path: Path) -> None:
    # A hub id that cannot be fetched offline: only the real load finds out, inside the lifespan.
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "REWARD_SERVER_CPU_WORKERS": "1",
        "REWARD_SERVER_REWARD_MODELS": '[{"name": "ghost", "path": "no-such-org/no-such-model"}]',
    }
    proc = subprocess.run(
        [sys.executable, "-m", "reward_server", "serve", "--port", str(free_port()), "--sandbox", "none"],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
    )
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr, proc.stderr
    entries = [json.loads(line) for line in proc.stderr.splitlines() if line.strip()]
    failures = [e["msg"] for e in entries if e["msg"].startswith("cannot start:")]
    assert len(failures) == 1 and "'ghost'" in failures[0], proc.stderr
