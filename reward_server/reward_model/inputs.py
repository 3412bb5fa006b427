"""What a reward model reads: the completion view and the conversation around it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from reward_server.rewards.text import completion_text, tag_block

Prompt = str | Sequence[Any] | None  # a string, chat messages, or nothing


@dataclass(frozen=True, slots=True)
class RewardInput:
    """One thing to score: the prompt it answers (optional) and the completion."""

    prompt: Prompt
    completion: str | Sequence[Any]


@dataclass(frozen=True, slots=True)
class ViewedCompletion:
    """The part of a completion the model reads, and whether the wanted part was there."""

    text: str
    answer_found: bool = True


def strip_think(text: str, tag: str = "think") -> tuple[str, bool]:
    """Remove every `<tag>...</tag>` block; an unclosed `<tag>` swallows the rest.

    Returns the remaining text and whether the reasoning was closed (False means the
    completion never got past its chain of thought, so there is no final answer).
    """
    closed = re.compile(rf"<{re.escape(tag)}>.*?</{re.escape(tag)}>", re.DOTALL)
    text = closed.sub("", text)
    # R1-style chat templates put `<think>` in the prompt, so the completion may start
    # inside the reasoning and carry only the closing tag.
    close_tag, open_tag = f"</{tag}>", f"<{tag}>"
    if close_tag in text:
        text = text[text.rfind(close_tag) + len(close_tag) :]
    if open_tag in text:
        return text[: text.find(open_tag)].strip(), False
    return text.strip(), True


def view_completion(
    completion: str | Sequence[Any],
    view: Literal["full", "answer"],
    *,
    think_tag: str = "think",
    answer_tag: str = "answer",
) -> ViewedCompletion:
    """The text the reward model judges: all of it (`full`) or only the final answer (`answer`).

    >>> view_completion("<think>2+2 is 4</think><answer>4</answer>", "answer").text
    '4'
    """
    text = completion_text(completion)
    if view == "full":
        return ViewedCompletion(text)
    summary, closed = strip_think(text, think_tag)
    if not closed:
        return ViewedCompletion("", answer_found=False)
    block = tag_block(summary, answer_tag)
    return ViewedCompletion((block if block is not None else summary).strip())


def prompt_messages(prompt: Prompt) -> list[dict[str, str]]:
    """The prompt as chat messages: a string becomes one user turn."""
    if prompt is None:
        return []
    if isinstance(prompt, str):
        return [{"role": "user", "content": prompt}]
    messages = []
    for message in prompt:
        if isinstance(message, dict):
            role, content = message.get("role", "user"), message.get("content", "")
        else:
            role, content = getattr(message, "role", "user"), getattr(message, "content", "")
        messages.append({"role": str(role), "content": str(content or "")})
    return messages


def plain_prompt(prompt: Prompt) -> str:
    """The prompt as plain text, for models without a chat template (TRL scores `prompt + completion`)."""
    return "\n".join(m["content"] for m in prompt_messages(prompt)) if not isinstance(prompt, str) else prompt
