"""Tasks and programs the efficiency tests share: a reference, the same work done ten times, a
closed form, and a wrong answer, for judge-style (stdin) and function-call tests."""

from __future__ import annotations

from typing import Any

N = 400_000  # the reference's loop: tens of ms of CPU in CPython, well above the 10 ms floor
TOTAL = N * (N - 1) // 2

LOOP = "n = int(input())\ns = 0\nfor i in range(n):\n    s += i\nprint(s)\n"
TENFOLD = (
    "n = int(input())\nfor _ in range(10):\n    s = 0\n    for i in range(n):\n        s += i\nprint(s)\n"
)
CLOSED_FORM = "n = int(input())\nprint(n * (n - 1) // 2)\n"
WRONG = "n = int(input())\nprint(n)\n"

LOOP_FN = "def triangle(n):\n    s = 0\n    for i in range(n):\n        s += i\n    return s\n"
TENFOLD_FN = (
    "def triangle(n):\n    for _ in range(10):\n        s = 0\n        for i in range(n):\n"
    "            s += i\n    return s\n"
)
CLOSED_FORM_FN = "def triangle(n):\n    return n * (n - 1) // 2\n"


def fenced(code: str) -> str:
    return f"<think>done</think><answer>```python\n{code}```</answer>"


def stdio_task(**extra: Any) -> dict[str, Any]:
    """Two tests: one with real work, one tiny (its time is all start-up)."""
    tests = [{"stdin": f"{N}\n", "expected_stdout": str(TOTAL)}, {"stdin": "10\n", "expected_stdout": "45"}]
    return {"type": "code", "language": "python", "tests": tests, "reference_solution": LOOP} | extra


def function_task(**extra: Any) -> dict[str, Any]:
    test_code = f"def check(f):\n    assert f({N}) == {TOTAL}\n    assert f(10) == 45\n"
    task = {"type": "code", "language": "python", "test_code": test_code, "entry_point": "triangle"}
    return task | {"reference_solution": LOOP_FN} | extra
