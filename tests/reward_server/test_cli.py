"""`reward-server serve` on embedded defaults, driven over a real socket like the README says."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from tests.support.serve_process import serve_process


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_process(tmp_path_factory.mktemp("serve") / "serve.log") as process:
        yield process.url


def test_serve_scores_the_readme_example(server: str) -> None:
    body = {
        "items": [
            {
                "id": "a1",
                "prompt": "What is 1/2 + 1/2?",
                "completion": "<think>half and half</think><answer>\\boxed{1}</answer>",
                "task": {"type": "math", "answer": "1"},
            }
        ]
    }
    response = httpx.post(f"{server}/v1/score", json=body, timeout=60)
    assert response.status_code == 200
    [result] = response.json()["results"]
    assert result["reward"] == 2.0


def test_invalid_setting_exits_with_a_message() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "reward_server", "serve", "--port", "70000"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "port" in proc.stderr
