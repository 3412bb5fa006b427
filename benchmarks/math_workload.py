"""A realistic GRPO-style math workload: groups of completions per prompt, labelled by construction.

Each prompt has a gold answer (mostly integers, then fractions, radicals, polynomials, intervals,
tuples, 5% pi / infinite intervals / rational functions / matrices, 5% trig, logarithms,
exponentials, inequalities) and a group of completions: right, right in another form, wrong,
junk (truncated or no answer) and a few hedges. Reasoning text is ~1-2k characters with numbers
and LaTeX in it, like a model's chain of thought.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from fractions import Fraction

REASONING = [
    "Let me denote the unknown by $x$. From the statement, $3x + 5 = 2x + 9$, so $x = 4$ for the first part.",
    "We have $a = 3$ and $b = 4$, so $a^2 + b^2 = 25$ and the hypotenuse is $5$.",
    "Now I need to count the cases carefully: there are $\\binom{6}{2} = 15$ pairs in total.",
    "Multiplying both sides by $12$ gives $4y - 3 = 6$, hence $y = \\frac{9}{4}$.",
    "Let me double check the arithmetic: $17 \\times 23 = 391$, and $391 - 16 = 375$.",
    "Using the identity $\\sin^2\\theta + \\cos^2\\theta = 1$ we can simplify the expression.",
    "The sum of the first $n$ odd numbers is $n^2$, so for $n = 10$ we get $100$.",
    "Substituting back into the original equation confirms the value satisfies all constraints.",
    "So the probability is the ratio of favourable outcomes to total outcomes.",
    "Consider the polynomial $p(t) = t^3 - 6t^2 + 11t - 6 = (t-1)(t-2)(t-3)$.",
]


@dataclass(frozen=True)
class Item:
    prompt_id: int
    gold: str
    completion: str
    correct: bool
    kind: str


def _frac(v: Fraction) -> str:
    if v.denominator == 1:
        return str(v.numerator)
    sign = "-" if v < 0 else ""
    return f"{sign}\\frac{{{abs(v.numerator)}}}{{{v.denominator}}}"


def _gold(rng: random.Random) -> tuple[str, list[str], list[str]]:
    """(gold, equivalent forms, wrong answers)."""
    roll = rng.random()
    if roll < 0.5:
        n = rng.randint(-50, 2000)
        return (
            str(n),
            [f"{n}.0", f"{n}\\text{{ units}}", f"\\frac{{{2 * n}}}{{2}}"],
            [str(n + 1), str(-n - 1), str(n + 10)],
        )
    if roll < 0.65:
        v = Fraction(rng.randint(1, 40), rng.randint(2, 17))
        k = rng.randint(2, 5)
        eq = [
            f"\\frac{{{v.numerator * k}}}{{{v.denominator * k}}}",
            f"{v.numerator}/{v.denominator}",
            _frac(v).replace("\\frac", "\\dfrac"),
        ]
        return _frac(v), eq, [_frac(-v), _frac(v + 1), _frac(1 / v) if v != 1 else "2"]
    if roll < 0.75:
        a, n = rng.randint(2, 9), rng.choice([2, 3, 5, 7])
        return (
            f"{a}\\sqrt{{{n}}}",
            [f"\\sqrt{{{a * a * n}}}"],
            [f"{a + 1}\\sqrt{{{n}}}", str(a), f"{a}\\sqrt{{{n + 1}}}"],
        )
    if roll < 0.82:
        p, q = rng.randint(1, 9), rng.randint(1, 9)
        expanded = f"x^2 + {p + q}x + {p * q}"
        return expanded, [f"(x+{p})(x+{q})"], [f"x^2 + {p + q}x - {p * q}", f"(x+{p})(x-{q})"]
    if roll < 0.86:
        a = rng.randint(-10, 5)
        b = a + rng.randint(1, 10)
        return f"[{a}, {b})", [f"\\left[{a},{b}\\right)"], [f"({a}, {b}]", f"[{a}, {b + 1})"]
    if roll < 0.90:
        a, b = rng.sample(range(-9, 10), 2)
        return f"({a}, {b})", [f"\\left({a}, {b}\\right)"], [f"({b}, {a})", f"({a}, {b + 1})"]
    if roll < 0.95:
        return _rich_gold(rng)
    return _parser_gold(rng)


def _parser_gold(rng: random.Random) -> tuple[str, list[str], list[str]]:
    """Answers only the LaTeX parser and sympy can judge: trig, logarithms, exponentials, inequalities."""
    roll = rng.random()
    k = rng.randint(2, 9)
    if roll < 0.25:
        return (
            f"{k}\\sin x \\cos x",
            [f"\\frac{{{k}}}{{2}}\\sin 2x", f"{k}\\cos(x)\\sin(x)"],
            [f"{k}\\sin 2x", f"{k}\\cos^2 x"],
        )
    if roll < 0.5:
        return (
            f"\\ln {k * (k + 1)}",
            [f"\\ln {k} + \\ln {k + 1}", f"\\ln({k * (k + 1)})"],
            [f"\\ln {k + 1}", f"{k}\\ln 2"],
        )
    if roll < 0.75:
        return f"e^{{{k}}}", [f"e^{k}", f"e^{{{k - 1}}} \\cdot e"], [f"{k}e", f"e^{{{k + 1}}}"]
    return f"x > {k}", [f"{k} < x", f"({k}, \\infty)"], [f"x \\ge {k}", f"x < {k}"]


def _rich_gold(rng: random.Random) -> tuple[str, list[str], list[str]]:
    """pi, infinite intervals, rational functions, matrices (exact forms; the parser once needed them all)."""
    roll = rng.random()
    k = rng.randint(2, 12)
    if roll < 0.25:
        return (
            f"\\frac{{\\pi}}{{{k}}}",
            [f"\\pi/{k}", f"\\frac{{2\\pi}}{{{2 * k}}}"],
            [f"\\frac{{\\pi}}{{{k + 1}}}", f"{k}\\pi"],
        )
    if roll < 0.5:
        return (
            f"(-\\infty, {k}]",
            [f"\\left(-\\infty, {k}\\right]"],
            [f"(-\\infty, {k})", f"[{k}, \\infty)"],
        )
    if roll < 0.75:
        return (
            f"\\frac{{x+{k}}}{{x-{k}}}",
            [f"\\frac{{-x-{k}}}{{{k}-x}}"],
            [f"\\frac{{x-{k}}}{{x+{k}}}", f"\\frac{{x+{k + 1}}}{{x-{k}}}"],
        )
    m = [rng.randint(-9, 9) for _ in range(4)]
    body = f"{m[0]} & {m[1]} \\\\ {m[2]} & {m[3]}"
    wrong = f"{m[0]} & {m[1]} \\\\ {m[2]} & {m[3] + 1}"
    return (
        f"\\begin{{pmatrix}} {body} \\end{{pmatrix}}",
        [f"\\begin{{bmatrix}}{body}\\end{{bmatrix}}"],
        [f"\\begin{{pmatrix}} {wrong} \\end{{pmatrix}}"],
    )


def _reasoning(rng: random.Random, chars: int) -> str:
    parts: list[str] = []
    while sum(len(p) + 1 for p in parts) < chars:
        parts.append(rng.choice(REASONING))
    return " ".join(parts)


def _completion(rng: random.Random, answer: str) -> str:
    think = _reasoning(rng, rng.randint(800, 2000))
    style = rng.random()
    if style < 0.5:
        return f"<think>{think}</think>\n<answer>\\boxed{{{answer}}}</answer>"
    if style < 0.85:
        return f"{think}\n\nTherefore, the final answer is $\\boxed{{{answer}}}$."
    return f"<think>{think}</think>\n<answer>The answer is ${answer}$.</answer>"


def build_workload(
    n_items: int = 2000, group_size: int = 8, seed: int = 7, hard_only: bool = False
) -> list[Item]:
    """`hard_only`: every gold needs the LaTeX parser and sympy (the worst case for our exact paths)."""
    rng = random.Random(seed)
    items: list[Item] = []
    prompt_id = 0
    while len(items) < n_items:
        gold, equivalents, wrongs = _parser_gold(rng) if hard_only else _gold(rng)
        for _ in range(group_size):
            roll = rng.random()
            if roll < 0.40:
                items.append(Item(prompt_id, gold, _completion(rng, gold), True, "right"))
            elif roll < 0.55:
                items.append(
                    Item(prompt_id, gold, _completion(rng, rng.choice(equivalents)), True, "equivalent")
                )
            elif roll < 0.85:
                items.append(Item(prompt_id, gold, _completion(rng, rng.choice(wrongs)), False, "wrong"))
            elif roll < 0.95:
                junk = _reasoning(rng, rng.randint(300, 2500))  # truncated: never reaches an answer
                items.append(Item(prompt_id, gold, junk, False, "junk"))
            else:
                hedge = (
                    f"{_reasoning(rng, 800)} It is $\\boxed{{{gold}}}$ or $\\boxed{{{rng.choice(wrongs)}}}$."
                )
                items.append(Item(prompt_id, gold, hedge, False, "hedge"))
        prompt_id += 1
    return items[:n_items]
