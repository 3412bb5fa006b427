"""Deciding whether one answer string equals the gold answer: exact, symbolic and numeric checks.

Order of work, cheapest first (steps 1-5 need no parser and run inline in the API process):
1. Identical after normalising spacing, `\\left`/`\\right`, `\\dfrac`: equal.
2. Guards: answers that are too long, too deeply nested, or hold huge exponents/factorials are
   refused in microseconds instead of being handed to sympy and killed at the time budget.
3. An equation against a gold that is not one (`x = 4`, `391 - 16 = 375`): its last right-hand side
   is compared, as math-verify does.
4. Plain numbers on both sides: exact rational arithmetic decides (`numbers`).
5. Polynomials with square roots, and bracketed lists of them: exact canonical forms (`exact_forms`,
   `exact_lists`).
6. Otherwise math-verify parses both (as LaTeX inside `\\boxed{}`, never as free text, which is where
   `4\\sqrt{2}` became `4`) and the mpmath check (`numeric_check`) compares the parsed forms
   independently of sympy's simplification; math-verify's `verify` runs when that does not settle it.

Disagreement rule (recorded in `details["rule"]`):
- the second check found a counterexample (a point where both sides are defined, real and differ at
  50 digits) → not equal, whatever math-verify would say: a witness beats a 15-digit
  `evalf`/`simplify`. Since its "equal" would be overruled, math-verify's `verify` (and its costly
  `simplify`) is not run then (`details["math_verify"] == "not run"`);
- the second check found agreement at every usable point (≥3 for expressions, exact evaluation for
  constants) while math-verify said "not equal" → equal (identities on the real domain such as
  `\\sqrt{1/n}` = `1/\\sqrt{n}`);
- the second check does not apply (strings, inequalities, percentages, unknown functions) →
  math-verify's verdict stands.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Any

import sympy
from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse, verify

from reward_server.rewards.math.equivalence import has_list_separator, list_items, rewrites
from reward_server.rewards.math.exact_forms import forms_equal, parse_exact
from reward_server.rewards.math.exact_lists import (
    exact_lists_equal,
    exact_matrices_equal,
    parse_exact_list,
    parse_exact_matrix,
)
from reward_server.rewards.math.extraction import normalise_answer
from reward_server.rewards.math.guards import (
    disowning,
    guard_reason,
    partial_gold,
    same_numbers,
)
from reward_server.rewards.math.labels import DecidedBy
from reward_server.rewards.math.numbers import PlainNumber, numbers_equal, parse_plain_number
from reward_server.rewards.math.numeric_check import MAX_NODES, Numeric, compare_numeric

__all__ = [
    "NeedsParser",
    "Verdict",
    "compare_answer",
    "answers_equivalent",
    "compare_exact_forms",
    "guard_reason",
    "last_right_hand_side",
    "parse_gold_latex",
    "parse_latex",
]

_LATEX = (LatexExtractionConfig(), ExprExtractionConfig())


class NeedsParser(Exception):
    """Raised in quick mode when the verdict would need math-verify/sympy."""


@dataclass(frozen=True, slots=True)
class Verdict:
    equal: bool
    decided_by: DecidedBy
    details: dict[str, Any]


@lru_cache(maxsize=4096)
def parse_latex(text: str) -> tuple[Any, ...]:
    """math-verify's parse of one answer string, read as LaTeX (cached per worker process)."""
    wrapped = text if "\\boxed" in text else "\\boxed{" + text + "}"
    return tuple(parse(wrapped, extraction_config=_LATEX, parsing_timeout=None))


@lru_cache(maxsize=1024)
def parse_gold_number(gold: str) -> PlainNumber | None:
    """The gold answer as a plain number (cached: a batch repeats each gold across its group)."""
    return parse_plain_number(gold)


_RELATION = re.compile(r"<|>|\\le|\\ge|\\ne|\\approx|\\sim|\\equiv|\\to|\\in\b")


def last_right_hand_side(answer: str, gold: str) -> str | None:
    """For `x = 4` or `391 - 16 = 375` against a gold that is not a relation: the text after the last
    top-level `=`, which is what math-verify compares too. None when that does not apply."""
    if "=" not in answer or "=" in gold or _RELATION.search(gold) or _RELATION.search(answer):
        return None
    depth = 0
    cut = -1
    for i, ch in enumerate(answer):
        if ch in "{([":
            depth += 1
        elif ch in "})]":
            depth -= 1
        elif depth == 0 and ch == ",":
            return None  # "x = 1, y = 2" is a system, not one value
        elif depth == 0 and ch == "=":
            cut = i
    rhs = answer[cut + 1 :].strip() if cut >= 0 else ""
    return rhs or None


def _exact_form(text: str) -> tuple[str, Any] | None:
    listed = parse_exact_list(text)
    if listed is not None:
        return "list", listed
    matrix = parse_exact_matrix(text)
    if matrix is not None:
        return "matrix", matrix
    form = parse_exact(text)
    return None if form is None else ("expr", form)


@lru_cache(maxsize=1024)
def parse_gold_exact(gold: str) -> tuple[str, Any] | None:
    return _exact_form(gold)


def compare_exact_forms(answer: str, gold: str) -> Verdict | None:
    """Exact verdict for rational functions with radicals and pi, lists and matrices of them, else None."""
    gold_form = parse_gold_exact(gold)
    if gold_form is None:
        return None
    answer_form = _exact_form(answer)
    if answer_form is None:
        return None
    (gold_kind, gold_value), (answer_kind, answer_value) = gold_form, answer_form
    if {gold_kind, answer_kind} == {"list", "expr"}:
        return Verdict(
            False, DecidedBy.EXACT, {"rule": "a single value against a bracketed list (or the reverse)"}
        )
    if gold_kind != answer_kind:
        return None
    if gold_kind == "list":
        equal = exact_lists_equal(gold_value, answer_value)
        rule = "exact canonical forms of the elements, brackets compared"
    elif gold_kind == "matrix":
        equal = exact_matrices_equal(gold_value, answer_value)
        rule = "exact canonical forms of the entries"
    else:
        equal = forms_equal(gold_value, answer_value)
        rule = "exact canonical form (rational function with square roots and pi)"
    return None if equal is None else Verdict(equal, DecidedBy.EXACT, {"rule": rule})


@lru_cache(maxsize=1024)
def parse_gold_latex(gold: str) -> tuple[Any, ...]:
    parsed = parse_latex(gold)
    if not parsed:
        # gold given as free text ("The answer is 5"): math-verify's general extraction
        parsed = tuple(parse(gold, parsing_timeout=None))
    return parsed


def first_sympy(parsed: tuple[Any, ...]) -> Any | None:
    return next((p for p in parsed if isinstance(p, (sympy.Basic, sympy.MatrixBase))), None)


def _shown(parsed: tuple[Any, ...]) -> Any | None:
    found = first_sympy(parsed)
    if found is None and parsed:
        return parsed[0]
    return found


def describe(obj: Any) -> str | None:
    """`str()` of a parsed object, only when it is small (str() of a huge tree can itself hang)."""
    if obj is None:
        return None
    if isinstance(obj, str):
        return obj[:200]
    try:
        if isinstance(obj, sympy.Basic) and sum(1 for _ in sympy.preorder_traversal(obj)) > MAX_NODES:
            return "<large expression>"
        return str(obj)[:200]
    except Exception:  # noqa: BLE001 - a description must never fail the verdict
        return "<unprintable>"


MAX_REWRITES = 8


def compare_answer(answer: str, gold: str, *, allow_parser: bool = True) -> Verdict:
    """Is the answer string equal to the gold answer? With the checks that decided it.

    The plain checks first (`_compare_plain`); when they say "not equal", the rewrites a careful
    grader accepts (`equivalence.rewrites`) are compared the same way, and any one equal suffices.
    A check that crashes does not apply (it never becomes the verdict or an item error).
    With `allow_parser=False` only the cheap, bounded checks run and `NeedsParser` is raised when
    they cannot decide.
    """
    disowned = disowning(answer, gold)
    if disowned:
        return Verdict(False, DecidedBy.GUARD, {"refused": disowned})
    both_lists = has_list_separator(gold) and has_list_separator(answer)
    gold_items, answer_items = (list_items(gold), list_items(answer)) if both_lists else ([], [])
    try:
        numbers_only = all(parse_plain_number(item) is not None for item in (*gold_items, *answer_items))
    except Exception:  # noqa: BLE001 - a crash means "this check does not apply"
        numbers_only = False
    if _bare(gold) and _bare(answer) and len(gold_items) >= 2 and len(answer_items) >= 2 and numbers_only:
        # two unbracketed lists of numbers: the same values, counted (a parser reads both as sets)
        listed = _unordered_lists(answer, gold, allow_parser)
        return listed or Verdict(
            False, DecidedBy.EXACT, {"rule": "the lists hold different values or counts"}
        )
    verdict = _compare_safely(answer, gold, allow_parser)
    if verdict.equal:
        return verdict
    tried = {(answer, gold)}
    for rule, new_answer, new_gold in rewrites(answer, gold):
        if (new_answer, new_gold) in tried or len(tried) > MAX_REWRITES:
            continue
        tried.add((new_answer, new_gold))
        rewritten = _compare_safely(new_answer, new_gold, allow_parser)
        if rewritten.equal:
            return Verdict(True, rewritten.decided_by, {**rewritten.details, "rewrite": rule})
    unordered = _unordered_lists(answer, gold, allow_parser)
    return unordered if unordered is not None else verdict


def _bare(text: str) -> bool:
    """Not wrapped in brackets, braces or a matrix: "1, 2, 3" rather than "(1, 2, 3)"."""
    s = text.strip().strip("$").strip()
    return not s.startswith(("(", "[", "{", "\\{", "\\left", "\\begin")) and "\\cup" not in s


def _rounded_constant(answer: str, gold: str, parsed_answer: Any, parsed_gold: Any) -> str | None:
    """The rounding policy (`numbers.rounds_to`) between a plain decimal and a constant the parser
    evaluated (`3.14` for `\\pi`, `6.67` for `20/3`); the rule's text, or None."""
    try:
        pairs = (
            (parse_plain_number(answer), parsed_gold, True),
            (parse_gold_number(gold), parsed_answer, False),
        )
    except Exception:  # noqa: BLE001 - a crash means "this check does not apply"
        return None
    for number, other, answer_is_decimal in pairs:
        if number is None or not number.decimal or not isinstance(other, sympy.Expr):
            continue
        if other.free_symbols or not other.is_number:
            continue
        try:
            value = Fraction(str(sympy.N(other, 40)))
        except (TypeError, ValueError, ArithmeticError):
            continue
        exact = PlainNumber(value)
        equal, rule = numbers_equal(exact, number) if answer_is_decimal else numbers_equal(number, exact)
        if equal and "rounded" in rule:
            return rule
    return None


def _unordered_lists(answer: str, gold: str, allow_parser: bool) -> Verdict | None:
    """A bare (unbracketed) gold list against the same values, labelled or in another order."""
    gold_items, answer_items = list_items(gold), list_items(answer)
    if len(gold_items) < 2 or len(gold_items) != len(answer_items) or not _bare(gold):
        return None
    if len(gold_items) > 12:
        return None
    remaining = list(answer_items)
    for item in gold_items:
        match = next((r for r in remaining if _compare_safely(r, item, allow_parser).equal), None)
        if match is None:
            return None
        remaining.remove(match)
    return Verdict(
        True, DecidedBy.EXACT, {"rule": "the same values as the gold's list, labelled or in another order"}
    )


def _compare_safely(answer: str, gold: str, allow_parser: bool) -> Verdict:
    try:
        return _compare_plain(answer, gold, allow_parser=allow_parser)
    except NeedsParser:
        raise
    except Exception as exc:  # noqa: BLE001 - a crash means "this check does not apply", never a verdict
        return Verdict(False, DecidedBy.ERROR, {"rule": f"no check applies ({type(exc).__name__})"})


def _compare_plain(answer: str, gold: str, *, allow_parser: bool = True) -> Verdict:
    """The checks on the strings as written (see the module docstring for their order).

    With `allow_parser=False` only the cheap, bounded checks run (string, guards, exact numbers) and
    `NeedsParser` is raised when they cannot decide.
    """
    if normalise_answer(answer) == normalise_answer(gold) and normalise_answer(gold):
        return Verdict(
            True, DecidedBy.STRING, {"rule": "identical after normalising spacing and \\left/\\right"}
        )
    refused = guard_reason(answer)
    if refused:
        return Verdict(False, DecidedBy.GUARD, {"refused": refused})
    rhs = last_right_hand_side(answer, gold)
    if rhs is not None:
        verdict = _compare_plain(rhs, gold, allow_parser=allow_parser)
        return Verdict(
            verdict.equal,
            verdict.decided_by,
            {**verdict.details, "compared": f"right-hand side {rhs[:100]!r}"},
        )
    exact = _compare_numbers(answer, gold)
    if exact is None:
        exact = compare_exact_forms(answer, gold)
    if exact is not None:
        return exact
    if not allow_parser:
        raise NeedsParser
    return _compare_parsed(answer, gold)


def _compare_numbers(answer: str, gold: str) -> Verdict | None:
    """The exact verdict when both are plain numbers, else None."""
    gold_number = parse_gold_number(gold)
    if gold_number is None:
        return None
    answer_number = parse_plain_number(answer)
    if answer_number is None:
        return None
    equal, rule = numbers_equal(gold_number, answer_number)
    return Verdict(
        equal,
        DecidedBy.EXACT,
        {
            "gold_value": gold_number.describe(),
            "answer_value": answer_number.describe(),
            "rule": rule,
        },
    )


def _compare_parsed(answer: str, gold: str) -> Verdict:
    """The checks on the parsed forms: math-verify, the numeric second check and the guards."""
    info: dict[str, Any] = {}
    gold_parsed = parse_gold_latex(gold)
    answer_parsed = parse_latex(answer)
    info["parsed_gold"] = describe(_shown(gold_parsed))
    info["parsed_answer"] = describe(_shown(answer_parsed))
    if not answer_parsed:
        return Verdict(False, DecidedBy.MATH_VERIFY, {**info, "rule": "answer could not be parsed"})
    g, a = first_sympy(gold_parsed), first_sympy(answer_parsed)
    rounded = _rounded_constant(answer, gold, a, g)
    if rounded is not None:
        return Verdict(True, DecidedBy.EXACT, {**info, "rule": rounded})
    numeric, why = (Numeric.UNKNOWN, "no sympy form") if g is None or a is None else compare_numeric(g, a)
    info["second_check"] = numeric.value
    info["second_check_reason"] = why
    if numeric is Numeric.NOT_EQUAL:
        # The rule below would overrule an "equal" from math-verify anyway: don't pay for simplify().
        info["math_verify"] = "not run"
        return Verdict(
            False,
            DecidedBy.SECOND_CHECK,
            {**info, "rule": "counterexample: not equal whatever math-verify says"},
        )
    mv_equal = bool(verify(list(gold_parsed), list(answer_parsed), timeout_seconds=None))
    info["math_verify"] = mv_equal
    if (
        (mv_equal or numeric is Numeric.EQUAL)
        and partial_gold(gold, gold_parsed)
        and not same_numbers(answer, gold)
    ):
        info["rule"] = "the gold was read only in part: its numbers and the answer's differ, so no credit"
        return Verdict(False, DecidedBy.GUARD, info)
    if numeric is Numeric.UNKNOWN:
        return Verdict(
            mv_equal,
            DecidedBy.MATH_VERIFY,
            {**info, "rule": "second check not applicable: math-verify decides"},
        )
    if mv_equal:
        return Verdict(True, DecidedBy.BOTH, {**info, "rule": "checks agree"})
    rule = "disagreement: numeric identity on the real domain beats math-verify's inequality"
    return Verdict(True, DecidedBy.SECOND_CHECK, {**info, "disagreement": True, "rule": rule})


def answers_equivalent(first: str, second: str, *, allow_parser: bool = True) -> bool:
    """Whether two extracted answer strings (e.g. two samples' final answers) are the same answer.

    Symmetric: `second` is read as the reference for `first` and the reverse, and either verdict of
    "equal" suffices (the checks are one-sided only in how they read a gold). Never raises: an answer
    a check cannot handle is simply not equivalent. With `allow_parser=False` only the parser-free
    checks run (microseconds; for grouping votes on the event loop) and undecided pairs count as different.
    """
    for reference, candidate in ((second, first), (first, second)):
        try:
            if compare_answer(candidate, reference, allow_parser=allow_parser).equal:
                return True
        except NeedsParser:
            continue
        except Exception:  # noqa: BLE001 - a crash in a check means "that check does not apply"
            continue
    return False
