"""Labelled text for the language reward's benchmark: clauses and 2,000-character chains of thought.

The clauses live in tests/support/data/language_clauses.tsv (the tests use them too); the chains of
thought are assembled here from those clauses, a pool of Chinese sentences, LaTeX and code, in the
mixes a training run sees (pure English, pure Chinese, Chinese/English mixing, heavy math/code,
French drifting into English), with a seeded RNG so every run scores the same text.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from tests.support.paths import LANGUAGE_CLAUSES

CLAUSES_PATH = LANGUAGE_CLAUSES
LATIN_DRIFT = ("en", "fr", "de", "es", "pt", "it")

CHINESE = (
    "首先我们把题目给出的条件整理一下",
    "设这个数为未知数，那么根据题意可以列出方程",
    "等等，这里好像算错了，我再仔细检查一遍",
    "把第二个式子代入第一个式子，就可以消去一个变量",
    "所以这个数列从第二项开始是单调递增的",
    "接下来考虑分母为零的情况，这时表达式没有意义",
    "我们可以用反证法来证明这个结论",
    "根据余弦定理，第三条边的长度可以直接求出",
    "这说明余数每六步重复一次，所以只需要看前六项",
    "因此答案应该是两个根的和，也就是一次项系数的相反数",
    "嗯，让我换一个思路，先求补集的概率再用一减去它",
    "验证一下：把结果代回原方程，两边确实相等",
    "注意到函数在闭区间上连续，所以一定能取到最大值",
    "这样一来，总的方法数就是每一步选择数的乘积",
    "好的，到这里为止推导都是正确的",
)
LATEX = (
    "$x^2 + 2x + 1 = 0$",
    "$\\frac{a+b}{2} \\ge \\sqrt{ab}$",
    "$$\\sum_{k=1}^{n} k = \\frac{n(n+1)}{2}$$",
    "\\[ f'(x) = 3x^2 - 6x + 2 \\]",
    "$\\binom{10}{3} = 120$",
    "$P(A \\cup B) = 0.75$",
)
CODE = (
    "```python\ndef f(n):\n    return sum(k * k for k in range(n + 1))\nprint(f(10))\n```",
    "```\nfor i in range(1, 7):\n    print(i, 2 ** i % 7)\n```",
)


def load_clauses() -> list[tuple[str, str]]:
    """(language, clause) pairs of the labelled set."""
    rows = []
    for line in CLAUSES_PATH.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            language, clause = line.split("\t", 1)
            rows.append((language, clause))
    return rows


@dataclass(frozen=True)
class Cot:
    kind: str
    completion: str
    target: str


def _sentences(rng: random.Random, pool: list[str], end: str) -> str:
    sentence = rng.choice(pool)
    if sentence.endswith((".", "。")):
        return sentence + end[1:]
    return sentence + end


def make_cot(rng: random.Random, kind: str, clauses: dict[str, list[str]], length: int = 2000) -> Cot:
    """One chain of thought of about `length` characters, wrapped in the R1 template."""
    english, french, chinese = clauses["en"], clauses["fr"], list(CHINESE)
    parts: list[str] = []
    size = 0
    target = {"pure_en": "en", "pure_zh": "zh", "math_code": "en", "fr_drift": "fr"}.get(kind, "")
    if kind == "mixed":
        target = rng.choice(("en", "zh"))
    while size < length:
        if kind == "pure_zh":
            part = _sentences(rng, chinese, "。")
        elif kind == "mixed":
            part = _sentences(rng, english, ". ") if rng.random() < 0.5 else _sentences(rng, chinese, "。")
        elif kind == "fr_drift":
            part = _sentences(rng, english, ". ") if rng.random() < 0.3 else _sentences(rng, french, ". ")
        elif kind == "math_code" and rng.random() < 0.3:
            part = f"\n{rng.choice(LATEX + CODE)}\n"
        else:
            part = _sentences(rng, english, ". ")
        if kind in ("pure_en", "pure_zh") and rng.random() < 0.15:
            part += f" {rng.choice(LATEX[:2])} "
        parts.append(part)
        size += len(part)
    think = "".join(parts)[:length]
    return Cot(kind, f"<think>{think}</think>\n<answer>\\boxed{{42}}</answer>", target)


# How often each kind appears in the benchmark mix.
MIX = {"pure_en": 0.35, "pure_zh": 0.25, "mixed": 0.2, "math_code": 0.15, "fr_drift": 0.05}


def make_cots(count: int, seed: int = 0) -> list[Cot]:
    rng = random.Random(seed)
    by_language: dict[str, list[str]] = {}
    for language, clause in load_clauses():
        by_language.setdefault(language, []).append(clause)
    kinds = rng.choices(list(MIX), weights=list(MIX.values()), k=count)
    return [make_cot(rng, kind, by_language) for kind in kinds]
