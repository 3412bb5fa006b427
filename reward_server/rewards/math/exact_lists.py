"""Bracketed lists (tuples, intervals, sets) and matrices of exact forms (see `exact_forms`).

`(1, 2)`, `[-3, 4)`, `\\{1, 2\\}`, `(-\\infty, 3]`, `\\begin{pmatrix}1 & 2\\end{pmatrix}`: each element is an
exact canonical form, so equality is decided element by element without a parser.
"""

from __future__ import annotations

import re
from fractions import Fraction

from reward_server.rewards.math.exact_forms import (
    ONE,
    Monomial,
    Ratio,
    clean_exact_text,
    forms_equal,
    parse_exact,
)

__all__ = [
    "exact_lists_equal",
    "exact_matrices_equal",
    "parse_exact_list",
    "parse_exact_matrix",
    "split_top_level",
]

_LIST = re.compile(r"^(\\\{|[(\[])(.*)(\\\}|[)\]])$")


_INFINITY = {"\\infty": 1, "+\\infty": 1, "-\\infty": -1}
_INFINITY_KEY: Monomial = ((("\\infty", 1),), 1)


def split_top_level(body: str, separator: str) -> list[str] | None:
    parts, depth, last = [], 0, 0
    i = 0
    while i < len(body):
        ch = body[i]
        if ch in "({[":
            depth += 1
        elif ch in ")}]":
            depth -= 1
            if depth < 0:
                return None
        elif depth == 0 and body.startswith(separator, i):
            parts.append(body[last:i])
            i += len(separator)
            last = i
            continue
        i += 1
    parts.append(body[last:])
    return parts


def _element(text: str) -> Ratio | None:
    if text in _INFINITY:  # only as a whole element: an interval's end
        return Ratio({_INFINITY_KEY: Fraction(_INFINITY[text])}, ONE)
    return parse_exact(text)


def parse_exact_list(text: str) -> tuple[str, list[Ratio]] | None:
    """`(a, b)`, `[a, b)`, `\\{a, b\\}`, `(-\\infty, 3]` with exact elements: (brackets, elements), else None.

    A bracket next to an infinite end is read as open, as sympy's `Interval` does (`[-\\infty, 3]`).
    """
    cleaned = clean_exact_text(text)
    if not cleaned:
        return None
    m = _LIST.match(cleaned)
    if not m or "," not in m.group(2):
        return None
    parts = split_top_level(m.group(2), ",")
    if parts is None:
        return None
    elements = [_element(p) for p in parts]
    if any(e is None for e in elements):
        return None
    items = [e for e in elements if e is not None]
    opening, closing = m.group(1), m.group(3)
    if len(items) == 2 and opening in "([" and closing in ")]":
        if _INFINITY_KEY in items[0].num:
            opening = "("
        if _INFINITY_KEY in items[1].num:
            closing = ")"
    elif any(_INFINITY_KEY in item.num for item in items):
        return None  # infinity inside a set or a longer tuple: not ours
    return opening + closing, items


_MATRIX = re.compile(r"^\\begin\{([pb])matrix\}(.*)\\end\{\1matrix\}$")


def parse_exact_matrix(text: str) -> list[list[Ratio]] | None:
    """A `pmatrix`/`bmatrix` of exact entries as rows, else None (both brackets mean the same matrix)."""
    cleaned = clean_exact_text(text)
    if not cleaned:
        return None
    m = _MATRIX.match(cleaned)
    if not m:
        return None
    rows = split_top_level(m.group(2).strip().removesuffix("\\\\"), "\\\\")
    if not rows:
        return None
    matrix: list[list[Ratio]] = []
    for row in rows:
        cells = split_top_level(row, "&")
        if cells is None:
            return None
        parsed = [parse_exact(cell) for cell in cells]
        if any(p is None for p in parsed):
            return None
        matrix.append([p for p in parsed if p is not None])
    if len({len(row) for row in matrix}) != 1:
        return None
    return matrix


def _all_equal(pairs: list[tuple[Ratio, Ratio]]) -> bool | None:
    undecided = False
    for a, b in pairs:
        equal = forms_equal(a, b)
        if equal is False:
            return False
        undecided |= equal is None
    return None if undecided else True


def exact_lists_equal(gold: tuple[str, list[Ratio]], answer: tuple[str, list[Ratio]]) -> bool | None:
    """Same brackets and equal elements (in order; as sets for `\\{...\\}`); None if undecidable here."""
    (gold_brackets, gold_items), (answer_brackets, answer_items) = gold, answer
    if gold_brackets != answer_brackets or len(gold_items) != len(answer_items):
        return False
    if gold_brackets == "\\{\\}":
        remaining = list(answer_items)
        for item in gold_items:
            match = next((r for r in remaining if forms_equal(item, r)), None)
            if match is None:
                return None if any(forms_equal(item, r) is None for r in remaining) else False
            remaining.remove(match)
        return True
    return _all_equal(list(zip(gold_items, answer_items, strict=True)))


def exact_matrices_equal(gold: list[list[Ratio]], answer: list[list[Ratio]]) -> bool | None:
    if len(gold) != len(answer) or len(gold[0]) != len(answer[0]):
        return False
    return _all_equal(
        [(g, a) for grow, arow in zip(gold, answer, strict=True) for g, a in zip(grow, arow, strict=True)]
    )
