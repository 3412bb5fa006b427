"""What a reward model reads: the completion view and the conversation around it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal, TypeGuard

from reward_server.text import completion_text, tag_block

Prompt = str | Sequence[Any] | None  # a string, chat messages, or nothing


class InputKind(StrEnum):
    """How the model's input was built (`details.input`)."""

    CHAT_TEMPLATE = "chat_template"  # messages rendered by the model's own chat template
    AS_SENT = "as_sent"  # a prompt rendered by the policy's template already, read as sent
    PLAIN = "plain"  # prompt + completion as plain text


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


# Turn markers of the chat templates policies are trained with (ChatML/Qwen, Llama 3, Llama 2 /
# Mistral, Gemma, Phi-3 / Zephyr style, DeepSeek R1/V3). A prompt holding one was rendered by a
# template already: the reward model reads it as sent instead of wrapping it in its own.
_TEMPLATE_MARKERS = (
    "<|im_start|>",
    "<|start_header_id|>",
    "[INST]",
    "<start_of_turn>",
    "<|user|>",
    "<|assistant|>",
    "<｜User｜>",
    "<｜Assistant｜>",
)
# Where the last assistant turn of a rendered conversation begins (the response follows).
_ASSISTANT_OPENERS = re.compile(
    r"<\|im_start\|>assistant\n?|<\|start_header_id\|>assistant<\|end_header_id\|>\s*"
    r"|\[/INST\]\s?|<start_of_turn>model\n?|<\|assistant\|>\n?|<｜Assistant｜>"
)
# Padding a trainer leaves around decoded sequences (left padding before the prompt, right
# padding after the response): the pad tokens of the common tokenizers. Before a prompt, an
# end-of-sequence token can only be padding too (tokenizers without a pad token pad with EOS).
_PAD_TOKENS = ("<|endoftext|>", "<|end_of_text|>", "<|finetune_right_pad_id|>", "<pad>", "[PAD]", "<|pad|>")
_EOS_TOKENS = ("</s>", "<eos>", "<|eot_id|>", "<|im_end|>", "<end_of_turn>", "<｜end▁of▁sentence｜>")
_LEADING_PADS = re.compile("^(?:" + "|".join(re.escape(t) for t in (*_PAD_TOKENS, *_EOS_TOKENS)) + ")+")
_TRAILING_PADS = re.compile("(?:" + "|".join(re.escape(t) for t in _PAD_TOKENS) + ")+$")


def carries_chat_template(prompt: Prompt) -> TypeGuard[str]:
    """Whether `prompt` is text a chat template has rendered already (it holds a turn marker).

    >>> carries_chat_template("<|im_start|>user\\nHi<|im_end|>\\n<|im_start|>assistant\\n")
    True
    >>> carries_chat_template("What is 2+2?")
    False
    """
    return isinstance(prompt, str) and any(marker in prompt for marker in _TEMPLATE_MARKERS)


def strip_padding(text: str) -> str:
    """`text` without the runs of pad tokens at either end (`<|endoftext|>`, `<pad>`, ...).

    >>> strip_padding("<|endoftext|><|endoftext|><|im_start|>user\\nHi<|im_end|><|endoftext|>")
    '<|im_start|>user\\nHi<|im_end|>'
    """
    return _TRAILING_PADS.sub("", _LEADING_PADS.sub("", text))


def split_templated_query(query: str) -> tuple[str, str] | None:
    """(prompt, response) of a rendered conversation: split after its last assistant opener.

    None when `query` carries no chat template or no assistant turn. Pads around it are removed.

    >>> split_templated_query("<pad><|im_start|>user\\nHi<|im_end|>\\n<|im_start|>assistant\\nHello")
    ('<|im_start|>user\\nHi<|im_end|>\\n<|im_start|>assistant\\n', 'Hello')
    """
    text = strip_padding(query)
    if not carries_chat_template(text):
        return None
    openers = list(_ASSISTANT_OPENERS.finditer(text))
    if not openers:
        return None
    cut = openers[-1].end()
    return text[:cut], text[cut:]


_TURN_SENTINEL = "REWARDSERVERTURNSENTINEL"


def assistant_turn_end(tokenizer: Any) -> str:
    """What the tokenizer's chat template writes after an assistant message (`<|im_end|>\\n`, ...).

    Without a chat template, the EOS token (what OpenRLHF's reward server appends); else "".
    """
    if getattr(tokenizer, "chat_template", None) is None:
        return str(tokenizer.eos_token or "")
    conversation = [{"role": "user", "content": "U"}, {"role": "assistant", "content": _TURN_SENTINEL}]
    try:
        rendered = str(tokenizer.apply_chat_template(conversation, tokenize=False))
    except Exception:  # a template that needs other roles or arguments: fall back to EOS
        return str(tokenizer.eos_token or "")
    at = rendered.rfind(_TURN_SENTINEL)
    return rendered[at + len(_TURN_SENTINEL) :] if at >= 0 else str(tokenizer.eos_token or "")
