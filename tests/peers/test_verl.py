"""verl 0.9.1 (its released package): the documented overrides, its reward loop, its SandboxFusion client."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.peers.docs import command_words, doc_block
from tests.peers.harness import REPO, run_driver
from trainer_client import compute_score_batch

pytestmark = [pytest.mark.peers, pytest.mark.slow, pytest.mark.timeout(900)]


def score_requests(url: str) -> float:
    """How many /v1/score requests the server has answered (its request-duration histogram count)."""
    metrics = httpx.get(f"{url}/metrics", timeout=30).text
    counts = re.findall(
        r'reward_server_request_duration_seconds_count\{[^}]*route="/v1/score"[^}]*\} (\S+)', metrics
    )
    return sum(float(c) for c in counts)


def test_verl_reward_loop_scores_through_reward_server_in_batches(reward_server_url: str) -> None:
    words = command_words(doc_block("verl-command"), "verl.trainer.main_ppo")
    reward_py = str(REPO / "trainer_client" / "verl.py")
    overrides = [
        w.replace("$REWARD_PY", reward_py)
        .replace("http://reward-host:8000", reward_server_url)
        .replace("$HOME", "/tmp")
        for w in words
    ]
    assert any(o.startswith("reward.custom_reward_function.name=compute_score_async") for o in overrides)
    before = score_requests(reward_server_url)
    result = run_driver("verl", "verl_reward_loop.py", reward_server_url, *overrides)
    requests = score_requests(reward_server_url) - before

    assert result["reward_manager"] == "naive"
    assert result["scores"] == result["expected"], result  # verl's own gsm8k rule would give the first 0
    extra = result["reward_extra_info"]
    assert extra["score"] == result["expected"] and extra["reward_error"] == [0.0] * len(result["expected"])
    assert set(extra) == {"score", "reward_error", "accuracy", "format"}
    assert 1 <= requests < len(result["expected"]), f"{requests} /v1/score requests for one batch"
    assert result["sandbox_fusion_scores"] == [1.0, 0.0]


def test_verl_grpo_cannot_mask_one_sample_so_the_adapter_refuses_mask() -> None:
    # verl 0.9.1's GRPO advantage averages every score of a group: one NaN makes the whole group
    # NaN, so a reward function has no way to leave one sample out.
    result = run_driver("verl", "verl_grpo_nan.py")
    assert result["verl"] == "0.9.1"
    assert result["nan_rows"] == [True, True, True, True]
    assert result["clean"][0] > 0 > result["clean"][1]
    with pytest.raises(ValueError, match="not possible with verl 0.9.1"):
        compute_score_batch(["d"], ["x"], ["1"], base_url="http://127.0.0.1:9", on_failure="mask")
