"""NeMo-Gym's resources-server verify call (`POST /verify`), so an environment can score through us.

NeMo-Gym (`nemo_gym.base_resources_server`) posts a `BaseVerifyRequest`: the Responses-API create
params the policy was called with (`responses_create_params`), the policy's Responses-API answer
(`response`) and whatever else the dataset row holds; it reads back the same object plus `reward`
(`BaseVerifyResponse`) and, for environments with several objectives, `reward_components`
(`BaseMultiRewardVerifyResponse`). The gold comes from the row: `expected_answer` (NeMo-Gym's
math and equivalence servers' field: a string, a number or a list of accepted answers) or `task`
(a reward-server task object). `language` and `rewards` (component weights) are optional.

The scored completion is the text of the response's assistant `message` items (`output_text`
parts, joined), as NeMo-Gym's own verifiers read it; reasoning items and tool calls are not scored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from reward_server.protocols.samples import Candidate, Label, LabelError, label_tasks
from reward_server.reward_names import Weights
from reward_server.schemas import ScoreResult


class ResponseOutput(BaseModel):
    """The part of a Responses-API `Response` we read; the rest is echoed back untouched."""

    model_config = ConfigDict(extra="allow")

    output: list[dict[str, Any]] = Field(description="Responses-API output items")


class NeMoGymVerifyRequest(BaseModel):
    model_config = ConfigDict(extra="allow")

    responses_create_params: dict[str, Any] = Field(description="Responses-API create params (`input`, ...)")
    response: ResponseOutput
    expected_answer: Label = Field(default=None, description="gold answer(s), scored as math")
    task: dict[str, Any] | None = Field(
        default=None, description="a reward-server task (overrides the answer)"
    )
    language: str | None = Field(default=None, description="target language of the answer")
    rewards: Weights | None = Field(default=None, description="component weights (default: the server's)")


def response_text(response: ResponseOutput) -> str:
    """The assistant's text: every `output_text` part of every `message` output item, in order."""
    parts = []
    for item in response.output:
        if item.get("type") != "message":
            continue
        content = item.get("content")
        for part in content if isinstance(content, list) else []:
            if isinstance(part, Mapping) and part.get("type") == "output_text":
                parts.append(str(part.get("text") or ""))
    return "".join(parts)


def prompt_of(params: Mapping[str, Any]) -> str | list[dict[str, str]]:
    """The prompt as chat turns (`instructions` as a system turn), or the `input` string."""
    raw = params.get("input")
    instructions = params.get("instructions")
    if isinstance(raw, str):
        if not instructions:
            return raw
        raw = [{"role": "user", "content": raw}]
    turns = [{"role": "system", "content": str(instructions)}] if instructions else []
    for message in raw if isinstance(raw, list) else []:
        if not isinstance(message, Mapping) or "role" not in message:
            continue  # function calls and their outputs
        content = message.get("content")
        if isinstance(content, list):
            content = "".join(
                str(part.get("text") or "")
                for part in content
                if isinstance(part, Mapping) and part.get("type") in ("input_text", "output_text", "text")
            )
        turns.append({"role": str(message["role"]), "content": str(content or "")})
    return turns


def candidates(request: NeMoGymVerifyRequest) -> tuple[list[Candidate], dict[int, str]]:
    """The `/v1/score` items for one verify call (one per accepted answer), or why there are none."""
    try:
        tasks = [request.task] if request.task is not None else label_tasks(request.expected_answer)
    except LabelError as exc:
        return [], {0: f"expected_answer: {exc}"}
    base: dict[str, Any] = {
        "id": "0",
        "completion": response_text(request.response),
        "prompt": prompt_of(request.responses_create_params) or None,
    }
    if request.language:
        base["language"] = request.language
    return [Candidate(0, {**base, "task": task}) for task in tasks], {}


def verify_response(
    request: NeMoGymVerifyRequest, result: ScoreResult, weights: Mapping[str, float]
) -> dict[str, Any]:
    """The request echoed back with `reward` and, with several weighted components,
    `reward_components` (one key per weighted component, 0.0 where not computed).

    A sample that could not be scored gets reward 0.0 (NeMo-Gym needs a number) and its reason
    in `reward_error`; a scored one has `reward_error` null, so a run can tell them apart.
    """
    answer = request.model_dump(mode="json", exclude_unset=True)
    answer["reward"] = float(result.reward) if result.reward is not None else 0.0
    if len(weights) > 1:
        answer["reward_components"] = {name: float(result.scores.get(name, 0.0)) for name in sorted(weights)}
    answer["reward_error"] = result.error
    return answer
