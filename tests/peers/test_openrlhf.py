"""OpenRLHF 0.11.2 (its released package): the documented command, its rollout executor and
remote-reward client, its experience batching, all against a live reward-server."""

from __future__ import annotations

import math

import pytest

from tests.peers.docs import command_words, doc_block
from tests.peers.harness import run_driver

pytestmark = [pytest.mark.peers, pytest.mark.slow, pytest.mark.timeout(900)]


def test_openrlhf_parses_the_documented_command_and_batches_the_rewards(reward_server_url: str) -> None:
    words = command_words(doc_block("openrlhf-command"), "openrlhf.cli.train_ppo_ray")
    argv = [w.replace("http://reward-host:8000", reward_server_url) for w in words]
    result = run_driver("openrlhf", "openrlhf_remote_rm.py", reward_server_url, *argv)

    assert result["openrlhf"] == "0.11.2"
    parsed = result["parsed"]  # 0.11.2's own parser accepted every flag
    assert parsed["reward.remote_url"] == f"{reward_server_url}/get_reward"
    assert parsed["actor.model_name_or_path"] and parsed["data.prompt_dataset"] and parsed["data.label_key"]

    long_cut, full = result["prompt_lengths"][0], result["full_prompt_lengths"][0]
    assert long_cut < full, "OpenRLHF must have cut the long prompt from the left"
    assert "\\boxed{6}" in result["kept_prompts"][0], "the worked example survives the cut"
    # refusing earns nothing although the kept end of the prompt holds a boxed worked example;
    # a numeric label, a list label (any answer) and no label (format only: reward_error) follow
    assert [r[0] for r in result["rewards"]] == [0.0, 1.0, 2.0, 0.0], result["rewards"]
    keys = {tuple(sorted(logs)) for logs in result["extra_logs"]}
    assert keys == {("accuracy", "format", "reward_error")}, result["extra_logs"]
    assert [logs["reward_error"][0] for logs in result["extra_logs"]] == [0.0, 0.0, 0.0, 1.0]

    batch = result["batch"]  # concat + split + make_experience_batch ran without a size mismatch
    assert batch["rewards"] == [0.0, 1.0, 2.0, 0.0]
    assert {"accuracy", "format", "reward_error"} <= set(batch["info_keys"])
    assert batch["info"]["accuracy"] == [0.0, 1.0, 1.0, 0.0]

    # ?on_failure=mask: OpenRLHF's own client reads the NaN score, and the Experience its dynamic
    # filtering averages holds it (samples_generator.py: `not (min_r < avg_reward < max_r)` drops
    # a group whose mean is NaN); the reward stays a number for a run without that filter.
    masked = result["masked"]
    assert masked["reward"] == [0.0] and masked["reward_error"] == [1.0]
    assert [math.isnan(s) for s in [*masked["scores"], *masked["experience_scores"]]] == [True, True]
