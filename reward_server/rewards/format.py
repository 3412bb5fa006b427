"""Format rewards, one per template a run can ask for by component name:

- `format` (also `format:r1`, the default): DeepSeek-R1's template, exactly one <think>…</think>
  then one non-empty <answer>…</answer> and nothing else around them (`check_format`);
- `format:think`: the looser template of TRL's `think_format_reward`, a leading <think>…</think>
  block then any answer (`check_think_format`).
"""

from __future__ import annotations

import re
from functools import lru_cache

from reward_server.rewards.base import ComponentScore


@lru_cache(maxsize=16)
def _template(think_tag: str, answer_tag: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    t, a = re.escape(think_tag), re.escape(answer_tag)
    whole = re.compile(rf"\s*<{t}>(.*?)</{t}>\s*<{a}>(.*?)</{a}>\s*", re.DOTALL)
    any_tag = re.compile(rf"</?(?:{t}|{a})>")
    return whole, any_tag


def check_format(completion: str, *, think_tag: str = "think", answer_tag: str = "answer") -> ComponentScore:
    """Score 1 when `completion` follows the R1 template, else 0, with the reason in `details`.

    >>> check_format("<think>2+2 is 4</think>\\n<answer>4</answer>").score
    1.0
    >>> check_format("<answer>4</answer>").details["reason"]
    'expected exactly one <think> and one </think> tag, found 0 and 0'
    """
    whole, any_tag = _template(think_tag, answer_tag)
    tags = any_tag.findall(completion)
    counts = {
        tag: tags.count(tag)
        for tag in (f"<{think_tag}>", f"</{think_tag}>", f"<{answer_tag}>", f"</{answer_tag}>")
    }
    think_open, think_close, answer_open, answer_close = counts.values()

    def fail(reason: str) -> ComponentScore:
        return ComponentScore(0.0, {"ok": False, "reason": reason, "tags": counts})

    if (think_open, think_close) != (1, 1):
        return fail(
            f"expected exactly one <{think_tag}> and one </{think_tag}> tag, "
            f"found {think_open} and {think_close}"
        )
    if (answer_open, answer_close) != (1, 1):
        return fail(
            f"expected exactly one <{answer_tag}> and one </{answer_tag}> tag, "
            f"found {answer_open} and {answer_close}"
        )
    match = whole.fullmatch(completion)
    if match is None:
        return fail(
            "tags out of order, nested, or text outside "
            f"<{think_tag}>…</{think_tag}><{answer_tag}>…</{answer_tag}>"
        )
    if not match.group(2).strip():
        return fail(f"the <{answer_tag}> block is empty")
    return ComponentScore(1.0, {"ok": True, "reason": "follows the template", "tags": counts})


def check_think_format(completion: str, *, think_tag: str = "think") -> ComponentScore:
    """Score 1 when `completion` opens with one <think>…</think> block followed by a non-empty
    answer in any form, else 0, with the reason in `details`.

    TRL's `think_format_reward` checks the same shape; unlike it, an empty or whitespace-only
    answer after the block scores 0 (a completion cut off right after its reasoning has answered
    nothing).
    >>> check_think_format("<think>2+2 is 4</think>The answer is 4.").score
    1.0
    >>> check_think_format("The answer is 4.").details["reason"]
    'expected exactly one <think> and one </think> tag, found 0 and 0'
    """
    open_tag, close_tag = f"<{think_tag}>", f"</{think_tag}>"
    counts = {open_tag: completion.count(open_tag), close_tag: completion.count(close_tag)}

    def fail(reason: str) -> ComponentScore:
        return ComponentScore(0.0, {"ok": False, "reason": reason, "tags": counts})

    if tuple(counts.values()) != (1, 1):
        return fail(
            f"expected exactly one {open_tag} and one {close_tag} tag, "
            f"found {counts[open_tag]} and {counts[close_tag]}"
        )
    if not completion.lstrip().startswith(open_tag):
        return fail(f"text before {open_tag}: the completion must open with the think block")
    if not completion.partition(close_tag)[2].strip():
        return fail(f"no answer after {close_tag}")
    return ComponentScore(1.0, {"ok": True, "reason": "a think block, then an answer", "tags": counts})
