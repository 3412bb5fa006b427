"""One spelling for the same notation, before any comparison.

- Unicode math: `∞ π ≤ ≥ ≠ √ ∪ ∩ − × ÷ · ∈ °`, fullwidth forms (`＞`, `０`) and superscript/subscript
  digits (`x²` is `x^{2}`, `a₁` is `a_{1}`), circled and other digits that pass `isdigit()` but not
  `int()` (`②` is 2). Nothing here lets such a character reach `int()` unread.
- Mis-escaped JSON: a backslash command whose `\\f`, `\\b`, `\\t`, `\\r`, `\\v`, `\\a` became a control
  character (`\\frac` read as form feed + "rac"), and doubled backslashes before a command (`\\\\frac`).
- HTML exponents and subscripts: `3<sup>x</sup>` is `3^{x}`; any other tag is left (and then the
  answer does not parse, which is the point).
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["normalise_notation"]

_SYMBOLS = {
    "∞": "\\infty ", "π": "\\pi ", "≤": "\\le ", "⩽": "\\le ", "≥": "\\ge ", "⩾": "\\ge ", "≠": "\\ne ",
    "√": "\\sqrt", "∪": "\\cup ", "∩": "\\cap ", "−": "-", "–": "-", "×": "\\times ", "÷": "\\div ",
    "·": "\\cdot ", "⋅": "\\cdot ", "∈": "\\in ", "°": "^{\\circ}", "±": "\\pm ", "∓": "\\mp ",
    "∅": "\\emptyset ", "→": "\\to ", "∀": "\\forall ", "∃": "\\exists ", "θ": "\\theta ", "α": "\\alpha ",
    "β": "\\beta ", "λ": "\\lambda ", "ℝ": "\\mathbb{R}", "ℤ": "\\mathbb{Z}", "ℕ": "\\mathbb{N}",
    "ℚ": "\\mathbb{Q}", "∠": "\\angle ", "△": "\\triangle ", "′": "'", "≈": "\\approx ",
}  # fmt: skip
_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁽⁾ⁿ", "0123456789+-()n")
_SUBSCRIPTS = str.maketrans("₀₁₂₃₄₅₆₇₈₉₊₋₍₎", "0123456789+-()")
_SUPER_RUN = re.compile("[⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁽⁾ⁿ]+")
_SUB_RUN = re.compile("[₀₁₂₃₄₅₆₇₈₉₊₋₍₎]+")
_CONTROL = {"\x0c": "\\f", "\x08": "\\b", "\t": "\\t", "\r": "\\r", "\x0b": "\\v", "\x07": "\\a"}
_CONTROL_COMMAND = re.compile("([\x0c\x08\t\r\x0b\x07])(?=[a-zA-Z]{2})")
_DOUBLED = re.compile(r"(?<!\\)\\\\(?=[a-zA-Z]{2})")
_HTML = re.compile(r"<(sup|sub)>(.*?)</\1>", re.IGNORECASE)


def _digits(text: str) -> str:
    """Any remaining non-ASCII digit (circled, other scripts) becomes its ASCII value."""
    out = []
    for ch in text:
        if ch.isdigit() and not ch.isascii():
            value = unicodedata.digit(ch, None)
            if value is None:
                value = int(unicodedata.numeric(ch, 0))
            out.append(str(value))
        else:
            out.append(ch)
    return "".join(out)


_SIZING = re.compile(r"\\[bB]igg?[lr]?(?![a-zA-Z])")
_FUNCTION_IN_TEXT = re.compile(
    r"\\(?:text|mathrm|textrm|operatorname)\s*\{\s*(sin|cos|tan|cot|sec|csc|log|ln|exp|arcsin|arccos|arctan)\s*\}"
)
_FRAC_SHORTHAND = re.compile(r"\\([dt]?frac)\s*(\{[^{}]*\})\s*([a-zA-Z0-9])")


def normalise_notation(text: str) -> str:
    """`text` with Unicode math, broken escapes and HTML exponents written the one LaTeX way."""
    if any(ch in text for ch in _CONTROL):
        text = _CONTROL_COMMAND.sub(lambda m: _CONTROL[m.group(1)], text)
    if "\\\\" in text:
        text = _DOUBLED.sub(r"\\", text)
    if "</" in text:
        text = _HTML.sub(lambda m: ("^{" if m.group(1).lower() == "sup" else "_{") + m.group(2) + "}", text)
    if "\\big" in text or "\\Big" in text:  # sizing commands change nothing
        text = _SIZING.sub("", text)
    if "{" in text and ("text" in text or "rm" in text or "operatorname" in text):  # "\\text{sin}" is "\\sin"
        text = _FUNCTION_IN_TEXT.sub(r"\\\1 ", text)
    if "frac" in text:  # "\\frac{1+a}c" is "\\frac{1+a}{c}"
        text = _FRAC_SHORTHAND.sub(r"\\\1\2{\3}", text)
    if text.isascii():
        return text
    text = _SUPER_RUN.sub(lambda m: "^{" + m.group(0).translate(_SUPERSCRIPTS) + "}", text)
    text = _SUB_RUN.sub(lambda m: "_{" + m.group(0).translate(_SUBSCRIPTS) + "}", text)
    text = "".join(_SYMBOLS.get(ch, ch) for ch in text)
    text = unicodedata.normalize("NFKC", text)
    text = _digits(text)
    # "√3" became "\\sqrt3": give the radical its braces when a plain number follows
    return re.sub(r"\\sqrt(\d+)", r"\\sqrt{\1}", text)
