# The part of pytest's API that task test files use (KodCode-style `test_*` functions), for the
# judge process inside the sandbox, which has no pytest installed. Loaded by judge.py as the module
# `pytest`. What it does not cover (most built-in fixtures, hooks, plugins) makes the judge refuse
# the task with a reason instead of scoring it.
#
# Semantics follow pytest's documentation: `raises` (context manager and call forms, `match` is a
# `re.search`), `approx` (relative 1e-6 or absolute 1e-12, whichever is larger; sequences and
# mappings element by element), `mark.parametrize` (names as a comma-separated string or a
# sequence; `param(...)` entries), `mark.skip` / `skipif` / `xfail` (not run), `fixture` (function
# scope, plain or generator), `fail`, `skip`.

import math as _math

_count_assertion = None  # set by the judge: called once for each check that passed


class Skipped(Exception):
    pass


class Failed(AssertionError):
    pass


def fail(reason="", pytrace=True):
    raise Failed(reason)


def skip(reason="", allow_module_level=False):
    raise Skipped(reason)


class ExceptionInfo:
    def __init__(self):
        self.type = None
        self.value = None
        self.tb = None

    def match(self, pattern):
        import re as _re

        if not _re.search(pattern, str(self.value)):
            raise AssertionError(f"pattern {pattern!r} not found in {str(self.value)!r}")
        return True

    def errisinstance(self, kinds):
        return isinstance(self.value, kinds)


class _Raises:
    def __init__(self, expected, match):
        self.expected = expected
        self.match_pattern = match
        self.info = ExceptionInfo()

    def __enter__(self):
        return self.info

    def __exit__(self, kind, value, tb):
        if kind is None:
            raise Failed(f"DID NOT RAISE {self.expected!r}")
        if not issubclass(kind, self.expected):
            return False
        self.info.type, self.info.value, self.info.tb = kind, value, tb
        if self.match_pattern is not None:
            self.info.match(self.match_pattern)
        _count_assertion()
        return True


def raises(expected, *args, match=None, **kwargs):
    context = _Raises(expected, match)
    if not args:
        return context
    with context:
        args[0](*args[1:], **kwargs)
    return context.info


class ApproxBase:
    def __init__(self, expected, rel=None, abs=None, nan_ok=False):
        self.expected = expected
        self.rel = rel
        self.abs = abs
        self.nan_ok = nan_ok

    def __repr__(self):
        return f"approx({self.expected!r})"

    def _close(self, actual, expected):
        if isinstance(expected, (list, tuple)):
            return (
                isinstance(actual, (list, tuple))
                and len(actual) == len(expected)
                and all(self._close(a, e) for a, e in zip(actual, expected, strict=True))
            )
        if isinstance(expected, dict):
            return (
                isinstance(actual, dict)
                and actual.keys() == expected.keys()
                and all(self._close(actual[k], expected[k]) for k in expected)
            )
        if isinstance(expected, bool) or not isinstance(expected, (int, float, complex)):
            return actual == expected
        if isinstance(actual, bool) or not isinstance(actual, (int, float, complex)):
            return False
        if expected == actual:
            return True
        if isinstance(expected, float) and _math.isnan(expected):
            return self.nan_ok and isinstance(actual, float) and _math.isnan(actual)
        if isinstance(expected, float) and _math.isinf(expected):
            return False
        absolute = 1e-12 if self.abs is None else self.abs
        relative = (1e-6 if self.abs is None else 0.0) if self.rel is None else self.rel
        tolerance = max(relative * builtins_abs(expected), absolute)
        return builtins_abs(actual - expected) <= tolerance

    def __eq__(self, actual):
        return self._close(actual, self.expected)

    def __ne__(self, actual):
        return not self.__eq__(actual)

    __hash__ = None  # type: ignore[assignment]  # unhashable, as pytest.approx is


builtins_abs = abs


def approx(expected, rel=None, abs=None, nan_ok=False):
    return ApproxBase(expected, rel=rel, abs=abs, nan_ok=nan_ok)


class ParameterSet:
    def __init__(self, values, marks=(), id=None):
        self.values = values
        self.marks = marks
        self.id = id


def param(*values, marks=(), id=None):
    return ParameterSet(values, marks, id)


class _Mark:
    def __init__(self, name, args, kwargs):
        self.name = name
        self.args = args
        self.kwargs = kwargs

    def __call__(self, *args, **kwargs):
        if len(args) == 1 and callable(args[0]) and not kwargs:
            target = args[0]
            marks = list(getattr(target, "pytestmark", []))
            marks.append(self)
            target.pytestmark = marks
            return target
        return _Mark(self.name, self.args + args, {**self.kwargs, **kwargs})


class _MarkFactory:
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _Mark(name, (), {})


mark = _MarkFactory()


def fixture(function=None, *, scope="function", params=None, autouse=False, name=None):
    def wrap(target):
        target.judge_fixture = {"scope": scope, "params": params, "autouse": autouse, "name": name}
        return target

    return wrap(function) if function is not None else wrap
