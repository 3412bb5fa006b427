"""slime's (and its fork miles') remote reward model: ``--rm-type remote_rm --rm-url http://HOST:PORT/remote_rm``.

slime (`slime/rollout/rm_hub.remote_rm`) posts one sample, ``{"prompt", "response", "label"}``,
and takes the JSON answer as the sample's reward. `/remote_rm` answers a bare number;
`/remote_rm/details` answers ``{"reward", "scores", "error"}``, for ``--reward-key reward``
when the components should reach slime's logs. The prompt is a string or chat turns; the label
is a gold answer (string, number or list of accepted answers), a task object or JSON task, or
null for no task. slime cannot send weights: the server's default weights apply.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from reward_server.protocols.samples import Candidate, Label, LabelError, label_tasks


class SlimeRewardRequest(BaseModel):
    prompt: str | list[dict[str, Any]] | None = Field(
        default=None, description="the prompt, text or chat turns"
    )
    response: str = Field(description="the policy's response")
    label: Label = Field(default=None, description="gold answer(s) or a task")


class SlimeRewardDetails(BaseModel):
    reward: float | None = Field(description="Σ weight × score; null when `error` says why not")
    scores: dict[str, float]
    error: str | None


def candidates(request: SlimeRewardRequest) -> tuple[list[Candidate], dict[int, str]]:
    """The `/v1/score` items for the sample (one per accepted answer), or why there are none."""
    try:
        tasks = label_tasks(request.label)
    except LabelError as exc:
        return [], {0: f"label: {exc}"}
    prompt: Any = request.prompt
    if isinstance(prompt, list):
        prompt = [
            {"role": str(m.get("role", "user")), "content": str(m.get("content") or "")} for m in prompt
        ]
    base = {"id": "0", "completion": request.response, "prompt": prompt}
    return [Candidate(0, {**base, "task": task}) for task in tasks], {}
