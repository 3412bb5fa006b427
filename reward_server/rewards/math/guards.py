"""Refusals that need no parser: answers too costly to parse, wording that disowns the value, and
golds the parser read only in part (prose with several numbers, statements read as their first number)."""

from __future__ import annotations

import math
import re
from typing import Any

import sympy

from reward_server.rewards.math.numbers import MAX_DIGITS

__all__ = [
    "MAX_ANSWER_CHARS",
    "MAX_GOLD_CHARS",
    "disowning",
    "guard_reason",
    "partial_gold",
    "same_numbers",
]

MAX_ANSWER_CHARS = 1_000
MAX_GOLD_CHARS = 5_000
MAX_BRACE_DEPTH = 30
MAX_EXPONENT_DIGITS = 6  # 10^{999999} is fine for sympy; a 7-digit exponent is not worth the risk
MAX_FACTORIAL_ARG = 10_000

_EXPONENT = re.compile(r"\^\s*\{?\s*\(?\s*(\d+)")
_TOWER = re.compile(r"(\d+)\s*\^\s*\{?\s*\(?\s*(\d+)\s*\^\s*\{?\s*\(?\s*(\d+)")
_FACTORIAL = re.compile(r"(\d+)\s*\}?\s*!|\\frac\{\s*\d+\s*\}\{\s*\d+\s*\}\s*!|!\s*\)?\s*!")
_LONG_NUMBER = re.compile(r"\d{" + str(MAX_DIGITS + 1) + ",}")


def guard_reason(text: str, *, limit: int = MAX_ANSWER_CHARS) -> str | None:
    """Why `text` is too costly to parse and evaluate, or None when it is fine."""
    if len(text) > limit:
        return f"answer longer than {limit} characters"
    depth = deepest = 0
    for ch in text:
        if ch in "{(":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "})":
            depth -= 1
    if deepest > MAX_BRACE_DEPTH:
        return f"nesting deeper than {MAX_BRACE_DEPTH}"
    if _LONG_NUMBER.search(text):
        return f"a number with more than {MAX_DIGITS} digits"
    for m in _EXPONENT.finditer(text):
        if len(m.group(1)) > MAX_EXPONENT_DIGITS:
            return f"exponent {m.group(1)[:12]}... too large"
    for m in _TOWER.finditer(text):
        base, exp = int(m.group(2)), int(m.group(3))
        if base > 1 and exp * math.log10(base) > MAX_EXPONENT_DIGITS:
            return "power tower too large"
    for m in _FACTORIAL.finditer(text):
        if m.group(1) is None or int(m.group(1)) > MAX_FACTORIAL_ARG:
            return "factorial too large or nested"
    return None


_LEADING_RELATION = re.compile(
    r"^\s*(?:<|>|=|\\[lg]e(?:q|qslant)?\b|\\ne(?:q)?\b|\\not\b|\\approx|\\sim\b|\\[lg]t\b)"
)
_DISOWNING_TEXT = re.compile(
    r"\\(?:text|mathrm|textrm|mbox)\{[^{}]*\b(?:wrong|incorrect|not|false|invalid|error|mistake|no|never|"
    r"impossible|approximately|guess)\b",
    re.IGNORECASE,
)
_WORD = re.compile(r"(?<![\\a-zA-Z])[a-zA-Z]{3,}")
_NUMBER_TOKEN = re.compile(r"\d+(?:\.\d+)?")


def disowning(answer: str, gold: str) -> str | None:
    """Why the answer's own wording keeps it from being a value (`\\geq 7`, `7 \\text{ (wrong)}`), or None."""
    if _LEADING_RELATION.match(answer) and not _LEADING_RELATION.match(gold):
        return "a relation without its left side is not a value"
    if _DISOWNING_TEXT.search(answer) and not _DISOWNING_TEXT.search(gold):
        return "the answer's own text says it is not the value"
    return None


def partial_gold(gold: str, parsed: tuple[Any, ...]) -> bool:
    """Whether the parser read only a fragment of the gold (prose with several numbers, a statement
    with quantifiers and relations read as its first number)."""
    words = _WORD.findall(
        re.sub(r"\\(?:begin|end|mathrm|mathbf|mathbb|operatorname)\{[^{}]*\}|\\[a-zA-Z]+", " ", gold)
    )
    if len(words) >= 2 and len(_NUMBER_TOKEN.findall(gold)) >= 2:
        return True
    shown = next((p for p in parsed if isinstance(p, sympy.Basic)), None)
    return (
        isinstance(shown, sympy.Number)
        and bool(re.search(r"\\forall|\\exists|[<>]|\\[lg]e|,", gold))
        and len(_NUMBER_TOKEN.findall(gold)) >= 2
    )


def same_numbers(answer: str, gold: str) -> bool:
    return sorted(_NUMBER_TOKEN.findall(answer)) == sorted(_NUMBER_TOKEN.findall(gold))
