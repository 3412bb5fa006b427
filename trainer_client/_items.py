"""Turning what trainers hold (labels, dataset columns, chat turns) into `/v1/score` items."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from trainer_client._verl_code import verl_code_task

Content = str | list[dict[str, Any]]


def task_from_label(label: Any) -> dict[str, Any]:
    """A task from a trainer's label: a task dict, a JSON task, a verl code ground truth
    (``{"inputs": [...], "outputs": [...]}``, see `_verl_code`), or a bare gold answer (math).

    >>> task_from_label("42")
    {'type': 'math', 'answer': '42'}
    >>> task_from_label('{"type": "none"}')
    {'type': 'none'}

    Raises ValueError for a dict that is neither a task nor a verl code ground truth.
    """
    if label is None:
        return {"type": "none"}
    if isinstance(label, Mapping):
        if "type" in label:
            return dict(label)
        code = verl_code_task(label)
        if code is not None:
            return code
        raise ValueError(
            f"a task dict needs a 'type' field (or verl's 'inputs' and 'outputs'), got keys {sorted(label)}"
        )
    text = str(label)
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            parsed = json.loads(stripped, strict=False)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            if "type" in parsed:
                return parsed
            code = verl_code_task(parsed)
            if code is not None:
                return code
    return {"type": "math", "answer": text}


def as_messages_or_text(value: Any) -> Content:
    """A string stays a string; chat turns become plain `{"role", "content"}` dicts.

    Trainers' message dicts may carry extra keys (tool calls, multimodal parts); the service needs
    only the role and the text, so content parts are joined into one string.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        value = [value]
    if isinstance(value, Sequence):
        return [{"role": str(_get(m, "role") or "user"), "content": _text(_get(m, "content"))} for m in value]
    return str(value)


def _get(message: Any, key: str) -> Any:
    return message.get(key) if isinstance(message, Mapping) else getattr(message, key, None)


def _text(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, Sequence):  # [{"type": "text", "text": ...}, {"type": "image", ...}]
        return "".join(
            str(_get(part, "text") or "") for part in content if _get(part, "type") in (None, "text")
        )
    return str(content)
