"""Math written with letters: variables, point and segment labels, function names. None of them
is a word of any language, so they belong to neither side of the language ratio.

- a single letter in any script is a symbol (`x`, `θ`, `α`, `П`), also when it is a one-letter
  word ("a", "I", "и", "y"): which of the two a lone letter is cannot be told, and dropping a
  one-letter word from both sides barely moves the ratio;
- a token mixing scripts (`Δx`, `sinθ`) and a Greek token of two letters (`αβ`) is a symbol;
- an upper-case token of two to five letters (`AB`, `ABC`, `ABCD`, `АВС`) is a point, segment or
  polygon label, unless it stands in a run written in capitals (three or more upper-case tokens
  in a row, one of them a function word: "THE ANSWER IS");
- camelCase tokens (`fooBar`, `maxValue`) are identifiers;
- function names (`sin`, `log`, `gcd`, `tg`) are left out wherever they stand; the few that are
  also words (`sin` is Spanish for "without", `tan` Spanish for "so") only when an argument
  follows (`sin x`, `sin(2x)`, `sin^2`, `sin 30°`).
"""

from __future__ import annotations

import re

from reward_server.rewards.language.function_words import LANGUAGE_BITS


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


FUNCTION_NAMES = _names(
    "cos cosh sinh tanh coth sech csch arcsin arccos arctan arccot arcsec arccsc arsinh arcosh "
    "artanh ln lg log exp lim limsup liminf gcd lcm sgn csc cot ctg tg arctg arcctg sqrt cbrt "
    "mod argmax argmin max min"
)
# Also words of some language: names only when an argument follows.
FUNCTION_NAMES_WITH_ARGUMENT = _names("sin tan sec det deg dim ker arg sup inf")
ALL_FUNCTION_NAMES = FUNCTION_NAMES | FUNCTION_NAMES_WITH_ARGUMENT
_ARGUMENT_START = frozenset("([{^_'²³⁻√0123456789")

# A piece of text without these, and without capitals past its first letter, holds no token that
# is no word besides lone letters: digits, Greek letters, Latin next to Cyrillic.
_ODD_CHARACTER = re.compile(r"[\d_\u00B2\u00B3\u00B9\u2070-\u209F\u0370-\u03FF\u1F00-\u1FFF]")
_LATIN_CYRILLIC = re.compile(r"[A-Za-z][\u0400-\u04FF]|[\u0400-\u04FF][A-Za-z]")


def may_hold_symbols(piece: str) -> bool:
    """Whether `piece` may hold a label, an identifier, a Greek or mixed-script symbol (lone
    letters aside); False is certain, True asks for a token-by-token look."""
    body = piece.lstrip()[1:]
    if body.lower() != body or _ODD_CHARACTER.search(piece) is not None:
        return True
    return not piece.isascii() and _LATIN_CYRILLIC.search(piece) is not None


_CAMEL_CASE = re.compile(r"[a-z][A-Z]")
# Latin next to Greek or Cyrillic inside one token.
_MIXED_SCRIPTS = re.compile(r"[A-Za-z][\u0370-\u03FF\u0400-\u04FF]|[\u0370-\u03FF\u0400-\u04FF][A-Za-z]")
_GREEK = re.compile(r"[\u0370-\u03FF\u1F00-\u1FFF]+")
_MAX_LABEL = 5
# Upper-case tokens chains of thought use as words far more often than as labels.
_CAPITAL_WORDS = frozenset({"OK"})


def is_function_name(token: str, piece: str, end: int, next_token: str | None) -> bool:
    """Whether `token` (lower-cased), ending at `end` in `piece`, is a function name: always for
    most names, for `sin`, `tan`... only when an argument follows (a bracket, a power, a digit,
    or a lone letter)."""
    if token in FUNCTION_NAMES:
        return True
    if token not in FUNCTION_NAMES_WITH_ARGUMENT:
        return False
    rest = piece[end : end + 8].lstrip()
    if rest[:1] in _ARGUMENT_START:
        return True
    return next_token is not None and len(next_token) == 1 and rest.startswith(next_token)


def written_in_capitals(tokens: list[str], gaps: list[str]) -> list[bool]:
    """For each token, whether it stands in a run written in capitals ("THE ANSWER IS FIVE"):
    three or more upper-case tokens separated only by spaces or commas, one of them a function
    word. `gaps[i]` is the text between tokens i and i + 1."""
    capitals = [False] * len(tokens)
    start = 0
    while start < len(tokens):
        end = start
        while (
            end < len(tokens)
            and tokens[end].isupper()
            and (end == start or _CAPITALS_GAP.fullmatch(gaps[end - 1]))
        ):
            end += 1
        if end - start >= 3 and any(len(t) > 1 and t.lower() in LANGUAGE_BITS for t in tokens[start:end]):
            capitals[start:end] = [True] * (end - start)
        start = max(end, start + 1)
    return capitals


_CAPITALS_GAP = re.compile(r"[\s,]*")


def symbol_kind(token: str, capitals: bool) -> str | None:
    """Why `token` (as written, not lower-cased) is no word: "symbols", "labels", "identifiers",
    or None when it is a word."""
    if len(token) == 1:
        return "symbols"
    if not capitals and len(token) <= _MAX_LABEL and token.isupper() and token not in _CAPITAL_WORDS:
        return "labels"
    if _CAMEL_CASE.search(token):
        return "identifiers"
    if not token.isascii() and (
        _MIXED_SCRIPTS.search(token) or (len(token) == 2 and _GREEK.fullmatch(token))
    ):
        return "symbols"
    return None
