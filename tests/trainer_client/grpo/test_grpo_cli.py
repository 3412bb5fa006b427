"""The GRPO trainer's command line fails loudly, in one line, and shows each step.

Every test runs `python -m trainer_client.grpo` as a real subprocess, the way a user does, against
a real `reward-server` process, a stand-in whose scoring this file breaks, or a port nobody serves.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.requests import Request
from starlette.responses import Response

from tests.support.fake_scorer import FakeScorer, fake_scorers
from tests.support.tiny_lm import build_tiny_model, write_prompts

# Each test starts a Python that imports torch and transformers: tens of seconds on a loaded machine.
pytestmark = pytest.mark.timeout(400)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny-model"))  # 32 positions


@pytest.fixture
def fake_server() -> Iterator[Callable[..., FakeScorer]]:
    with fake_scorers() as start:
        yield start


def run_trainer(*args: str, prelude: str = "", timeout_s: float = 300) -> subprocess.CompletedProcess[str]:
    code = (
        f"import sys\n{prelude}\nfrom trainer_client.grpo.__main__ import main\nsys.exit(main(sys.argv[1:]))"
    )
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=timeout_s, check=False
    )


def base_args(model: Path, prompts: Path, url: str, log: Path, *extra: str) -> list[str]:
    return [
        "--model", str(model), "--prompts", str(prompts), "--reward-url", url, "--log", str(log),
        "--group-size", "2", "--prompts-per-step", "2", "--rewards", "accuracy=1", *extra,
    ]  # fmt: skip


def assert_one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    errors = [line for line in result.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1, result.stderr
    return errors[0]


def test_a_dead_service_fails_before_the_model_loads(tiny_model: Path, tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    prompts = write_prompts(tmp_path / "prompts.jsonl")
    result = run_trainer(
        *base_args(tiny_model, prompts, url, tmp_path / "log.jsonl", "--max-new-tokens", "1")
    )
    line = assert_one_line_error(result)
    assert f"cannot reach reward-server at {url}" in line
    assert not (tmp_path / "log.jsonl").exists()


def test_a_context_too_small_names_the_flag_to_lower(
    tiny_model: Path, reward_server_url: str, tmp_path: Path
) -> None:
    prompts = write_prompts(tmp_path / "prompts.jsonl")  # 3-token prompts, a 32-position model
    result = run_trainer(*base_args(tiny_model, prompts, reward_server_url, tmp_path / "log.jsonl"))
    line = assert_one_line_error(result)
    assert "--max-new-tokens 256" in line and "context of 32 positions" in line
    assert "lower --max-new-tokens to at most 29" in line


def test_each_step_prints_a_progress_line(tiny_model: Path, reward_server_url: str, tmp_path: Path) -> None:
    prompts = write_prompts(tmp_path / "prompts.jsonl")
    args = base_args(tiny_model, prompts, reward_server_url, tmp_path / "log.jsonl", "--max-new-tokens", "1")
    result = run_trainer(*args, "--steps", "2")
    assert result.returncode == 0, result.stderr
    progress = [line for line in result.stderr.splitlines() if line.startswith("step ")]
    assert len(progress) == 2, result.stderr
    pattern = r"step 1/2  reward \d\.\d{4} ± \d\.\d{4}  errors 0\.0%  kl \S+  step \d+\.\d\d s"
    assert re.match(pattern, progress[0]), progress[0]


def test_steps_with_nothing_scored_stop_the_run(tiny_model: Path, fake_server: Any, tmp_path: Path) -> None:
    async def always_503(request: Request, body: dict[str, Any]) -> Response:
        return Response("scoring backend down", status_code=503)

    server = fake_server(always_503)
    prompts = write_prompts(tmp_path / "prompts.jsonl")
    args = base_args(tiny_model, prompts, server.url, tmp_path / "log.jsonl", "--max-new-tokens", "1")
    result = run_trainer(*args, "--steps", "10", "--max-unscored-steps", "2", "--reward-timeout", "1")
    line = assert_one_line_error(result)
    assert "stopping at step 2: no sample got a reward in the last 2 steps" in line
    assert server.url in line and "503" in line
    assert re.search(r"left (\d) of \1 samples unscored", result.stderr)  # each unscored call warns
    assert len((tmp_path / "log.jsonl").read_text().splitlines()) == 2


def test_a_missing_model_directory_is_one_line(tmp_path: Path) -> None:
    prompts = write_prompts(tmp_path / "prompts.jsonl")
    result = run_trainer(*base_args(tmp_path / "typo", prompts, "http://127.0.0.1:9", tmp_path / "l.jsonl"))
    assert "no such directory" in assert_one_line_error(result)


def test_without_the_train_extra_it_names_the_extra(tmp_path: Path) -> None:
    prompts = write_prompts(tmp_path / "prompts.jsonl")
    args = base_args(tmp_path, prompts, "http://127.0.0.1:9", tmp_path / "l.jsonl")
    result = run_trainer(*args, prelude="sys.modules['torch'] = None  # as if torch were not installed")
    line = assert_one_line_error(result)
    assert "pip install 'reward-server[train]'" in line and "'torch'" in line


def test_every_flag_has_help_and_shows_its_default() -> None:
    result = run_trainer("--help")
    assert result.returncode == 0
    options = re.split(r"\n  (?=-)", result.stdout.split("options:", 1)[1])[1:]
    assert len(options) >= 28
    for option in options:
        text = " ".join(option.split())
        name = text.split()[0]
        if name in ("-h,", "--model", "--prompts", "--reward-url", "--log"):
            continue
        assert "(default:" in text, f"{name} shows no default: {text}"
