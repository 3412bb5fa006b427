"""Inputs built to make the math reward's inline path slow (`check_math_quick`, `parse_exact` run on
the API's event loop): the hang-guard tests and `benchmarks/bench_math_inline.py` use the same lists."""

from __future__ import annotations

# Completions: runs of delimiters, braces and answer phrases a greedy scan could rescan.
ADVERSARIAL_COMPLETIONS = [
    "\\(" * 6000,
    "\\[" * 6000,
    "$$x" * 4000,
    "answer is " * 1500,
    "{" * 15000,
    "$" + "x" * 19000,
    "the answer is $" + "x or " * 3000,
    "\\boxed{" + "1 or " * 190 + "}",
    "\\boxed{1}, " * 1500,
]
# Answers whose exact value is costly to build (huge powers, big radicands, wide expansions).
COSTLY_FORMS = [
    "(2^{2000})^{2000}",
    "\\sqrt{99999999977}",
    "(a+b+c+d+f+g+h+j+k+l)^{40}",
    "(a+b+c+d+f+g+h+j+k+l)^{3}(m+n+o+p+q+r+s+t+u+v)^{3}",
    "(1000000x+999999)^{40}",
    "9^{9^{9}}",
]
