"""Exact rational arithmetic for answers that are plain numbers: the fast, independent check.

Most math answers are numbers (`42`, `-\\frac{3}{4}`, `0.25`, `1.5 \\times 10^{3}`, `50\\%`, `2\\frac{1}{2}`).
For those we need neither a LaTeX parser nor sympy: a strict grammar read into `fractions.Fraction`
decides equality exactly in microseconds, and cannot be fooled by float rounding the way a 15-digit
`evalf` is (`\\frac{1}{2^{99}}` vs `\\frac{1}{2^{98}}`). Anything outside the grammar returns None and
goes to the general path.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

__all__ = ["PlainNumber", "decimal_close", "numbers_equal", "parse_plain_number", "rounds_to"]

# Rounding policy: a value written with d decimal places may stand for an exact value that rounds to
# it at d places, when it keeps at least this many significant digits (85.71 for 600/7, not 0.3 for 1/3).
ROUNDING_MIN_SIGNIFICANT = 3

# The one digit limit of the math reward: a number written with more digits is neither read exactly
# here nor handed to the parser (`guards.guard_reason` refuses the answer). Exact rationals of this
# size cost microseconds, and Python's int() reads them (its own limit is 4300 digits).
MAX_DIGITS = 2_000
MAX_POWER_EXPONENT = 400

_NOISE = re.compile(
    r"\\left|\\right|\\[,;:! ]|\\quad|\\qquad|\\displaystyle|\\mathrm\{\s*\}|~|\\\$|\$|"
    r"\^\s*\{?\\circ\}?|\^\{\s*\\circ\s*\}|\\circ|°"
)
_TRAILING_TEXT = re.compile(r"(?:\\(?:text|mathrm|textrm|mbox)\{[^{}]*\}\s*)+$")
# Units and ordinals written without \text: "35 cm", "15th Day", "12^{th}"; not "or", "and", constants
_ORDINAL = re.compile(
    r"(?<=\d)\s*(?:\^\s*\{?\s*(?:\\text\{)?\s*(?:st|nd|rd|th)\s*\}?\s*\}?|(?:st|nd|rd|th)\b)"
)
_TRAILING_WORDS = re.compile(r"(?<=[\d}%.])\s*(?:[a-zA-Z]{2,}\.?\s*)+$")
_NOT_UNITS = re.compile(
    r"\b(?:or|and|pi|sqrt|times|cdot|frac|not|no|wrong|incorrect|false|approx)\b", re.IGNORECASE
)
_RATIO = re.compile(r"^(?P<n>\d+)\s*:\s*(?P<d>\d+)$")
_INT = r"\d{1,3}(?:,\d{3})+|\d+"
_UNSIGNED = rf"(?:(?:{_INT})(?:\.\d*)?|\.\d+)"
_NUMBER = re.compile(rf"^(?P<sign>[-+]?)(?P<num>{_UNSIGNED})$")
_FRAC = re.compile(
    rf"^(?P<sign>[-+]?)(?:(?P<whole>{_INT})\s*)?\\[dt]?frac\s*\{{\s*(?P<sign_n>[-+]?)(?P<n>{_UNSIGNED})\s*\}}"
    rf"\s*\{{\s*(?P<sign_d>[-+]?)(?P<d>{_UNSIGNED})\s*\}}$"
)
_SHORT_FRAC = re.compile(r"^(?P<sign>[-+]?)\\[dt]?frac(?P<n>\d)(?P<d>\d)$")
_SLASH = re.compile(rf"^(?P<sign>[-+]?)(?P<n>{_UNSIGNED})\s*/\s*(?P<d>{_UNSIGNED})$")
_SCI = re.compile(
    rf"^(?P<sign>[-+]?)(?P<m>{_UNSIGNED})\s*(?:\\times|\\cdot|\*|x)\s*10\s*\^\s*(?:\{{\s*(?P<e1>[-+]?\d+)\s*\}}|(?P<e2>\d))$"
)
_E_NOTATION = re.compile(rf"^(?P<sign>[-+]?)(?P<m>{_UNSIGNED})[eE](?P<e>[-+]?\d+)$")


@dataclass(frozen=True, slots=True)
class PlainNumber:
    """An exact value, whether it was written with a decimal point, and whether as a percentage."""

    value: Fraction
    decimal: bool = False
    percent: bool = False
    places: int = 0  # decimal places as written (0 for integers and fractions)

    def describe(self) -> str:
        text = str(self.value)
        return text + ("%" if self.percent else "") + (" (decimal)" if self.decimal else "")


def _unsigned(text: str) -> tuple[Fraction, bool]:
    text = text.replace(",", "")
    if len(text) > MAX_DIGITS:
        raise ValueError("too many digits")
    if "." in text:
        whole, _, frac = text.partition(".")
        return Fraction(int(whole or "0") * 10 ** len(frac) + int(frac or "0"), 10 ** len(frac)), True
    return Fraction(int(text)), False


def _signed(sign: str, value: Fraction) -> Fraction:
    return -value if sign == "-" else value


def parse_plain_number(text: str) -> PlainNumber | None:
    """The exact value of a plain-number answer, or None when `text` is anything else."""
    stripped = _strip_plain(text)
    if stripped is None:
        return None
    s, percent = stripped
    try:
        for pattern, read in _FORMS:
            if m := pattern.match(s):
                return read(m, percent)
    except (ValueError, ZeroDivisionError):
        return None
    return None


def _strip_plain(text: str) -> tuple[str, bool] | None:
    """The number's text without trailing words, noise, spaces, a percent sign or lone braces,
    and whether it had a percent sign; None when nothing (or a list of numbers) is left."""
    s = text.strip()
    if len(s) > MAX_DIGITS + 40:
        return None
    if re.search(r"\d,\s+\d", s):
        return None  # "32, 349" is a list of two numbers, not a thousands separator
    s = s.replace("{,}", ",")
    s = _TRAILING_TEXT.sub("", s)
    s = _ORDINAL.sub("", s)
    words = _TRAILING_WORDS.search(s)
    if words and not _NOT_UNITS.search(words.group(0)):
        s = s[: words.start()]
    s = _NOISE.sub("", s).strip()
    s = re.sub(r"\s+", "", s)
    percent = False
    for suffix in ("\\%", "%", "\\percent"):
        if s.endswith(suffix):
            s, percent = s[: -len(suffix)], True
            break
    while s.startswith("{") and s.endswith("}") and s.count("{") == 1:
        s = s[1:-1]
    return (s, percent) if s else None


def _read_decimal(m: re.Match[str], percent: bool) -> PlainNumber | None:
    value, decimal = _unsigned(m["num"])
    places = len(m["num"].partition(".")[2]) if decimal else 0
    return PlainNumber(_signed(m["sign"], value), decimal, percent, places)


def _read_ratio(m: re.Match[str], percent: bool) -> PlainNumber | None:
    # "20:3" read as 20/3, as math-verify reads it
    if int(m["d"]) == 0:
        return None
    return PlainNumber(Fraction(int(m["n"]), int(m["d"])), False, percent)


def _read_frac(m: re.Match[str], percent: bool) -> PlainNumber | None:
    n, dec_n = _unsigned(m["n"])
    d, dec_d = _unsigned(m["d"])
    if d == 0:
        return None
    frac = _signed(m["sign_n"], n) / _signed(m["sign_d"], d)
    if m["whole"]:
        if m["sign_n"] or m["sign_d"] or frac < 0:
            return None
        frac = _unsigned(m["whole"])[0] + frac  # mixed number 2\frac{1}{2}
    return PlainNumber(_signed(m["sign"], frac), dec_n or dec_d, percent)


def _read_short_frac(m: re.Match[str], percent: bool) -> PlainNumber | None:
    if m["d"] == "0":
        return None
    return PlainNumber(_signed(m["sign"], Fraction(int(m["n"]), int(m["d"]))), False, percent)


def _read_slash(m: re.Match[str], percent: bool) -> PlainNumber | None:
    n, dec_n = _unsigned(m["n"])
    d, dec_d = _unsigned(m["d"])
    if d == 0:
        return None
    return PlainNumber(_signed(m["sign"], n / d), dec_n or dec_d, percent)


def _read_sci(m: re.Match[str], percent: bool) -> PlainNumber | None:
    mant, dec = _unsigned(m["m"])
    exp = int(m["e1"] or m["e2"])
    if abs(exp) > MAX_POWER_EXPONENT:
        return None
    return PlainNumber(_signed(m["sign"], mant * Fraction(10) ** exp), dec, percent)


def _read_e_notation(m: re.Match[str], percent: bool) -> PlainNumber | None:
    mant, _ = _unsigned(m["m"])
    exp = int(m["e"])
    if abs(exp) > MAX_POWER_EXPONENT:
        return None
    return PlainNumber(_signed(m["sign"], mant * Fraction(10) ** exp), True, percent)


# The plain-number forms in the order they are tried; the first whose pattern matches decides.
_FORMS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str], bool], PlainNumber | None]], ...] = (
    (_NUMBER, _read_decimal),
    (_RATIO, _read_ratio),
    (_FRAC, _read_frac),
    (_SHORT_FRAC, _read_short_frac),
    (_SLASH, _read_slash),
    (_SCI, _read_sci),
    (_E_NOTATION, _read_e_notation),
)


def decimal_close(a: Fraction, b: Fraction) -> bool:
    """Equality for a value written as a decimal: math-verify's rule (equal after rounding to 6
    decimal places) plus a relative bound, so that tiny values (1e-10 vs 2e-10) stay different."""
    if round(a, 6) != round(b, 6):
        return False
    scale = max(abs(a), abs(b))
    return scale == 0 or abs(a - b) <= Fraction(1, 10_000) * scale


def rounds_to(exact: Fraction, rounded: Fraction, places: int) -> bool:
    """Whether `rounded` (written with `places` decimals) is `exact` rounded to that many places
    (half up or half even), keeping at least `ROUNDING_MIN_SIGNIFICANT` significant digits."""
    if places < 0 or places > 12 or abs(rounded) * 10**places < 10 ** (ROUNDING_MIN_SIGNIFICANT - 1):
        return False
    scaled = exact * 10**places
    floor = scaled.numerator // scaled.denominator
    candidates = {floor + 1 if scaled - floor >= Fraction(1, 2) else floor}
    if scaled - floor == Fraction(1, 2):
        candidates.add(floor)  # half even
    return any(Fraction(c, 10**places) == rounded for c in candidates)


def _variants(number: PlainNumber) -> list[tuple[Fraction, int, bool]]:
    """(value, decimal places, written as a decimal) of a number, and of its percentage as a fraction."""
    out = [(number.value, number.places, number.decimal)]
    if number.percent:
        out.append((number.value / 100, number.places + 2, number.decimal or number.places > 0))
    return out


def _rounded_match(gold: PlainNumber, answer: PlainNumber) -> str | None:
    """The rounding rule that makes them equal (see `ROUNDING_MIN_SIGNIFICANT`), or None."""
    for g, g_places, g_decimal in _variants(gold):
        for a, a_places, a_decimal in _variants(answer):
            if gold.percent != answer.percent and (g, a) == (gold.value, answer.value) and gold.percent:
                continue
            if g_decimal and (not a_decimal or a_places > g_places) and rounds_to(a, g, g_places):
                return f"the gold is the answer rounded to {g_places} decimal places"
            if a_decimal and (not g_decimal or g_places > a_places) and rounds_to(g, a, a_places):
                return f"the answer is the gold rounded to {a_places} decimal places"
            if g_decimal and not a_decimal and a.denominator == 1 and rounds_to(g, a, 0):
                return "the answer is the (decimal) gold rounded to a whole number"
    return None


def numbers_equal(gold: PlainNumber, answer: PlainNumber) -> tuple[bool, str]:
    """Exact verdict and the rule that decided it."""
    golds = [gold.value] + ([gold.value / 100] if gold.percent else [])
    answers = [answer.value] + ([answer.value / 100] if answer.percent else [])
    if gold.percent and answer.percent:
        golds, answers = [gold.value], [answer.value]
    for g in golds:
        for a in answers:
            if g == a:
                return True, "exact rational equality" + (
                    " (percent)" if len(golds) + len(answers) > 2 else ""
                )
    if gold.decimal or answer.decimal:
        for g in golds:
            for a in answers:
                if decimal_close(g, a):
                    return True, "decimal within rounding (6 places, relative 1e-4)"
    rounded = _rounded_match(gold, answer)
    if rounded is not None:
        return True, rounded
    if gold.decimal or answer.decimal:
        return False, "decimal differs beyond rounding"
    return False, "exact rational inequality"
