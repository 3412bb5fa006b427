"""Getting text out of prompts and completions: chat messages, tagged blocks."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

Messages = Sequence[Any]  # items with .role/.content or {"role", "content"} dicts


def _role_content(message: Any) -> tuple[str, str]:
    if isinstance(message, dict):
        return str(message.get("role", "")), str(message.get("content", "") or "")
    return str(getattr(message, "role", "")), str(getattr(message, "content", "") or "")


def completion_text(completion: str | Messages) -> str:
    """The text to score: the string itself, or the last assistant message of a conversation."""
    if isinstance(completion, str):
        return completion
    messages = [_role_content(m) for m in completion]
    for role, content in reversed(messages):
        if role == "assistant":
            return content
    return messages[-1][1] if messages else ""


def prompt_tail(prompt: str | Messages | None) -> str:
    """Where a prompt ends: the string, or the content of its last message (any role)."""
    if prompt is None:
        return ""
    if isinstance(prompt, str):
        return prompt
    return _role_content(prompt[-1])[1] if prompt else ""


def with_prefilled_think(
    prompt: str | Messages | None, completion: str, tag: str = "think"
) -> tuple[str, bool]:
    """The text to judge and whether the prompt opened the think block.

    Chat templates of reasoning models (R1 distills, Qwen3) end the prompt with `<think>\n`, so
    the completion starts inside the block. When the prompt (or its last message) ends with the
    opening tag, the judged text is that tag and what follows it in the prompt, plus the completion.
    """
    tail = prompt_tail(prompt)
    open_tag = f"<{tag}>"
    start = tail.rfind(open_tag)
    if start < 0 or tail[start + len(open_tag) :].strip():
        return completion, False
    return tail[start:] + completion, True


def prompt_text(prompt: str | Messages | None) -> str:
    """The user-visible prompt: the string, or the last user message (all contents if none is 'user')."""
    if prompt is None:
        return ""
    if isinstance(prompt, str):
        return prompt
    messages = [_role_content(m) for m in prompt]
    for role, content in reversed(messages):
        if role == "user":
            return content
    return "\n".join(content for _, content in messages)


def tag_block(text: str, tag: str) -> str | None:
    """Content of the last complete `<tag>...</tag>` block, or None when there is none."""
    open_tag, close_tag = f"<{tag}>", f"</{tag}>"
    end = text.rfind(close_tag)
    if end < 0:
        return None
    start = text.rfind(open_tag, 0, end)
    if start < 0:
        return None
    return text[start + len(open_tag) : end]


_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+#.-]*)[^\n]*\n(.*?)```", re.DOTALL)


def fenced_blocks(text: str) -> list[tuple[str, str]]:
    """All fenced code blocks as (info-string language, code), in order."""
    return [(m.group(1).lower(), m.group(2)) for m in _FENCE.finditer(text)]
