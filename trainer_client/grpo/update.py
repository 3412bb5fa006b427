"""One GRPO optimisation step over a scored rollout, in micro-batches."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from transformers import PreTrainedModel

from trainer_client.grpo.config import GRPOConfig
from trainer_client.grpo.loss import group_advantages, grpo_loss, token_logprobs
from trainer_client.grpo.rollout import Rollout


@dataclass
class PolicyUpdater:
    """Owns what an update touches: the policy, the frozen reference and the optimizer."""

    policy: PreTrainedModel
    reference: PreTrainedModel | None
    optimizer: torch.optim.Optimizer
    config: GRPOConfig
    device: torch.device
    autocast_dtype: torch.dtype | None = None  # bf16 on CUDA; fp32 master weights stay untouched

    @contextlib.contextmanager
    def autocast(self) -> Iterator[None]:
        if self.autocast_dtype is None:
            yield
        else:
            with torch.autocast(device_type=self.device.type, dtype=self.autocast_dtype):
                yield

    def _micro_batches(self, size: int) -> list[slice]:
        step = self.config.micro_batch_size
        return [slice(start, min(start + step, size)) for start in range(0, size, step)]

    @staticmethod
    def _inputs(rollout: Rollout, part: slice) -> tuple[torch.Tensor, torch.Tensor]:
        input_ids = torch.cat([rollout.prompt_ids[part], rollout.completion_ids[part]], dim=1)
        attention = torch.cat([rollout.prompt_mask[part], rollout.completion_mask[part]], dim=1)
        return input_ids, attention

    def _forward(self, model: PreTrainedModel, rollout: Rollout, part: slice) -> torch.Tensor:
        input_ids, attention = self._inputs(rollout, part)
        with self.autocast():
            return token_logprobs(
                model,
                input_ids,
                attention,
                rollout.completion_ids.shape[1],
                temperature=self.config.temperature,
            ).float()

    @torch.no_grad()
    def logprobs(self, model: PreTrainedModel, rollout: Rollout) -> torch.Tensor:
        """Per-token log-probabilities of the rollout's completions under `model`, without gradients."""
        return torch.cat(
            [self._forward(model, rollout, part) for part in self._micro_batches(len(rollout.texts))]
        )

    def step(self, rollout: Rollout, rewards: Sequence[float | None]) -> dict[str, Any]:
        """`updates_per_step` optimizer steps on the GRPO loss; returns the step's loss metrics."""
        config = self.config
        advantages, weights = group_advantages(rewards, config.group_size)
        advantages, weights = advantages.to(self.device), weights.to(self.device)
        ref_logprobs = self.logprobs(self.reference, rollout) if self.reference is not None else None
        total_weight = float(weights.sum())
        losses, kls, clips, deviations = [], [], [], []
        for _ in range(config.updates_per_step):
            self.optimizer.zero_grad(set_to_none=True)
            loss_sum = kl_sum = clip_sum = deviation_sum = 0.0
            for part in self._micro_batches(len(rollout.texts)):
                part_weight = float(weights[part].sum())
                if part_weight == 0:
                    continue  # every sample here went unscored: nothing to learn from them
                logprobs = self._forward(self.policy, rollout, part)
                old = rollout.old_logprobs[part] if rollout.old_logprobs is not None else logprobs.detach()
                parts = grpo_loss(
                    logprobs,
                    old,
                    ref_logprobs[part] if ref_logprobs is not None else None,
                    advantages[part],
                    rollout.completion_mask[part],
                    weights[part],
                    clip_eps=config.clip_eps,
                    beta=config.beta,
                )
                share = part_weight / total_weight  # micro-batch losses add up to the batch mean
                (parts.loss * share).backward()
                loss_sum += float(parts.loss.detach()) * share
                kl_sum += float(parts.kl) * share
                clip_sum += float(parts.clip_fraction) * share
                deviation_sum += float(parts.ratio_deviation) * share
            if total_weight > 0:
                torch.nn.utils.clip_grad_norm_(self.policy.parameters(), config.max_grad_norm)
                self.optimizer.step()
            losses.append(loss_sum)
            kls.append(kl_sum)
            clips.append(clip_sum)
            deviations.append(deviation_sum)
        lengths = rollout.completion_mask.sum(dim=1).float()
        return {
            "loss": round(sum(losses) / len(losses), 6),
            "kl": round(kls[0], 6),  # before this step's first update moves the policy
            "clip_fraction": round(sum(clips) / len(clips), 6),
            "ratio_deviation": round(deviations[0], 6),  # how stale the samples were when the step began
            "completion_tokens_mean": round(float(lengths.mean()), 3),
        }
