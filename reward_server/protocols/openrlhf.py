"""OpenRLHF's remote reward protocol (`--reward.remote_url http://HOST:PORT/get_reward`), as of 0.11.2.

OpenRLHF posts ``{"query": [prompt + response], "prompts": [prompt], "labels": [label]}``, one
sample per request since 0.9.1, and reads ``{"rewards": [...], "scores": [...], "extra_logs":
{name: [...]}}``: `rewards` feed the advantages, `scores` (0–1) its dynamic filtering, and every
`extra_logs` list is logged. It concatenates the `extra_logs` of separate requests into one batch,
so every answer carries the same keys: each weighted component and `reward_error`.

The query is decoded with special tokens, and OpenRLHF cuts a prompt longer than
``--data.max_len - --rollout.max_new_tokens`` tokens from the left, so the query may hold only the
end of its prompt. `response_text` finds the response without ever scoring prompt text: after the
whole prompt, else after the longest end of the prompt the query starts with, else after the
last assistant header of the prompt's chat template; failing all three the sample is an error.

A sample without a verdict (its error set: a timeout, a sandbox error, an unusable label, ...)
gets reward 0.0 by default. ``/get_reward?on_failure=mask`` (put it in ``--reward.remote_url``;
OpenRLHF 0.11.2 posts to that URL as given, `openrlhf/utils/agent.py` `_post_request`) masks it
instead, the one way OpenRLHF offers: its score is NaN (the body is JSON with a ``NaN`` token,
which the aiohttp ``response.json()`` OpenRLHF reads with accepts), and with
``--algo.dynamic_filtering_enable`` OpenRLHF drops the prompt's whole group and draws a new prompt
(`openrlhf/trainer/ppo_utils/samples_generator.py`: ``not (min_r < avg_reward < max_r)`` holds
for a NaN average). `scores` feed only that filter, so without it the mask does nothing and the
sample trains on its reward 0.0.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, Field, model_validator

from reward_server.protocols.samples import Candidate, Label, LabelError, label_tasks
from reward_server.reward_model.inputs import split_templated_query
from reward_server.reward_names import Weights
from reward_server.schemas import ScoreResult

# Chat-template and padding tokens left in decoded sequences: <|im_end|>, <|endoftext|>, <|eot_id|>,
# </s>, <eos>, <end_of_turn>, <pad>.
_SPECIAL_SUFFIX = re.compile(r"(?:\s*(?:<\|[A-Za-z0-9_]+\|>|</s>|<eos>|<pad>|<end_of_turn>))+\s*$")
_LEFT_PADDING = re.compile(r"^(?:<\|endoftext\|>|<\|end_of_text\|>|<\|pad\|>|<pad>|</s>|<eos>)+")
# Where the assistant's turn starts in common chat templates (ChatML/Qwen, Llama 3, Gemma,
# DeepSeek, Phi/GLM, Mistral).
_ASSISTANT_HEADER = re.compile(
    r"<\|im_start\|>assistant\s*|<\|start_header_id\|>assistant<\|end_header_id\|>\s*"
    r"|<start_of_turn>model\s*|<｜Assistant｜>|<\|assistant\|>\s*|\[/INST\]"
)
# An end of the prompt shorter than this could match the query by chance.
MIN_PROMPT_SUFFIX_CHARS = 32
# Characters a cut through a multi-byte token may leave at the query's start ('\ufffd').
_CUT_ARTIFACT_CHARS = 3


class ResponseNotFound(ValueError):
    """The query holds neither its prompt nor an end of it nor an assistant header."""


class OpenRLHFRequest(BaseModel):
    query: list[str] = Field(description="prompt + response, as OpenRLHF decoded them")
    prompts: list[str] | None = Field(default=None, description="the prompts, to cut them off the queries")
    labels: list[Label] | None = Field(
        default=None,
        description="per sample: a gold answer (string or number), a list of gold answers (any is "
        "right), a task object or JSON task, or null / '' for no task",
    )
    rewards: Weights | None = Field(
        default=None, description="component weights (an extension; default: the server's)"
    )

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
    """The sample's response inside `query` (prompt + response), trailing special tokens removed.

    Raises ResponseNotFound when the response cannot be told apart from the prompt. Without a
    prompt, the query is taken to be the response, after its last assistant header if it has one.
    """
    query = _LEFT_PADDING.sub("", query)
    if not prompt:
        headers = list(_ASSISTANT_HEADER.finditer(query))
        return _strip_special(query[headers[-1].end() :] if headers else query)
    at = query.find(prompt)
    if at >= 0:
        return _strip_special(query[at + len(prompt) :])
    for skip in range(_CUT_ARTIFACT_CHARS + 1):
        kept = _longest_prompt_suffix(prompt, query[skip:])
        if kept >= MIN_PROMPT_SUFFIX_CHARS:
            return _strip_special(query[skip + kept :])
    headers = list(_ASSISTANT_HEADER.finditer(prompt))
    if headers:
        opening = prompt[headers[-1].start() :]  # the header and what the template put after it
        at = query.rfind(opening)
        if at >= 0:
            return _strip_special(query[at + len(opening) :])
    raise ResponseNotFound(
        "the query holds neither its prompt nor an end of it (OpenRLHF cuts prompts longer than "
        "--data.max_len minus --rollout.max_new_tokens from the left) and no assistant header: "
        "raise --data.max_len or shorten the prompts"
    )


def _strip_special(text: str) -> str:
    return _SPECIAL_SUFFIX.sub("", text)


def _longest_prompt_suffix(prompt: str, query: str) -> int:
    """Length of the longest end of `prompt` that `query` starts with (KMP failure function, O(n))."""
    head = query[: len(prompt)]
    tail = prompt[len(prompt) - len(head) :]  # a longer end of the prompt cannot fit in `head`
    text: list[str | None] = [*head, None, *tail]  # None matches no character
    failure = [0] * len(text)
    for i in range(1, len(text)):
        k = failure[i - 1]
        while k and text[i] != text[k]:
            k = failure[k - 1]
        if text[i] == text[k]:
            k += 1
        failure[i] = k
    return failure[-1]


def candidates(request: OpenRLHFRequest) -> tuple[list[Candidate], dict[int, str]]:
    """The `/v1/score` items for a request (one per gold answer of each sample) and per-sample errors."""
    found: list[Candidate] = []
    errors: dict[int, str] = {}
    for index, query in enumerate(request.query):
        prompt = request.prompts[index] if request.prompts is not None else None
        label = request.labels[index] if request.labels is not None else None
        try:
            split = split_templated_query(query) if prompt is None else None
            if split is not None:  # the policy's templated prompt, read as sent by reward models
                prompt, completion = split[0], _strip_special(split[1])
            else:
                completion = response_text(query, prompt)
            tasks = label_tasks(label)
        except ResponseNotFound as exc:
            errors[index] = f"query.{index}: {exc}"
            continue
        except LabelError as exc:
            errors[index] = f"labels.{index}: {exc}"
            continue
        for task in tasks:
            item: dict[str, Any] = {"id": str(index), "completion": completion, "task": task}
            if prompt is not None:
                item["prompt"] = prompt
            found.append(Candidate(index, item))
    return found, errors


def openrlhf_response(
    results: Sequence[ScoreResult], weights: Mapping[str, float], *, mask_failures: bool = False
) -> OpenRLHFResponse:
    """Per-sample rewards (0.0 where a sample failed: OpenRLHF needs a number), 0–1 scores, logs.

    `weights` are the weights the request was scored with (its own, else the server's defaults):
    `extra_logs` has exactly one list per weighted component plus `reward_error` (1.0 = failed),
    0.0 where a value was not computed, so answers to separate requests batch together.
    `scores` is the accuracy where it was computed, else the reward; with `mask_failures` a
    failed sample's score is NaN (see `on_failure` in the module docstring), its reward still 0.0.
    """
    components = sorted(weights)
    logs: dict[str, list[float]] = {name: [] for name in [*components, "reward_error"]}
    rewards, scores = [], []
    for result in results:
        reward = result.reward if result.reward is not None else 0.0
        rewards.append(float(reward))
        if mask_failures and result.reward is None:
            scores.append(math.nan)
        else:
            scores.append(float(result.scores.get("accuracy", reward)))
        for name in components:
            logs[name].append(float(result.scores.get(name, 0.0)))
        logs["reward_error"].append(0.0 if result.error is None else 1.0)
    return OpenRLHFResponse(rewards=rewards, scores=scores, extra_logs=logs)


def render(response: OpenRLHFResponse) -> bytes:
    """The JSON body, NaN scores written as ``NaN`` (what Python's and aiohttp's json readers accept)."""
    return json.dumps(response.model_dump(), allow_nan=True, separators=(",", ":")).encode()
