"""The R1 format reward: exactly one <think>…</think> then one non-empty <answer>…</answer>."""

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
