"""Rewrites a careful grader accepts: the same answer in another notation.

Each rewrite turns (answer, gold) into another pair that means the same; the caller compares the
rewritten pair with the ordinary checks, so a rewrite can only make two answers equal when their
contents are. Linear-time string work on answers of at most `MAX_ANSWER_CHARS`.

- Labels: `m_{\\max}=n^2-n-1` vs `n^2-n-1`; `w=16, d=3, a=1, b=1` vs `16,3,1,1`; `Minimum: 1, Maximum: 3`
  vs `1,3`; `(f(n), g(n)) = (n, 1)` vs `f(n)=n, g(n)=1`; trailing qualifiers (`\\text{ for all } n`).
- Intervals and inequalities, any variable: `k < -5` vs `(-\\infty,-5)`, `3<\\lambda\\le 4` vs `(3,4]`,
  `\\{x \\mid -1<x<1\\}` vs `(-1,1)`, `x<-3 \\text{ or } x>3` vs a union, `a\\le -2 \\text{ or } a=1` vs
  `(-\\infty,-2]\\cup\\{1\\}`.
- A column vector vs a tuple; a chain `b < a < d < c` vs the ordered list `b, a, d, c`.
- Renamed bound variables: `f(z)=z` vs `f(x)=x` (a function's argument); a parameter declared by
  the answer ("for some integer t") or conventional integer parameters (`k`, `n`, `m`) and constants
  written in another case (`C` vs `c`).
- Degrees vs radians (`30^\\circ` for `\\frac{\\pi}{6}`); multiple-choice letters with their option text.
- A gold sentence naming its answer: "Petya will receive the last token." for `Petya`,
  "The transformed function … is odd." for `odd`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from fractions import Fraction

__all__ = ["choice_letter", "has_list_separator", "interval_form", "list_items", "rewrites", "strip_label"]

_LABEL = re.compile(
    r"^\s*(?:\\?(?:left)?\((?:[^=()\d]|\([a-zA-Z]\))*\\?(?:right)?\)|\\text\{[^{}]*\}|"
    r"[A-Za-z][A-Za-z ]{0,24}(?:\s*\d+)?|\\?[A-Za-z]+(?:_\{?[^=:{}]*\}?)?(?:\([^()=]*\))?|"
    r"\\[a-zA-Z]+)\s*(?:=|:)(?!=)\s*"
)
_QUALIFIER = re.compile(
    r"(?:,?\s*\\(?:text|mathrm|textrm)\{\s*(?:,?\s*)?(?:for|where|when|with|if|such that)\b[^{}]*\}.*"
    r"|,?\s*\\quad.*\\text\{\s*(?:for|where)\b.*|\s*,\s*(?:where|for)\s.*|\s*\(\s*(?:for|where)\s[^()]*\)\s*)$",
    re.IGNORECASE,
)
_DECLARED = re.compile(
    r"(?:for (?:some|all|any|every)?\s*(?:integers?|reals?|real numbers?|constants?)?\s*|where\s*|"
    r"with\s*)\}?\s*\$?\s*([a-zA-Z])\b|([a-zA-Z])\s*\\in\s*\\mathbb\{[ZNR]\}"
)
_INTEGER_PARAMETERS = {"k", "n", "m"}
_FUNCTION_DEF = re.compile(r"^\s*([a-zA-Z])\s*\(\s*([a-zA-Z])\s*\)\s*=")
_RELATION = r"(<|>|\\le(?:q|qslant)?\b|\\ge(?:q|qslant)?\b|\\lt\b|\\gt\b)"
_CHAIN = re.compile(
    rf"^\s*(?P<a>[^<>\\]*?|[^<>]*?)\s*{_RELATION}\s*(?P<v>[a-zA-Z](?:_\{{?\w+\}}?)?|\\[a-zA-Z]+)\s*{_RELATION}\s*(?P<b>.+?)\s*$"
)
_ONE_SIDED = re.compile(rf"^\s*(?P<v>[a-zA-Z](?:_\{{?\w+\}}?)?|\\[a-zA-Z]+)\s*{_RELATION}\s*(?P<b>.+?)\s*$")
_ONE_SIDED_REVERSED = re.compile(
    rf"^\s*(?P<b>.+?)\s*{_RELATION}\s*(?P<v>[a-zA-Z](?:_\{{?\w+\}}?)?|\\[a-zA-Z]+)\s*$"
)
_EQUALS_POINT = re.compile(r"^\s*(?P<v>[a-zA-Z](?:_\{?\w+\}?)?)\s*=\s*(?P<b>[^=<>]+?)\s*$")
_SET_BUILDER = re.compile(r"^\\\{\s*([a-zA-Z])\s*(?:\\mid|\||:|\\vert)\s*(.+?)\s*\\\}(.*)$")
_OR = re.compile(r"\\text\{\s*or\s*\}|\\mathrm\{\s*or\s*\}|\\lor\b|\\vee\b|\bor\b")
_COLUMN = re.compile(r"^\\begin\{([pb])matrix\}(.*)\\end\{\1matrix\}$", re.DOTALL)
_DEGREES = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*(?:\^\s*\{?\s*\\circ\s*\}?|°)\s*$")
_CHOICE = re.compile(
    r"^\s*(?:\\text\{\s*)?\(?\s*([A-J])\s*\)?(?:\s*\}\s*)?(?:\s*[:.)]\s*.*|\s+\S.*)?$", re.DOTALL
)
_SENTENCE = re.compile(
    r"^(?P<subject>[A-Z][\w ]{0,40}?)\s+"
    r"(?:will|can|must|should|wins?|has|have|gets?|is|are|was)\b(?P<rest>.*)$"
)
_COMPLEMENT = re.compile(r"\b(?:is|are|was)\s+(?!not\b)(?P<c>[\w -]{1,40}?)\s*\.?\s*$")
# Both sides must look like sets, intervals or inequalities before one is read as the other
_SET_LIKE = re.compile(
    r"\\infty|\\cup|\\cap|<|>|\\[lg]e|\\[lg]t\b|\\\{|\\in\b|\\mid|^\s*(?:\\left)?[(\[].*,.*[)\]]\s*$"
)
_AND = re.compile(r"\\text\{\s*and\s*\}|\s+and\s+|\\quad")
_COMMA = re.compile(",")
_SPACING = re.compile(r"\\[,;:! ]|\\quad")
_TRAILING_TEXT_LABEL = re.compile(r"(?<=[\d}])\s*\\text\{[^{}]*\}\s*$")
_STOP = {"the", "a", "an", "it", "this", "that", "there", "which"}


def _top_level_split(text: str, separators: re.Pattern[str]) -> list[str]:
    parts, depth, last = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif depth == 0 and ch in ",;" and separators.pattern == ",":
            parts.append(text[last:i])
            last = i + 1
    parts.append(text[last:])
    return parts


def has_list_separator(text: str) -> bool:
    return "," in text or ";" in text or "and" in text or "\\quad" in text


def list_items(text: str) -> list[str]:
    """Top-level items of a comma/semicolon/"and" list, each without its label."""
    if not has_list_separator(text):
        return [text.strip()] if text.strip() else []
    body = _AND.sub(",", text)
    items = [strip_label(p) for p in _top_level_split(body, _COMMA)]
    return [i for i in items if i]


def strip_label(text: str) -> str:
    """`x = 5` → `5`, `Maximum: 3` → `3`, `m_{\\max}=n^2` → `n^2`, `40 \\text{ candies}` → `40`."""
    s = _SPACING.sub(" ", text).strip().strip("$").strip()
    s = _QUALIFIER.sub("", s).strip()
    m = _LABEL.match(s)
    if m and m.end() < len(s) and "=" not in s[m.end() :]:
        s = s[m.end() :]
    if "\\text" in s:
        s = _TRAILING_TEXT_LABEL.sub("", s)
    return s.strip().rstrip(".").strip()


def _expand_tuple_equation(text: str) -> str | None:
    """`(f(n), g(n)) = (n, 1)` → `f(n)=n, g(n)=1`."""
    text = _QUALIFIER.sub("", text)
    m = re.match(r"^\s*\\?(?:left)?\((.*)\\?(?:right)?\)\s*=\s*\\?(?:left)?\((.*)\\?(?:right)?\)\s*$", text)
    if not m:
        return None
    left, right = _top_level_split(m.group(1), re.compile(",")), _top_level_split(m.group(2), re.compile(","))
    if len(left) != len(right) or len(left) < 2:
        return None
    return ", ".join(f"{a.strip()}={b.strip()}" for a, b in zip(left, right, strict=True))


def _flip(relation: str) -> str:
    return {"<": ">", ">": "<"}.get(
        relation, relation.replace("le", "GE").replace("ge", "le").replace("GE", "ge")
    )


def _strict(relation: str) -> bool:
    return relation in ("<", ">", "\\lt", "\\gt")


def _upper(relation: str) -> bool:
    return relation in ("<", "\\lt") or relation.startswith("\\le")


def _one_piece(text: str) -> str | None:
    s = text.strip().strip("$").strip()
    s = re.sub(r"\\left|\\right", "", s)
    if m := _CHAIN.match(s):
        lo, r1, _, r2, hi = m.group("a"), m.group(2), m.group("v"), m.group(4), m.group("b")
        if _upper(r1) != _upper(r2):
            return None
        if not _upper(r1):  # 5 > x > 1
            lo, hi, r1, r2 = hi, lo, _flip(r2), _flip(r1)
        return f"{'(' if _strict(r1) else '['}{lo.strip()}, {hi.strip()}{')' if _strict(r2) else ']'}"
    for pattern, reverse in ((_ONE_SIDED, False), (_ONE_SIDED_REVERSED, True)):
        if m := pattern.match(s):
            relation, bound = m.group(2), m.group("b").strip()
            if reverse:
                relation = _flip(relation)
            if re.search(r"[<>=]|\\[lg]e", bound):
                return None
            if _upper(relation):
                return f"(-\\infty, {bound}{')' if _strict(relation) else ']'}"
            return f"{'(' if _strict(relation) else '['}{bound}, \\infty)"
    if m := _EQUALS_POINT.match(s):
        return f"\\{{{m.group('b')}\\}}"
    return None


def interval_form(text: str) -> str | None:
    """An inequality (chain, one-sided, unions by "or", set-builder) in one variable as interval
    notation, or None. `x \\in (1,2)` → `(1,2)`."""
    s = text.strip().strip("$").strip()
    if len(s) > 300:
        return None
    if m := _SET_BUILDER.match(s):
        inside = interval_form(m.group(2))
        rest = m.group(3).strip()
        if not rest or inside is None:
            return inside
        point = re.fullmatch(r"(?:-|\\setminus)\s*\\\{\s*([^{}]+?)\s*\\\}", rest)
        return _remove_point(inside, point.group(1)) if point else None
    m = re.match(r"^\s*[a-zA-Z]\s*\\in\s*(.+)$", s)
    if m:
        return m.group(1).strip()
    parts = [p for p in _OR.split(s) if p.strip()]
    if len(parts) == 1 and "," in s and not re.search(r"\\(?:in|mid)", s):
        return None
    pieces = [_one_piece(p.strip().strip(",")) for p in parts]
    if any(p is None for p in pieces):
        return None
    return " \\cup ".join(p for p in pieces if p is not None)


def _remove_point(interval: str, point: str) -> str | None:
    """`(-\\infty, 3/2)` without `-6` → `(-\\infty, -6) \\cup (-6, 3/2)`; plain-number ends only."""
    from reward_server.rewards.math.numbers import parse_plain_number

    m = re.fullmatch(r"([(\[])\s*(.+?)\s*,\s*(.+?)\s*([)\]])", interval)
    p = parse_plain_number(point)
    if not m or p is None:
        return None
    ends: list[Fraction | None] = []
    for end in (m.group(2), m.group(3)):
        if "infty" in end:
            ends.append(None)
            continue
        value = parse_plain_number(end)
        if value is None:
            return None
        ends.append(value.value)
    low, high = ends
    if (low is not None and p.value <= low) or (high is not None and p.value >= high):
        return None
    return f"{m.group(1)}{m.group(2)}, {point}) \\cup ({point}, {m.group(3)}{m.group(4)}"


def _column_as_tuple(text: str) -> str | None:
    m = _COLUMN.match(text.strip())
    if not m or "&" in m.group(2):
        return None
    rows = [r.strip() for r in m.group(2).split("\\\\") if r.strip()]
    return f"({', '.join(rows)})" if len(rows) > 1 else None


def _rename(text: str, old: str, new: str) -> str:
    return re.sub(rf"(?<![\\a-zA-Z]){re.escape(old)}(?![a-zA-Z])", new, text)


def _free_letters(text: str) -> set[str]:
    return set(re.findall(r"(?<![\\a-zA-Z])([a-zA-Z])(?![a-zA-Z])", re.sub(r"\\[a-zA-Z]+", " ", text)))


def _renamings(answer: str, gold: str, declared_in: str | None = None) -> Iterator[tuple[str, str]]:
    """(label, answer with one bound variable renamed to the gold's); `declared_in`: where the answer
    declares its parameters ("for some integer t"), when its qualifier was already dropped."""
    fa, fg = _FUNCTION_DEF.match(answer), _FUNCTION_DEF.match(gold)
    if fa and fg and fa.group(1) == fg.group(1) and fa.group(2) != fg.group(2):
        yield "function argument renamed", _rename(answer, fa.group(2), fg.group(2))
    ours, theirs = _free_letters(answer) - _free_letters(gold), _free_letters(gold) - _free_letters(answer)
    if len(ours) == 1 and len(theirs) == 1:
        (a,), (g,) = ours, theirs
        declared = {x for m in _DECLARED.finditer(declared_in or answer) for x in m.groups() if x}
        if a in declared or {a, g} <= _INTEGER_PARAMETERS or a.lower() == g.lower():
            yield "parameter renamed", _rename(_QUALIFIER.sub("", answer), a, g)


def choice_letter(text: str) -> str | None:
    m = _CHOICE.match(text)
    return m.group(1) if m else None


def _sentence_answers(gold: str) -> list[str]:
    """The subject and the "is" complement of a one-sentence gold ("X will win", "… is odd")."""
    s = re.sub(r"\$[^$]*\$", "EXPR", gold.strip())
    if len(s) > 200 or not re.search(r"[a-z]{3,}\s+[a-z]{3,}", s) or re.search(r"\b(?:not|no|never)\b", s):
        return []
    found = []
    if m := _SENTENCE.match(s):
        subject = m.group("subject").strip()
        if subject.lower() not in _STOP and "EXPR" not in subject and len(subject.split()) <= 3:
            found.append(subject)
    if m := _COMPLEMENT.search(s):
        words = [w for w in m.group("c").split() if w.lower() not in _STOP]
        if words and len(words) <= 3:
            found.append(" ".join(words))
    return found


def _plain_words(text: str) -> str:
    s = re.sub(r"\\(?:text|mathrm|textbf)\{([^{}]*)\}", r"\1", text).strip().strip("$.").strip()
    return " ".join(w for w in s.lower().split() if w not in _STOP)


def rewrites(answer: str, gold: str) -> Iterator[tuple[str, str, str]]:
    """(rule, answer', gold') pairs meaning the same as (answer, gold), most specific first."""
    if (letter := choice_letter(gold)) is not None and re.fullmatch(
        r"\s*(?:\\text\{)?\(?[A-J]\)?\}?\s*", gold
    ):
        chosen = choice_letter(answer)
        if chosen is not None:
            yield "multiple-choice letter", chosen, letter
        return
    yield from _notation_rewrites(answer, gold)
    yield from _label_rewrites(answer, gold)
    yield from _shape_rewrites(answer, gold)
    words = _plain_words(answer)
    if words and re.fullmatch(r"[a-z][a-z -]{0,40}", words):
        for stated in _sentence_answers(gold):
            if _plain_words(stated) == words:
                yield "the answer the gold sentence states", stated, stated


def _notation_rewrites(answer: str, gold: str) -> Iterator[tuple[str, str, str]]:
    """A decimal comma, an inequality for an interval, renamed variables, a tuple equation."""
    for one, other in ((answer, gold), (gold, answer)):  # decimal comma: "1,22" written for 1.22
        if re.fullmatch(r"\s*-?\d+,\d+\s*", one) and one.strip().replace(",", ".") == other.strip():
            yield "decimal comma", other, other
    answer_interval, gold_interval = interval_form(answer), interval_form(gold)
    if (answer_interval or gold_interval) and _SET_LIKE.search(answer) and _SET_LIKE.search(gold):
        yield "inequality as an interval", answer_interval or answer, gold_interval or gold
    for label, renamed in _renamings(answer, gold):
        yield label, renamed, gold
    expanded = _expand_tuple_equation(answer)
    if expanded is not None:
        yield "tuple equation expanded", expanded, gold


def _label_rewrites(answer: str, gold: str) -> Iterator[tuple[str, str, str]]:
    """Labels and qualifiers dropped (then variables renamed), labelled lists."""
    stripped_answer, stripped_gold = strip_label(answer), strip_label(gold)
    if (stripped_answer, stripped_gold) != (answer.strip(), gold.strip()):
        yield "label or qualifier dropped", stripped_answer, stripped_gold
        for label, renamed in _renamings(stripped_answer, stripped_gold, declared_in=answer):
            yield f"label dropped, {label}", renamed, stripped_gold
    answer_items = list_items(answer) if has_list_separator(answer) else []
    gold_items = list_items(gold) if has_list_separator(gold) else []
    if len(answer_items) > 1 and len(answer_items) == len(gold_items):
        yield "labelled list", ", ".join(answer_items), ", ".join(gold_items)


def _shape_rewrites(answer: str, gold: str) -> Iterator[tuple[str, str, str]]:
    """Column vectors as tuples, an order chain as a list, an equation solved for y, degrees."""
    column = _column_as_tuple(gold)
    if column is not None:
        yield "column vector as a tuple", answer, column
    if (column := _column_as_tuple(answer)) is not None:
        yield "column vector as a tuple", column, gold
    chain = re.split(r"\s*<\s*", gold.strip())
    if len(chain) > 2 and all(re.fullmatch(r"[a-zA-Z](?:_\{?\w+\}?)?", c) for c in chain):
        yield "order chain as a list", answer, ", ".join(chain)
    if (
        re.match(r"^\s*y\b[^=]*=", gold)
        and "=" not in answer
        and not re.search(r"(?<![\\a-zA-Z])y(?![a-zA-Z])", answer)
    ):
        yield "the gold's equation solved for y", f"y = {answer}", gold
    if (m := _DEGREES.match(answer)) and "\\pi" in gold and "circ" not in gold:
        yield "degrees as radians", f"\\frac{{{m.group(1)}\\pi}}{{180}}", gold
