"""The GRPO objective: group-normalised advantages and the clipped, KL-penalised policy loss."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch


def group_advantages(
    rewards: Sequence[float | None], group_size: int, *, eps: float = 1e-4
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-sample advantage (reward − group mean) / (group std + eps), and a validity mask.

    Samples come in consecutive groups of `group_size` completions of one prompt. A sample whose
    reward is None (the service could not score it) gets advantage 0 and mask 0, and is left out
    of its group's mean and std, so one failed item does not shift its siblings' advantages. A group
    where every reward is equal (or fewer than two are valid) teaches nothing: its advantages are 0.
    """
    if len(rewards) % group_size:
        raise ValueError(f"{len(rewards)} rewards do not split into groups of {group_size}")
    valid = torch.tensor([r is not None for r in rewards], dtype=torch.bool).view(-1, group_size)
    values = torch.tensor([0.0 if r is None else float(r) for r in rewards], dtype=torch.float64)
    values = values.view(-1, group_size)
    counts = valid.sum(dim=1, keepdim=True)
    mean = (values * valid).sum(dim=1, keepdim=True) / counts.clamp(min=1)
    centred = (values - mean) * valid
    std = torch.sqrt((centred**2).sum(dim=1, keepdim=True) / (counts - 1).clamp(min=1))  # Bessel, as TRL
    advantages = torch.where(counts >= 2, centred / (std + eps), torch.zeros_like(centred))
    return advantages.view(-1).float(), valid.view(-1).float()


@dataclass(frozen=True, slots=True)
class LossParts:
    loss: torch.Tensor
    kl: torch.Tensor  # mean per-token KL estimate to the reference (detached)
    clip_fraction: torch.Tensor  # share of tokens whose ratio was clipped (detached)
    ratio_deviation: torch.Tensor  # mean |π/π_old − 1| over tokens: 0 on-policy, > 0 for stale samples


def grpo_loss(
    logprobs: torch.Tensor,
    old_logprobs: torch.Tensor,
    ref_logprobs: torch.Tensor | None,
    advantages: torch.Tensor,
    completion_mask: torch.Tensor,
    sample_weight: torch.Tensor,
    *,
    clip_eps: float,
    beta: float,
) -> LossParts:
    """The GRPO loss over a batch of completions (DeepSeekMath eq. 3).

    Per token: −min(ρ·A, clip(ρ, 1−ε, 1+ε)·A) + β·KL, with ρ = π/π_old and the unbiased, always
    positive KL estimator exp(ref − logp) − (ref − logp) − 1. Tokens are averaged within each
    completion, then completions are averaged (weighted by `sample_weight`, 0 for unscored ones).
    Shapes: token tensors are (batch, completion_len), the rest (batch,).
    """
    ratio = torch.exp(logprobs - old_logprobs)
    adv = advantages.unsqueeze(1)
    unclipped = ratio * adv
    clipped = torch.clamp(ratio, 1.0 - clip_eps, 1.0 + clip_eps) * adv
    per_token = -torch.min(unclipped, clipped)
    if ref_logprobs is not None and beta > 0:
        delta = ref_logprobs - logprobs
        kl = torch.exp(delta) - delta - 1.0
        per_token = per_token + beta * kl
    else:
        kl = torch.zeros_like(logprobs)
    mask = completion_mask.to(per_token.dtype)
    lengths = mask.sum(dim=1).clamp(min=1.0)
    per_sample = (per_token * mask).sum(dim=1) / lengths
    weights = sample_weight.to(per_sample.dtype)
    loss = (per_sample * weights).sum() / weights.sum().clamp(min=1.0)
    token_count = mask.sum().clamp(min=1.0)
    with torch.no_grad():
        mean_kl = (kl * mask).sum() / token_count
        was_clipped = ((unclipped - clipped).abs() > 0) & (mask > 0)
        clip_fraction = was_clipped.sum() / token_count
        ratio_deviation = ((ratio - 1.0).abs() * mask).sum() / token_count
    return LossParts(loss=loss, kl=mean_kl, clip_fraction=clip_fraction, ratio_deviation=ratio_deviation)


def token_logprobs(
    model: torch.nn.Module,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor,
    completion_len: int,
    *,
    temperature: float = 1.0,
) -> torch.Tensor:
    """Log-probabilities of the last `completion_len` tokens of `input_ids` under `model`.

    Positions are counted from each row's first real token, so left-padded prompts get the same
    positions in training as they had during generation.
    """
    position_ids = (attention_mask.long().cumsum(dim=1) - 1).clamp(min=0)
    logits: torch.Tensor = model(
        input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids
    ).logits
    logits = logits[:, -completion_len - 1 : -1, :].float() / temperature
    targets = input_ids[:, -completion_len:]
    # gather − logsumexp instead of log_softmax: one vocabulary-sized tensor fewer in memory.
    chosen = logits.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    return chosen - torch.logsumexp(logits, dim=-1)
