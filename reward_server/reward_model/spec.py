"""How one reward model is configured: the settings model and the `--reward-model` spec string."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

MODEL_NAME_PATTERN = r"^[A-Za-z0-9_.-]+$"


class RewardModelSpec(BaseModel):
    """One sequence-classification reward model and how it scores.

    `view` picks what the model reads of each completion: `full` is the whole response,
    `answer` only the final answer (the `<think>` block removed and, when present, the
    `<answer>` block's content), the way R1 judges helpfulness on the summary alone.
    With `mean` and `std` set the score is `(raw - mean) / std`; the raw score stays in `details`.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field("default", pattern=MODEL_NAME_PATTERN, description="Component name: `model:NAME`.")
    path: str = Field(min_length=1, description="Local directory, or a hub id (downloads only if allowed).")
    view: Literal["full", "answer"] = "full"
    think_tag: str = Field("think", min_length=1)
    answer_tag: str = Field("answer", min_length=1)
    max_length: int | None = Field(None, ge=8, description="Token limit; default: the model's own limit.")
    truncation_side: Literal["left", "right"] = "right"
    mean: float | None = None
    std: float | None = Field(None, gt=0)
    device: Literal["auto", "cpu", "cuda"] = "auto"
    label: str | None = Field(
        None,
        description=(
            "Which output of a multi-output head is the reward: a label name from the model's "
            "`id2label`, or a column index; default: column 0."
        ),
    )
    trust_remote_code: bool = Field(
        False,
        description="Run the checkpoint's own modelling code (InternLM2-Reward needs it); off by default.",
    )
    max_batch_tokens: int = Field(16384, ge=1, description="Padded tokens per forward pass.")
    max_batch_size: int = Field(64, ge=1)
    max_padding: float = Field(
        0.25, ge=0, description="Padding allowed per batch, as a fraction of real tokens."
    )
    max_wait_ms: float = Field(5.0, ge=0, description="How long the first request waits for company.")

    @model_validator(mode="after")
    def _mean_and_std_together(self) -> RewardModelSpec:
        if (self.mean is None) != (self.std is None):
            raise ValueError("normalisation needs both `mean` and `std` (or neither)")
        return self


_OPTION_KEYS = frozenset(RewardModelSpec.model_fields) - {"name", "path"}


class RewardModelSpecError(ValueError):
    """A `--reward-model` string that cannot be read; the message says which part and why."""


def parse_reward_model_spec(text: str) -> RewardModelSpec:
    """Read `[NAME=]PATH[,key=value...]`, e.g. `helpful=/models/rm,view=answer,max_length=4096`.

    The options are the fields of `RewardModelSpec` other than name and path
    (`view`, `max_length`, `truncation_side`, `mean`, `std`, `device`, `max_batch_tokens`, ...).
    Without `NAME=` the model is called `default`.
    """
    head, *options = [part.strip() for part in text.split(",")]
    fields: dict[str, str] = {}
    name, sep, path = head.partition("=")
    if sep and name and "/" not in name:
        fields["name"], fields["path"] = name, path
    else:
        fields["path"] = head
    for option in options:
        key, sep, value = option.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or key not in _OPTION_KEYS:
            known = ", ".join(sorted(_OPTION_KEYS))
            raise RewardModelSpecError(f"reward model {text!r}: unknown option {option!r} (known: {known})")
        fields[key] = value.strip()
    try:
        return RewardModelSpec.model_validate(fields)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'spec'}: {err['msg']}" for err in exc.errors()
        )
        raise RewardModelSpecError(f"reward model {text!r}: {problems}") from None
