"""Turning what trainers hold (labels, dataset columns, chat turns) into `/v1/score` items."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from trainer_client.labels import label_task

Content = str | list[dict[str, Any]]


def task_from_label(label: Any) -> dict[str, Any]:
    """The one task a trainer's label stands for: `labels.label_task` (the rule the server's protocol
    routes use too). Raises `labels.LabelError` (a ValueError) for a label that names no task."""
    return label_task(label)


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
