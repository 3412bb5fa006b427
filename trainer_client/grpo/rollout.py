"""Sampling G completions per prompt and packing them for the loss."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from transformers import GenerationConfig, PreTrainedModel, PreTrainedTokenizerBase

from trainer_client.grpo.data import PromptRow


@dataclass
class Rollout:
    """Completions of some prompts, G per prompt, in prompt order (prompt i owns rows i*G…i*G+G-1)."""

    rows: list[PromptRow]
    prompt_ids: torch.Tensor  # (n, P), left-padded
    prompt_mask: torch.Tensor
    completion_ids: torch.Tensor  # (n, C), right-padded
    completion_mask: torch.Tensor  # 1 up to and including the first EOS
    texts: list[str]
    old_logprobs: torch.Tensor | None = None  # under the generating policy, when the update needs them

    def score_items(self, group_size: int) -> list[dict[str, Any]]:
        """The `/v1/score` items for these completions."""
        items = []
        for index, text in enumerate(self.texts):
            row = self.rows[index // group_size]
            item: dict[str, Any] = {"prompt": row.prompt, "completion": text, "task": row.task}
            if row.language:
                item["language"] = row.language
            if row.rewards:
                item["rewards"] = row.rewards
            items.append(item)
        return items


def prompt_text(tokenizer: PreTrainedTokenizerBase, prompt: str | list[dict[str, Any]]) -> str:
    """What the model sees: the string, or the conversation through the tokenizer's chat template."""
    if isinstance(prompt, str):
        return prompt
    if getattr(tokenizer, "chat_template", None):
        rendered = tokenizer.apply_chat_template(prompt, tokenize=False, add_generation_prompt=True)
        return str(rendered)
    return "\n".join(str(m.get("content", "")) for m in prompt)


@torch.no_grad()
def generate(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    rows: Sequence[PromptRow],
    *,
    group_size: int,
    max_new_tokens: int,
    temperature: float,
    top_p: float,
    device: torch.device,
) -> Rollout:
    """Sample `group_size` completions for each prompt in `rows`."""
    encoded = tokenizer(
        [prompt_text(tokenizer, row.prompt) for row in rows],
        return_tensors="pt",
        padding=True,
        padding_side="left",
        add_special_tokens=True,
    )
    prompt_ids = encoded["input_ids"].to(device).repeat_interleave(group_size, dim=0)
    prompt_mask = encoded["attention_mask"].to(device).repeat_interleave(group_size, dim=0)
    eos_id = tokenizer.eos_token_id
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else eos_id
    config = GenerationConfig(
        do_sample=True,
        temperature=temperature,
        top_p=top_p,
        top_k=0,
        max_new_tokens=max_new_tokens,
        eos_token_id=eos_id,
        pad_token_id=pad_id,
    )
    was_training = model.training
    model.eval()
    try:
        output = model.generate(  # type: ignore[operator]  # transformers' stubs lose generate's type
            input_ids=prompt_ids, attention_mask=prompt_mask, generation_config=config
        )
    finally:
        model.train(was_training)
    completion_ids = output[:, prompt_ids.shape[1] :]
    completion_mask = _through_first_eos(completion_ids, eos_id)
    completion_ids = completion_ids.masked_fill(completion_mask == 0, pad_id)
    texts: list[str] = []
    for ids, mask in zip(completion_ids, completion_mask, strict=True):
        kept = ids[mask.bool()].tolist()
        if kept and kept[-1] == eos_id:
            kept = kept[:-1]
        texts.append(str(tokenizer.decode(kept, skip_special_tokens=True)))
    return Rollout(list(rows), prompt_ids, prompt_mask, completion_ids, completion_mask, texts)


def _through_first_eos(ids: torch.Tensor, eos_id: int | None) -> torch.Tensor:
    if eos_id is None or ids.shape[1] == 0:
        return torch.ones_like(ids)
    is_eos = ids == eos_id
    # Tokens strictly after the first EOS are padding; the EOS itself is a decision worth learning.
    after_first_eos = (is_eos.cumsum(dim=1) - is_eos.long()) > 0
    return (~after_first_eos).long()


def concat_rollouts(parts: Sequence[Rollout], pad_id: int) -> Rollout:
    """One rollout from chunks generated separately (prompts left-padded, completions right-padded).

    Old log-probabilities are computed on the joined rollout, so the parts must not carry them.
    """
    if len(parts) == 1:
        return parts[0]
    prompt_len = max(p.prompt_ids.shape[1] for p in parts)
    completion_len = max(p.completion_ids.shape[1] for p in parts)

    def pad(tensor: torch.Tensor, width: int, value: int, left: bool) -> torch.Tensor:
        extra = width - tensor.shape[1]
        if extra == 0:
            return tensor
        filler = torch.full((tensor.shape[0], extra), value, dtype=tensor.dtype, device=tensor.device)
        return torch.cat([filler, tensor] if left else [tensor, filler], dim=1)

    return Rollout(
        rows=[row for p in parts for row in p.rows],
        prompt_ids=torch.cat([pad(p.prompt_ids, prompt_len, pad_id, True) for p in parts]),
        prompt_mask=torch.cat([pad(p.prompt_mask, prompt_len, 0, True) for p in parts]),
        completion_ids=torch.cat([pad(p.completion_ids, completion_len, pad_id, False) for p in parts]),
        completion_mask=torch.cat([pad(p.completion_mask, completion_len, 0, False) for p in parts]),
        texts=[t for p in parts for t in p.texts],
    )
