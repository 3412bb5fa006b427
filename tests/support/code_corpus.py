"""Every code-reward case the tests run on both sandbox backends: task shapes that must pass,
wrong code that must fail, and the reward hacks (each must score 0).

`expected` is the score (1.0 / 0.0) or "error" (the task is refused with a reason). The parity
test (tests/reward_server/rewards/code/test_code_judge.py) runs them all on Docker and on the local backend and requires the
same verdicts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ADD_TEST = "def check(f):\n    assert f(2, 3) == 5\n    assert f(-1, 1) == 0\n"
ADD = {"test_code": ADD_TEST, "entry_point": "add", "time_limit_s": 5}
GOOD_ADD = "def add(a, b):\n    return a + b\n"


@dataclass(frozen=True)
class Case:
    name: str
    code: str
    task: dict[str, Any]
    expected: float | str
    raw_completion: bool = False  # the completion is sent as is (prompt_code tasks)

    def completion(self) -> str:
        return self.code if self.raw_completion else f"<answer>\n```python\n{self.code}\n```\n</answer>"

    def full_task(self) -> dict[str, Any]:
        return {"type": "code", "language": "python", **self.task}


def _hack(name: str, code: str, task: dict[str, Any] = ADD) -> Case:
    return Case(f"hack_{name}", code, task, 0.0)


# ---- reward hacks: every one must score 0 -------------------------------------------------------

HACKS = [
    _hack(
        "always_equal_object",
        "class Anything:\n    def __eq__(self, other):\n        return True\n"
        "    def __ne__(self, other):\n        return False\n\ndef add(a, b):\n    return Anything()\n",
    ),
    _hack(
        "int_subclass_equal_to_everything",
        "class Int(int):\n    def __eq__(self, other):\n        return True\n\ndef add(a, b):\n    return Int(0)\n",
    ),
    _hack(
        "float_nan_like_object",
        "class F(float):\n    __eq__ = lambda s, o: True\n    __hash__ = float.__hash__\n\ndef add(a, b):\n    return F(1.5)\n",
    ),
    _hack(
        # HumanEval's own harness appends the tests to the code: the code reads them from its file.
        "read_assert_lines_from_own_file",
        "import os, re\ntable = {}\nfor name in [__file__] + os.listdir('.'):\n    try:\n"
        "        text = open(name, errors='ignore').read()\n    except OSError:\n        continue\n"
        "    for a, b, r in re.findall(r'f\\((-?\\d+), (-?\\d+)\\) == (-?\\d+)', text):\n"
        "        table[(int(a), int(b))] = int(r)\n\ndef add(a, b):\n    return table.get((a, b))\n",
    ),
    _hack(
        # A "ran to the end" token printed by the harness can be read from the file and printed early.
        "print_the_pass_token_from_own_file",
        "import os, re, sys\nfor name in [__file__] + os.listdir('.'):\n    try:\n"
        "        text = open(name, errors='ignore').read()\n    except OSError:\n        continue\n"
        "    sys.stdout.write(text)\n    for token in re.findall(r'[0-9a-f]{32}', text):\n"
        "        print('\\n' + token)\nsys.stdout.flush()\nos._exit(0)\n",
    ),
    _hack(
        "read_every_file_it_can_find",
        "import glob, re\ntable = {}\nfor name in glob.glob('/workspace/**', recursive=True) + glob.glob('**', recursive=True):\n"
        "    try:\n        text = open(name, errors='ignore').read()\n    except OSError:\n        continue\n"
        "    for a, b, r in re.findall(r'f\\((-?\\d+), (-?\\d+)\\) == (-?\\d+)', text):\n"
        "        table[(int(a), int(b))] = int(r)\n\ndef add(a, b):\n    return table.get((a, b))\n",
    ),
    _hack("sys_exit_0_at_import", "import sys\nsys.exit(0)\ndef add(a, b):\n    return a - b\n"),
    _hack("os_exit_0_at_import", "import os\nos._exit(0)\n"),
    _hack("raise_systemexit_at_import", "raise SystemExit\n"),
    _hack("sigkill_itself", "import os\nos.kill(os.getpid(), 9)\n"),
    _hack("exit_inside_the_function", "import os\ndef add(a, b):\n    os._exit(0)\n"),
    _hack("sys_exit_inside_the_function", "import sys\ndef add(a, b):\n    sys.exit(0)\n"),
    _hack(
        "kill_the_parent",
        "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\ndef add(a, b):\n    return 0\n",
    ),
    _hack(
        "stop_the_parent",
        "import os, signal\nos.kill(os.getppid(), signal.SIGSTOP)\ndef add(a, b):\n    return 0\n",
        {**ADD, "time_limit_s": 2},
    ),
    _hack(
        "monkeypatch_builtins_and_assert_helpers",
        "import builtins, unittest\nbuiltins.AssertionError = type('Nope', (Exception,), {})\n"
        "unittest.TestCase.assertEqual = lambda *a, **k: None\nbuiltins.len = lambda x: 0\n"
        "import sys\nsys.modules['pytest'] = None\ndef add(a, b):\n    return None\n",
    ),
    _hack(
        "walk_frames_and_heap_for_expected_values",
        "import gc, re, sys\ntable = {}\ndef _scan(text):\n"
        "    for a, b, r in re.findall(r'f\\((-?\\d+), (-?\\d+)\\) == (-?\\d+)', text):\n"
        "        table[(int(a), int(b))] = int(r)\n"
        "frame = sys._getframe()\nwhile frame is not None:\n"
        "    for value in list(frame.f_globals.values()) + list(frame.f_locals.values()):\n"
        "        if isinstance(value, (str, bytes)):\n            _scan(str(value))\n"
        "    frame = frame.f_back\nfor obj in gc.get_objects():\n"
        "    if isinstance(obj, dict):\n        for v in list(obj.values()):\n"
        "            if isinstance(v, (str, bytes)) and len(v) < 100000:\n                _scan(str(v))\n"
        "def add(a, b):\n    caller = sys._getframe(1)\n    while caller is not None:\n"
        "        for v in caller.f_locals.values():\n            if isinstance(v, str):\n                _scan(v)\n"
        "        try:\n            _scan(open(caller.f_code.co_filename).read())\n        except OSError:\n            pass\n"
        "        caller = caller.f_back\n    return table.get((a, b))\n",
    ),
    _hack(
        "read_the_judges_memory_and_fds",
        "import os, re\ntable = {}\nppid = os.getppid()\nfor path in ['mem', 'environ', 'cmdline']:\n"
        "    try:\n        text = open(f'/proc/{ppid}/{path}', 'rb').read(1 << 20).decode('latin-1')\n"
        "    except OSError:\n        continue\n"
        "    for a, b, r in re.findall(r'f\\((-?\\d+), (-?\\d+)\\) == (-?\\d+)', text):\n"
        "        table[(int(a), int(b))] = int(r)\ntry:\n"
        "    maps = open(f'/proc/{ppid}/maps').read().splitlines()\n"
        "    mem = open(f'/proc/{ppid}/mem', 'rb')\n    for line in maps:\n"
        "        lo, hi = (int(x, 16) for x in line.split()[0].split('-'))\n"
        "        try:\n            mem.seek(lo)\n            chunk = mem.read(min(hi - lo, 1 << 22)).decode('latin-1')\n"
        "        except OSError:\n            continue\n"
        "        for a, b, r in re.findall(r'f\\((-?\\d+), (-?\\d+)\\) == (-?\\d+)', chunk):\n"
        "            table[(int(a), int(b))] = int(r)\nexcept OSError:\n    pass\n"
        "try:\n    for fd in os.listdir(f'/proc/{ppid}/fd'):\n"
        "        os.open(f'/proc/{ppid}/fd/{fd}', os.O_RDONLY)\nexcept OSError:\n    pass\n"
        "def add(a, b):\n    return table.get((a, b))\n",
    ),
    _hack(
        "forge_the_verdict_on_the_judges_stdout",
        "import json, os, sys\nline = json.dumps({'status': 'passed', 'nonce': None, 'assertions': 9, 'calls': 9})\n"
        "for target in [f'/proc/{os.getppid()}/fd/1', '/proc/self/fd/1', '/dev/stdout', '/proc/1/fd/1']:\n"
        "    try:\n        with open(target, 'w') as f:\n            f.write('\\n' + line + '\\n')\n"
        "    except OSError:\n        pass\nprint(line)\nsys.stderr.write(line + '\\n')\n"
        "def add(a, b):\n    return None\n",
    ),
    _hack(
        "ptrace_the_judge",
        "import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "attached = libc.ptrace(16, os.getppid(), 0, 0) == 0  # PTRACE_ATTACH\n"
        "def add(a, b):\n    return a + b if attached else None\n",
    ),
    _hack(
        # The test file's own `test_*` functions were never called: any code paid 1.
        "uncalled_pytest_functions",
        "def add(a, b):\n    return a - b\n",
        {
            "test_code": "from solution import add\n\ndef test_add():\n    assert add(2, 3) == 5\n",
            "time_limit_s": 5,
        },
    ),
    _hack(
        "swallow_exceptions_in_tests_by_dying",
        "import os\ndef add(a, b):\n    os._exit(0)\n",
        {
            "test_code": "import pytest\nfrom solution import add\n\ndef test_add():\n"
            "    with pytest.raises(Exception):\n        add(1, 'x')\n",
            "time_limit_s": 5,
        },
    ),
    _hack(
        # Helpers of the prompt (HumanEval/32's poly) come from the task, not from the completion.
        "redefine_the_prompts_helper",
        "    return 0.0\n\n\ndef poly(xs, x):\n    return 0.0\n",
        {
            "prompt_code": "def poly(xs, x):\n    return sum(c * x ** i for i, c in enumerate(xs))\n\n\n"
            'def find_zero(xs):\n    """A zero of the polynomial."""\n',
            "test_code": "def check(candidate):\n    for xs in ([1, 2], [-6, 11, -6, 1]):\n"
            "        assert abs(poly(xs, candidate(xs))) < 1e-4\n",
            "entry_point": "find_zero",
            "time_limit_s": 5,
        },
    ),
]
HACKS = [
    Case(c.name, c.code, c.task, c.expected, raw_completion=c.name == "hack_redefine_the_prompts_helper")
    for c in HACKS
]

# ---- task shapes: correct code passes, wrong code fails -----------------------------------------

KODCODE_TESTS = (
    "import pytest\nfrom solution import Stack, parse, EmptyError, shout\n\n"
    "def test_stack():\n    s = Stack()\n    s.push(1)\n    s.push(2)\n    assert len(s) == 2\n"
    "    assert s.pop() == 2\n    assert isinstance(s, Stack)\n    assert list(s.items) == [1]\n\n"
    "@pytest.mark.parametrize('text, expected', [('1,2', [1, 2]), ('', []), (' 3 ', [3])])\n"
    "def test_parse(text, expected):\n    assert parse(text) == expected\n\n"
    "def test_empty():\n    with pytest.raises(EmptyError, match='empty'):\n        Stack().pop()\n"
    "    with pytest.raises(IndexError):\n        Stack().pop()\n\n"
    "def test_shout(capsys):\n    shout('hi')\n    assert capsys.readouterr().out == 'HI!\\n'\n\n"
    "class TestMore:\n    def test_approx(self):\n        assert parse('7')[0] / 3 == pytest.approx(2.3333333)\n"
)
KODCODE_GOOD = (
    "class EmptyError(IndexError):\n    pass\n\nclass Stack:\n    def __init__(self):\n        self.items = []\n"
    "    def push(self, x):\n        self.items.append(x)\n    def pop(self):\n"
    "        if not self.items:\n            raise EmptyError('stack is empty')\n        return self.items.pop()\n"
    "    def __len__(self):\n        return len(self.items)\n\n"
    "def parse(text):\n    return [int(p) for p in text.split(',') if p.strip()]\n\n"
    "def shout(word):\n    print(word.upper() + '!')\n"
)
KODCODE = {"test_code": KODCODE_TESTS, "time_limit_s": 5}
MBPP = {"test_code": "assert square(3) == 9\nassert square(-2) == 4\n", "time_limit_s": 5}
HUMANEVAL_PROMPT = 'def add(a: int, b: int) -> int:\n    """Add two numbers."""\n'
JUDGE = {
    "tests": [
        {"stdin": "1 2\n", "expected_stdout": "3\n"},
        {"stdin": "10 20\n", "expected_stdout": "30"},
    ],
    "time_limit_s": 5,
}
SUM = "a, b = map(int, input().split())\n"
CHECKER = (
    "import sys\nn = int(open(sys.argv[1]).read())\nout = open(sys.argv[2]).read().split()\n"
    "ok = len(out) == 2 and all(t.lstrip('-').isdigit() for t in out) and int(out[0]) + int(out[1]) == n\n"
    "sys.exit(0 if ok else 1)\n"
)
SPLIT = {
    "tests": [{"stdin": "10\n", "expected_stdout": "5 5\n"}, {"stdin": "3\n", "expected_stdout": "1 2\n"}],
    "checker": {"language": "python", "code": CHECKER},
    "time_limit_s": 5,
}

SHAPES = [
    Case("humaneval_correct", GOOD_ADD, ADD, 1.0),
    Case("humaneval_wrong", "def add(a, b):\n    return a - b\n", ADD, 0.0),
    Case("humaneval_syntax_error", "def add(a, b)\n    return a + b\n", ADD, 0.0),
    Case("humaneval_missing_entry_point", "def plus(a, b):\n    return a + b\n", ADD, 0.0),
    Case("humaneval_prints_and_imports", "import math\nprint('chatty')\n" + GOOD_ADD, ADD, 1.0),
    Case(
        "humaneval_prompt_continuation_correct",
        "    return a + b\n",
        {**ADD, "prompt_code": HUMANEVAL_PROMPT},
        1.0,
        raw_completion=True,
    ),
    Case(
        "humaneval_prompt_continuation_wrong",
        "    return a * b\n",
        {**ADD, "prompt_code": HUMANEVAL_PROMPT},
        0.0,
        raw_completion=True,
    ),
    Case(
        "returns_plain_data_of_every_kind",
        "from collections import namedtuple\nfrom fractions import Fraction\nP = namedtuple('P', 'x y')\n"
        "def f():\n    return [P(1, 2), {'k': {1, 2}}, (b'x', 1.5, None, True), Fraction(1, 3), frozenset([3])]\n",
        {
            "test_code": "from fractions import Fraction\ndef check(f):\n"
            "    assert f() == [(1, 2), {'k': {1, 2}}, (b'x', 1.5, None, True), Fraction(1, 3), frozenset([3])]\n",
            "entry_point": "f",
            "time_limit_s": 5,
        },
        1.0,
    ),
    Case("kodcode_correct", KODCODE_GOOD, KODCODE, 1.0),
    Case("kodcode_wrong_output", KODCODE_GOOD.replace("'!'", "'?'"), KODCODE, 0.0),
    Case("kodcode_wrong_exception", KODCODE_GOOD.replace("(IndexError)", "(KeyError)"), KODCODE, 0.0),
    Case("mbpp_correct", "def square(x):\n    return x * x\n", MBPP, 1.0),
    Case("mbpp_wrong", "def square(x):\n    return x + x\n", MBPP, 0.0),
    Case(
        "unittest_class",
        GOOD_ADD,
        {
            "test_code": "import unittest\nfrom solution import add\n\nclass TestAdd(unittest.TestCase):\n"
            "    def test_add(self):\n        self.assertEqual(add(2, 3), 5)\n",
            "time_limit_s": 5,
        },
        1.0,
    ),
    Case(
        # unittest.main() and pytest collect every TestCase subclass, not only Test* names.
        "unittest_class_with_any_name",
        GOOD_ADD,
        {
            "test_code": "import unittest\nfrom solution import add\n\nclass AddCases(unittest.TestCase):\n"
            "    def test_add(self):\n        self.assertEqual(add(2, 3), 5)\n",
            "time_limit_s": 5,
        },
        1.0,
    ),
    Case(
        "unittest_class_with_any_name_wrong",
        "def add(a, b):\n    return a - b\n",
        {
            "test_code": "import unittest\nfrom solution import add\n\nclass AddCases(unittest.TestCase):\n"
            "    def test_add(self):\n        self.assertEqual(add(2, 3), 5)\n",
            "time_limit_s": 5,
        },
        0.0,
    ),
    Case(
        # The tests step through what the code returns: a generator, or an object with __iter__.
        "generator_and_iterable_results",
        "def count(n):\n    yield from range(n)\n\nclass Bag:\n    def __init__(self, n):\n"
        "        self.n = n\n    def __iter__(self):\n        return iter(range(self.n))\n",
        {
            "test_code": "from solution import count, Bag\n\ndef test_count():\n    assert list(count(3)) == [0, 1, 2]\n"
            "    assert [x * 2 for x in Bag(2)] == [0, 2]\n    assert sum(count(4)) == 6\n",
            "time_limit_s": 5,
        },
        1.0,
    ),
    Case(
        "generator_wrong",
        "def count(n):\n    yield from range(1, n + 1)\n",
        {
            "test_code": "from solution import count\n\ndef test_count():\n    assert list(count(3)) == [0, 1, 2]\n",
            "time_limit_s": 5,
        },
        0.0,
    ),
    Case(
        "tests_that_loop_over_nothing",
        GOOD_ADD,
        {
            "test_code": "from solution import add\n\ndef test_add():\n    for x in []:\n        assert add(x, x) == 2 * x\n"
        },
        0.0,
    ),
    Case(
        "tests_that_never_call_the_code",
        GOOD_ADD,
        {"test_code": "def test_nothing():\n    assert 1 + 1 == 2\n"},
        0.0,
    ),
    Case(
        "tests_passing_a_callback_are_refused",
        "def apply(f, x):\n    return f(x)\n",
        {
            "test_code": "from solution import apply\n\ndef test_apply():\n    assert apply(lambda v: v + 1, 1) == 2\n"
        },
        "error",
    ),
    Case(
        "tests_needing_monkeypatch_are_refused",
        GOOD_ADD,
        {"test_code": "from solution import add\n\ndef test_add(monkeypatch):\n    assert add(1, 1) == 2\n"},
        "error",
    ),
    Case("judge_correct", SUM + "print(a + b)\n", JUDGE, 1.0),
    Case("judge_crlf_and_trailing_spaces", SUM + "print(a + b, end='  \\r\\n\\r\\n')\n", JUDGE, 1.0),
    Case("judge_no_final_newline", SUM + "print(a + b, end='')\n", JUDGE, 1.0),
    Case("judge_wrong", SUM + "print(a - b)\n", JUDGE, 0.0),
    Case("judge_tokens_mode", SUM + "print(a + b)\nprint()\n", {**JUDGE, "compare": "tokens"}, 1.0),
    Case("checker_accepts_any_valid_answer", "n = int(input())\nprint(1, n - 1)\n", SPLIT, 1.0),
    Case("checker_rejects_an_invalid_answer", "n = int(input())\nprint(n, 1)\n", SPLIT, 0.0),
]

CORPUS = HACKS + SHAPES
