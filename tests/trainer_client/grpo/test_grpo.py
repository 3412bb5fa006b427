"""The GRPO trainer: its objective, its data handling, and training a tiny model against a live service.

The end-to-end tests build a random 2-layer Llama with a word-level tokenizer whose words include
`\\boxed{0}` … `\\boxed{9}`, save it with `save_pretrained`, and train it through the real command
line path against a `reward-server` process. The model can only earn reward by emitting the word
that makes its boxed answer match the prompt's gold answer, so a rising mean reward means it learned.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch  # the 'train' extra, part of 'dev': a missing torch fails the run rather than skipping
from safetensors.torch import load_file

from tests.support.tiny_lm import build_tiny_model, write_prompts
from trainer_client.grpo import GRPOConfig, Overlap, group_advantages, grpo_loss, parse_args
from trainer_client.grpo.__main__ import main
from trainer_client.grpo.data import PromptSampler, load_prompts
from trainer_client.grpo.trainer import GRPOTrainer


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny-model"))


def read_log(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def train_args(model: Path, prompts: Path, url: str, log: Path, steps: int, *extra: str) -> list[str]:
    return [
        "--model", str(model), "--prompts", str(prompts), "--reward-url", url, "--log", str(log),
        "--steps", str(steps), "--group-size", "8", "--prompts-per-step", "4", "--max-new-tokens", "1",
        "--lr", "0.02", "--seed", "0", "--rewards", "accuracy=1", "--generation-chunks", "2",
        "--reward-timeout", "60", *extra,
    ]  # fmt: skip


# ---------------------------------------------------------------- the objective


def test_advantages_are_normalised_within_each_group() -> None:
    advantages, valid = group_advantages([1.0, 0.0, 0.0, 0.0, 2.0, 2.0, 2.0, 2.0], group_size=4)
    first = advantages[:4]
    assert first[0] > 0 and torch.allclose(first[1:], first[1].expand(3))
    assert float(first.sum()) == pytest.approx(0.0, abs=1e-5)
    assert float(first.std()) == pytest.approx(1.0, abs=1e-3)  # divided by the group's std
    assert torch.equal(advantages[4:], torch.zeros(4)), "a group with equal rewards teaches nothing"
    assert torch.equal(valid, torch.ones(8))


def test_unscored_samples_are_left_out_of_their_group() -> None:
    advantages, valid = group_advantages([1.0, None, 0.0, 1.0], group_size=4)
    assert valid.tolist() == [1.0, 0.0, 1.0, 1.0]
    assert advantages[1] == 0
    reference, _ = group_advantages([1.0, 0.0, 1.0], group_size=3)
    assert torch.allclose(advantages[[0, 2, 3]], reference)


def test_loss_is_the_negative_advantage_on_policy_and_the_ratio_is_clipped() -> None:
    logprobs = torch.log(torch.tensor([[0.5, 0.5], [0.25, 0.25]])).requires_grad_()
    mask = torch.ones(2, 2)
    advantages = torch.tensor([1.0, -1.0])
    weights = torch.ones(2)
    on_policy = grpo_loss(
        logprobs, logprobs.detach(), None, advantages, mask, weights, clip_eps=0.2, beta=0.0
    )
    assert on_policy.loss.item() == pytest.approx(0.0)  # −mean(A) with ratio 1
    on_policy.loss.backward()
    assert (
        logprobs.grad is not None and logprobs.grad[0, 0] < 0 < logprobs.grad[1, 0]
    )  # up for A>0, down for A<0

    # The policy already moved far towards the positive sample: the clipped term has no gradient.
    moved = (torch.log(torch.tensor([[0.5, 0.5]])) + 0.5).requires_grad_()
    old = torch.log(torch.tensor([[0.5, 0.5]]))
    parts = grpo_loss(
        moved, old, None, torch.tensor([1.0]), torch.ones(1, 2), torch.ones(1), clip_eps=0.2, beta=0
    )
    parts.loss.backward()
    assert float(parts.clip_fraction) == 1.0
    assert moved.grad is not None and torch.count_nonzero(moved.grad) == 0


def test_kl_penalty_is_zero_at_the_reference_and_positive_away_from_it() -> None:
    logprobs = torch.log(torch.tensor([[0.5, 0.2]]))
    args = (torch.zeros(1), torch.ones(1, 2), torch.ones(1))
    same = grpo_loss(logprobs, logprobs, logprobs, *args, clip_eps=0.2, beta=0.1)
    apart = grpo_loss(logprobs, logprobs, logprobs - 1.0, *args, clip_eps=0.2, beta=0.1)
    assert float(same.kl) == pytest.approx(0.0)
    assert float(apart.kl) == pytest.approx(torch.exp(torch.tensor(-1.0)).item())  # e^-1 − (−1) − 1
    assert float(apart.loss) == pytest.approx(0.1 * float(apart.kl))


def test_padding_after_eos_does_not_count() -> None:
    logprobs = torch.tensor([[-1.0, -5.0, -9.0]])
    advantage, weight = torch.tensor([1.0]), torch.ones(1)
    masked = grpo_loss(
        logprobs,
        logprobs - 0.1,
        logprobs - 0.3,
        advantage,
        torch.tensor([[1, 0, 0]]),
        weight,
        clip_eps=0.2,
        beta=0.1,
    )
    first = logprobs[:, :1]
    alone = grpo_loss(
        first, first - 0.1, first - 0.3, advantage, torch.ones(1, 1), weight, clip_eps=0.2, beta=0.1
    )
    assert float(masked.loss) == pytest.approx(float(alone.loss))


# ---------------------------------------------------------------- data and command line


def test_sampler_visits_every_prompt_each_epoch_and_resumes_where_it_was() -> None:
    sampler = PromptSampler(size=5, batch_size=2, seed=3)
    first_epoch = sampler.next_batch() + sampler.next_batch() + sampler.next_batch()[:1]
    assert sorted(first_epoch) == [0, 1, 2, 3, 4]
    state = sampler.state_dict()
    ahead = [sampler.next_batch() for _ in range(4)]
    again = PromptSampler(size=5, batch_size=2, seed=3)
    again.load_state_dict(state)
    assert [again.next_batch() for _ in range(4)] == ahead


def test_prompt_file_errors_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "prompts.jsonl"
    path.write_text('{"prompt": "a", "answer": "1"}\n\n{"task": {"type": "none"}}\n')
    with pytest.raises(ValueError, match=r"prompts.jsonl:3: .*'prompt'"):
        load_prompts(path)
    path.write_text('{"prompt": [{"role": "user", "content": "hi"}], "answer": "1", "language": "de"}\n')
    (row,) = load_prompts(path)
    assert row.task == {"type": "math", "answer": "1"} and row.language == "de"


def test_command_line_rejects_a_group_of_one(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parse_args(["--model", "m", "--prompts", "p", "--reward-url", "u", "--log", "l", "--group-size", "1"])
    assert "--group-size must be at least 2" in capsys.readouterr().err
    config = parse_args(
        [
            "--model",
            "m",
            "--prompts",
            "p",
            "--reward-url",
            "u",
            "--log",
            "l",
            "--rewards",
            "accuracy=1,format=0.2",
        ]
    )
    assert config.rewards == {"accuracy": 1.0, "format": 0.2} and config.overlap is Overlap.CHUNKS


# ---------------------------------------------------------------- training against the service


# 30 training steps on the CPU: about a minute on a quiet 2-core host, several under load. The
# timeout guards against a hang, not against a slow machine (speed lives in benchmarks/).
@pytest.mark.timeout(600)
def test_tiny_model_learns_to_box_the_right_answer(
    tiny_model: Path, reward_server_url: str, tmp_path: Path
) -> None:
    prompts = write_prompts(tmp_path / "prompts.jsonl")
    log = tmp_path / "log.jsonl"
    assert main(train_args(tiny_model, prompts, reward_server_url, log, steps=30)) == 0
    rows = read_log(log)
    assert [row["step"] for row in rows] == list(range(1, 31))
    for key in ("reward_mean", "component_means", "kl", "loss", "reward_wait_s", "reward_latency_s"):
        assert key in rows[0], key
    assert set(rows[0]["component_means"]) == {"accuracy"}
    early = sum(row["reward_mean"] for row in rows[:5]) / 5
    late = sum(row["reward_mean"] for row in rows[-5:]) / 5
    assert early < 0.2, f"a random model should rarely be right, got {early:.2f}"
    assert late > early + 0.2, (
        f"mean reward should rise clearly: first 5 steps {early:.2f}, last 5 {late:.2f}"
    )
    assert all(row["reward_errors"] == 0 for row in rows)


def test_resume_continues_exactly_where_the_checkpoint_left_off(
    tiny_model: Path, reward_server_url: str, tmp_path: Path
) -> None:
    prompts = write_prompts(tmp_path / "prompts.jsonl")

    def run(log: Path, steps: int, checkpoints: Path, *extra: str) -> list[dict[str, Any]]:
        argv = train_args(
            tiny_model, prompts, reward_server_url, log, steps, "--checkpoint-dir", str(checkpoints)
        )
        assert main([*argv, *extra]) == 0
        return read_log(log)

    straight = run(tmp_path / "straight.jsonl", 4, tmp_path / "straight")
    interrupted = tmp_path / "interrupted"
    run(tmp_path / "interrupted.jsonl", 2, interrupted)
    assert (interrupted / "step-000002" / "trainer_state.pt").is_file()
    resumed = run(tmp_path / "interrupted.jsonl", 4, interrupted, "--resume", "auto")

    fields = ("step", "reward_mean", "loss", "kl", "completion_tokens_mean")
    assert [[row[f] for f in fields] for row in resumed] == [[row[f] for f in fields] for row in straight]
    final_straight = load_file(tmp_path / "straight" / "step-000004" / "model.safetensors")
    final_resumed = load_file(interrupted / "step-000004" / "model.safetensors")
    assert final_straight.keys() == final_resumed.keys()
    assert all(torch.equal(final_straight[k], final_resumed[k]) for k in final_straight)


def test_next_step_overlap_trains_off_policy_by_one_step(
    tiny_model: Path, reward_server_url: str, tmp_path: Path
) -> None:
    prompts = write_prompts(tmp_path / "prompts.jsonl")
    config = GRPOConfig(
        model=tiny_model,
        prompts=prompts,
        reward_url=reward_server_url,
        log=tmp_path / "log.jsonl",
        steps=4,
        group_size=4,
        prompts_per_step=4,
        max_new_tokens=1,
        learning_rate=0.05,
        overlap=Overlap.NEXT_STEP,
    )
    trainer = GRPOTrainer(config)
    rows = trainer.train()
    assert [row["step"] for row in rows] == [1, 2, 3, 4]
    # Step 1 trains on its own samples; later steps on samples from the policy one update behind.
    assert rows[0]["ratio_deviation"] < 1e-5
    assert all(row["ratio_deviation"] > 0 for row in rows[1:])
    assert all(0.0 <= row["reward_exposed_frac"] <= 1.0 for row in rows)
