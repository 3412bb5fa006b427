"""The verdict on one completion: extract the committed answer, refuse hedges, compare with the gold."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from reward_server.outcomes import UnusableGold
from reward_server.rewards.base import ComponentScore
from reward_server.rewards.math.comparison import NeedsParser, Verdict, compare_answer
from reward_server.rewards.math.equivalence import interval_form
from reward_server.rewards.math.extraction import (
    Extraction,
    extract_answer,
    find_boxed,
    normalise_answer,
    split_alternatives,
)
from reward_server.rewards.math.guards import MAX_ANSWER_CHARS, MAX_GOLD_CHARS
from reward_server.rewards.math.labels import DecidedBy, MathStatus
from reward_server.rewards.math.notation import normalise_notation
from reward_server.rewards.math.phrases import math_segments

__all__ = ["check_math", "check_math_quick", "clean_gold", "judge", "judge_quick"]

MAX_ALTERNATIVES = 4  # more answers than this at once is a spray, not a hedge worth checking
QUICK_MAX_CHARS = 20_000  # longer completions go to a pool worker even when the answer is plain


def _multi_valued(gold: str) -> bool:
    """Whether the gold answer itself lists several values (a set, "x=1 or x=2", "1, 2", "{1,2}")."""
    if len(split_alternatives(gold)) > 1 or "\\{" in gold or "\\cup" in gold:
        return True
    if re.search(r"\band\b|\\text\{\s*and\s*\}", gold):
        return True
    inner = gold.strip()
    if inner.startswith("{") and inner.endswith("}") and "," in inner:
        return True  # "{1,2,3}": a set written with bare braces
    depth = 0
    for ch in gold:  # a top-level comma lists values; one inside brackets is a tuple or an interval
        if ch in "{([":
            depth += 1
        elif ch in "})]":
            depth -= 1
        elif ch == "," and depth == 0:
            return True
    return False


def _verdict_details(verdict: Verdict) -> dict[str, Any]:
    return {"decided_by": verdict.decided_by, **verdict.details}


def _score(equal: bool, details: dict[str, Any]) -> ComponentScore:
    details["status"] = MathStatus.CORRECT if equal else MathStatus.WRONG
    return ComponentScore(1.0 if equal else 0.0, details)


def check_math_quick(
    completion: str, gold: str, *, answer_tag: str = "answer", think_tag: str = "think"
) -> ComponentScore | None:
    """`check_math`'s verdict when it needs no parser (plain numbers, identical strings, hedges of
    those, refused inputs), else None. Linear-time string work only: safe to run on the event loop
    for completions up to `QUICK_MAX_CHARS`; the result is exactly what `check_math` would return."""
    if len(completion) > QUICK_MAX_CHARS:
        return None
    return judge_quick(
        extract_answer(completion, answer_tag=answer_tag, think_tag=think_tag), clean_gold(gold)
    )


def check_math(
    completion: str, gold: str, *, answer_tag: str = "answer", think_tag: str = "think"
) -> ComponentScore:
    """Score 1 when the final answer the completion commits to equals `gold`, else 0.

    >>> check_math("<think>1/2+1/2</think><answer>\\\\boxed{1}</answer>", "1").score
    1.0

    Pure and picklable: it runs in a pool worker and the caller enforces the time budget (math-verify's
    SIGALRM timeouts are off). Several different answers offered at once, or "A or B", score 0 unless
    every one of them is correct; a self-corrected earlier answer does not count. Where the answer
    is looked for is described in `extraction`; an unfinished completion scores 0.
    """
    return judge(extract_answer(completion, answer_tag=answer_tag, think_tag=think_tag), clean_gold(gold))


_GOLD_SEPARATORS = re.compile(r"^(?:[\s,;.]|\band\b|\\text\{\s*and\s*\}|\\quad|\\,)*$")


def _gold_answer(gold: str) -> str:
    """The answer a gold string holds: its boxes (all of them: several boxes are one list), its math
    segments when only separators lie between them, or the answer a worked solution states."""
    boxes = find_boxed(gold) if "\\boxed" in gold or "\\fbox" in gold else []
    if boxes:  # "\\boxed{5}", "$\\boxed{5}$", "\\boxed{1}\\boxed{2}" (the whole list)
        contents: list[str] = []
        for _, _, content in boxes:
            if content not in contents:
                contents.append(content)
        return ", ".join(contents)
    segments = math_segments(gold)
    if segments:
        between = [gold[: segments[0][1]]]
        between += [gold[a[2] : b[1]] for a, b in zip(segments, segments[1:], strict=False)]
        between.append(gold[segments[-1][2] :])
        if all(_GOLD_SEPARATORS.match(part) for part in between):
            return ", ".join(content for content, _, _ in segments)
        if len(gold) > 200:  # a worked solution: the answer it states
            stated = extract_answer(gold)
            if stated.answer is not None:
                return ", ".join(dict.fromkeys(stated.answers))
    return gold


@lru_cache(maxsize=2048)
def clean_gold(gold: str) -> str:
    """The gold answer stripped; `UnusableGold` (the item's error) when it is unusable."""
    gold = _gold_answer(normalise_notation(gold.strip())).strip()
    if gold.endswith("."):
        gold = gold[:-1].rstrip()  # a sentence's full stop
    if not gold:
        raise UnusableGold("the gold answer is empty")
    if len(gold) > MAX_GOLD_CHARS:
        raise UnusableGold(f"the gold answer is longer than {MAX_GOLD_CHARS} characters")
    return gold


def judge_quick(extraction: Extraction, gold: str) -> ComponentScore | None:
    """`judge` without the parser: the verdict, or None when it would need math-verify/sympy."""
    try:
        return _judge(extraction, gold, allow_parser=False)
    except NeedsParser:
        return None


def judge(extraction: Extraction, gold: str) -> ComponentScore:
    """The verdict on an extracted answer (see `check_math`)."""
    return _judge(extraction, gold, allow_parser=True)


def _judge(extraction: Extraction, gold: str, *, allow_parser: bool) -> ComponentScore:
    details: dict[str, Any] = {"extracted_from": extraction.source, "gold": gold[:200]}
    if extraction.notes:
        details["extraction_notes"] = list(extraction.notes)
    if not extraction.answers:
        return _no_answer(extraction, details)

    too_long = next((a for a in extraction.answers if len(a) > MAX_ANSWER_CHARS), None)
    if too_long is not None:
        details.update(extracted=too_long[:200], decided_by=DecidedBy.GUARD, status=MathStatus.WRONG)
        details["refused"] = f"answer longer than {MAX_ANSWER_CHARS} characters"
        return ComponentScore(0.0, details)
    distinct = _distinct_answers(extraction.answers)
    details["extracted"] = distinct[-1][:200] if len(distinct) == 1 else [d[:200] for d in distinct]

    if len(distinct) > 1 and _multi_valued(gold):
        # "x = 1 or x = 2" / "\boxed{1}, \boxed{2}" for a multi-valued gold: compare as one set.
        joined = ", ".join(distinct)
        verdict = compare_answer(joined, gold, allow_parser=allow_parser)
        details.update(_verdict_details(verdict), combined_answer=joined[:200])
        return _score(verdict.equal, details)
    if len(distinct) > MAX_ALTERNATIVES:
        details["hedge"] = f"{len(distinct)} different answers offered at once"
        details["decided_by"] = DecidedBy.HEDGE
        details["status"] = MathStatus.WRONG
        return ComponentScore(0.0, details)
    if len(distinct) == 1:
        verdict = compare_answer(distinct[0], gold, allow_parser=allow_parser)
        details.update(_verdict_details(verdict))
        return _score(verdict.equal, details)
    return _judge_hedge(distinct, gold, details, allow_parser=allow_parser)


def _no_answer(extraction: Extraction, details: dict[str, Any]) -> ComponentScore:
    details["status"] = {"unfinished": MathStatus.UNFINISHED, "retracted": MathStatus.RETRACTED}.get(
        extraction.source, MathStatus.NO_ANSWER
    )
    if extraction.source == "none":
        details["rule"] = (
            "no answer marker, concluding statement or final math: the completion commits to nothing"
        )
    return ComponentScore(0.0, details)


def _distinct_answers(answers: Sequence[str]) -> list[str]:
    """The extracted answers split into their alternatives, the same answer written twice once."""
    distinct: list[str] = []
    seen: set[str] = set()
    for answer in answers:
        answer = normalise_notation(answer)
        # "x<-3 or x>3" is one set (an interval union), not two answers; "x=2 or x=-3" stays two roots
        form = interval_form(answer)
        pieces = [answer] if form is not None and "," in form else split_alternatives(answer)
        for alternative in pieces:
            key = normalise_answer(alternative)
            if key not in seen:
                seen.add(key)
                distinct.append(alternative)
    return distinct


def _judge_hedge(
    distinct: list[str], gold: str, details: dict[str, Any], *, allow_parser: bool
) -> ComponentScore:
    """Several different answers: 1 only when every alternative is correct. One wrong alternative
    decides, so the cheap checks go first (the same order with or without the parser, so the
    details match); raises NeedsParser when the cheap checks cannot decide without it."""
    details["hedge"] = "several different answers offered at once: every one must be correct"
    details["decided_by"] = DecidedBy.HEDGE
    verdicts: dict[str, Verdict] = {}
    for allowed in (False, True) if allow_parser else (False,):
        for answer in distinct:
            if answer in verdicts:
                continue
            try:
                verdict = compare_answer(answer, gold, allow_parser=allowed)
            except NeedsParser:
                continue
            verdicts[answer] = verdict
            if not verdict.equal:
                details["wrong_alternative"] = {"answer": answer[:200], **_verdict_details(verdict)}
                return _score(False, details)
    if len(verdicts) < len(distinct):
        raise NeedsParser
    return _score(True, details)
