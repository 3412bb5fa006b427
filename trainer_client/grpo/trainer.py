"""The GRPO loop: sample, score through reward-server (overlapped with generation), update, log."""

from __future__ import annotations

import concurrent.futures
import json
import logging
import math
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, PreTrainedModel

from trainer_client.client import RewardClient
from trainer_client.errors import RewardServiceUnavailable
from trainer_client.grpo.checkpoint import (
    capture_rng,
    latest_checkpoint,
    load_trainer_state,
    restore_rng,
    save_checkpoint,
)
from trainer_client.grpo.config import GRPOConfig, Overlap
from trainer_client.grpo.data import PromptRow, PromptSampler, load_prompts
from trainer_client.grpo.rollout import Rollout, concat_rollouts, generate, prompt_text
from trainer_client.grpo.update import PolicyUpdater
from trainer_client.outcomes import reward_for
from trainer_client.types import ScoreResult

progress = logging.getLogger("trainer_client.grpo")


@dataclass
class _Batch:
    """A generated rollout and the scoring calls in flight for it."""

    rollout: Rollout
    futures: list[concurrent.futures.Future[list[ScoreResult]]]
    submitted_at: float
    finished_at: list[float] = field(default_factory=list)
    generate_s: float = 0.0


class GRPOTrainer:
    """GRPO on a Hugging Face causal LM with rewards from reward-server; see `GRPOConfig`."""

    def __init__(self, config: GRPOConfig, client: RewardClient | None = None) -> None:
        self.config = config
        if not config.model.is_dir():
            raise ValueError(f"--model {config.model}: no such directory (a save_pretrained directory)")
        if not config.prompts.is_file():
            raise ValueError(f"--prompts {config.prompts}: no such file")
        self._owns_client = client is None
        # The trainer applies its own rule per step (--max-unscored-steps), so the client only warns.
        self.client = client or RewardClient(
            config.reward_url,
            config.api_key,
            rewards=config.rewards,
            timeout_s=config.reward_timeout_s,
            max_unscored_calls=None,
        )
        self.unscored_steps = 0
        try:
            # Before the minutes of model loading: a wrong URL or a service that cannot score fails now.
            self.client.check()
            self._load(config)
        except BaseException:
            if self._owns_client:
                self.client.close()  # no reward-client thread left behind by a failed start
            raise

    def _load(self, config: GRPOConfig) -> None:
        """Prompts, tokenizer, policy, reference and optimizer; the trainer state when resuming."""
        torch.manual_seed(config.seed)
        random.seed(config.seed)
        self.device = torch.device(config.device or ("cuda" if torch.cuda.is_available() else "cpu"))
        # fp32 master weights; on CUDA the forward passes run in bf16 under autocast.
        self.param_dtype = getattr(torch, config.dtype) if config.dtype else torch.float32
        self.autocast_dtype = torch.bfloat16 if self.device.type == "cuda" else None
        self.rows = load_prompts(config.prompts)
        self.sampler = PromptSampler(len(self.rows), config.prompts_per_step, config.seed)
        self.start_step = 0
        resume_from = self._resume_dir()
        source = resume_from or config.model
        self.tokenizer = AutoTokenizer.from_pretrained(source)
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.policy: PreTrainedModel = AutoModelForCausalLM.from_pretrained(source, dtype=self.param_dtype)
        check_context(self.policy, self.tokenizer, self.rows, config.max_new_tokens)
        self.policy.to(self.device)  # type: ignore[arg-type]  # stubs type .to() for dtypes only
        self.policy.train()
        self.reference: PreTrainedModel | None = None
        if config.beta > 0:
            ref_dtype = torch.bfloat16 if self.device.type == "cuda" else self.param_dtype
            # The reference is always the starting model, also when resuming.
            self.reference = AutoModelForCausalLM.from_pretrained(config.model, dtype=ref_dtype)
            self.reference.to(self.device)  # type: ignore[arg-type]
            self.reference.eval().requires_grad_(False)
        self.optimizer = torch.optim.AdamW(
            self.policy.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay
        )
        self.updater = PolicyUpdater(
            self.policy, self.reference, self.optimizer, config, self.device, self.autocast_dtype
        )
        if resume_from is not None:
            state = load_trainer_state(resume_from)
            self.optimizer.load_state_dict(state["optimizer"])
            self.sampler.load_state_dict(state["sampler"])
            restore_rng(state["rng"])
            self.start_step = int(state["step"])

    def _resume_dir(self) -> Path | None:
        resume = self.config.resume
        if resume is None:
            return None
        if resume == "auto":
            assert self.config.checkpoint_dir is not None
            return latest_checkpoint(self.config.checkpoint_dir)  # None: nothing saved yet, start fresh
        path = Path(resume)
        load_trainer_state(path)  # fail now, with the path in the message, if it is not a checkpoint
        return path

    # ------------------------------------------------------------------ the loop

    def train(self) -> list[dict[str, Any]]:
        """Run from the current step to `config.steps`; returns the log rows written."""
        config = self.config
        rows_written: list[dict[str, Any]] = []
        log = self._open_log()
        pending: _Batch | None = None
        sampler_before_pending = self.sampler.state_dict()
        try:
            for step in range(self.start_step, config.steps):
                step_started = time.monotonic()
                batch = pending if pending is not None else self._start_batch()
                pending = None
                generate_s = batch.generate_s
                if config.overlap is Overlap.NEXT_STEP and step + 1 < config.steps:
                    sampler_before_pending = self.sampler.state_dict()
                    pending = self._start_batch()  # generated while `batch` is being scored
                    generate_s += pending.generate_s
                results, wait_s = self._collect(batch)
                update_started = time.monotonic()
                metrics = self.updater.step(
                    batch.rollout, [reward_for(r, self.config.on_failure) for r in results]
                )
                latency_s = max(batch.finished_at, default=batch.submitted_at) - batch.submitted_at
                row = {
                    "step": step + 1,
                    **_reward_stats(results),
                    **metrics,
                    "generate_s": round(generate_s, 4),
                    "reward_wait_s": round(wait_s, 4),
                    "reward_latency_s": round(latency_s, 4),
                    "reward_exposed_frac": round(min(1.0, wait_s / latency_s), 4) if latency_s > 0 else 0.0,
                    "update_s": round(time.monotonic() - update_started, 4),
                    "step_s": round(time.monotonic() - step_started, 4),
                }
                log.write(json.dumps(row) + "\n")
                log.flush()
                rows_written.append(row)
                progress.info(_progress_line(row, config.steps, len(results)))
                self._stop_if_nothing_scored(row, results)
                if self._checkpoint_due(step + 1):
                    sampler_state = (
                        sampler_before_pending if pending is not None else self.sampler.state_dict()
                    )
                    self._save(step + 1, sampler_state)
        finally:
            log.close()
            if pending is not None:
                for future in pending.futures:
                    future.cancel()
            if self._owns_client:
                self.client.close()
        return rows_written

    def _stop_if_nothing_scored(self, row: dict[str, Any], results: list[ScoreResult]) -> None:
        """Raise `RewardServiceUnavailable` after --max-unscored-steps steps in a row without a reward."""
        if row["reward_mean"] is not None:
            self.unscored_steps = 0
            return
        self.unscored_steps += 1
        if self.unscored_steps >= self.config.max_unscored_steps:
            first = next((r["error"] for r in results if r["error"]), "no reason given")
            raise RewardServiceUnavailable(
                f"stopping at step {row['step']}: no sample got a reward in the last "
                f"{self.unscored_steps} steps from reward-server at {self.client.base_url} "
                f"(--max-unscored-steps {self.config.max_unscored_steps}); last problem: {first}",
                url=self.client.base_url,
            )

    def _open_log(self) -> Any:
        path = self.config.log
        path.parent.mkdir(parents=True, exist_ok=True)
        if self.start_step and path.exists():
            # Rows past the checkpoint belong to steps that will run again.
            kept = [line for line in path.read_text().splitlines() if _step_of(line) <= self.start_step]
            path.write_text("".join(line + "\n" for line in kept))
            return path.open("a", encoding="utf-8")
        return path.open("w", encoding="utf-8")

    def _checkpoint_due(self, step: int) -> bool:
        config = self.config
        if config.checkpoint_dir is None:
            return False
        return step == config.steps or (config.checkpoint_every > 0 and step % config.checkpoint_every == 0)

    def _save(self, step: int, sampler_state: dict[str, int]) -> Path:
        assert self.config.checkpoint_dir is not None
        return save_checkpoint(
            self.config.checkpoint_dir,
            step,
            self.policy,
            self.tokenizer,
            self.optimizer,
            sampler_state,
            capture_rng(),
        )

    # ------------------------------------------------------------------ rollout and rewards

    def _start_batch(self) -> _Batch:
        """Generate the next prompts' completions, sending each chunk for scoring once it exists."""
        config = self.config
        rows = [self.rows[i] for i in self.sampler.next_batch()]
        chunk_count = config.generation_chunks if config.overlap is Overlap.CHUNKS else 1
        chunk_size = math.ceil(len(rows) / min(chunk_count, len(rows)))
        started = time.monotonic()
        parts: list[Rollout] = []
        futures: list[concurrent.futures.Future[list[ScoreResult]]] = []
        submitted_at: float | None = None
        finished_at: list[float] = []
        for start in range(0, len(rows), chunk_size):
            with self.updater.autocast():
                part = generate(
                    self.policy,
                    self.tokenizer,
                    rows[start : start + chunk_size],
                    group_size=config.group_size,
                    max_new_tokens=config.max_new_tokens,
                    temperature=config.temperature,
                    top_p=config.top_p,
                    device=self.device,
                )
            parts.append(part)
            if config.overlap is not Overlap.NONE:
                submitted_at = submitted_at or time.monotonic()
                futures.append(self._submit(part, finished_at))
        rollout = concat_rollouts(parts, self._pad_id)
        if config.overlap is Overlap.NONE:
            submitted_at = time.monotonic()
            futures.append(self._submit(rollout, finished_at))
        if config.overlap is Overlap.NEXT_STEP or config.updates_per_step > 1:
            # The update will see a different policy than the one that sampled: keep the sampler's view.
            rollout.old_logprobs = self.updater.logprobs(self.policy, rollout)
        assert submitted_at is not None
        batch = _Batch(rollout, futures, submitted_at, finished_at)
        batch.generate_s = time.monotonic() - started
        return batch

    def _submit(
        self, rollout: Rollout, finished_at: list[float]
    ) -> concurrent.futures.Future[list[ScoreResult]]:
        future = self.client.submit(rollout.score_items(self.config.group_size))
        future.add_done_callback(lambda _: finished_at.append(time.monotonic()))
        return future

    def _collect(self, batch: _Batch) -> tuple[list[ScoreResult], float]:
        """Wait for the batch's rewards; the time spent here is the reward latency left exposed."""
        started = time.monotonic()
        results = [result for future in batch.futures for result in future.result()]
        return results, time.monotonic() - started

    @property
    def _pad_id(self) -> int:
        pad = self.tokenizer.pad_token_id
        return int(pad if pad is not None else self.tokenizer.eos_token_id)


def _reward_stats(results: list[ScoreResult]) -> dict[str, Any]:
    rewards = [r["reward"] for r in results if r["reward"] is not None]
    mean = sum(rewards) / len(rewards) if rewards else None
    std = math.sqrt(sum((r - mean) ** 2 for r in rewards) / len(rewards)) if mean is not None else None
    components: dict[str, list[float]] = {}
    for result in results:
        for name, score in result["scores"].items():
            components.setdefault(name, []).append(float(score))
    return {
        "reward_mean": None if mean is None else round(mean, 6),
        "reward_std": None if std is None else round(std, 6),
        "component_means": {name: round(sum(v) / len(v), 6) for name, v in sorted(components.items())},
        "reward_errors": len(results) - len(rewards),
    }


def _progress_line(row: dict[str, Any], steps: int, samples: int) -> str:
    mean = row["reward_mean"]
    reward = "reward n/a" if mean is None else f"reward {mean:.4f} ± {row['reward_std']:.4f}"
    error_rate = row["reward_errors"] / samples if samples else 0.0
    return (
        f"step {row['step']}/{steps}  {reward}  errors {error_rate:.1%}  kl {row.get('kl', 0.0):.4g}  "
        f"step {row['step_s']:.2f} s (reward wait {row['reward_wait_s']:.2f} s)"
    )


def check_context(
    model: PreTrainedModel, tokenizer: Any, rows: Sequence[PromptRow], max_new_tokens: int
) -> None:
    """ValueError naming the flag to lower when the longest prompt + `max_new_tokens` exceeds the context.

    The context is the model config's ``max_position_embeddings`` (or ``n_positions``); models
    that declare neither are not checked. Past it, learned position embeddings index out of range
    deep inside torch.
    """
    context = next(
        (
            int(value)
            for name in ("max_position_embeddings", "n_positions", "max_sequence_length")
            if isinstance(value := getattr(model.config, name, None), int) and value > 0
        ),
        None,
    )
    if context is None:
        return
    lengths = [
        len(tokenizer(prompt_text(tokenizer, row.prompt), add_special_tokens=True)["input_ids"])
        for row in rows
    ]
    longest = max(lengths, default=0)
    if longest + max_new_tokens > context:
        line = lengths.index(longest) + 1
        room = context - longest
        fix = (
            f"lower --max-new-tokens to at most {room}"
            if room > 0
            else "shorten the prompts (the longest leaves no room for a completion)"
        )
        raise ValueError(
            f"the longest prompt (row {line} of the prompts file, {longest} tokens) + --max-new-tokens "
            f"{max_new_tokens} = {longest + max_new_tokens} tokens exceeds the model's context of "
            f"{context} positions: {fix}"
        )


def _step_of(line: str) -> int:
    try:
        return int(json.loads(line)["step"])
    except (ValueError, KeyError, TypeError):
        return 0


def train(config: GRPOConfig, client: RewardClient | None = None) -> list[dict[str, Any]]:
    """Build a trainer from `config` and run it to `config.steps`."""
    return GRPOTrainer(config, client).train()
