"""Math accuracy: extract the committed final answer and check it against the gold answer."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Sequence
from typing import Any

from math_verify import parse

from reward_server.cpu_pool import CpuPool, WorkerCrashed
from reward_server.rewards.base import ComponentScore, ItemError
from reward_server.rewards.math_check import (
    MAX_ANSWER_CHARS,
    MAX_GOLD_CHARS,
    NeedsParser,
    Verdict,
    compare_answer,
    describe,
    first_sympy,
    guard_reason,
    parse_gold_latex,
)
from reward_server.rewards.math_extract import (
    Extraction,
    extract_answer,
    find_boxed,
    normalise_answer,
    split_alternatives,
)
from reward_server.rewards.math_numeric import Numeric, compare_numeric
from reward_server.rewards.text import completion_text
from reward_server.schemas import MathTask, ScoreItem

__all__ = ["MathChecker", "check_math", "check_math_quick", "warm_up"]

log = logging.getLogger(__name__)

MAX_ALTERNATIVES = 4  # more answers than this at once is a spray, not a hedge worth checking
FALLBACK_REGION_CHARS = 4_000  # math-verify's free-text extraction looks at the end of the region
QUICK_MAX_CHARS = 20_000  # longer completions go to a pool worker even when the answer is plain


def _multi_valued(gold: str) -> bool:
    """Whether the gold answer itself lists several values (a set, "x=1 or x=2", "1, 2")."""
    if len(split_alternatives(gold)) > 1 or "\\{" in gold or "\\cup" in gold:
        return True
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
    details["status"] = "correct" if equal else "wrong"
    return ComponentScore(1.0 if equal else 0.0, details)


def _check_free_text(extraction: Extraction, gold: str, details: dict[str, Any]) -> ComponentScore:
    """No clean answer string: math-verify's own extraction over the end of the region."""
    region = extraction.region[-FALLBACK_REGION_CHARS:]
    if not region.strip():
        details["status"] = "no_answer"
        return ComponentScore(0.0, details)
    from math_verify import verify

    parsed = parse(region, parsing_timeout=None)  # type: ignore[arg-type]
    if not parsed:
        details["status"] = "no_answer"
        return ComponentScore(0.0, details)
    details["extracted"] = describe(parsed[-1] if isinstance(parsed[-1], str) else parsed[0])
    gold_parsed = parse_gold_latex(gold)
    mv_equal = bool(verify(list(gold_parsed), list(parsed), timeout_seconds=None))
    details["math_verify"] = mv_equal
    equal = mv_equal
    g, a = first_sympy(gold_parsed), first_sympy(tuple(parsed))
    if g is not None and a is not None:
        numeric, why = compare_numeric(g, a)
        details["second_check"], details["second_check_reason"] = numeric.value, why
        # Free-text extraction is unreliable: here the second check may only veto an equality.
        if mv_equal and numeric is Numeric.NOT_EQUAL:
            equal = False
            details["disagreement"] = True
            details["rule"] = "disagreement: counterexample beats math-verify's equality"
    details["decided_by"] = "math_verify" if equal == mv_equal else "second_check"
    return _score(equal, details)


def check_math_quick(completion: str, gold: str, *, answer_tag: str = "answer") -> ComponentScore | None:
    """`check_math`'s verdict when it needs no parser (plain numbers, identical strings, hedges of
    those, refused inputs), else None. Linear-time string work only: safe to run on the event loop
    for completions up to `QUICK_MAX_CHARS`; the result is exactly what `check_math` would return."""
    if len(completion) > QUICK_MAX_CHARS:
        return None
    return judge_quick(extract_answer(completion, answer_tag=answer_tag), clean_gold(gold))


def check_math(completion: str, gold: str, *, answer_tag: str = "answer") -> ComponentScore:
    """Score 1 when the final answer the completion commits to equals `gold`, else 0.

    >>> check_math("<think>1/2+1/2</think><answer>\\\\boxed{1}</answer>", "1").score
    1.0

    Pure and picklable: it runs in a pool worker and the caller enforces the time budget (math-verify's
    SIGALRM timeouts are off). Several different answers offered at once, or "A or B", score 0 unless
    every one of them is correct; a self-corrected earlier answer does not count.
    """
    return judge(extract_answer(completion, answer_tag=answer_tag), clean_gold(gold))


def clean_gold(gold: str) -> str:
    """The gold answer stripped; ValueError (the item's error) when it is unusable."""
    gold = gold.strip()
    boxes = find_boxed(gold) if "\\boxed" in gold or "\\fbox" in gold else []
    if boxes:  # a gold answer copied with its box ("\\boxed{5}", "$\\boxed{5}$")
        gold = boxes[-1][2]
    if not gold:
        raise ValueError("the gold answer is empty")
    if len(gold) > MAX_GOLD_CHARS:
        raise ValueError(f"the gold answer is longer than {MAX_GOLD_CHARS} characters")
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
    if extraction.source == "none":
        if guard_reason(extraction.region[-FALLBACK_REGION_CHARS:], limit=FALLBACK_REGION_CHARS + 1):
            details["status"] = "no_answer"
            details["refused"] = "no answer marker and the text is too costly to parse"
            return ComponentScore(0.0, details)
        if not allow_parser:
            raise NeedsParser
        return _check_free_text(extraction, gold, details)

    too_long = next((a for a in extraction.answers if len(a) > MAX_ANSWER_CHARS), None)
    if too_long is not None:
        details.update(extracted=too_long[:200], decided_by="guard", status="wrong")
        details["refused"] = f"answer longer than {MAX_ANSWER_CHARS} characters"
        return ComponentScore(0.0, details)
    distinct: list[str] = []
    seen: set[str] = set()
    for answer in extraction.answers:
        for alternative in split_alternatives(answer):
            key = normalise_answer(alternative)
            if key not in seen:
                seen.add(key)
                distinct.append(alternative)
    details["extracted"] = distinct[-1][:200] if len(distinct) == 1 else [d[:200] for d in distinct]

    if len(distinct) > 1 and _multi_valued(gold):
        # "x = 1 or x = 2" / "\boxed{1}, \boxed{2}" for a multi-valued gold: compare as one set.
        joined = ", ".join(distinct)
        verdict = compare_answer(joined, gold, allow_parser=allow_parser)
        details.update(_verdict_details(verdict), combined_answer=joined[:200])
        return _score(verdict.equal, details)
    if len(distinct) > MAX_ALTERNATIVES:
        details["hedge"] = f"{len(distinct)} different answers offered at once"
        details["decided_by"] = "hedge"
        details["status"] = "wrong"
        return ComponentScore(0.0, details)
    if len(distinct) == 1:
        verdict = compare_answer(distinct[0], gold, allow_parser=allow_parser)
        details.update(_verdict_details(verdict))
        return _score(verdict.equal, details)

    # A hedge scores 1 only when every alternative is correct: one wrong alternative decides, so the
    # cheap checks go first (the same order with or without the parser, so the details match).
    details["hedge"] = "several different answers offered at once: every one must be correct"
    details["decided_by"] = "hedge"
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


_WARM_UP = (
    ("\\boxed{\\frac{1}{2}}", "0.5"),
    ("\\boxed{(x+1)^2}", "x^2+2x+1"),
    ("\\boxed{[1, 2)}", "(-\\infty, 3]"),
    ("\\boxed{2\\sqrt{3}}", "\\sqrt{12}"),
    ("\\boxed{\\pi/3}", "\\frac{\\pi}{3}"),
    ("\\boxed{\\frac{-x-1}{1-x}}", "\\frac{x+1}{x-1}"),
    (
        "\\boxed{\\begin{bmatrix}1 & 2\\\\ 3 & 4\\end{bmatrix}}",
        "\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}",
    ),
    ("\\boxed{\\{1, 2\\}}", "\\{2, 1\\}"),
    ("\\boxed{\\sin(\\pi/6) + \\log_2 8 + e^{2}}", "3.5 + e^2"),
    ("\\boxed{y = 2x + 1}", "2x - y + 1 = 0"),
    ("\\boxed{x \\in (1, 2)}", "1 < x < 2"),
    ("The answer is $x = 5$.", "5"),
)


def warm_up() -> None:
    """Pay the first-use costs in a fresh worker instead of in its first items: imports, and the
    LaTeX grammar's prediction caches (its first parse of each construct costs 50-500 ms)."""
    for completion, gold in _WARM_UP:
        check_math(completion, gold)
        check_math(f"\\boxed{{{gold}}}", completion[7:-1] if completion.startswith("\\boxed") else gold)


Outcome = ComponentScore | ItemError


def _light(extraction: Extraction) -> Extraction:
    """What a worker needs to judge: the region only matters when there is no answer string."""
    return extraction if extraction.source == "none" else dataclasses.replace(extraction, region="")


class MathChecker:
    """Scores math items: parser-free verdicts inline, the rest on the CPU pool with a time budget each.

    Per batch:
    - the answer is extracted inline (linear string work); verdicts that need no parser (plain
      numbers, identical strings, hedges of those, refused inputs) are decided right there: a pool
      round trip costs more than the check;
    - items with the same extracted answer and gold (GRPO groups repeat answers) are judged once;
    - every remaining distinct (answer, gold) is one pool task with its own `timeout_s`: a
      pathological answer costs its budget and scores 0 with `status: timeout`, the rest come back.
    """

    def __init__(self, pool: CpuPool, timeout_s: float, answer_tag: str = "answer") -> None:
        self.pool, self.timeout_s, self.answer_tag = pool, timeout_s, answer_tag

    async def score(self, items: Sequence[ScoreItem]) -> list[Outcome]:
        results: list[Outcome | None] = [None] * len(items)
        pending: dict[tuple[Any, ...], list[int]] = {}
        jobs: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        quick: dict[tuple[Any, ...], ComponentScore] = {}
        for index, item in enumerate(items):
            assert isinstance(item.task, MathTask)
            try:
                gold = clean_gold(item.task.answer)
            except ValueError as exc:
                results[index] = ItemError(str(exc))
                continue
            text = completion_text(item.completion)
            if len(text) > QUICK_MAX_CHARS:  # even extraction goes to a worker, under the budget
                key: tuple[Any, ...] = ("raw", text, gold)
                jobs.setdefault(key, (_check_raw, text, gold, self.answer_tag))
                pending.setdefault(key, []).append(index)
                continue
            extraction = _light(extract_answer(text, answer_tag=self.answer_tag))
            key = (extraction, gold)
            if key in quick:
                results[index] = quick[key]
                continue
            if key not in jobs:
                verdict = _judge_inline(extraction, gold)
                if verdict is not None:
                    quick[key] = results[index] = verdict
                    continue
                jobs[key] = (judge, extraction, gold)
            pending.setdefault(key, []).append(index)

        async def run(key: tuple[Any, ...]) -> None:
            fn, *args = jobs[key]
            outcome = await self._run(fn, *args)
            for index in pending[key]:
                results[index] = outcome

        await asyncio.gather(*(run(key) for key in jobs))
        return [r if r is not None else ItemError("internal error: no verdict") for r in results]

    async def _run(self, fn: Any, *args: Any) -> Outcome:
        try:
            return await self.pool.run(fn, *args, timeout_s=self.timeout_s)  # type: ignore[no-any-return]
        except TimeoutError:
            return ComponentScore(0.0, {"status": "timeout", "budget_s": self.timeout_s})
        except WorkerCrashed as exc:
            log.warning("math worker crashed: %s", exc)
            return ItemError(f"math verifier crashed: {exc}")
        except ValueError as exc:
            return ItemError(str(exc))
        except Exception as exc:  # noqa: BLE001 - one item's failure must not fail the batch
            log.exception("math check failed")
            return ItemError(f"math verifier failed: {type(exc).__name__}: {exc}")


def _judge_inline(extraction: Extraction, gold: str) -> ComponentScore | None:
    """`judge_quick` on the event loop: a surprise sends the item to a worker rather than fail the batch."""
    try:
        return judge_quick(extraction, gold)
    except Exception:  # noqa: BLE001 - the worker path reports it as this item's error
        log.exception("inline math check failed; retrying in a worker")
        return None


def _check_raw(completion: str, gold: str, answer_tag: str) -> ComponentScore:
    return check_math(completion, gold, answer_tag=answer_tag)
