"""The second, independent check: evaluate both parsed answers with mpmath and compare.

math-verify decides with sympy (`simplify`, a 15-digit `evalf(chop=True)`, string forms), which is
where its known wrong verdicts come from (`1/2004!` equals `1/2006!` after chopping). Here we walk the
sympy tree ourselves and evaluate it with mpmath at 50 digits, at fixed pseudo-random points for the
free symbols, and compare with a relative tolerance:

- numbers: one evaluation; a difference beyond 1e-30 relative is a counterexample.
- expressions: the same free symbols on both sides, evaluated at up to 8 points (positive and
  negative); points where either side is undefined or not real are skipped (domains), and an
  "equal" verdict needs at least 3 usable points. One usable point where they differ is a
  counterexample (`|x|` vs `x` at x<0); agreement everywhere real (`\\sqrt{1/n}` vs `1/\\sqrt{n}`) is
  an identity.
- equations: compare `lhs - rhs` up to a non-zero constant factor, not side by side.
- tuples, matrices: element-wise; finite sets: as sets; intervals: open/closed ends exactly, the
  end points numerically.
- anything else (inequalities, strings, unknown functions, percentages): `unknown`, and the caller
  keeps math-verify's verdict.

Values written as decimals compare with math-verify's rounding rule plus a relative bound.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from enum import StrEnum
from fractions import Fraction
from typing import Any

import mpmath
import sympy
from sympy.matrices import MatrixBase

from reward_server.rewards.math.numbers import decimal_close

__all__ = ["Numeric", "compare_numeric"]

PRECISION_DPS = 50
EQUAL_REL_TOL = mpmath.mpf(10) ** -30
FLOAT_REL_TOL = mpmath.mpf(10) ** -6
MIN_POINTS = 3
MAX_NODES = 400  # bigger trees are not worth a second check inside the time budget
MAX_INT_EXPONENT = 10**6
MAX_FACTORIAL = 10**5
SAMPLE_POINTS = (
    "0.7315921",
    "1.3862943",
    "2.2360679",
    "-0.5772156",
    "3.1415926",
    "-1.6180339",
    "0.4142135",
    "-2.7182818",
    "0.2718281",
    "0.5772156",
    "-0.3183098",
)  # fmt: skip  (three more in (-1, 1): arcsin/arccos-style domains need ≥3 usable points)


class Numeric(StrEnum):
    EQUAL = "equal"
    NOT_EQUAL = "not_equal"
    UNKNOWN = "unknown"


class _Unsupported(Exception):
    """The tree holds something this evaluator does not model."""


class _Undefined(Exception):
    """The expression has no finite value at this point."""


def _has_float(expr: Any) -> bool:
    return isinstance(expr, sympy.Basic) and any(
        isinstance(a, sympy.Float) for a in sympy.preorder_traversal(expr)
    )


_FUNCS: dict[Any, Callable[..., Any]] = {
    sympy.sin: mpmath.sin, sympy.cos: mpmath.cos, sympy.tan: mpmath.tan, sympy.cot: mpmath.cot,
    sympy.sec: mpmath.sec, sympy.csc: mpmath.csc, sympy.asin: mpmath.asin, sympy.acos: mpmath.acos,
    sympy.atan: mpmath.atan, sympy.sinh: mpmath.sinh, sympy.cosh: mpmath.cosh, sympy.tanh: mpmath.tanh,
    sympy.exp: mpmath.exp, sympy.Abs: abs, sympy.gamma: mpmath.gamma,
}  # fmt: skip


class _Evaluator:
    def __init__(self, env: dict[sympy.Symbol, Any]) -> None:
        self.env = env

    def __call__(self, e: Any) -> Any:  # noqa: C901 - one dispatch table over sympy node types
        if isinstance(e, sympy.Integer):
            return mpmath.mpf(int(e))
        if isinstance(e, sympy.Rational):
            return mpmath.mpf(int(e.p)) / int(e.q)
        if isinstance(e, sympy.Float):
            return mpmath.mpf(str(e))
        if e is sympy.pi:
            return +mpmath.pi
        if e is sympy.E:
            return +mpmath.e
        if e is sympy.I:
            return mpmath.mpc(0, 1)
        if e in (sympy.oo, sympy.zoo, -sympy.oo, sympy.nan):
            raise _Unsupported("infinity")
        if isinstance(e, sympy.Symbol):
            if e not in self.env:
                raise _Unsupported(f"symbol {e}")
            return self.env[e]
        if isinstance(e, sympy.UnevaluatedExpr):
            return self(e.args[0])
        if isinstance(e, sympy.Add):
            total = mpmath.mpf(0)
            for a in e.args:
                total += self(a)
            return total
        if isinstance(e, sympy.Mul):
            prod = mpmath.mpf(1)
            for a in e.args:
                prod *= self(a)
            return prod
        if isinstance(e, sympy.Pow):
            base, exp = e.args
            if isinstance(exp, sympy.Integer) and abs(int(exp)) > MAX_INT_EXPONENT:
                raise _Unsupported("huge exponent")
            b = self(base)
            x = self(exp)
            if b == 0 and mpmath.re(x) <= 0:
                raise _Undefined("0 to a non-positive power")
            # odd roots of negatives: the real branch, as people write them (cbrt(-8) = -2)
            odd_root = (
                isinstance(exp, sympy.Rational) and not isinstance(exp, sympy.Integer) and exp.q % 2 == 1
            )
            if odd_root and mpmath.im(b) == 0 and b < 0:
                magnitude = (-b) ** x
                return -magnitude if exp.p % 2 else magnitude
            return mpmath.power(b, x)
        if isinstance(e, sympy.log):
            args = [self(a) for a in e.args]
            if any(a == 0 for a in args):
                raise _Undefined("log 0")
            return mpmath.log(args[0]) if len(args) == 1 else mpmath.log(args[0], args[1])
        if isinstance(e, sympy.factorial):
            n = self(e.args[0])
            if mpmath.im(n) != 0 or abs(n) > MAX_FACTORIAL:
                raise _Unsupported("factorial argument")
            return mpmath.factorial(n)
        if isinstance(e, sympy.binomial):
            return mpmath.binomial(self(e.args[0]), self(e.args[1]))
        for func, impl in _FUNCS.items():
            if isinstance(e, func):
                return impl(*(self(a) for a in e.args))
        raise _Unsupported(type(e).__name__)


def _count_nodes(expr: Any) -> int:
    count = 0
    for _ in sympy.preorder_traversal(expr):
        count += 1
        if count > MAX_NODES:
            break
    return count


def _real(value: Any) -> Any | None:
    """The value as a real mpf, or None when it is not (finitely) real."""
    if isinstance(value, mpmath.mpc):
        if abs(value.imag) > EQUAL_REL_TOL * max(abs(value), 1):
            return None
        value = value.real
    if not mpmath.isfinite(value):
        return None
    return value


def _close(a: Any, b: Any, tol: Any) -> bool:
    return bool(abs(a - b) <= tol * max(abs(a), abs(b)))


def _points(symbols: list[sympy.Symbol]) -> list[dict[sympy.Symbol, Any]]:
    n = len(SAMPLE_POINTS)
    # shift the sample per symbol so that x and y never take the same value
    return [
        {s: mpmath.mpf(SAMPLE_POINTS[(i + 3 * k) % n]) * (1 + k / 7) for k, s in enumerate(symbols)}
        for i in range(n)
    ]


def _compare_scalars(gold: Any, answer: Any, *, scaled: bool = False) -> tuple[Numeric, str]:
    """Scalar expressions (or equation sides when `scaled`: equal up to a constant factor)."""
    if not isinstance(gold, sympy.Expr) or not isinstance(answer, sympy.Expr):
        return Numeric.UNKNOWN, "not scalar expressions"
    if _count_nodes(gold) > MAX_NODES or _count_nodes(answer) > MAX_NODES:
        return Numeric.UNKNOWN, "expression too large for the second check"
    symbols = sorted(gold.free_symbols | answer.free_symbols, key=str)
    if gold.free_symbols != answer.free_symbols and not scaled:
        return Numeric.UNKNOWN, "different free symbols"
    floats = _has_float(gold) or _has_float(answer)
    tol = FLOAT_REL_TOL if floats else EQUAL_REL_TOL
    with mpmath.workdps(PRECISION_DPS):
        try:
            values = _values(gold, answer, symbols)
            if scaled:
                decided = _compare_proportional(values, tol)
            else:
                decided = _compare_at_points(values, tol, as_decimal=not symbols and floats)
        except _Unsupported as exc:
            return Numeric.UNKNOWN, f"cannot evaluate: {exc}"
    if isinstance(decided, tuple):
        return decided
    usable = decided
    needed = 1 if not symbols else MIN_POINTS
    if usable < needed:
        return Numeric.UNKNOWN, f"only {usable} usable evaluation points"
    return Numeric.EQUAL, f"agree at {usable} point(s) to {PRECISION_DPS} digits"


_Point = dict[sympy.Symbol, Any]


def _values(
    gold: sympy.Expr, answer: sympy.Expr, symbols: list[sympy.Symbol]
) -> Iterator[tuple[_Point, Any, Any]]:
    """(point, gold value, answer value) at each sample point (one, with no symbols) where both
    are finite reals. Raises _Unsupported for an expression the evaluator does not know."""
    for env in _points(symbols) if symbols else [{}]:
        try:
            g = _real(_Evaluator(env)(gold))
            a = _real(_Evaluator(env)(answer))
        except (_Undefined, ZeroDivisionError, ValueError, OverflowError):
            continue
        if g is None or a is None:
            continue
        yield env, g, a


def _compare_proportional(values: Iterator[tuple[_Point, Any, Any]], tol: Any) -> tuple[Numeric, str] | int:
    """NOT_EQUAL where the two sides are not proportional, else how many points were usable."""
    usable = 0
    ratio: Any = None
    for env, g, a in values:
        usable += 1
        if g == 0 and a == 0:
            continue
        if g == 0 or a == 0:
            return Numeric.NOT_EQUAL, f"one equation vanishes at {_fmt_env(env)}, the other does not"
        if ratio is None:
            ratio = a / g
        elif not _close(a / g, ratio, tol):
            return Numeric.NOT_EQUAL, f"equations not proportional (at {_fmt_env(env)})"
    return usable


def _compare_at_points(
    values: Iterator[tuple[_Point, Any, Any]], tol: Any, *, as_decimal: bool
) -> tuple[Numeric, str] | int:
    """NOT_EQUAL at the first point where the values differ (a constant written with decimals
    decided by the rounding rule instead), else how many points were usable."""
    usable = 0
    for env, g, a in values:
        usable += 1
        if as_decimal:
            if decimal_close(_fraction(g), _fraction(a)):
                return Numeric.EQUAL, "decimal within rounding"
            return Numeric.NOT_EQUAL, f"{mpmath.nstr(g, 12)} != {mpmath.nstr(a, 12)} beyond rounding"
        if not _close(g, a, tol):
            where = f" at {_fmt_env(env)}" if env else ""
            return Numeric.NOT_EQUAL, f"{mpmath.nstr(g, 15)} != {mpmath.nstr(a, 15)}{where}"
    return usable


def _fraction(x: Any) -> Fraction:
    return Fraction(mpmath.nstr(x, PRECISION_DPS, min_fixed=-(10**6), max_fixed=10**6, strip_zeros=False))


def _fmt_env(env: dict[sympy.Symbol, Any]) -> str:
    return ", ".join(f"{s}={mpmath.nstr(v, 6)}" for s, v in env.items())


def _compare_sequences(gold: Any, answer: Any) -> tuple[Numeric, str]:
    if len(gold) != len(answer):
        return Numeric.NOT_EQUAL, f"{len(answer)} components, expected {len(gold)}"
    reasons = []
    for g, a in zip(gold, answer, strict=True):
        verdict, why = compare_numeric(g, a)
        if verdict is not Numeric.EQUAL:
            return verdict, f"component: {why}"
        reasons.append(why)
    return Numeric.EQUAL, "all components equal"


def _compare_finite_sets(gold: Any, answer: Any) -> tuple[Numeric, str]:
    gold_items, answer_items = list(gold.args), list(answer.args)
    if len(gold_items) != len(answer_items):
        return Numeric.NOT_EQUAL, f"{len(answer_items)} elements, expected {len(gold_items)}"
    unmatched = list(answer_items)
    for g in gold_items:
        match = None
        for a in unmatched:
            verdict, _ = compare_numeric(g, a)
            if verdict is Numeric.UNKNOWN:
                return Numeric.UNKNOWN, "set element not comparable"
            if verdict is Numeric.EQUAL:
                match = a
                break
        if match is None:
            return Numeric.NOT_EQUAL, f"no element equal to {g}"
        unmatched.remove(match)
    return Numeric.EQUAL, "same elements"


def compare_numeric(gold: Any, answer: Any) -> tuple[Numeric, str]:
    """Compare two parsed (sympy) answers numerically; `unknown` when this check does not apply."""
    try:
        decided = _compare_equations(gold, answer)
        if decided is None:
            decided = _compare_collections(gold, answer)
        if decided is not None:
            return decided
        if isinstance(gold, sympy.Expr) and isinstance(answer, sympy.Expr):
            if _is_percent(gold) or _is_percent(answer):
                return Numeric.UNKNOWN, "percentage: left to math-verify's percent rule"
            return _compare_scalars(gold, answer)
    except (TypeError, AttributeError, RecursionError, ValueError) as exc:
        return Numeric.UNKNOWN, f"second check failed: {type(exc).__name__}"
    return Numeric.UNKNOWN, f"not compared ({type(gold).__name__} vs {type(answer).__name__})"


def _compare_equations(gold: Any, answer: Any) -> tuple[Numeric, str] | None:
    """Two equations (assignments `x = …` by their right-hand sides, others as proportional
    sides), or an assignment and an expression; None when neither is an equation."""
    if isinstance(gold, sympy.Eq) and isinstance(answer, sympy.Eq):
        if isinstance(gold.lhs, sympy.Symbol) and isinstance(answer.lhs, sympy.Symbol):
            if gold.lhs != answer.lhs:
                return Numeric.UNKNOWN, "assignments to different symbols"
            return _compare_scalars(gold.rhs, answer.rhs)
        return _compare_scalars(gold.lhs - gold.rhs, answer.lhs - answer.rhs, scaled=True)
    if isinstance(gold, sympy.Eq) and isinstance(gold.lhs, sympy.Symbol) and isinstance(answer, sympy.Expr):
        return _compare_scalars(gold.rhs, answer)
    if isinstance(answer, sympy.Eq) and isinstance(answer.lhs, sympy.Symbol) and isinstance(gold, sympy.Expr):
        return _compare_scalars(gold, answer.rhs)
    return None


def _compare_collections(gold: Any, answer: Any) -> tuple[Numeric, str] | None:
    """Intervals, finite sets, tuples and matrices, element by element; None for other pairs."""
    if isinstance(gold, sympy.Interval) and isinstance(answer, sympy.Interval):
        if (gold.left_open, gold.right_open) != (answer.left_open, answer.right_open):
            return Numeric.NOT_EQUAL, "interval ends differ (open vs closed)"
        return _compare_sequences((gold.start, gold.end), (answer.start, answer.end))
    if isinstance(gold, sympy.FiniteSet) and isinstance(answer, sympy.FiniteSet):
        return _compare_finite_sets(gold, answer)
    if isinstance(gold, sympy.Tuple) and isinstance(answer, sympy.Tuple):
        return _compare_sequences(gold.args, answer.args)
    if isinstance(gold, MatrixBase) and isinstance(answer, MatrixBase):
        if gold.shape != answer.shape:
            return Numeric.NOT_EQUAL, f"matrix shape {answer.shape}, expected {gold.shape}"
        return _compare_sequences(list(gold), list(answer))
    return None


def _is_percent(expr: Any) -> bool:
    return any(
        isinstance(a, sympy.UnevaluatedExpr) and a.args[0] == sympy.Rational(1, 100)
        for a in sympy.preorder_traversal(expr)
    )
