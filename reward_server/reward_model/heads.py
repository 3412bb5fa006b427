"""The reward head of a checkpoint: found weight by weight, never made up.

`AutoModelForSequenceClassification.from_pretrained` fills every weight it does not find with
a fresh random one and logs a warning. For a reward model that is the worst failure there is:
the server starts, answers quickly, and trains the policy on noise. So loading reads
transformers' own loading report (`output_loading_info=True`) and accepts a model only when
every weight came from the checkpoint, after mapping the head layouts other trainers save:

- `score.weight` (transformers' own `*ForSequenceClassification`, TRL): as is.
- `value_head.weight` (OpenRLHF's `get_llm_for_sequence_regression`, a bias-free linear layer
  on the last hidden state): becomes the model's `score` layer.
- `score.0.*` / `score.2.*` (a two-layer head, Linear → ReLU → Linear, the Qwen2.5-Math-RM
  layout, which ships it as remote code): becomes a `Sequential` `score` head.

Anything else still missing refuses the start with an error naming the missing weights.

Decoder heads with a per-token `score` layer are read at the last real token of each row,
from the attention mask (`last_token_logits`), not at the last token that differs from the
pad id: transformers' pooling skips a trailing `<|eot_id|>` when the pad id is the EOS id.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import torch
from torch import nn

# Tensors OpenRLHF and the two-layer layout save for the head; group 1 is the layer index.
_VALUE_HEAD = re.compile(r"^value_head\.(weight|bias)$")
_TWO_LAYER = re.compile(r"^score\.([02])\.(weight|bias)$")


class HeadLoadError(RuntimeError):
    """The checkpoint's weights do not make a complete reward model.

    `missing` names the weights the model needs and the checkpoint lacks; `unexpected` the
    ones it holds that nothing reads.
    """

    def __init__(self, missing: Iterable[str], unexpected: Iterable[str] = (), reason: str = "") -> None:
        self.missing = sorted(missing)
        self.unexpected = sorted(unexpected)
        self.reason = reason
        super().__init__(str(self))

    def __str__(self) -> str:
        shown = ", ".join(self.missing[:8]) + (" ..." if len(self.missing) > 8 else "")
        text = f"the checkpoint lacks weights the model needs ({shown}); they would be random"
        if self.unexpected:
            extra = ", ".join(self.unexpected[:8]) + (" ..." if len(self.unexpected) > 8 else "")
            text += f"; it holds weights nothing reads ({extra})"
        if self.reason:
            text += f"; {self.reason}"
        return text + (
            ". Known head layouts: score.weight, value_head.weight (OpenRLHF), score.0/score.2 "
            "(two-layer). For a model with its own code, set trust_remote_code=true"
        )


class HeadLayout(StrEnum):
    """Where a checkpoint keeps its reward head."""

    SCORE = "score"  # transformers' `score` linear layer (TRL)
    VALUE_HEAD = "value_head"  # OpenRLHF
    TWO_LAYER = "two_layer"  # score.0 -> ReLU -> score.2 (Qwen2.5-Math-RM)
    OWN = "own"  # the model class's own head and pooling (BERT's classifier, remote code)


class UnknownLabelError(ValueError):
    """A spec's `label` names no output of the head; the message lists the ones there are."""

    def __init__(self, label: str, num_outputs: int, labels: Mapping[str, int]) -> None:
        self.label, self.num_outputs, self.labels = label, num_outputs, dict(labels)
        super().__init__(str(self))

    def __str__(self) -> str:
        known = ", ".join(f"{i} ({n})" for n, i in sorted(self.labels.items(), key=lambda x: x[1])) or "none"
        return (
            f"label={self.label!r} is not one of its {self.num_outputs} outputs (labels: {known}); "
            "give a label name or a column index"
        )


@dataclass(frozen=True, slots=True)
class HeadInfo:
    """Which layout the head came from and how many outputs it has."""

    layout: HeadLayout
    num_outputs: int
    per_token: bool  # a `score` layer applied to each hidden state, read at the last real token


def checkpoint_tensors(
    source: str, names: set[str], hub_kwargs: Mapping[str, Any]
) -> dict[str, torch.Tensor]:
    """The named tensors read from the checkpoint's weight files (safetensors or `.bin`)."""
    from transformers.utils.hub import cached_file  # noqa: PLC0415 (heavy import, only when a head is remapped)

    def locate(filename: str) -> Path | None:
        local = Path(source) / filename
        if local.is_file():
            return local
        if Path(source).is_dir():
            return None
        kwargs = {k: v for k, v in hub_kwargs.items() if k in {"local_files_only", "revision", "token"}}
        found = cached_file(source, filename, _raise_exceptions_for_missing_entries=False, **kwargs)
        return Path(found) if found else None

    files: dict[str, set[str]] = {}
    for index_name, single_name in (
        ("model.safetensors.index.json", "model.safetensors"),
        ("pytorch_model.bin.index.json", "pytorch_model.bin"),
    ):
        index = locate(index_name)
        if index is not None:
            weight_map = json.loads(index.read_text())["weight_map"]
            for name in names & set(weight_map):
                files.setdefault(weight_map[name], set()).add(name)
            break
        if locate(single_name) is not None:
            files[single_name] = set(names)
            break
    tensors: dict[str, torch.Tensor] = {}
    for filename, wanted in files.items():
        path = locate(filename)
        if path is None:
            continue
        if filename.endswith(".safetensors"):
            from safetensors import safe_open  # noqa: PLC0415

            with safe_open(str(path), framework="pt") as handle:
                tensors.update({n: handle.get_tensor(n) for n in wanted if n in handle.keys()})  # noqa: SIM118
        else:
            state = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
            tensors.update({n: state[n] for n in wanted if n in state})
    return tensors


def saved_head_outputs(source: str, hub_kwargs: Mapping[str, Any]) -> int | None:
    """Rows of the checkpoint's `score.weight` (its number of outputs), or None when it has none."""
    saved = checkpoint_tensors(source, {"score.weight"}, hub_kwargs).get("score.weight")
    return int(saved.shape[0]) if saved is not None and saved.dim() == 2 else None


def _head_module(layout: HeadLayout, tensors: Mapping[str, torch.Tensor]) -> nn.Module:
    def linear(prefix: str) -> nn.Linear:
        weight = tensors[f"{prefix}.weight"]
        bias = tensors.get(f"{prefix}.bias")
        layer = nn.Linear(weight.shape[1], weight.shape[0], bias=bias is not None)
        layer.weight.data.copy_(weight)
        if bias is not None:
            layer.bias.data.copy_(bias)
        return layer

    if layout is HeadLayout.VALUE_HEAD:
        return linear("value_head")
    return nn.Sequential(linear("score.0"), nn.ReLU(), linear("score.2"))


def resolve_head(
    model: Any, loading_info: Mapping[str, Any], *, source: str, hub_kwargs: Mapping[str, Any]
) -> HeadInfo:
    """Check that every weight was loaded, mapping a known head layout in place of `model.score`.

    Raises `HeadLoadError` naming the missing weights when some would stay random.
    """
    missing = set(loading_info.get("missing_keys") or ())
    unexpected = set(loading_info.get("unexpected_keys") or ())
    score = getattr(model, "score", None)
    per_token = isinstance(score, nn.Module) and hasattr(model, model.base_model_prefix)
    layout = HeadLayout.SCORE if per_token else HeadLayout.OWN
    head_missing = {k for k in missing if k.startswith("score.")}
    if per_token and head_missing:
        value_head = {k for k in unexpected if _VALUE_HEAD.match(k)}
        two_layer = {k for k in unexpected if _TWO_LAYER.match(k)}
        if "value_head.weight" in value_head:
            layout, names = HeadLayout.VALUE_HEAD, value_head
        elif {"score.0.weight", "score.2.weight"} <= two_layer:
            layout, names = HeadLayout.TWO_LAYER, two_layer
        else:
            raise HeadLoadError(missing, unexpected)
        tensors = checkpoint_tensors(source, names, hub_kwargs)
        if set(tensors) != names:
            raise HeadLoadError(names - set(tensors), reason=f"the {layout} tensors could not be read")
        reference = next(model.parameters())
        model.score = _head_module(layout, tensors).to(device=reference.device, dtype=reference.dtype)
        missing -= head_missing
        unexpected -= names
    if missing:
        raise HeadLoadError(missing, unexpected)
    if layout is HeadLayout.OWN:
        num_outputs = int(getattr(model.config, "num_labels", 1))
    else:
        last = model.score[-1] if isinstance(model.score, nn.Sequential) else model.score
        num_outputs = int(getattr(last, "out_features", 1))
    return HeadInfo(layout=layout, num_outputs=num_outputs, per_token=per_token)


def last_real_token(attention_mask: torch.Tensor) -> torch.Tensor:
    """Index of the last position with mask 1 in each row, whatever side the padding is on.

    >>> last_real_token(torch.tensor([[1, 1, 0], [0, 1, 1], [1, 1, 1]])).tolist()
    [1, 2, 2]
    """
    positions = torch.arange(attention_mask.shape[1], device=attention_mask.device)
    return (positions * attention_mask.long()).argmax(dim=1)


def last_token_logits(model: Any, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """`score(hidden state at each row's last real token)`: shape (batch, num_outputs).

    With left padding, position ids count real tokens only, so a row reads the same positions as
    the row alone (what OpenRLHF's reward model does); right padding needs none.
    """
    backbone = getattr(model, model.base_model_prefix)
    extra: dict[str, torch.Tensor] = {}
    if bool((attention_mask[:, 0] == 0).any()):
        extra["position_ids"] = (attention_mask.long().cumsum(dim=1) - 1).clamp(min=0)
    hidden = backbone(input_ids=input_ids, attention_mask=attention_mask, **extra)
    states = hidden.last_hidden_state
    rows = torch.arange(states.shape[0], device=states.device)
    result: torch.Tensor = model.score(states[rows, last_real_token(attention_mask)])
    return result


def output_column(label: str | None, config: Any, head: HeadInfo) -> int:
    """The logits column that is the reward: `label` by `id2label` name or by index, else 0."""
    if label is None:
        return 0
    names = {str(v): int(k) for k, v in (getattr(config, "id2label", None) or {}).items()}
    if label in names and names[label] < head.num_outputs:
        return names[label]
    if label.isdigit() and int(label) < head.num_outputs:
        return int(label)
    raise UnknownLabelError(label, head.num_outputs, names)
