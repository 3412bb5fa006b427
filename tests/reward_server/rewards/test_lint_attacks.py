"""Attacks on the lint reward's hidden-code rule, as a policy hunting for a clean lint score would
find them: each program below runs code held in a string (it was run by hand and printed what the
string held) while ruff finds nothing or one E402, so each scored 0.9 or 1 before the rule closed
it; and the ordinary solutions the rule must leave alone. The real path: ruff on the host, then
`dynamic.hidden_code`, through `LintComponent.check`."""

from __future__ import annotations

import pytest

from reward_server.rewards.base import ComponentScore, ItemError
from reward_server.rewards.lint import LintComponent
from reward_server.schemas import CodeTask

SRC = "SRC = 'import os\\nimport sys\\nx = 1\\nprint(\"hidden\")\\n'\n"


def task() -> CodeTask:
    tests = [{"stdin": "", "expected_stdout": ""}]
    return CodeTask.model_validate({"type": "code", "language": "python", "tests": tests})


async def check(code: str) -> ComponentScore | ItemError:
    completion = f"<think>plan</think><answer>```python\n{code}```</answer>"
    return await LintComponent(None).check(completion, task())


async def lint(code: str) -> ComponentScore:
    outcome = await check(code)
    assert isinstance(outcome, ComponentScore), outcome
    return outcome


# A metaclass namespace that renames the dataclass field `a` to `a,print('hidden')`.
RENAMED_FIELD = """\
from dataclasses import dataclass

NAME = "a,print('hidden')"


class Renaming(dict):
    def __setitem__(self, key, value):
        if key == 'a':
            key = NAME
        super().__setitem__(key, value)


class Space(dict):
    def __setitem__(self, key, value):
        if key == '__annotations__':
            value = Renaming()
        super().__setitem__(key, value)


class Meta(type):
    @classmethod
    def __prepare__(mcs, name, bases):
        return Space()


@dataclass(init=False, repr=False)
class C(metaclass=Meta):
    a: int = 0


print(C() == C())
"""

ANY_INSTANCE = "class Any(type):\n    def __instancecheck__(cls, obj):\n        return True\n\n\n"

HIDES_CODE: dict[str, tuple[str, str]] = {
    # dis compiles a string to get the code object it disassembles; type(lambda: 0) is FunctionType.
    "a code object from dis.Bytecode made a function": (
        SRC + "from dis import Bytecode\n\nrun = type(lambda: 0)(Bytecode(SRC).codeobj, {})\nrun()\n",
        "imports dis",
    ),
    # xmlrpc.server resolves a dotted name with getattr, and imports os, sys and pydoc.
    "a computed attribute path through xmlrpc.server": (
        "from xmlrpc import server\n\n"
        "run = server.resolve_dotted_attribute(server, 'o' + 's.sys' + 'tem')\n"
        "run(\"python3 -c 'print(1)'\")\n",
        "imports xmlrpc",
    ),
    # singledispatch's register evaluates a string annotation with typing.get_type_hints; a name
    # bound to the string is not a string literal.
    "singledispatch with an annotation that names a string": (
        "from functools import singledispatch\n\nHINT = \"print('hidden') or int\"\n\n\n"
        "@singledispatch\ndef f(x):\n    return x\n\n\n@f.register\ndef _(x: HINT):\n    return x\n",
        "singledispatch",
    ),
    "singledispatchmethod": (
        "import functools\n\n\nclass A:\n    @functools.singledispatchmethod\n    def f(self, x):\n"
        "        return x\n",
        "singledispatchmethod",
    ),
    # A class pattern reads the attributes its class's __match_args__ names, on any subject the
    # class says it is an instance of: builtins through print.__self__, then its exec.
    "__match_args__ from a type() namespace": (
        ANY_INSTANCE + "Self = Any('Self', (), {'__match_args__': ('__se' + 'lf__',)})\n"
        "Run = Any('Run', (), {'__match_args__': ('ex' + 'ec',)})\n"
        "match print:\n    case Self(b):\n        match b:\n            case Run(r):\n"
        "                r(\"print('hidden')\")\n",
        "class pattern",
    ),
    "__match_args__ assigned as an attribute": (
        ANY_INSTANCE + "class Self(metaclass=Any):\n    pass\n\n\nSelf.__match_args__ = ('__self__',)\n",
        "reaches __match_args__",
    ),
    "__match_args__ set with setattr": (
        "class Self:\n    pass\n\n\nsetattr(Self, '__match_args__', ('__self__',))\n",
        "reaches __match_args__",
    ),
    "__match_args__ set with type.__setattr__ and a computed name": (
        "class Self:\n    pass\n\n\ntype.__setattr__(Self, '__match' + '_args__', ('__self__',))\n",
        "reaches __setattr__",
    ),
    "a dataclass field named __self__ in a class pattern": (
        "from dataclasses import dataclass\n\n\n" + ANY_INSTANCE + "@dataclass\nclass Self:\n"
        "    __self__: object\n\n\nmatch print:\n    case Self(b):\n        print(b)\n",
        "__self__",
    ),
    "namedtuple fields in a class pattern": (
        "from collections import namedtuple\n\n"
        + ANY_INSTANCE
        + "class Os(namedtuple('Os', 'o' + 's'), metaclass=Any):\n"
        "    pass\n\n\nmatch print:\n    case Os(o):\n        print(o)\n",
        "class pattern",
    ),
    "a decorator named dataclass that returns another class": (
        "from collections import namedtuple\n\n"
        + ANY_INSTANCE
        + "class Os(namedtuple('Os', 'o' + 's'), metaclass=Any):\n    pass\n\n\n"
        "def dataclass(cls):\n    return Os\n\n\n@dataclass\nclass Point:\n    pass\n\n\n"
        "match print:\n    case Point(o):\n        print(o)\n",
        "class pattern by position on Point",
    ),
    "a builtin's name rebound to a class with __match_args__": (
        ANY_INSTANCE + "int = Any('int', (), {'__match_args__': ('__self__',)})\n"
        "match print:\n    case int(b):\n        print(b)\n",
        "class pattern",
    ),
    # dataclass writes __eq__ as source from the field names; a metaclass's namespace renamed the
    # field `a` to code: __eq__ became `(self.a,print('hidden'),) == ...`.
    "a dataclass field renamed to code by a metaclass namespace": (
        RENAMED_FIELD,
        "makes C a dataclass",
    ),
    "dataclass called on a class a metaclass built": (
        "from abc import ABCMeta\nfrom dataclasses import dataclass\n\n"
        "C = dataclass(ABCMeta('C', (), {'a': 0}))\n",
        "uses dataclass other than as a class decorator",
    ),
    # xml.etree writes any text to any path; the program then imports what it wrote.
    "a file written by ElementTree then imported": (
        SRC + "import xml.etree.ElementTree as ET\n\ne = ET.Element('a')\ne.text = SRC\n"
        "ET.ElementTree(e).write('helper.py', method='text')\n"
        "import helper  # noqa: E402\n\nprint(helper.x)\n",
        "imports xml",
    ),
    "a file written by http.cookiejar": (
        "from http.cookiejar import MozillaCookieJar\n\nMozillaCookieJar('helper.py').save()\n",
        "imports http.cookiejar",
    ),
    "a file written by readline's history": (
        SRC + "import readline\n\nfor line in SRC.splitlines():\n    readline.add_history(line)\n"
        "readline.write_history_file('colorsys.py')\n",
        "imports readline",
    ),
    # The class of an unbuffered binary file is io.FileIO, which writes any path; a module written
    # under a standard-library name the program has not imported yet (colorsys) is what the next
    # `import colorsys` loads, since the script's folder comes first on sys.path.
    "io.FileIO as type() of an unbuffered file": (
        SRC + "raw = open(2, 'wb', 0)\nFile = type(raw)\nwith File('colorsys.py', 'w') as f:\n"
        "    f.write(SRC.encode())\n",
        "uses the class of an object as a value: type(...)",
    ),
    "io.FileIO as __class__, called": (
        SRC
        + "with open(2, 'wb', 0) as out, out.__class__('colorsys.py', 'w') as f:\n"
        + "    f.write(SRC.encode())\n",
        "uses the class of an object as a value: .__class__",
    ),
    "io.FileIO through type(raw).__call__": (
        SRC + "raw = open(2, 'wb', 0)\ntype(raw).__call__('colorsys.py', 'w').write(SRC.encode())\n",
        "type(...)",
    ),
    "an open file's constructor run again on a new path": (
        SRC + "raw = open(2, 'wb', 0)\nraw.__init__('colorsys.py', 'w')\nraw.write(SRC.encode())\n",
        "runs the constructor raw.__init__",
    ),
    "type under another name": (
        SRC + "raw = open(2, 'wb', 0)\nkind = type\nkind(raw)('colorsys.py', 'w').write(SRC.encode())\n",
        "uses type as a value",
    ),
    "__class__ by getattr": (
        SRC + "raw = open(2, 'wb', 0)\ngetattr(raw, '__class__')('colorsys.py', 'w').write(SRC.encode())\n",
        "reaches __class__ by name",
    ),
    "__init__ by attrgetter": (
        "from operator import attrgetter\n\nraw = open(2, 'wb', 0)\n"
        "attrgetter('__init__')(raw)('colorsys.py', 'w')\n",
        "reaches __init__",
    ),
    "__class__ by a class pattern keyword": (
        "raw = open(2, 'wb', 0)\nmatch raw:\n    case object(__class__=c):\n        c('colorsys.py', 'w')\n",
        "reaches __class__",
    ),
    # numpy < 2's lookfor imports a module by a name in a string.
    "numpy.lookfor": ("import numpy as np\n\nnp.lookfor('x', module='col' + 'orsys')\n", "reaches lookfor"),
    "a class built by type() with three arguments": (
        "C = type('C', (), {'__init_subclass__': print})\n",
        "builds a class at run time",
    ),
    # Whatever writer is not listed, the import of what it wrote is: a program here imports the
    # standard library and the sandbox image's packages only.
    "an import of a module that is neither stdlib nor installed": (
        "import helper\n\nprint(helper.x)\n",
        "imports helper, which is neither",
    ),
    "a relative import": ("from .helper import x\n\nprint(x)\n", "relative import"),
}


@pytest.mark.parametrize(("code", "fragment"), HIDES_CODE.values(), ids=HIDES_CODE.keys())
async def test_each_attack_scores_zero_with_the_reason(code: str, fragment: str) -> None:
    result = await lint(code)
    assert result.score == 0.0, result.details
    reason = result.details.get("reason", "")
    assert "no linter sees" in reason and fragment in reason, result.details


# Python's parser gives up on this with MemoryError (its stack limit of 6 000 levels), not
# SyntaxError, in a program checked in the server's process; ruff lints it clean. The MemoryError
# escaped `LintComponent.check` and failed the whole request.
async def test_code_too_deep_for_pythons_parser_scores_zero_and_does_not_crash_the_scorer() -> None:
    result = await lint("x = " + "-" * 6_000 + "1\n")
    assert result.score == 0.0 and "nested too deeply" in result.details["reason"], result.details


# Ordinary competitive-programming and HumanEval-style programs the rule must leave alone: only
# ruff's findings count against them (SIM115 on `sys.stdin = open(...)`, nothing on the others).
CLEAN = {
    "deep recursion in a thread with a larger stack": (
        "import sys\nimport threading\n\n\ndef main():\n    n = int(sys.stdin.readline())\n"
        "    print(n)\n\n\nsys.setrecursionlimit(1 << 25)\nthreading.stack_size(1 << 27)\n"
        "thread = threading.Thread(target=main)\nthread.start()\nthread.join()\n"
    ),
    "fast input from os.read": (
        "import io\nimport os\n\ninput = io.BytesIO(os.read(0, os.fstat(0).st_size)).readline\n"
        "n = int(input())\nprint(n)\n"
    ),
    "sys.stdin.buffer and sys.stdout.write": (
        "import sys\n\ndata = sys.stdin.buffer.read().split()\n"
        "sys.stdout.write(' '.join(map(str, data)) + '\\n')\n"
    ),
    "a dataclass matched by position": (
        "from dataclasses import dataclass\n\n\n@dataclass\nclass Point:\n    x: int\n    y: int\n\n\n"
        "match Point(1, 2):\n    case Point(x, y):\n        print(x + y)\n"
    ),
    "a NamedTuple and builtin class patterns": (
        "from typing import NamedTuple\n\n\nclass Edge(NamedTuple):\n    u: int\n    v: int\n\n\n"
        "for item in [Edge(1, 2), 3, 'a']:\n    match item:\n"
        "        case Edge(u, v):\n            print(u, v)\n"
        "        case int(n):\n            print(n)\n        case str(s):\n            print(s)\n"
    ),
    "a class with __init__ and __repr__, print with sep": (
        "class Pair:\n    def __init__(self, a, b):\n        self.a, self.b = a, b\n\n"
        "    def __repr__(self):\n        return f'{type(self).__name__}({self.a!r}, {self.b!r})'\n\n\n"
        "a = [Pair(1, 2)]\nprint(*a, sep=' ')\n"
    ),
    "typing, math, collections, itertools under a main guard": (
        "import math\nfrom collections import defaultdict\nfrom itertools import accumulate\n"
        "from typing import List\n\n\ndef solve(a: List[int]) -> int:\n    seen = defaultdict(int)\n"
        "    for x in accumulate(a):\n        seen[x] += 1\n    return math.prod(seen.values())\n\n\n"
        "if __name__ == '__main__':\n    print(solve([1, 2, 3]))\n"
    ),
    "classes compared, tested and named; super().__init__": (
        "class Base:\n    def __init__(self, v):\n        self.v = v\n\n\nclass Mod(Base):\n"
        "    def __init__(self, v):\n        super().__init__(v % 7)\n        Base.__init__(self, v % 7)\n\n"
        "    def __repr__(self):\n"
        "        return f'{type(self).__name__}({self.v}) {self.__class__.__name__}'\n\n\n"
        "x = Mod(9)\nprint(x, type(x) is Mod, type(x) is not int, isinstance(x, type(x)), type(x))\n"
    ),
    # PyRival's bootstrap: deep recursion as generators, common on Codeforces.
    "the bootstrap decorator with types.GeneratorType": (
        "import sys\nfrom types import GeneratorType\n\n\ndef bootstrap(f, stack=None):\n"
        "    stack = [] if stack is None else stack\n\n    def wrappedfunc(*args, **kwargs):\n"
        "        if stack:\n            return f(*args, **kwargs)\n        to = f(*args, **kwargs)\n"
        "        while True:\n            if type(to) is GeneratorType:\n                stack.append(to)\n"
        "                to = next(to)\n            else:\n                stack.pop()\n"
        "                if not stack:\n                    break\n                to = stack[-1].send(to)\n"
        "        return to\n\n    return wrappedfunc\n\n\n@bootstrap\ndef depth(n):\n"
        "    if n == 0:\n        yield 0\n    yield (yield depth(n - 1)) + 1\n\n\n"
        "print(depth(int(sys.stdin.readline())))\n"
    ),
    "input files when present, os.environ, LeetCode's class Solution": (
        "import os\nimport sys\nfrom typing import List\n\nif os.path.exists('input.txt'):\n"
        "    sys.stdin = open('input.txt')\n    sys.stdout = open('output.txt', 'w')\n"
        "DEBUG = os.environ.get('LOCAL')\n\n\nclass Solution:\n"
        "    def twoSum(self, nums: List[int], target: int) -> List[int]:\n        seen = {}\n"
        "        for i, x in enumerate(nums):\n            if target - x in seen:\n"
        "                return [seen[target - x], i]\n            seen[x] = i\n        return []\n\n\n"
        "print(Solution().twoSum([2, 7], 9), DEBUG)\n"
    ),
    "numpy and sortedcontainers": (
        "import numpy as np\nfrom sortedcontainers import SortedList\n\n"
        "print(np.zeros(3), SortedList([2, 1]))\n"
    ),
}


@pytest.mark.parametrize("code", CLEAN.values(), ids=CLEAN.keys())
async def test_ordinary_solutions_keep_their_score(code: str) -> None:
    result = await lint(code)
    assert "reason" not in result.details, result.details
    assert result.score == pytest.approx(1 - 0.1 * result.details["findings"]), result.details


async def test_large_legal_programs_get_a_verdict_never_an_exception() -> None:
    """Each shape at ~16 000 characters (the largest checked in the server's process) gets a score or an
    item error (ruff itself overflows its stack on 8 000 chained `+`)
    (no timing asserted here; `python -m benchmarks.lint` measures the cost)."""
    size = 15_990
    shapes = [
        "x = " + "not " * (size // 4) + "1\n",
        "x = 1" + "+1" * (size // 2) + "\n",
        "x = a" + ".b" * (size // 2) + "\n",
        "x = " + "lambda: " * (size // 8) + "0\n",
        "x = " + "1 if a else " * (size // 12) + "0\n",
        "x = " + "getattr(" * 300 + "a" + ", 'b')" * 300 + "\n",
    ]
    for code in shapes:
        assert isinstance(await check(code), ComponentScore | ItemError), code[:40]
