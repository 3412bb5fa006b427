"""Generate the labelled math corpus: `python tests/support/math_corpus/generate.py` rewrites corpus.jsonl.

Every case is (gold, completion, correct) labelled *by construction*: an equivalent rewrite is built
from the same exact value or polynomial (an unreduced fraction of a/b, the expansion of a product,
a reordered set), a near miss by a deliberate change (a flipped sign, an exponent off by one, a
swapped bracket, a neighbouring factorial). No checker is consulted. Families:

- equivalent:  fractions, decimals, radicals, polynomials, intervals, sets, tuples, matrices, units,
               percentages, scientific notation, trig values, equations, degrees (correct)
- near_miss:   sign errors, off-by-one exponents, swapped brackets, wrong factorials, dropped factors,
               rounding, tiny magnitudes, order of tuples, a set element short (wrong)
- latex_noise: \\dfrac, \\left( \\right), \\, spacing, ^\\circ, \\text{} units around a correct answer
- free_text:   answers stated in prose without a box ("Therefore, the answer is 3/4.")
- hedge:       several different answers at once, "A or B" (wrong); self-correction and repeats (right)
- pathological: huge exponents, deep nesting, 10,000-character answers (wrong; must be fast)
"""

from __future__ import annotations

import json
import random
from fractions import Fraction
from math import gcd
from pathlib import Path

OUT = Path(__file__).with_name("corpus.jsonl")
SEED = 20261123

FILLER = [
    "First, let's set up the problem. We have 3 apples and 5 oranges, so there are 8 fruits in total.",
    "Let x be the unknown. Substituting x = 2 into the first equation gives 2 + 7 = 9.",
    "We compute step by step: 12 * 4 = 48, then 48 / 6 = 8, and adding 17 gives 25.",
    "Consider the triangle with sides 3, 4 and 5; its area is 6.",
    "Expanding the product and collecting like terms, the constant term is 10.",
]

TEMPLATES = [
    "<think>{filler}</think>\n<answer>\\boxed{{{ans}}}</answer>",
    "{filler}\n\nTherefore, the final answer is $\\boxed{{{ans}}}$.",
    "<think>{filler} So the answer should be {ans}.</think><answer>{ans}</answer>",
    "{filler} Hence the answer is $\\boxed{{{ans}}}$",
    "<think>{filler}</think>\n<answer>The answer is $\\boxed{{{ans}}}$.</answer>",
]


def frac_tex(v: Fraction, cmd: str = "\\frac") -> str:
    if v.denominator == 1:
        return str(v.numerator)
    sign = "-" if v < 0 else ""
    return f"{sign}{cmd}{{{abs(v.numerator)}}}{{{v.denominator}}}"


def terminating(v: Fraction) -> bool:
    d = v.denominator
    for p in (2, 5):
        while d % p == 0:
            d //= p
    return d == 1


def decimal_text(v: Fraction) -> str:
    assert terminating(v)
    places = 0
    while (v * 10**places).denominator != 1:
        places += 1
    scaled = v * 10**places
    text = f"{abs(scaled.numerator) / 10**places:.{places}f}"
    return ("-" if v < 0 else "") + text


class Builder:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.cases: list[dict[str, object]] = []

    def completion(self, ans: str) -> str:
        return self.rng.choice(TEMPLATES).format(filler=self.rng.choice(FILLER), ans=ans)

    def add(
        self, family: str, kind: str, gold: str, ans: str, correct: bool, completion: str | None = None
    ) -> None:
        self.cases.append(
            {
                "id": f"{family}-{kind}-{len(self.cases):04d}",
                "family": family,
                "kind": kind,
                "gold": gold,
                "completion": completion if completion is not None else self.completion(ans),
                "correct": correct,
            }
        )

    def fraction(self) -> Fraction:
        while True:
            a, b = self.rng.randint(-40, 40), self.rng.randint(2, 30)
            if a != 0 and gcd(a, b) == 1:
                return Fraction(a, b)

    # ---- equivalent rewrites ------------------------------------------------------------------
    def equivalents(self) -> None:
        r = self.rng
        for _ in range(30):
            v = self.fraction()
            k = r.randint(2, 9)
            self.add(
                "equivalent",
                "fraction_unreduced",
                frac_tex(v),
                f"\\frac{{{v.numerator * k}}}{{{v.denominator * k}}}",
                True,
            )
            self.add("equivalent", "fraction_slash", frac_tex(v), f"{v.numerator}/{v.denominator}", True)
            if terminating(v):
                self.add("equivalent", "fraction_decimal", frac_tex(v), decimal_text(v), True)
                self.add("equivalent", "decimal_fraction", decimal_text(v), frac_tex(v), True)
        for _ in range(15):
            whole, num, den = r.randint(1, 9), r.randint(1, 6), 7
            v = whole + Fraction(num, den)
            self.add("equivalent", "mixed_number", frac_tex(v), f"{whole}\\frac{{{num}}}{{{den}}}", True)
        for _ in range(25):
            a, n = r.randint(2, 9), r.choice([2, 3, 5, 6, 7, 10, 11])
            self.add("equivalent", "radical", f"{a}\\sqrt{{{n}}}", f"\\sqrt{{{a * a * n}}}", True)
            self.add(
                "equivalent",
                "radical_rationalised",
                f"\\frac{{\\sqrt{{{n}}}}}{{{n}}}",
                f"\\frac{{1}}{{\\sqrt{{{n}}}}}",
                True,
            )
        for _ in range(30):
            p, q = r.randint(-9, 9) or 1, r.randint(-9, 9) or 2
            # (x + p)(x + q) = x^2 + (p+q)x + pq
            expanded = poly_tex([1, p + q, p * q])
            factored = f"(x{sgn(p)})(x{sgn(q)})"
            self.add("equivalent", "polynomial_factored", expanded, factored, True)
            self.add("equivalent", "polynomial_expanded", factored, expanded, True)
        for _ in range(20):
            a = r.randint(-20, 10)
            b = a + r.randint(1, 15)
            lo, hi = r.choice([("[", "]"), ("(", ")"), ("[", ")"), ("(", "]")])
            gold = f"{lo}{a}, {b}{hi}"
            left = "\\left[" if lo == "[" else "\\left("
            right = "\\right]" if hi == "]" else "\\right)"
            self.add("equivalent", "interval", gold, f"{left}{a},{b}{right}", True)
        self._equivalent_structures()

    def _equivalent_structures(self) -> None:
        """Sets, tuples, matrices, units, percentages, scientific notation, evaluated functions,
        equations, degrees, symbolic identities."""
        r = self.rng
        for _ in range(25):
            elems = r.sample(range(-15, 30), r.randint(2, 5))
            shuffled = elems[:]
            while shuffled == elems:
                r.shuffle(shuffled)
            self.add(
                "equivalent",
                "set_order",
                "\\{" + ", ".join(map(str, elems)) + "\\}",
                "\\{" + ", ".join(map(str, shuffled)) + "\\}",
                True,
            )
        for _ in range(20):
            t = [r.randint(-9, 9) for _ in range(r.randint(2, 3))]
            v = Fraction(t[0], 2)
            gold = "(" + ", ".join(map(str, t)) + ")"
            self.add("equivalent", "tuple", gold, "\\left(" + ",\\ ".join(map(str, t)) + "\\right)", True)
            self.add(
                "equivalent",
                "tuple_fraction",
                f"({frac_tex(v)}, {t[1]})",
                f"\\left({frac_tex(v * 2)}/2, {t[1]}\\right)",
                True,
            )
        for _ in range(20):
            m = [[r.randint(-9, 9) for _ in range(2)] for _ in range(2)]
            body = " \\\\ ".join(" & ".join(map(str, row)) for row in m)
            self.add(
                "equivalent",
                "matrix",
                f"\\begin{{pmatrix}} {body} \\end{{pmatrix}}",
                f"\\begin{{bmatrix}}{body}\\end{{bmatrix}}",
                True,
            )
        for _ in range(15):
            n = r.randint(2, 500)
            unit = r.choice(["cm", "meters", "dollars", "km", "units"])
            self.add("equivalent", "units", str(n), f"{n}\\text{{ {unit}}}", True)
        for _ in range(15):
            pct = r.choice([5, 12, 25, 40, 50, 75, 120])
            self.add("equivalent", "percentage", decimal_text(Fraction(pct, 100)), f"{pct}\\%", True)
        for _ in range(15):
            mant, exp = r.randint(11, 99), r.randint(3, 8)
            value = mant * 10 ** (exp - 1)
            self.add("equivalent", "scientific", str(value), f"{mant / 10}\\times 10^{{{exp}}}", True)
        trig = [
            ("\\sin\\left(\\frac{\\pi}{6}\\right)", "\\frac{1}{2}"),
            ("\\cos\\frac{\\pi}{3}", "0.5"),
            ("\\tan\\left(\\frac{\\pi}{4}\\right)", "1"),
            ("\\sin\\frac{\\pi}{3}", "\\frac{\\sqrt{3}}{2}"),
            ("\\cos\\left(\\frac{\\pi}{4}\\right)", "\\frac{\\sqrt{2}}{2}"),
            ("e^{\\ln 5}", "5"),
            ("\\log_{2} 8", "3"),
            ("\\sqrt[3]{27}", "3"),
            ("2^{10}", "1024"),
            ("\\binom{5}{2}", "10"),
        ]
        for ans, gold in trig:
            self.add("equivalent", "evaluated", gold, ans, True)
        for _ in range(20):
            a, b = r.randint(1, 9), r.randint(-9, 9)
            k = r.choice([2, 3, -1, -2])
            gold = f"y = {a}x {'+' if b >= 0 else '-'} {abs(b)}"
            ans = f"{k * a}x - {k}y {'+' if k * b >= 0 else '-'} {abs(k * b)} = 0".replace("- -", "+ ")
            self.add("equivalent", "equation_scaled", gold, ans, True)
        for _ in range(10):
            d = r.choice([30, 45, 60, 90, 120, 135])
            self.add("equivalent", "degrees", str(d), f"{d}^\\circ", True)
        for _ in range(10):
            n = r.randint(2, 40)
            self.add(
                "equivalent",
                "symbolic_identity",
                f"\\sqrt{{\\frac{{1}}{{{n}x}}}}",
                f"\\frac{{1}}{{\\sqrt{{{n}x}}}}",
                True,
            )

    # ---- near misses ----------------------------------------------------------------------------
    def near_misses(self) -> None:
        r = self.rng
        for _ in range(30):
            v = self.fraction()
            self.add("near_miss", "sign_error", frac_tex(v), frac_tex(-v), False)
        for c in ["e", "\\pi", "\\sqrt{2}", "\\sqrt{3}"]:
            for k in range(1, 4):
                self.add(
                    "near_miss", "sign_error", f"{k}-\\frac{{1}}{{{c}}}", f"{k}+\\frac{{1}}{{{c}}}", False
                )
        for _ in range(25):
            base, e = r.choice([2, 3, 5, 10]), r.randint(40, 150)
            self.add(
                "near_miss",
                "off_by_one_exponent",
                f"\\frac{{1}}{{{base}^{{{e}}}}}",
                f"\\frac{{1}}{{{base}^{{{e - 1}}}}}",
                False,
            )
        for _ in range(15):
            p = r.randint(2, 6)
            self.add("near_miss", "off_by_one_exponent", f"x^{{{p}}} + 1", f"x^{{{p + 1}}} + 1", False)
        for _ in range(20):
            n = r.randint(50, 2010)
            self.add(
                "near_miss",
                "wrong_factorial",
                f"\\frac{{1}}{{{n}!}}",
                f"\\frac{{1}}{{{n + r.choice([1, 2])}!}}",
                False,
            )
        for _ in range(20):
            a = r.randint(-20, 10)
            b = a + r.randint(1, 15)
            self.add("near_miss", "swapped_brackets", f"[{a}, {b})", f"({a}, {b}]", False)
            self.add("near_miss", "swapped_brackets", f"[{a}, {b}]", f"({a}, {b})", False)
        self._near_miss_structures()

    def _near_miss_structures(self) -> None:
        """Dropped factors, other equations, rounding, tiny magnitudes, tuple order, a set element
        short, absolute values, matrix entries, polynomial signs."""
        r = self.rng
        for _ in range(20):
            k, n = r.randint(2, 9), r.choice([2, 3, 5, 7])
            self.add("near_miss", "dropped_factor", str(k), f"{k}\\sqrt{{{n}}}", False)
        for _ in range(15):
            a, b = r.randint(1, 9), r.randint(1, 9)
            c, d = r.randint(1, 9), r.randint(1, 9)
            if a * d == b * c:
                continue
            self.add(
                "near_miss", "different_equation", f"{a}x - {b}y + 13 = 0", f"{c}x + {d}y + 14 = 0", False
            )
        for q in (3, 7, 9, 11):
            v = Fraction(1, q)
            self.add("near_miss", "rounding", frac_tex(v), f"{float(v):.2f}", False)
        for e in range(7, 13):
            self.add("near_miss", "tiny_magnitude", f"1 \\times 10^{{-{e}}}", f"2 \\times 10^{{-{e}}}", False)
        for _ in range(15):
            a, b = r.sample(range(-9, 10), 2)
            self.add("near_miss", "tuple_order", f"({a}, {b})", f"({b}, {a})", False)
        for _ in range(15):
            elems = r.sample(range(-15, 30), r.randint(3, 5))
            self.add(
                "near_miss",
                "set_missing",
                "\\{" + ", ".join(map(str, elems)) + "\\}",
                "\\{" + ", ".join(map(str, elems[:-1])) + "\\}",
                False,
            )
        for _ in range(10):
            self.add("near_miss", "abs_value", "|x - 1|", "x - 1", False)
        for _ in range(15):
            m = [[r.randint(-9, 9) for _ in range(2)] for _ in range(2)]
            w = [row[:] for row in m]
            w[1][1] += r.choice([-1, 1])
            body = lambda mm: " \\\\ ".join(" & ".join(map(str, row)) for row in mm)  # noqa: E731
            self.add(
                "near_miss",
                "matrix_entry",
                f"\\begin{{pmatrix}} {body(m)} \\end{{pmatrix}}",
                f"\\begin{{pmatrix}} {body(w)} \\end{{pmatrix}}",
                False,
            )
        for _ in range(15):
            p, q = r.randint(1, 9), r.randint(1, 9)
            self.add(
                "near_miss", "polynomial_sign", poly_tex([1, p + q, p * q]), f"(x{sgn(p)})(x{sgn(-q)})", False
            )

    # ---- LaTeX noise ------------------------------------------------------------------------------
    def latex_noise(self) -> None:
        r = self.rng
        for _ in range(60):
            v = self.fraction()
            noise = r.choice(
                [
                    frac_tex(v, "\\dfrac"),
                    frac_tex(v, "\\tfrac"),
                    "\\left(" + frac_tex(v) + "\\right)",
                    "\\," + frac_tex(v) + "\\,",
                    "\\displaystyle " + frac_tex(v, "\\dfrac"),
                    frac_tex(v) + "\\text{ units}",
                    " " + frac_tex(v) + " ",
                ]
            )
            self.add("latex_noise", "noise", frac_tex(v), noise, True)
        for _ in range(15):
            d = r.randint(10, 170)
            self.add("latex_noise", "degrees", f"{d}^\\circ", f"{d}^{{\\circ}}", True)
            self.add("latex_noise", "text_unit", str(d), f"{d}\\,\\text{{cm}}", True)

    # ---- hedges, multi-answer hacks, self-correction -----------------------------------------
    def hedges(self) -> None:
        r = self.rng
        for _ in range(25):
            a = r.randint(-30, 60)
            b = a + r.randint(1, 9)
            gold = str(r.choice([a, b]))
            filler = r.choice(FILLER)
            self.add(
                "hedge",
                "multi_box",
                gold,
                "",
                False,
                f"{filler} The answer is $\\boxed{{{a}}}$, $\\boxed{{{b}}}$.",
            )
            self.add(
                "hedge", "or_boxes", gold, "", False, f"{filler} So it is \\boxed{{{a}}} or \\boxed{{{b}}}."
            )
            self.add(
                "hedge",
                "or_inside",
                gold,
                "",
                False,
                f"<think>{filler}</think><answer>\\boxed{{{a} \\text{{ or }} {b}}}</answer>",
            )
            self.add(
                "hedge",
                "or_text",
                gold,
                "",
                False,
                f"<think>{filler}</think><answer>The answer is {a} or {b}.</answer>",
            )
            self.add(
                "hedge",
                "spray",
                gold,
                "",
                False,
                f"{filler} " + ", ".join(f"\\boxed{{{k}}}" for k in range(a, a + 6)),
            )
            self.add(
                "hedge",
                "self_correction",
                str(b),
                "",
                True,
                f"{filler} So the answer is \\boxed{{{a}}}. Wait, actually I made an arithmetic error: "
                f"redoing the last step gives {b}. \\boxed{{{b}}}",
            )
            self.add(
                "hedge",
                "self_correction_wrong",
                str(a),
                "",
                False,
                f"{filler} So the answer is \\boxed{{{a}}}. Hmm, let me recheck. "
                f"Actually it is {b}. \\boxed{{{b}}}",
            )
            self.add(
                "hedge",
                "repeated_same",
                str(a),
                "",
                True,
                f"{filler} \\boxed{{{a}}}. Checking again, we still get \\boxed{{{a}}}.",
            )
        for _ in range(10):
            a, b = r.sample(range(-9, 10), 2)
            gold = f"\\{{{min(a, b)}, {max(a, b)}\\}}"
            self.add(
                "hedge",
                "roots_or",
                gold,
                "",
                True,
                f"Solving the quadratic, \\boxed{{x = {a} \\text{{ or }} x = {b}}}",
            )

    # ---- answers stated in prose, without a box ------------------------------------------------
    def free_text(self) -> None:
        r = self.rng
        endings = [
            "Therefore, the answer is {ans}.",
            "So the final answer is ${ans}$.",
            "Putting everything together we get $x = {ans}$",
            "Final answer: {ans}",
            "Thus the value is $${ans}$$",
        ]
        for _ in range(40):
            v = self.fraction()
            k = r.randint(2, 5)
            right = r.choice([frac_tex(v), f"\\frac{{{v.numerator * k}}}{{{v.denominator * k}}}"])
            wrong = r.choice([frac_tex(-v), frac_tex(v + 1), frac_tex(v * 2)])
            for ans, correct in ((right, True), (wrong, False)):
                text = r.choice(FILLER) + " " + r.choice(endings).format(ans=ans)
                self.add("free_text", "fraction", frac_tex(v), "", correct, text)
        for _ in range(15):
            k, n = r.randint(2, 9), r.choice([2, 3, 5])
            text = r.choice(FILLER) + " " + r.choice(endings).format(ans=f"{k}\\sqrt{{{n}}}")
            self.add("free_text", "dropped_factor", str(k), "", False, text)
            self.add("free_text", "radical", f"\\sqrt{{{k * k * n}}}", "", True, text)

    # ---- pathological inputs --------------------------------------------------------------------
    def pathological(self) -> None:
        cases = [
            "9^{9^{9^{9}}}",
            "10^{10^{10}}",
            "2^{1000000000}",
            "(100000!)!",
            "1000000!",
            "{" * 300 + "1" + "}" * 300,
            "(" * 400 + "x" + ")" * 400,
            "\\frac{" * 120 + "1" + "}{2}" * 120,
            "1" * 10_000,
            "x+" * 5_000 + "1",
            "\\sqrt{" * 200 + "2" + "}" * 200,
            "a" * 10_000,
            "\\left(" * 500 + "1" + "\\right)" * 500,
        ]
        for i, ans in enumerate(cases):
            self.add("pathological", f"p{i}", "7", ans, False)
            self.add("pathological", f"p{i}_unboxed", "7", "", False, f"<answer>{ans}</answer>")


def sgn(n: int) -> str:
    return f"+{n}" if n >= 0 else str(n)


def poly_tex(coeffs: list[int]) -> str:
    """x^2 + bx + c from [1, b, c] (skipping zero terms)."""
    terms = []
    degree = len(coeffs) - 1
    for i, c in enumerate(coeffs):
        power = degree - i
        if c == 0:
            continue
        mag = abs(c)
        body = (
            ("" if mag == 1 and power else str(mag))
            + ("x" if power >= 1 else "")
            + (f"^{power}" if power > 1 else "")
        )
        terms.append(("-" if c < 0 else "+") + body)
    text = "".join(terms)
    return text[1:] if text.startswith("+") else text


def build() -> list[dict[str, object]]:
    builder = Builder(SEED)
    builder.equivalents()
    builder.near_misses()
    builder.latex_noise()
    builder.hedges()
    builder.free_text()
    builder.pathological()
    return builder.cases


if __name__ == "__main__":
    cases = build()
    with OUT.open("w") as f:
        for case in cases:
            f.write(json.dumps(case, ensure_ascii=False) + "\n")
    print(f"wrote {len(cases)} cases to {OUT}")
