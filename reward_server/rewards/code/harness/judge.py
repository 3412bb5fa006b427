# The judge of a function-call code task (HumanEval / MBPP / KodCode shapes), run in the sandbox as
# main.py after wire.py's text. Standard library only.
#
# 1. It makes itself non-dumpable (a same-uid process can then neither ptrace it nor open its
#    /proc/<pid>/mem, fd or environ) and takes the tests from its stdin (a sealed file the sandbox
#    writes; the candidate gets /dev/null as stdin and never inherits the judge's copy).
# 2. It starts the code under test in a fresh interpreter (judge_candidate.py): that process is
#    started before the tests are read, so its memory never held them, and its stdout is not ours.
# 3. It runs the tests here. The tests reach the candidate's functions and classes through
#    handles; values cross as plain data, so an object "equal to everything" cannot come back.
# 4. Only this process writes the verdict, one JSON line on its own stdout, carrying the nonce
#    the host put in the tests.

import ast as _ast
import builtins as _builtins
import contextlib as _contextlib
import importlib as _importlib
import io as _io
import itertools as _itertools
import json as _json
import os as _os
import resource as _resource
import signal as _signal
import sys as _sys
import types as _types

CANDIDATE_HOST = "judge_candidate.py"
PYTEST_SHIM = "judge_pytest.py"
TESTS_NAME = "<tests>"


class CandidateDied(BaseException):
    """The code under test exited or crashed; no test that needs it can pass (not an Exception, so
    `except Exception` in a test cannot swallow it)."""


class Unsupported(BaseException):
    """The tests need something the judge cannot give them across the process boundary."""


class Counters:
    def __init__(self):
        self.assertions = 0
        self.calls = 0
        self.tests = 0
        self.failed = 0
        self.failures = []
        self.unsupported = None
        self.died = None
        self.first_error = None  # the type name of the first failure's exception, or "crash"


COUNTS = Counters()


def _count_assertion():
    COUNTS.assertions += 1


def _protect():
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(4, 0, 0, 0, 0) != 0 or libc.prctl(3, 0, 0, 0, 0) != 0:  # PR_SET/GET_DUMPABLE
        raise OSError("prctl(PR_SET_DUMPABLE, 0) failed")


# ---- the channel to the candidate ---------------------------------------------------------------


class Channel:
    def __init__(self, pid, requests_fd, answers_fd):
        self.pid = pid
        self.requests_fd = requests_fd
        self.answers_fd = answers_fd
        self.exception_classes = {}

    def receive(self, what):
        if COUNTS.died:
            raise CandidateDied(COUNTS.died)
        try:
            answer = wire_receive(self.answers_fd)  # noqa: F821 - wire.py is prepended
        except (EOFError, OSError, ValueError, WireError) as exc:  # noqa: F821
            COUNTS.died = f"the code under test exited or crashed during {what} ({exc})"
            raise CandidateDied(COUNTS.died) from None
        if type(answer) is not dict:
            COUNTS.died = f"the code under test broke the protocol during {what}"
            raise CandidateDied(COUNTS.died)
        out = answer.get("out")
        if type(out) is str and out:
            _sys.stdout.write(out)
        return answer

    def request(self, op, ref, **fields):
        if COUNTS.died:
            raise CandidateDied(COUNTS.died)
        message = {"op": op, "ref": ref}
        for key, value in fields.items():
            message[key] = value
        try:
            wire_send(self.requests_fd, message)  # noqa: F821
        except OSError as exc:
            COUNTS.died = f"the code under test is gone ({exc})"
            raise CandidateDied(COUNTS.died) from None
        answer = self.receive(op)
        if answer.get("ok") is True:
            return self.decode(answer.get("value"))
        self.raise_from(answer.get("exc"))

    def decode(self, value):
        try:
            return wire_decode(value, self.handle)  # noqa: F821
        except WireError as exc:  # noqa: F821
            COUNTS.died = f"the code under test sent a malformed value ({exc})"
            raise CandidateDied(COUNTS.died) from None

    def handle(self, number, kind, type_name):
        if kind == "exception":
            name, _, bases = type_name.partition("|")
            return self.exception_class(number, name, bases.split(","))
        return Remote(number, kind, type_name)

    def exception_class(self, number, name, bases):
        known = self.exception_classes.get(number)
        if known is not None:
            return known
        base = Exception
        for base_name in bases:
            candidate = getattr(_builtins, base_name, None)
            if isinstance(candidate, type) and issubclass(candidate, BaseException):
                base = candidate
                break
        if base in (SystemExit, KeyboardInterrupt, GeneratorExit, BaseException):
            base = Exception
        made = type(str(name), (base,), {"__module__": "solution", "_judge_ref": number})
        self.exception_classes[number] = made
        return made

    def raise_from(self, info):
        if type(info) is not dict:
            COUNTS.died = "the code under test broke the protocol"
            raise CandidateDied(COUNTS.died)
        name, message = str(info.get("type")), str(info.get("message"))
        bases = [str(b) for b in info.get("bases") or []]
        builtin = getattr(_builtins, name, None)
        if info.get("builtin") and isinstance(builtin, type) and issubclass(builtin, BaseException):
            try:
                exc = builtin(message) if message else builtin()
            except Exception:
                exc = RuntimeError(f"{name}: {message}")
        else:
            ref = info.get("class")
            number = ref[1] if type(ref) is list and len(ref) == 4 and type(ref[1]) is int else -1
            exc = self.exception_class(number, name, bases)(message)
        exc.candidate_traceback = str(info.get("traceback") or "")
        raise exc


CHANNEL = None


def _ref_of(value):
    if isinstance(value, Remote):
        return ["R", object.__getattribute__(value, "_ref"), "object", ""]
    number = getattr(value, "_judge_ref", None) if isinstance(value, type) else None
    if type(number) is int:
        return ["R", number, "exception", ""]
    COUNTS.unsupported = (
        f"the tests pass a {type(value).__name__} to the code under test; only plain data and "
        "the code's own objects can cross to it"
    )
    raise Unsupported(COUNTS.unsupported)


def _encode(value):
    try:
        return wire_encode(value, _ref_of)  # noqa: F821
    except WireError as exc:  # noqa: F821
        COUNTS.unsupported = f"the tests pass a value that cannot cross: {exc}"
        raise Unsupported(COUNTS.unsupported) from None


def _remote(op, self, **fields):
    return CHANNEL.request(op, object.__getattribute__(self, "_ref"), **fields)


class Remote:
    """A handle to an object of the code under test. Comparisons with `==` are by identity:
    the candidate's own `__eq__` never decides a test."""

    __slots__ = ("_ref", "_kind", "_type_name", "__weakref__")

    def __init__(self, ref, kind, type_name):
        object.__setattr__(self, "_ref", ref)
        object.__setattr__(self, "_kind", kind)
        object.__setattr__(self, "_type_name", type_name)

    def __call__(self, *args, **kwargs):
        COUNTS.calls += 1
        encoded = [_encode(a) for a in args]
        named = [[str(k), _encode(v)] for k, v in kwargs.items()]
        return _remote("call", self, args=encoded, kwargs=named)

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return _remote("getattr", self, name=name)

    def __setattr__(self, name, value):
        _remote("setattr", self, name=name, value=_encode(value))

    def __delattr__(self, name):
        _remote("delattr", self, name=name)

    def __getitem__(self, key):
        return _remote("getitem", self, key=_encode(key))

    def __setitem__(self, key, value):
        _remote("setitem", self, key=_encode(key), value=_encode(value))

    def __delitem__(self, key):
        _remote("delitem", self, key=_encode(key))

    def __len__(self):
        value = _remote("len", self)
        if type(value) is not int:
            raise TypeError("len() of a candidate object gave a non-integer")
        return value

    def __bool__(self):
        return _remote("bool", self) is True

    def __str__(self):
        value = _remote("str", self)
        return value if type(value) is str else ""

    def __repr__(self):
        value = _remote("repr", self)
        return value if type(value) is str else "<{}>".format(object.__getattribute__(self, "_type_name"))

    def __iter__(self):
        iterator = _remote("iter", self)
        if not isinstance(iterator, Remote):
            raise TypeError("iter() of a candidate object gave no iterator")
        while True:
            try:
                yield _remote("next", iterator)
            except StopIteration:
                return

    def __next__(self):
        return _remote("next", self)

    def __contains__(self, value):
        return _remote("contains", self, value=_encode(value)) is True

    def __eq__(self, other):
        return isinstance(other, Remote) and object.__getattribute__(
            other, "_ref"
        ) == object.__getattribute__(self, "_ref")

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        return hash(("remote", object.__getattribute__(self, "_ref")))

    def __instancecheck__(self, value):
        return isinstance(value, Remote) and _remote("isinstance", self, value=_encode(value)) is True

    def __subclasscheck__(self, other):
        return False

    def __dir__(self):
        names = _remote("dir", self)
        return names if type(names) is list else []


class CandidateModule(_types.ModuleType):
    """`import solution` in the tests: the candidate's module, attribute by attribute."""

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return CHANNEL.request("getattr", 0, name=name)


# ---- running the tests ----------------------------------------------------------------------------


class _CountChecks(_ast.NodeTransformer):
    """Counts each `assert` statement run, and each `if ...: raise` check evaluated."""

    def _counter(self, node):
        call = _ast.Expr(_ast.Call(_ast.Name("__judge_assertion__", _ast.Load()), [], []))
        return _ast.copy_location(call, node)

    def visit_Assert(self, node):
        return [self._counter(node), node]

    def visit_If(self, node):
        self.generic_visit(node)
        if any(isinstance(statement, _ast.Raise) for statement in node.body):
            return [self._counter(node), node]
        return node


def _record_failure(name, exc):
    COUNTS.failed += 1
    if COUNTS.first_error is None:
        COUNTS.first_error = "crash" if isinstance(exc, CandidateDied) else type(exc).__name__
    if len(COUNTS.failures) < 3:
        line = None
        tb = exc.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == TESTS_NAME:
                line = tb.tb_lineno
            tb = tb.tb_next
        text = f"{type(exc).__name__}: {str(exc)[:300]}"
        where = f" (line {line} of the tests)" if line else ""
        COUNTS.failures.append(f"{name}{where}: {text}")


def _run_one(name, function, *args):
    COUNTS.tests += 1
    try:
        function(*args)
    except CandidateDied as exc:
        _record_failure(name, exc)
        raise
    except Unsupported:
        raise
    except getattr(_PYTEST, "Skipped", ()):
        COUNTS.tests -= 1
    except BaseException as exc:  # noqa: BLE001 - a failing test, whatever it raised
        _record_failure(name, exc)


class _CaptureFixture:
    """pytest's `capsys`: what was printed (by the tests and by the code under test) so far."""

    def __init__(self):
        self.start = _sys.stdout.tell() if hasattr(_sys.stdout, "tell") else 0

    def readouterr(self):
        import collections

        text = _sys.stdout.getvalue()[self.start :]
        self.start = len(_sys.stdout.getvalue())
        return collections.namedtuple("CaptureResult", "out err")(text, "")


def _builtin_fixture(name):
    if name in ("capsys", "capfd"):
        return _CaptureFixture()
    if name in ("tmp_path", "tmpdir"):
        import pathlib
        import tempfile

        return pathlib.Path(tempfile.mkdtemp(prefix="judge-"))
    COUNTS.unsupported = f"the tests use the pytest fixture {name!r}, which the judge does not provide"
    raise Unsupported(COUNTS.unsupported)


def _parameters(function):
    code = function.__code__
    return list(code.co_varnames[: code.co_argcount + code.co_kwonlyargcount])


def _fixture_value(name, namespace, cleanups, cache):
    if name in cache:
        return cache[name]
    function = namespace.get(name)
    if callable(function) and isinstance(getattr(function, "judge_fixture", None), dict):
        args = [_fixture_value(p, namespace, cleanups, cache) for p in _parameters(function)]
        value = function(*args)
        if isinstance(value, _types.GeneratorType):
            generator = value
            value = next(generator)
            cleanups.append(generator)
    else:
        value = _builtin_fixture(name)
    cache[name] = value
    return value


def _parameter_sets(function):
    """Each call's keyword arguments from `parametrize` marks (their product), or [{}]."""
    sets = [{}]
    for mark in getattr(function, "pytestmark", []):
        if getattr(mark, "name", None) in ("skip", "xfail"):
            return []
        if mark.name == "skipif" and mark.args and mark.args[0]:
            return []
        if mark.name != "parametrize":
            continue
        names, values = mark.args[0], mark.args[1]
        names = [n.strip() for n in names.split(",")] if isinstance(names, str) else list(names)
        rows = []
        for row in values:
            if isinstance(row, getattr(_PYTEST, "ParameterSet", ())):
                if any(getattr(m, "name", None) in ("skip", "xfail") for m in row.marks or ()):
                    continue
                row = row.values
            if len(names) == 1:
                row = (row,)
            rows.append(dict(zip(names, row, strict=False)))
        sets = [{**a, **b} for a, b in _itertools.product(sets, rows)]
    return sets


def _run_pytest_function(name, function, namespace, owner=None):
    for params in _parameter_sets(function):
        cleanups, cache = [], dict(params)

        def call(params=params, cleanups=cleanups, cache=cache):
            parameters = _parameters(function)
            if owner is not None and parameters and parameters[0] == "self":
                parameters = parameters[1:]
            args = [_fixture_value(p, namespace, cleanups, cache) for p in parameters]
            if owner is not None:
                args.insert(0, owner)
            try:
                function(*args)
            finally:
                for generator in reversed(cleanups):
                    with _contextlib.suppress(StopIteration):
                        next(generator)

        _run_one(name, call)


def _run_collected(namespace):
    for name, value in list(namespace.items()):
        defined_here = getattr(getattr(value, "__code__", None), "co_filename", None) == TESTS_NAME
        if name.startswith("test") and isinstance(value, _types.FunctionType) and defined_here:
            _run_pytest_function(name, value, namespace)
        elif isinstance(value, type) and value.__module__ == "__tests__":
            unittest = _sys.modules.get("unittest")
            # unittest.main() and pytest collect every TestCase subclass, whatever its name.
            if unittest is not None and issubclass(value, unittest.TestCase):
                for method in unittest.TestLoader().getTestCaseNames(value):
                    case = value(method)
                    result = unittest.TestResult()
                    COUNTS.tests += 1
                    case.run(result)
                    for _, text in result.failures + result.errors:
                        COUNTS.failed += 1
                        if len(COUNTS.failures) < 3:
                            COUNTS.failures.append(f"{name}.{method}: {text[-300:]}")
                continue
            if not name.startswith("Test"):
                continue
            for method_name in [m for m in dir(value) if m.startswith("test")]:
                instance = value()
                method = getattr(instance, method_name)
                if hasattr(instance, "setup_method"):
                    instance.setup_method(method)
                _run_pytest_function(f"{name}.{method_name}", method.__func__, namespace, owner=instance)


def _count_unittest_asserts():
    import unittest

    for name in dir(unittest.TestCase):
        if name.startswith("assert") and not name.endswith("_"):
            original = getattr(unittest.TestCase, name)

            def counted(self, *args, _original=original, **kwargs):
                result = _original(self, *args, **kwargs)
                _count_assertion()
                return result

            setattr(unittest.TestCase, name, counted)


def _spawn_candidate(module_name, source_file):
    requests_read, requests_write = _os.pipe()
    answers_read, answers_write = _os.pipe()
    pid = _os.fork()
    if pid == 0:  # the child: only our own code runs here, then exec wipes this memory
        try:
            high_in, high_out = _os.dup(requests_read), _os.dup(answers_write)
            devnull = _os.open("/dev/null", _os.O_RDWR)
            _os.dup2(devnull, 0)
            _os.dup2(devnull, 1)
            _os.dup2(high_in, 3)
            _os.dup2(high_out, 4)
            _os.closerange(5, 1 << 16)
            # -S: no `site` at start-up (half of it); the candidate gets our module path instead.
            paths = wire_dumps(list(_sys.path))  # noqa: F821
            argv = [_sys.executable, "-I", "-S", CANDIDATE_HOST, module_name, source_file, paths]
            _os.execv(_sys.executable, argv)
        finally:
            _os._exit(127)
    _os.close(requests_read)
    _os.close(answers_write)
    return Channel(pid, requests_write, answers_read)


def _judge(config, pytest_source):
    module_name = config.get("module_name") or "solution"
    entry_point = config.get("entry_point") or None
    _install_test_modules(config["test_code"], pytest_source)
    loaded = CHANNEL.receive("import")
    failure = _import_failure(loaded)
    if failure is not None:
        return failure
    namespace = _candidate_namespace(module_name, loaded)
    trusted = config.get("helpers")
    if trusted:  # the task's own helper functions (a HumanEval prompt) run here, not the candidate's
        _add_helpers(namespace, trusted, entry_point)
    if entry_point and entry_point not in namespace:
        return {"status": "failed", "reason": f"the code defines no {entry_point}"}
    return _run_tests(config["test_code"], namespace, entry_point)


def _install_test_modules(test_code, pytest_source):
    """The pytest shim and unittest's assertion counting, each only for tests that use it."""
    global _PYTEST
    if "pytest" in test_code:  # compiled only for tests that use it
        _PYTEST = _types.ModuleType("pytest")
        exec(compile(pytest_source, "pytest", "exec"), _PYTEST.__dict__)
        _PYTEST._count_assertion = _count_assertion
        _sys.modules["pytest"] = _PYTEST
    if "unittest" in test_code:  # importing unittest costs tens of milliseconds
        _count_unittest_asserts()


def _import_failure(loaded):
    """The verdict when the candidate's module raised while being imported, else None."""
    if loaded.get("ok") is True:
        return None
    info = loaded.get("exc") if type(loaded.get("exc")) is dict else {}
    return {
        "status": "failed",
        "error": "crash",
        "reason": "the code raised while being imported: {}: {}".format(
            info.get("type"), str(info.get("message"))[:300]
        ),
        "stderr": str(info.get("traceback")),
    }


def _candidate_namespace(module_name, loaded):
    """The tests' globals: the candidate's top-level names (but those of builtins), which are also
    set on the module the tests may import as `module_name`."""
    module = CandidateModule(module_name)
    _sys.modules[module_name] = module
    namespace = {"__name__": "__tests__", "__builtins__": _builtins, "__judge_assertion__": _count_assertion}
    names = loaded.get("names") if type(loaded.get("names")) is list else []
    for pair in names:
        if type(pair) is not list or len(pair) != 2 or type(pair[0]) is not str:
            continue
        value = CHANNEL.decode(pair[1])
        if isinstance(value, Remote) and object.__getattribute__(value, "_kind") == "module":
            with _contextlib.suppress(Exception):
                value = _importlib.import_module(object.__getattribute__(value, "_type_name"))
        setattr(module, pair[0], value)
        if not hasattr(_builtins, pair[0]):
            namespace[pair[0]] = value
    return namespace


def _add_helpers(namespace, trusted, entry_point):
    """Replace the candidate's functions that the trusted task code also defines (but the entry
    point) with the task's own."""
    helpers = {"__name__": "__helpers__", "__builtins__": _builtins}
    try:
        exec(compile(trusted, "<prompt>", "exec"), helpers)
    except Exception:  # noqa: BLE001 - a prompt that is not a module of its own: no helpers
        helpers = {}
    for name, value in helpers.items():
        if not name.startswith("__") and name != entry_point and name in namespace:
            namespace[name] = value


def _run_tests(test_code, namespace, entry_point):
    """Run the tests' top level, then `check(entry_point)` and the collected test functions; a
    verdict when the tests cannot be run as written, else None (the counts say how it went)."""
    tree = _CountChecks().visit(_ast.parse(test_code, TESTS_NAME))
    _ast.fix_missing_locations(tree)
    code = compile(tree, TESTS_NAME, "exec")
    before = COUNTS.assertions
    try:
        exec(code, namespace)
    except (CandidateDied, Unsupported):
        raise
    except BaseException as exc:  # noqa: BLE001 - top-level asserts (MBPP) failing
        COUNTS.tests += 1
        _record_failure("the tests' top level", exc)
    else:
        COUNTS.tests += COUNTS.assertions > before
    check = namespace.get("check")
    if entry_point and callable(check) and not isinstance(check, Remote):
        _run_one(f"check({entry_point})", check, namespace[entry_point])
    elif callable(check) and not isinstance(check, Remote):
        return {
            "status": "unsupported",
            "reason": "the tests define check(candidate) but the task gives no entry_point",
        }
    _run_collected(namespace)
    return None


def main():
    real_stdout = _os.dup(1)
    try:
        _protect()
        fd = _os.dup(0)  # not inheritable: the candidate's interpreter never holds the tests
        devnull = _os.open(_os.devnull, _os.O_RDONLY)
        _os.dup2(devnull, 0)
        _os.close(devnull)
        with open(PYTEST_SHIM, encoding="utf-8") as f:
            pytest_source = f.read()
    except Exception as exc:  # noqa: BLE001
        _os.write(
            real_stdout,
            ("\n" + _json.dumps({"status": "error", "reason": f"judge set-up failed: {exc}"})).encode(),
        )
        return 0
    cwd = _os.path.realpath(_os.getcwd())
    _sys.path[:] = [p for p in _sys.path if p and not _os.path.realpath(p).startswith(cwd)]
    global CHANNEL
    CHANNEL = _spawn_candidate("solution", "solution.py")
    with _os.fdopen(fd, "rb") as f:
        config = _json.loads(f.read())
    sink = _io.StringIO()
    _sys.stdout = sink
    outcome = None
    try:
        outcome = _judge(config, pytest_source)
    except CandidateDied:
        pass
    except Unsupported:
        pass
    except BaseException as exc:  # noqa: BLE001 - anything else the tests raised outside a test
        _record_failure("the tests", exc)
    _sys.stdout = _sys.__stdout__
    with _contextlib.suppress(OSError):
        _os.kill(CHANNEL.pid, _signal.SIGKILL)
    with _contextlib.suppress(OSError):
        _os.waitpid(CHANNEL.pid, 0)
    # CPU seconds (kernel accounting, microsecond units) of this judge and of the reaped candidate
    # (its interpreter and the children it waited for): the efficiency reward charges the code
    # under test with everything the run used except the judge's own share.
    own = _resource.getrusage(_resource.RUSAGE_SELF)
    reaped = _resource.getrusage(_resource.RUSAGE_CHILDREN)
    cpu = {
        "judge_s": round(own.ru_utime + own.ru_stime, 6),
        "candidate_s": round(reaped.ru_utime + reaped.ru_stime, 6),
    }
    if outcome is None:
        if COUNTS.unsupported:
            outcome = {"status": "unsupported", "reason": COUNTS.unsupported}
        elif COUNTS.died:
            outcome = {"status": "failed", "error": "crash", "reason": COUNTS.died}
        elif COUNTS.failed:
            outcome = {"status": "failed", "error": COUNTS.first_error, "reason": "; ".join(COUNTS.failures)}
        elif COUNTS.assertions == 0:
            outcome = {"status": "failed", "reason": "the tests ran no assertion"}
        elif COUNTS.calls == 0:
            outcome = {"status": "failed", "reason": "the tests never called the code under test"}
        else:
            outcome = {"status": "passed"}
    outcome.update(
        nonce=config.get("nonce"),
        tests=COUNTS.tests,
        failed=COUNTS.failed,
        assertions=COUNTS.assertions,
        calls=COUNTS.calls,
        cpu=cpu,
    )
    _os.write(real_stdout, ("\n" + _json.dumps(outcome) + "\n").encode())
    return 0


_PYTEST = None

if __name__ == "__main__":
    main()
    with _contextlib.suppress(Exception):
        _sys.stderr.flush()
    _os._exit(0)  # the verdict is written: skip the interpreter's tear-down (tens of milliseconds)
