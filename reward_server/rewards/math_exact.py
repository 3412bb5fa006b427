"""Exact canonical forms for the answers most problems have: polynomials with rational coefficients
and square roots of rationals (`(x+1)^2`, `2\\sqrt{3}`, `\\frac{\\sqrt{2}}{2}`, `391 - 16`), and
bracketed lists of them (`(1, 2)`, `[-3, 4)`, `\\{1, 2\\}`).

An expression in this class has a unique expanded form: a sum of monomials, each a rational
coefficient times powers of single-letter variables times `\\sqrt{r}` with `r` a square-free integer
(square roots of distinct square-free integers are linearly independent over the rationals). Two
answers are equal exactly when their forms are equal, with no parser, no `simplify` and no
floating point. Anything outside the class (other functions, division by a variable, decimals,
`e`, `i`, ambiguous notation like `2^10` or `1/2x`) returns None and goes to the general path.
"""

from __future__ import annotations

import re
from fractions import Fraction
from math import gcd

__all__ = ["ExactForm", "parse_exact", "parse_exact_list", "exact_lists_equal"]

Monomial = tuple[tuple[tuple[str, int], ...], int]  # ((variable, power), ...), square-free radicand
ExactForm = dict[Monomial, Fraction]

MAX_DEGREE = 40
MAX_TERMS = 500
MAX_CONST_EXPONENT = 2000
MAX_RADICAND = 10**12
MAX_CHARS = 300

_NOISE = re.compile(r"\\left|\\right|\\[,;:! ]|\\quad|\\qquad|\\displaystyle|\s+")
_TOKEN = re.compile(r"\\[dt]?frac|\\sqrt|\\cdot|\\times|\\[a-zA-Z]+|\d+(?:\.\d+)?|[a-zA-Z]|[-+*/^(){}\[\]]|.")
_FORBIDDEN_VARS = {"e", "i"}


class _Refuse(Exception):
    """Outside the exact class."""


def _squarefree(n: int) -> tuple[int, int]:
    """n = outside^2 * inside with `inside` square-free."""
    if n > MAX_RADICAND:
        raise _Refuse
    outside, inside = 1, n
    p = 2
    while p * p <= inside:
        while inside % (p * p) == 0:
            inside //= p * p
            outside *= p
        p += 1
    return outside, inside


def _const(value: Fraction, radicand: int = 1) -> ExactForm:
    return {((), radicand): value} if value else {}


def _add(a: ExactForm, b: ExactForm, sign: int = 1) -> ExactForm:
    out = dict(a)
    for mono, coef in b.items():
        value = out.get(mono, Fraction(0)) + sign * coef
        if value:
            out[mono] = value
        else:
            out.pop(mono, None)
    return out


def _mul(a: ExactForm, b: ExactForm) -> ExactForm:
    out: ExactForm = {}
    for (vars_a, rad_a), coef_a in a.items():
        for (vars_b, rad_b), coef_b in b.items():
            powers = dict(vars_a)
            for var, power in vars_b:
                powers[var] = powers.get(var, 0) + power
            if sum(powers.values()) > MAX_DEGREE:
                raise _Refuse
            g = gcd(rad_a, rad_b)
            mono = (tuple(sorted(powers.items())), rad_a * rad_b // (g * g))
            value = out.get(mono, Fraction(0)) + coef_a * coef_b * g
            if value:
                out[mono] = value
            else:
                out.pop(mono, None)
    if len(out) > MAX_TERMS:
        raise _Refuse
    return out


def _inverse(a: ExactForm) -> ExactForm:
    """1/a for a single constant monomial c*sqrt(r): sqrt(r)/(c*r)."""
    if len(a) != 1:
        raise _Refuse
    ((variables, rad), coef) = next(iter(a.items()))
    if variables or coef == 0:
        raise _Refuse
    return {((), rad): 1 / (coef * rad)}


def _sqrt(a: ExactForm) -> ExactForm:
    if not a:
        return {}
    if len(a) != 1:
        raise _Refuse
    ((variables, rad), coef) = next(iter(a.items()))
    if variables or rad != 1 or coef < 0:
        raise _Refuse
    # sqrt(p/q) = sqrt(p*q)/q
    out_n, in_n = _squarefree(coef.numerator * coef.denominator)
    return _const(Fraction(out_n, coef.denominator), in_n)


def _power(base: ExactForm, exponent: ExactForm) -> ExactForm:
    if len(exponent) > 1 or (exponent and next(iter(exponent)) != ((), 1)):
        raise _Refuse
    n = next(iter(exponent.values())) if exponent else Fraction(0)
    if n.denominator != 1:
        raise _Refuse
    k = int(n)
    constant = all(not variables for variables, _ in base)
    if abs(k) > (MAX_CONST_EXPONENT if constant else MAX_DEGREE):
        raise _Refuse
    if k < 0:
        base, k = _inverse(base), -k
    result: ExactForm = _const(Fraction(1))
    square = base
    while k:  # square-and-multiply keeps constant powers cheap
        if k & 1:
            result = _mul(result, square)
        k >>= 1
        if k:
            square = _mul(square, square)
    return result


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _TOKEN.findall(text)
        self.pos = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None or (expected is not None and token != expected):
            raise _Refuse
        self.pos += 1
        return token

    def parse(self) -> ExactForm:
        value = self.expression()
        if self.peek() is not None:
            raise _Refuse
        return value

    def expression(self) -> ExactForm:
        sign = 1
        if self.peek() in ("+", "-"):
            sign = -1 if self.take() == "-" else 1
        value = self.term()
        if sign < 0:
            value = _add({}, value, -1)
        while self.peek() in ("+", "-"):
            op = self.take()
            value = _add(value, self.term(), -1 if op == "-" else 1)
        return value

    def term(self) -> ExactForm:
        value = self.power()
        while True:
            token = self.peek()
            if token in ("\\cdot", "\\times", "*"):
                self.take()
                value = _mul(value, self.power())
            elif token == "/":
                self.take()
                value = _mul(value, _inverse(self.power()))
                if self.peek() is not None and self.peek() not in ("+", "-", ")", "}", "]", ","):
                    raise _Refuse  # "1/2x": is it x/2 or 1/(2x)? Not ours to guess.
            elif token is not None and token not in ("+", "-", ")", "}", "]", ","):
                if token[0].isdigit() and self.tokens[self.pos - 1][0].isdigit():
                    raise _Refuse  # "2 3" is not a product anyone writes
                value = _mul(value, self.power())  # implicit multiplication: 2x, x(x+1), 2\sqrt{3}
            else:
                return value

    def power(self) -> ExactForm:
        base = self.atom()
        if self.peek() == "^":
            self.take()
            token = self.peek()
            if token == "{":
                exponent = self.group()
            elif token is not None and token.isdigit():
                if len(token) > 1:
                    raise _Refuse  # x^23 is x^2 * 3 in LaTeX; don't guess
                exponent = _const(Fraction(int(self.take())))
            else:
                raise _Refuse
            return _power(base, exponent)
        return base

    def group(self) -> ExactForm:
        self.take("{")
        value = self.expression()
        self.take("}")
        return value

    def atom(self) -> ExactForm:
        token = self.take()
        if token[0].isdigit():
            if "." in token:
                raise _Refuse  # decimals follow math-verify's rounding rule elsewhere
            return _const(Fraction(int(token)))
        if token in ("\\frac", "\\dfrac", "\\tfrac"):
            digits = self.peek()
            if digits is not None and digits.isdigit() and len(digits) == 2:  # \frac12
                self.take()
                return _mul(_const(Fraction(int(digits[0]))), _inverse(_const(Fraction(int(digits[1])))))
            if digits != "{":
                raise _Refuse
            numerator = self.group()
            return _mul(numerator, _inverse(self.group()))
        if token == "\\sqrt":
            if self.peek() != "{":
                raise _Refuse  # \sqrt[3]{..}, \sqrt2
            return _sqrt(self.group())
        if token == "(":
            value = self.expression()
            self.take(")")
            return value
        if token == "{":
            self.pos -= 1
            return self.group()
        if len(token) == 1 and token.isalpha() and token.islower() and token not in _FORBIDDEN_VARS:
            if self.peek() == "(":
                raise _Refuse  # x(x+1) is a product but p(t) may be a function: leave it to the parser
            return {(((token, 1),), 1): Fraction(1)}
        raise _Refuse


def _clean(text: str) -> str | None:
    if len(text) > MAX_CHARS:
        return None
    return _NOISE.sub("", text.strip().strip("$").rstrip("."))


def parse_exact(text: str) -> ExactForm | None:
    """The exact expanded form of `text`, or None when it is outside the class."""
    cleaned = _clean(text)
    if not cleaned:
        return None
    try:
        return _Parser(cleaned).parse()
    except (_Refuse, ZeroDivisionError, RecursionError):
        return None


_LIST = re.compile(r"^(\\\{|[(\[])(.*)(\\\}|[)\]])$")


def parse_exact_list(text: str) -> tuple[str, list[ExactForm]] | None:
    """`(a, b)`, `[a, b)`, `\\{a, b\\}` with exact elements: (brackets, elements), else None."""
    cleaned = _clean(text)
    if not cleaned:
        return None
    m = _LIST.match(cleaned)
    if not m or "," not in m.group(2):
        return None
    parts, depth, last = [], 0, 0
    body = m.group(2)
    for i, ch in enumerate(body):
        if ch in "({[":
            depth += 1
        elif ch in ")}]":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(body[last:i])
            last = i + 1
        if depth < 0:
            return None
    parts.append(body[last:])
    elements = [parse_exact(p) for p in parts]
    if any(e is None for e in elements):
        return None
    return m.group(1) + m.group(3), [e for e in elements if e is not None]


def exact_lists_equal(gold: tuple[str, list[ExactForm]], answer: tuple[str, list[ExactForm]]) -> bool:
    """Same brackets and equal elements (in order; as sets for `\\{...\\}`)."""
    (gold_brackets, gold_items), (answer_brackets, answer_items) = gold, answer
    if gold_brackets != answer_brackets or len(gold_items) != len(answer_items):
        return False
    if gold_brackets == "\\{\\}":
        remaining = list(answer_items)
        for item in gold_items:
            if item not in remaining:
                return False
            remaining.remove(item)
        return True
    return gold_items == answer_items
