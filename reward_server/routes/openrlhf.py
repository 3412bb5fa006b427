"""OpenRLHF's remote reward protocol, so `--reward.remote_url http://HOST:PORT/get_reward` works as is.

OpenRLHF posts ``{"query": [prompt + response], "prompts": [prompt], "labels": [label]}`` and reads
``{"rewards": [...], "scores": [...], "extra_logs": {name: [...]}}``: `rewards` feed the advantages,
`scores` (0–1) its dynamic filtering, and every `extra_logs` list (one value per sample) is logged.
Each label is the gold answer (a math task) or a JSON task such as ``{"type": "none"}``. The
response scored is the query after its prompt, without the special tokens OpenRLHF decodes with it.
The prompt carries the policy's chat template already; reward models read it as sent
(`reward_model.inputs`), and without `prompts` the query is split at its last assistant turn.
"""

from __future__ import annotations

import json
import math
import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from reward_server.pipeline import validate_batch_size
from reward_server.reward_model.inputs import split_templated_query
from reward_server.rewards.names import validate_reward_name
from reward_server.routes.deps import get_services
from reward_server.schemas import ScoreItem, ScoreRequest
from reward_server.services import Services

router = APIRouter(tags=["openrlhf"])

# Chat-template and padding tokens OpenRLHF leaves in decoded sequences (it decodes with
# skip_special_tokens=False): <|im_end|>, <|endoftext|>, <|eot_id|>, </s>, <eos>, <end_of_turn>, <pad>.
_SPECIAL_SUFFIX = re.compile(r"(?:\s*(?:<\|[A-Za-z0-9_]+\|>|</s>|<eos>|<pad>|<end_of_turn>))+\s*$")


class OpenRLHFRequest(BaseModel):
    query: list[str] = Field(description="prompt + response, as OpenRLHF decoded them")
    prompts: list[str] | None = Field(default=None, description="the prompts, to cut them off the queries")
    labels: list[str | dict[str, Any] | None] | None = Field(
        default=None, description="gold answer (math) or a task as JSON, per sample"
    )
    rewards: dict[str, float] | None = Field(
        default=None, description="component weights (an extension; default: the server's)"
    )

    @field_validator("rewards")
    @classmethod
    def _known_rewards(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        for name, weight in (value or {}).items():
            validate_reward_name(name)
            if not math.isfinite(weight):
                raise ValueError(f"weight of {name!r} must be a finite number")
        return value

    @model_validator(mode="after")
    def _same_lengths(self) -> OpenRLHFRequest:
        for name in ("prompts", "labels"):
            values = getattr(self, name)
            if values is not None and len(values) != len(self.query):
                raise ValueError(f"'{name}' has {len(values)} entries but 'query' has {len(self.query)}")
        return self


class OpenRLHFResponse(BaseModel):
    rewards: list[float]
    scores: list[float]
    extra_logs: dict[str, list[float]]


def response_text(query: str, prompt: str | None) -> str:
    """The sample's response: the query after its prompt (left padding may precede the prompt)."""
    response = query
    if prompt:
        at = query.find(prompt)
        if at >= 0:
            response = query[at + len(prompt) :]
    return _SPECIAL_SUFFIX.sub("", response)


def label_task(label: str | dict[str, Any] | None) -> dict[str, Any]:
    """A task from an OpenRLHF label: a task object, a JSON task, or the gold answer of a math task."""
    if label is None:
        return {"type": "none"}
    if isinstance(label, dict):
        return label
    stripped = label.strip()
    if stripped.startswith("{"):
        try:
            parsed = json.loads(stripped)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict) and "type" in parsed:
            return parsed
    return {"type": "math", "answer": label}


def score_items(request: OpenRLHFRequest) -> list[dict[str, Any]]:
    """The `/v1/score` items for an OpenRLHF request, in sample order."""
    items = []
    for index, query in enumerate(request.query):
        prompt = request.prompts[index] if request.prompts is not None else None
        label = request.labels[index] if request.labels is not None else None
        if prompt is None and (split := split_templated_query(query)) is not None:
            prompt, query = split  # the policy's templated prompt, read as sent by reward models
        item: dict[str, Any] = {
            "id": str(index),
            "completion": response_text(query, prompt),
            "task": label_task(label),
        }
        if prompt is not None:
            item["prompt"] = prompt
        items.append(item)
    return items


def openrlhf_response(results: list[dict[str, Any]]) -> OpenRLHFResponse:
    """Per-sample rewards (0.0 where an item failed: OpenRLHF needs a number), 0–1 scores, logs.

    `scores` is the accuracy component where one was computed (OpenRLHF filters on 0–1 scores),
    else the reward. `extra_logs` has one list per component and `reward_error` (1.0 = failed).
    """
    components = sorted({name for result in results for name in (result.get("scores") or {})})
    rewards, scores = [], []
    logs: dict[str, list[float]] = {name: [] for name in components}
    logs["reward_error"] = []
    for result in results:
        reward = result.get("reward")
        by_component = result.get("scores") or {}
        rewards.append(float(reward) if reward is not None else 0.0)
        scores.append(float(by_component.get("accuracy", reward if reward is not None else 0.0)))
        for name in components:
            logs[name].append(float(by_component.get(name, 0.0)))
        logs["reward_error"].append(0.0 if result.get("error") is None else 1.0)
    return OpenRLHFResponse(rewards=rewards, scores=scores, extra_logs=logs)


@router.post("/get_reward", response_model=OpenRLHFResponse)
async def get_reward(
    request: OpenRLHFRequest, services: Annotated[Services, Depends(get_services)]
) -> OpenRLHFResponse:
    """OpenRLHF's remote reward model: one reward per query, in order.

    A sample whose label is not a task this server knows gets reward 0.0 and `reward_error` 1.0;
    the other samples are scored as usual.
    """
    validate_batch_size(request.query, services.settings.max_batch_items, field=("body", "query"))
    results: list[dict[str, Any] | None] = [None] * len(request.query)
    valid: list[ScoreItem] = []
    positions: list[int] = []
    for index, raw in enumerate(score_items(request)):
        try:
            valid.append(ScoreItem.model_validate(raw))
            positions.append(index)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first.get("loc", ()))
            results[index] = {
                "reward": None,
                "scores": {},
                "error": f"labels.{index}: {where}: {first['msg']}",
            }
    if valid:
        assert services.backend is not None
        scored = await services.backend.score(ScoreRequest(items=valid, rewards=request.rewards))
        for index, result in zip(positions, scored, strict=True):
            results[index] = result.model_dump()
    return openrlhf_response([r for r in results if r is not None])
