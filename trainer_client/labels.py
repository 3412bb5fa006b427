"""Label → task: the one rule, for the trainer adapters and the server's peer-protocol routes alike.

A trainer or a peer protocol holds one label per sample. This module (shipped by both distributions,
`reward-server` and the client-only `reward-server-client`, and importing nothing but the standard
library and `_verl_code`) says which `/v1/score` task(s) it stands for:

- None, or a blank string: no task (`{"type": "none"}`): only components that need no gold
  (format, language, reward models) can score it;
- a string or a finite number: a math gold answer (`42.0` from a float column is `"42"`);
- a string holding a JSON object: that object, read like a dict label;
- a dict with `type`: that task, as given (the server validates it);
- a dict (or JSON object) with verl's `inputs` and `outputs`: a code task (see `_verl_code`);
- a list of gold answers: one task per answer (any of them is right; the protocol routes score each
  and keep the best verdict).

Anything else (a boolean, NaN, an empty list, a dict with neither `type` nor verl's fields) raises
`LabelError` saying what a label may be: a label the rule cannot read is never guessed at.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from trainer_client._verl_code import verl_code_task

__all__ = ["LabelError", "label_task", "label_tasks"]

_NO_TASK: dict[str, Any] = {"type": "none"}


class LabelError(ValueError):
    """A label that names no task; the message says what a label may be."""


def label_tasks(label: Any) -> list[dict[str, Any]]:
    """The task(s) `label` stands for: one per gold answer it lists.

    >>> label_tasks("4"), label_tasks(4.0), label_tasks(["4", "four"])[1]
    ([{'type': 'math', 'answer': '4'}], [{'type': 'math', 'answer': '4'}], {'type': 'math', 'answer': 'four'})
    >>> label_tasks(None), label_tasks(""), label_tasks('{"type": "none"}')
    ([{'type': 'none'}], [{'type': 'none'}], [{'type': 'none'}])

    Raises LabelError (a ValueError) for a label that names no task.
    """
    if label is None:
        return [dict(_NO_TASK)]
    if isinstance(label, Mapping):
        return [_object_task(label)]
    if isinstance(label, Sequence) and not isinstance(label, str | bytes):
        if not label:
            raise LabelError("an empty list names no gold answer; give one or more answers")
        return [task for answer in label for task in _answer_tasks(answer)]
    return _answer_tasks(label)


def label_task(label: Any) -> dict[str, Any]:
    """The one task `label` stands for (a `/v1/score` item holds one task).

    Raises LabelError for a label that names no task, or lists several gold answers: score those
    through a protocol route (OpenRLHF, slime, NeMo-Gym), which keeps the best verdict per sample.
    """
    tasks = label_tasks(label)
    if len(tasks) != 1:
        raise LabelError(
            f"this label lists {len(tasks)} gold answers, and a /v1/score item takes one task; give one "
            "answer, or score through a protocol route (/get_reward, /verify), which keeps the best"
        )
    return tasks[0]


def _object_task(value: Mapping[str, Any]) -> dict[str, Any]:
    if "type" in value:
        return dict(value)
    code = _verl_code(value)
    if code is None:
        raise LabelError(
            f"a task object needs a 'type' field (or verl's 'inputs' and 'outputs'), got keys {sorted(value)}"
        )
    return code


def _verl_code(value: Mapping[str, Any]) -> dict[str, Any] | None:
    try:
        return verl_code_task(value)
    except ValueError as exc:
        raise LabelError(f"a verl code ground truth that cannot be read: {exc}") from exc


def _answer_tasks(answer: Any) -> list[dict[str, Any]]:
    if isinstance(answer, bool) or not isinstance(answer, str | int | float):
        raise LabelError(f"a gold answer is a string or a number, not {type(answer).__name__}")
    if isinstance(answer, float) and not math.isfinite(answer):
        raise LabelError("a numeric gold answer must be finite")
    if isinstance(answer, int | float):
        return [{"type": "math", "answer": _number_text(answer)}]
    stripped = answer.strip()
    if not stripped:
        return [dict(_NO_TASK)]
    if stripped.startswith("{"):
        try:
            parsed = json.loads(stripped, strict=False)
        except ValueError:
            parsed = None  # a LaTeX set such as {1, 2} is an answer, not JSON
        if isinstance(parsed, dict):
            code = None if "type" in parsed else _verl_code(parsed)
            if "type" in parsed or code is not None:
                return [parsed if code is None else code]
    return [{"type": "math", "answer": answer}]


def _number_text(value: int | float) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))  # 42.0 from a float column is the answer 42
    return repr(value)
