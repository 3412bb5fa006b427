"""A loaded reward model: tokenizer, sequence-classification model, and its batcher.

Imports torch and transformers; only import this module when a reward model is configured
(the `model` extra).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import math
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from transformers import AutoConfig, AutoModelForSequenceClassification, AutoTokenizer

from reward_server.outcomes import ComponentScore, Failure, ItemError
from reward_server.reward_model.batcher import DynamicBatcher, TokenIds
from reward_server.reward_model.heads import (
    HeadInfo,
    HeadLayout,
    HeadLoadError,
    UnknownLabelError,
    last_token_logits,
    output_column,
    resolve_head,
    saved_head_outputs,
)
from reward_server.reward_model.inputs import (
    InputKind,
    RewardInput,
    assistant_turn_end,
    carries_chat_template,
    plain_prompt,
    prompt_messages,
    strip_padding,
    view_completion,
)
from reward_server.reward_model.spec import RewardModelSpec

log = logging.getLogger(__name__)

# Beyond this a tokenizer's `model_max_length` is the "unset" sentinel (int(1e30)), not a limit.
_UNSET_MAX_LENGTH = 1_000_000


class RewardModelLoadError(RuntimeError):
    """A configured reward model could not be loaded; says which one and why."""


def choose_device(requested: str) -> tuple[torch.device, torch.dtype]:
    """CUDA with bf16 when a GPU is there (or asked for), else CPU with fp32."""
    if requested == "cuda" and not torch.cuda.is_available():
        raise RewardModelLoadError("device=cuda was asked for but torch sees no CUDA device")
    if requested == "cuda" or (requested == "auto" and torch.cuda.is_available()):
        return torch.device("cuda"), torch.bfloat16
    return torch.device("cpu"), torch.float32


@dataclass(frozen=True, slots=True)
class EncodedInput:
    """Token ids for one input, and what happened on the way (for `details`)."""

    ids: list[int]
    details: dict[str, Any] = field(default_factory=dict)


class RewardModel:
    """One reward model, ready to score: `await model.score(inputs)`."""

    def __init__(
        self,
        spec: RewardModelSpec,
        tokenizer: Any,
        model: Any,
        device: torch.device,
        head: HeadInfo | None = None,
    ) -> None:
        self.spec = spec
        self.tokenizer = tokenizer
        self.model = model
        self.device = device
        self.dtype = next(model.parameters()).dtype
        self.max_length = spec.max_length or _model_max_length(tokenizer, model.config)
        self.head = head or HeadInfo(
            layout=HeadLayout.OWN, num_outputs=int(model.config.num_labels), per_token=False
        )
        try:
            self.column = output_column(spec.label, model.config, self.head)
        except UnknownLabelError as exc:
            raise RewardModelLoadError(f"reward model {spec.name!r}: {exc}") from exc
        # Padding is masked out, so any id will do; the config is left as shipped.
        pad_ids = (tokenizer.pad_token_id, model.config.pad_token_id, tokenizer.eos_token_id, 0)
        self.pad_token_id: int = next(int(i) for i in pad_ids if i is not None)
        self.turn_end = assistant_turn_end(tokenizer)
        # transformers ≥ 5 can encode control tokens written inside messages as plain text, so
        # a completion cannot close its own turn and forge a new one with `<|im_end|>`.
        self._sanitize = (
            "sanitize_control_tokens" in inspect.signature(tokenizer.apply_chat_template).parameters
        )
        self.tokenizer.truncation_side = spec.truncation_side
        # The fast tokenizer is not safe to share between threads once truncation settings
        # change, so all encoding happens on one thread of its own.
        self._encode_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"rm-encode-{spec.name}")
        self.batcher = DynamicBatcher(
            self.forward,
            max_batch_tokens=spec.max_batch_tokens,
            max_batch_size=spec.max_batch_size,
            max_wait_ms=spec.max_wait_ms,
            max_padding=spec.max_padding,
            name=f"rm-forward-{spec.name}",
        )

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def uses_chat_template(self) -> bool:
        return getattr(self.tokenizer, "chat_template", None) is not None

    # -- input building -------------------------------------------------------------------------

    def encode(self, item: RewardInput) -> EncodedInput:
        """Token ids the model reads for one item (view applied, chat template, truncation)."""
        viewed = view_completion(
            item.completion, self.spec.view, think_tag=self.spec.think_tag, answer_tag=self.spec.answer_tag
        )
        messages = prompt_messages(item.prompt)
        details: dict[str, Any] = {"model": self.name, "view": self.spec.view}
        if self.spec.view == "answer":
            details["answer_found"] = viewed.answer_found
        templated = strip_padding(item.prompt) if carries_chat_template(item.prompt) else None
        if templated is not None and self.uses_chat_template:
            # Rendered by the policy's template already (OpenRLHF sends it so): read as sent,
            # closed the way this model's template closes an assistant turn.
            details["input"] = InputKind.AS_SENT
            ids = self._encode_as_sent(templated, viewed.text)
            if self.max_length is not None and len(ids) > self.max_length:
                details.update(truncated=True, tokens_before_truncation=len(ids))
                ids = self._truncate_chat(ids, self.max_length)
        elif messages and self.uses_chat_template:
            details["input"] = InputKind.CHAT_TEMPLATE
            conversation = [*messages, {"role": "assistant", "content": viewed.text}]
            ids = self._encode_chat(conversation)
            if self.max_length is not None and len(ids) > self.max_length:
                details.update(truncated=True, tokens_before_truncation=len(ids))
                ids = self._truncate_chat(ids, self.max_length)
        else:
            details["input"] = InputKind.PLAIN
            prompt = templated if templated is not None else plain_prompt(item.prompt)
            text = prompt + viewed.text if messages else viewed.text
            ids = self._encode_plain(text, truncate=False)
            if self.max_length is not None and len(ids) > self.max_length:
                details.update(truncated=True, tokens_before_truncation=len(ids))
                ids = self._encode_plain(text, truncate=True)
        details.setdefault("truncated", False)
        details["tokens"] = len(ids)
        if details["truncated"]:
            details["max_length"] = self.max_length
        return EncodedInput(list(ids), details)

    def _encode_chat(self, conversation: list[dict[str, str]]) -> list[int]:
        # The template writes BOS and turn markers itself: tokenizing its output again with
        # special tokens would double BOS (the Skywork reward-model trap). Tokenizing through
        # apply_chat_template adds none.
        extra: dict[str, Any] = {"sanitize_control_tokens": True} if self._sanitize else {}
        ids = self.tokenizer.apply_chat_template(
            conversation,
            tokenize=True,
            return_dict=False,
            **extra,
        )
        return list(ids)

    def _encode_as_sent(self, prompt: str, completion: str) -> list[int]:
        # The prompt's turn markers are control tokens; the completion's are text (it cannot
        # forge a turn); the turn end is this model's own. BOS once: the prompt may carry it.
        bos = self.tokenizer.bos_token
        add_special = not (bos and prompt.startswith(bos))
        head = self.tokenizer(prompt, add_special_tokens=add_special)["input_ids"]
        body = self.tokenizer(completion, add_special_tokens=False, split_special_tokens=True)["input_ids"]
        tail = self.tokenizer(self.turn_end, add_special_tokens=False)["input_ids"] if self.turn_end else []
        return [*head, *body, *tail]

    def _truncate_chat(self, ids: list[int], max_length: int) -> list[int]:
        if self.spec.truncation_side == "right":
            return ids[:max_length]
        # Keeping the end: the template's BOS stays first, as the model always saw it.
        bos = self.tokenizer.bos_token_id
        if bos is not None and ids and ids[0] == bos:
            return [bos, *ids[len(ids) - max_length + 1 :]]
        return ids[len(ids) - max_length :]

    def _encode_plain(self, text: str, *, truncate: bool) -> list[int]:
        encoded = self.tokenizer(
            text,
            add_special_tokens=True,
            split_special_tokens=True,  # "</s>" written in a completion is text, not end of sequence
            truncation=truncate,
            max_length=self.max_length if truncate else None,
        )
        return list(encoded["input_ids"])

    def encode_all(self, items: Sequence[RewardInput]) -> list[EncodedInput | ItemError]:
        out: list[EncodedInput | ItemError] = []
        for item in items:
            try:
                encoded = self.encode(item)
            except Exception as exc:  # a template that rejects this conversation fails this item only
                out.append(
                    ItemError(
                        f"cannot build model input: {type(exc).__name__}: {exc}", failure=Failure.INVALID_ITEM
                    )
                )
                continue
            out.append(
                encoded if encoded.ids else ItemError("model input is empty", failure=Failure.INVALID_ITEM)
            )
        return out

    # -- forward ----------------------------------------------------------------------------------

    def forward(self, batch: list[TokenIds], *, padding_side: str = "right") -> list[float]:
        """Raw scores for one batch: the reward column of the logits at each row's last real token.

        A per-token `score` head is read at the last position of the attention mask (with
        position ids that count real tokens), so the padding side and the pad id change nothing.
        Other heads (BERT's first-token pooler) run the model's own forward on right padding.
        """
        longest = max(len(ids) for ids in batch)
        input_ids = torch.full((len(batch), longest), self.pad_token_id, dtype=torch.long)
        attention_mask = torch.zeros((len(batch), longest), dtype=torch.long)
        for row, ids in enumerate(batch):
            span = slice(0, len(ids)) if padding_side == "right" else slice(longest - len(ids), longest)
            input_ids[row, span] = torch.as_tensor(ids, dtype=torch.long)
            attention_mask[row, span] = 1
        input_ids, attention_mask = input_ids.to(self.device), attention_mask.to(self.device)
        try:
            with torch.inference_mode():
                if self.head.per_token:
                    logits = last_token_logits(self.model, input_ids, attention_mask)
                else:
                    logits = self.model(input_ids=input_ids, attention_mask=attention_mask).logits
        except torch.cuda.OutOfMemoryError:
            torch.cuda.empty_cache()  # the batcher retries in halves; give them the memory back
            raise
        return [float(x) for x in logits[:, self.column].float().cpu().tolist()]

    # -- scoring ----------------------------------------------------------------------------------

    async def score(self, items: Sequence[RewardInput]) -> list[ComponentScore | ItemError]:
        """Scores for `items`, in order; `(raw - mean) / std` when normalisation is configured."""
        loop = asyncio.get_running_loop()
        encoded = await loop.run_in_executor(self._encode_executor, self.encode_all, items)
        ready = [(i, e) for i, e in enumerate(encoded) if isinstance(e, EncodedInput)]
        results: list[ComponentScore | ItemError | None] = [
            e if isinstance(e, ItemError) else None for e in encoded
        ]
        if ready:
            try:
                raws = await self.batcher.submit([e.ids for _, e in ready])
            except Exception as exc:
                log.exception("reward model %s: forward pass failed", self.name)
                error = ItemError(
                    f"reward model {self.name} failed: {type(exc).__name__}: {exc}",
                    failure=Failure.MODEL_ERROR,
                )
                return [error if r is None else r for r in results]
            for (index, enc), raw in zip(ready, raws, strict=True):
                results[index] = self._finish(raw, enc.details)
        return [
            r if r is not None else ItemError("not scored", failure=Failure.INTERNAL_ERROR) for r in results
        ]

    def _finish(self, raw: float, details: dict[str, Any]) -> ComponentScore | ItemError:
        if not math.isfinite(raw):
            return ItemError(
                f"reward model {self.name} returned a non-finite score ({raw})", failure=Failure.MODEL_ERROR
            )
        if self.spec.mean is None or self.spec.std is None:
            return ComponentScore(raw, details)
        return ComponentScore((raw - self.spec.mean) / self.spec.std, {**details, "raw_score": raw})

    async def aclose(self) -> None:
        await self.batcher.close()
        await asyncio.to_thread(self._encode_executor.shutdown, wait=True)


def _model_max_length(tokenizer: Any, config: Any) -> int | None:
    limits = [getattr(tokenizer, "model_max_length", None), getattr(config, "max_position_embeddings", None)]
    known = [int(x) for x in limits if isinstance(x, int) and 0 < x < _UNSET_MAX_LENGTH]
    return min(known) if known else None


def load_reward_model(spec: RewardModelSpec) -> RewardModel:
    """Load tokenizer and model for `spec` (blocking: call it off the event loop).

    A local directory never touches the network; a hub id downloads only when the hub is
    reachable and HF_HUB_OFFLINE is unset. Config and tokenizer stay as shipped. Every weight
    must come from the checkpoint (known head layouts are mapped, see `heads`); otherwise
    `RewardModelLoadError` names the missing weights.
    """
    device, dtype = choose_device(spec.device)
    local = Path(spec.path).expanduser()
    source = str(local) if local.is_dir() else spec.path
    hub_kwargs: dict[str, Any] = {"local_files_only": True} if local.is_dir() else {}
    if spec.trust_remote_code:
        hub_kwargs["trust_remote_code"] = True
    try:
        tokenizer = AutoTokenizer.from_pretrained(source, **hub_kwargs)
        config = AutoConfig.from_pretrained(source, **hub_kwargs)
        outputs = saved_head_outputs(source, hub_kwargs)
        if outputs is not None and outputs != config.num_labels:
            config.num_labels = outputs  # a config without `id2label` claims 2; the saved head decides
        model, loading_info = AutoModelForSequenceClassification.from_pretrained(
            source, config=config, dtype=dtype, output_loading_info=True, **hub_kwargs
        )
        head = resolve_head(model, loading_info, source=source, hub_kwargs=hub_kwargs)
    except HeadLoadError as exc:
        raise RewardModelLoadError(f"reward model {spec.name!r} from {spec.path!r}: {exc}") from exc
    except Exception as exc:
        raise RewardModelLoadError(
            f"reward model {spec.name!r} from {spec.path!r}: {type(exc).__name__}: {exc}"
        ) from exc
    model.to(device)
    model.eval()
    loaded = RewardModel(spec, tokenizer, model, device, head)
    try:
        # One forward at start: a checkpoint that cannot score fails the start, not the first request.
        warm_up = loaded.encode(RewardInput("Hello", "Hello."))
        loaded.forward([warm_up.ids, warm_up.ids[:-1] or warm_up.ids])
        _check_pooling(loaded, warm_up.ids)
    except Exception as exc:
        loaded._encode_executor.shutdown(wait=False)
        raise RewardModelLoadError(
            f"reward model {spec.name!r} from {spec.path!r} loaded but cannot score: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    log.info(
        "reward model %s loaded from %s on %s (%s), head %s with %d output(s), column %d",
        spec.name,
        spec.path,
        device,
        dtype,
        head.layout,
        head.num_outputs,
        loaded.column,
    )
    return loaded


def _check_pooling(loaded: RewardModel, ids: list[int]) -> None:
    """Our last-token read must equal the model's own forward of one unpadded sequence.

    Skipped when the shipped pad id occurs in the sequence (then transformers' own pooling
    stops early, which is the trap the mask-based read avoids).
    """
    pad = loaded.model.config.pad_token_id
    if not loaded.head.per_token or (pad is not None and pad in ids):
        return
    with torch.inference_mode():
        own = float(
            loaded.model(input_ids=torch.tensor([ids], device=loaded.device)).logits[0, loaded.column]
        )
    ours = loaded.forward([ids])[0]
    tolerance = (1e-3 if loaded.dtype == torch.float32 else 3e-2) * max(1.0, abs(own))
    if abs(own - ours) > tolerance:
        raise RuntimeError(
            f"reading the score at the last token gives {ours:.6g} but the model's own forward "
            f"gives {own:.6g}: this head does not pool the last token"
        )
