"""Every command-line mistake is one line on stderr naming the fix, never a traceback.

Each case runs `reward-server` as a real subprocess, the way a user meets it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from reward_server import __version__
from tests.support.fake_scorer import FakeScorer, fake_scorers


def run_cli(
    *args: str, env: Mapping[str, str] | None = None, prelude: str = "", timeout_s: float = 120
) -> subprocess.CompletedProcess[str]:
    code = f"import sys\n{prelude}\nfrom reward_server.cli import main\nsys.exit(main(sys.argv[1:]))"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        env={**os.environ, **(env or {})},
        check=False,
    )


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_redis_url_without_scheme() -> None:
    line = one_line_error(run_cli("serve", "--redis-url", "localhost:6379"))
    assert line.startswith("reward-server serve: error: --redis-url:")
    assert "no scheme" in line and "redis://localhost:6379/0" in line


def test_invalid_environment_variable_is_named() -> None:
    line = one_line_error(run_cli("serve", env={"REWARD_SERVER_MAX_BATCH_ITEMS": "0"}))
    assert "REWARD_SERVER_MAX_BATCH_ITEMS" in line and "greater than or equal to 1" in line


def test_sandbox_docker_with_the_daemon_down(tmp_path: Path) -> None:
    env = {"DOCKER_HOST": f"unix://{tmp_path}/no-daemon.sock"}
    line = one_line_error(run_cli("serve", "--sandbox", "docker", env=env))
    assert "--sandbox docker: the Docker daemon does not answer" in line
    assert "--sandbox local" in line


def test_worker_sandbox_docker_with_the_daemon_down(tmp_path: Path) -> None:
    env = {"DOCKER_HOST": f"unix://{tmp_path}/no-daemon.sock"}
    result = run_cli("worker", "--redis-url", "redis://127.0.0.1:9/0", "--sandbox", "docker", env=env)
    assert "the Docker daemon does not answer" in one_line_error(result)


def test_reward_model_path_that_is_not_there(tmp_path: Path) -> None:
    line = one_line_error(run_cli("serve", "--reward-model", f"{tmp_path}/typo"))
    assert f"{tmp_path}/typo: no such directory" in line


def test_reward_model_without_the_model_extra(tmp_path: Path) -> None:
    result = run_cli("serve", "--reward-model", str(tmp_path), prelude="sys.modules['torch'] = None")
    line = one_line_error(result)
    assert "needs the 'model' extra (missing: torch)" in line and "reward-server[model]" in line


@pytest.mark.parametrize("route", ["/v1/score", "/get_reward"])
def test_eval_url_with_a_route_says_pass_the_base_url(tmp_path: Path, route: str) -> None:
    (tmp_path / "in.jsonl").write_text('{"completion": "x", "task": {"type": "none"}}\n')
    url = f"http://host:8000{route}"
    result = run_cli("eval", str(tmp_path / "in.jsonl"), "-o", str(tmp_path / "out.jsonl"), "--url", url)
    line = one_line_error(result)
    assert "pass the base URL (http://host:8000)" in line


@pytest.fixture
def fake_server() -> Iterator[FakeScorer]:
    with fake_scorers() as start:
        yield start()


def test_eval_url_that_is_not_a_reward_server_root(tmp_path: Path, fake_server: FakeScorer) -> None:
    (tmp_path / "in.jsonl").write_text('{"completion": "x", "task": {"type": "none"}}\n')
    url = f"{fake_server.url}/api"  # /api/v1/score: 404 with {"detail": "Not Found"}
    args = ["eval", str(tmp_path / "in.jsonl"), "-o", str(tmp_path / "out.jsonl"), "--url", url]
    result = run_cli(*args, "--no-progress")
    line = one_line_error(result)
    assert "404" in line and "base URL of a reward-server" in line


def test_version() -> None:
    result = run_cli("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"reward-server {__version__}"


@pytest.mark.parametrize("command", ["serve", "worker"])
def test_every_flag_has_help_with_its_default_and_env_only_settings_are_listed(command: str) -> None:
    result = run_cli(command, "--help")
    assert result.returncode == 0, result.stderr
    text = result.stdout
    options_part, _, epilog = text.partition("settings without a flag")
    options = re.split(r"\n  (?=-)", options_part.split("options:", 1)[1])[1:]
    for option in options:
        flat = " ".join(option.split())
        if flat.startswith("-h,") or flat.startswith("--redis-url REDIS_URL redis://HOST"):
            continue  # help; the worker's required --redis-url
        assert "default:" in flat, f"no default shown: {flat}"
    for env_only in ("MAX_BATCH_ITEMS", "MAX_BODY_BYTES", "LANGUAGE_TIMEOUT_S", "SANDBOX_TIME_LIMIT_S"):
        assert f"REWARD_SERVER_{env_only} (default:" in epilog
    assert "REWARD_SERVER_MAX_BATCH_ITEMS (default: 8192)" in epilog
