"""Exact canonical forms for the answers most problems have: polynomials with rational coefficients
and square roots of rationals (`(x+1)^2`, `2\\sqrt{3}`, `\\frac{\\sqrt{2}}{2}`, `391 - 16`); lists and
matrices of them are in `exact_lists`.

An expression in this class has a unique expanded form: a sum of monomials, each a rational
coefficient times powers of single-letter variables times `\\sqrt{r}` with `r` a square-free integer
(square roots of distinct square-free integers are linearly independent over the rationals). Two
answers are equal exactly when their forms are equal, with no parser, no `simplify` and no
floating point. Anything outside the class (other functions, division by a variable, decimals,
`e`, `i`, ambiguous notation like `2^10` or `1/2x`) returns None and goes to the general path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from math import gcd

__all__ = ["ONE", "ExactForm", "Monomial", "Ratio", "clean_exact_text", "forms_equal", "parse_exact"]

Monomial = tuple[tuple[tuple[str, int], ...], int]  # ((variable, power), ...), square-free radicand
ExactForm = dict[Monomial, Fraction]

MAX_DEGREE = 40
MAX_TERMS = 200
MAX_CONST_EXPONENT = 2000
MAX_RADICAND = 10**8  # trial division up to 10^4: microseconds
MAX_BITS = 20_000  # coefficients beyond ~6,000 digits are not worth exact arithmetic on the event loop
MAX_PRODUCT = 2_500  # term pairs one multiplication may visit
MAX_CHARS = 300

_NOISE = re.compile(r"\\left|\\right|\\[,;:! ]|\\quad|\\qquad|\\displaystyle|\s+")
_TOKEN = re.compile(r"\\[dt]?frac|\\sqrt|\\cdot|\\times|\\[a-zA-Z]+|\d+(?:\.\d+)?|[a-zA-Z]|[-+*/^(){}\[\]]|.")
_FORBIDDEN_VARS = {"e", "i"}
_TERM_END = (None, "+", "-", ")", "}", "]", ",")
_FRACS = ("\\frac", "\\dfrac", "\\tfrac")


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


def _bits(value: Fraction) -> int:
    return max(value.numerator.bit_length(), value.denominator.bit_length())


def _mul(a: ExactForm, b: ExactForm) -> ExactForm:
    if len(a) * len(b) > MAX_PRODUCT:
        raise _Refuse
    out: ExactForm = {}
    for (vars_a, rad_a), coef_a in a.items():
        for (vars_b, rad_b), coef_b in b.items():
            powers = dict(vars_a)
            for var, power in vars_b:
                powers[var] = powers.get(var, 0) + power
            if sum(powers.values()) > MAX_DEGREE:
                raise _Refuse
            if _bits(coef_a) + _bits(coef_b) > MAX_BITS:
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


def _power(base: ExactForm, k: int) -> ExactForm:
    """base**k for k >= 0 by square-and-multiply (cheap for constant powers)."""
    constant = all(not variables for variables, _ in base)
    if k > (MAX_CONST_EXPONENT if constant else MAX_DEGREE):
        raise _Refuse
    result: ExactForm = _const(Fraction(1))
    square = base
    while k:
        if k & 1:
            result = _mul(result, square)
        k >>= 1
        if k:
            square = _mul(square, square)
    return result


ONE: ExactForm = {((), 1): Fraction(1)}


@dataclass(frozen=True, slots=True)
class Ratio:
    """A rational function num/den of exact forms (den is never zero). Compare with `forms_equal`."""

    num: ExactForm
    den: ExactForm


def _ratio(num: ExactForm, den: ExactForm = ONE) -> Ratio:
    if not den:
        raise _Refuse  # division by zero
    if den != ONE and len(den) == 1 and not next(iter(den))[0]:
        return Ratio(_mul(num, _inverse(den)), ONE)  # a constant denominator folds into the numerator
    return Ratio(num, den)


def _radd(a: Ratio, b: Ratio, sign: int = 1) -> Ratio:
    if a.den == b.den:
        return _ratio(_add(a.num, b.num, sign), a.den)
    return _ratio(_add(_mul(a.num, b.den), _mul(b.num, a.den), sign), _mul(a.den, b.den))


def _rmul(a: Ratio, b: Ratio) -> Ratio:
    return _ratio(_mul(a.num, b.num), _mul(a.den, b.den))


def _rinv(a: Ratio) -> Ratio:
    return _ratio(a.den, a.num)


def _rpow(base: Ratio, exponent: Ratio) -> Ratio:
    if exponent.den != ONE or len(exponent.num) > 1 or (exponent.num and next(iter(exponent.num)) != ((), 1)):
        raise _Refuse
    n = next(iter(exponent.num.values())) if exponent.num else Fraction(0)
    if n.denominator != 1:
        raise _Refuse
    k = int(n)
    if k < 0:
        base, k = _rinv(base), -k
    return _ratio(_power(base.num, k), _power(base.den, k) if base.den != ONE else ONE)


def _rsqrt(a: Ratio) -> Ratio:
    if a.den != ONE:
        raise _Refuse
    return _ratio(_sqrt(a.num))


def forms_equal(a: Ratio, b: Ratio) -> bool | None:
    """a == b as rational functions (a.num * b.den == b.num * a.den); None when too costly to decide."""
    try:
        if a.den == b.den:
            return a.num == b.num
        return _mul(a.num, b.den) == _mul(b.num, a.den)
    except _Refuse:
        return None


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

    def parse(self) -> Ratio:
        value = self.expression()
        if self.peek() is not None:
            raise _Refuse
        return value

    def expression(self) -> Ratio:
        sign = 1
        if self.peek() in ("+", "-"):
            sign = -1 if self.take() == "-" else 1
        value = self.term()
        if sign < 0:
            value = _rmul(_ratio(_const(Fraction(-1))), value)
        while self.peek() in ("+", "-"):
            op = self.take()
            value = _radd(value, self.term(), -1 if op == "-" else 1)
        return value

    def _mixed_number_ahead(self, start: int) -> bool:
        """`3\\frac{1}{2}` is 3 1/2 (as latex2sympy reads it), not 3 * 1/2: an integer alone, then a
        fraction of integers."""
        if self.pos - start != 1 or not self.tokens[start].isdigit():
            return False
        return self._integer_fraction_at(self.pos)

    def _integer_fraction_at(self, pos: int) -> bool:
        """`\\frac{1}{2}` / `\\frac12` with integer parts starts at token `pos`."""
        ahead = self.tokens[pos : pos + 7]
        if not ahead or ahead[0] not in _FRACS:
            return False
        if len(ahead) > 1 and ahead[1].isdigit() and len(ahead[1]) == 2:
            return True
        return (
            len(ahead) == 7
            and ahead[1] == "{" and ahead[2].isdigit() and ahead[3] == "}"
            and ahead[4] == "{" and ahead[5].isdigit() and ahead[6] == "}"
        )  # fmt: skip

    def term(self) -> Ratio:
        start = self.pos
        value = self.power()
        if self._mixed_number_ahead(start):
            value = _radd(value, self.atom())
            if self.peek() not in _TERM_END:
                raise _Refuse  # 3\frac{1}{2}x, 3\frac{1}{2}^2: latex2sympy's reading varies
        while True:
            token = self.peek()
            if token in ("\\cdot", "\\times", "*"):
                self.take()
                value = _rmul(value, self.power())
            elif token == "/":
                self.take()
                value = _rmul(value, _rinv(self.power()))
                if self.peek() not in _TERM_END:
                    raise _Refuse  # "1/2x": is it x/2 or 1/(2x)? Not ours to guess.
            elif token not in _TERM_END:
                if token[0].isdigit() and self.tokens[self.pos - 1][0].isdigit():
                    raise _Refuse  # "2 3" is not a product anyone writes
                if self.tokens[self.pos - 1].isdigit() and self._integer_fraction_at(self.pos):
                    raise _Refuse  # "x \cdot 3\frac{1}{2}": mixed number or product? Not ours to guess
                value = _rmul(value, self.power())  # implicit multiplication: 2x, x(x+1), 2\sqrt{3}
            else:
                return value

    def power(self) -> Ratio:
        base = self.atom()
        if self.peek() == "^":
            self.take()
            token = self.peek()
            if token == "{":
                exponent = self.group()
            elif token is not None and token.isdigit():
                if len(token) > 1:
                    raise _Refuse  # x^23 is x^2 * 3 in LaTeX; don't guess
                exponent = _ratio(_const(Fraction(int(self.take()))))
            else:
                raise _Refuse
            return _rpow(base, exponent)
        return base

    def group(self) -> Ratio:
        self.take("{")
        value = self.expression()
        self.take("}")
        return value

    def atom(self) -> Ratio:
        token = self.take()
        if token[0].isdigit():
            if "." in token:
                raise _Refuse  # decimals follow math-verify's rounding rule elsewhere
            return _ratio(_const(Fraction(int(token))))
        if token in ("\\frac", "\\dfrac", "\\tfrac"):
            digits = self.peek()
            if digits is not None and digits.isdigit() and len(digits) == 2:  # \frac12
                self.take()
                return _ratio(_const(Fraction(int(digits[0]))), _const(Fraction(int(digits[1]))))
            if digits != "{":
                raise _Refuse
            numerator = self.group()
            return _rmul(numerator, _rinv(self.group()))
        if token == "\\sqrt":
            if self.peek() != "{":
                raise _Refuse  # \sqrt[3]{..}, \sqrt2
            return _rsqrt(self.group())
        if token == "(":
            value = self.expression()
            self.take(")")
            return value
        if token == "{":
            self.pos -= 1
            return self.group()
        if token == "\\pi":
            # pi is transcendental: polynomials in pi over the rationals (and their square roots)
            # have unique expanded forms, so it can stand as a variable.
            return _ratio({((("\\pi", 1),), 1): Fraction(1)})
        if len(token) == 1 and token.isalpha() and token.islower() and token not in _FORBIDDEN_VARS:
            if self.peek() == "(":
                raise _Refuse  # x(x+1) is a product but p(t) may be a function: leave it to the parser
            return _ratio({(((token, 1),), 1): Fraction(1)})
        raise _Refuse


def clean_exact_text(text: str) -> str | None:
    if len(text) > MAX_CHARS:
        return None
    # keep matrix row breaks (double backslash) safe from the noise pattern's backslash-space
    protected = text.strip().strip("$").rstrip(".").replace("\\\\", "\x00")
    return _NOISE.sub("", protected).replace("\x00", "\\\\")


def parse_exact(text: str) -> Ratio | None:
    """The exact expanded form of `text`, or None when it is outside the class."""
    cleaned = clean_exact_text(text)
    if not cleaned:
        return None
    try:
        return _Parser(cleaned).parse()
    except (_Refuse, ZeroDivisionError, RecursionError):
        return None
