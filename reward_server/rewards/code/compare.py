"""Comparing a program's output with the expected output, the ways competitive judges do.

Modes (`CodeTask.compare`), named after the judges' standard checkers:
- `lines` (default): line by line, ignoring trailing whitespace on each line (spaces, tabs, the
  `\\r` of CRLF) and trailing blank lines, as AtCoder and Codeforces' line checker (testlib `lcmp`)
  accept; leading whitespace and blank lines in between count.
- `tokens`: the whitespace-separated tokens must be equal, however spaces and newlines are laid
  out (testlib `wcmp`, Codeforces' most common checker).
- `tokens_ignore_case`: tokens compared without case (for YES/yes answers).
- `exact`: byte for byte, except that CRLF counts as LF.
With a float tolerance, two tokens that are both numbers also match when they differ by at most
the tolerance: by default absolute or relative to the expected value, whichever is larger (testlib's
`doubleCompare`, used by `rcmp4/6/9`); `float_error="absolute"` or `"relative"` asks for one kind only
(testlib's `doubleDelta` / a pure relative error). NaN matches only NaN. A number is written in
ASCII decimal or exponent notation (`-1.5`, `.5`, `2e-3`, `inf`, `nan`): Python's `float` also
reads `1_000` and non-ASCII digits, which no judge accepts as a number.
"""

from __future__ import annotations

import math
import re
from typing import Literal

CompareMode = Literal["lines", "tokens", "tokens_ignore_case", "exact"]
FloatError = Literal["absolute_or_relative", "absolute", "relative"]

__all__ = ["CompareMode", "FloatError", "outputs_match"]


def _lines(output: str) -> list[str]:
    lines = [line.rstrip() for line in output.replace("\r\n", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[+-]?(?:inf|infinity|nan)", re.ASCII | re.I)


def _same_number(actual: str, expected: str, tolerance: float, kind: FloatError) -> bool:
    if not (_NUMBER.fullmatch(actual) and _NUMBER.fullmatch(expected)):
        return False
    try:
        a, e = float(actual), float(expected)
    except ValueError:
        return False
    if math.isnan(a) or math.isnan(e):
        return math.isnan(a) and math.isnan(e)
    if math.isinf(a) or math.isinf(e):
        return a == e
    scale = {"absolute": 1.0, "relative": abs(e), "absolute_or_relative": max(1.0, abs(e))}[kind]
    return abs(a - e) <= tolerance * scale + 1e-15


def _same_token(
    actual: str, expected: str, tolerance: float | None, ignore_case: bool, kind: FloatError
) -> bool:
    if actual == expected:
        return True
    if ignore_case and actual.casefold() == expected.casefold():
        return True
    return tolerance is not None and _same_number(actual, expected, tolerance, kind)


def _same_tokens(
    got: list[str], want: list[str], tolerance: float | None, ignore_case: bool, kind: FloatError
) -> bool:
    return len(got) == len(want) and all(
        _same_token(a, e, tolerance, ignore_case, kind) for a, e in zip(got, want, strict=True)
    )


def outputs_match(
    actual: str,
    expected: str,
    float_tolerance: float | None = None,
    mode: CompareMode = "lines",
    float_error: FloatError = "absolute_or_relative",
) -> bool:
    """Whether `actual` is an accepted output for `expected` under `mode` (see the module doc).

    >>> outputs_match("1 2 \\r\\n3\\r\\n\\r\\n", "1 2\\n3")
    True
    >>> outputs_match("1\\n2\\n", "1 2", mode="tokens")
    True
    """
    if mode == "exact":
        return actual.replace("\r\n", "\n") == expected.replace("\r\n", "\n")
    if mode in ("tokens", "tokens_ignore_case"):
        return _same_tokens(
            actual.split(), expected.split(), float_tolerance, mode == "tokens_ignore_case", float_error
        )
    got, want = _lines(actual), _lines(expected)
    if len(got) != len(want):
        return False
    for line_got, line_want in zip(got, want, strict=True):
        if line_got == line_want:
            continue
        if float_tolerance is None or not _same_tokens(
            line_got.split(), line_want.split(), float_tolerance, False, float_error
        ):
            return False
    return True
