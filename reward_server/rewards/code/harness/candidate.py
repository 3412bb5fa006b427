# The candidate's side of a function-call judge run: a fresh interpreter that imports the code
# under test and answers the judge's requests (call this, read that attribute) over fds 3 and 4.
#
# Started by judge.py with `python3 -I judge_candidate.py <module name> <source file>`, after
# wire.py's text. It holds nothing secret: the tests, the expected values and the verdict stay in
# the judge process, which this process cannot read. Everything here may be altered by the code
# under test without changing what the judge trusts (plain data and handles only).

import io as _io
import sys as _sys
import types as _types

_REQUESTS, _ANSWERS = 3, 4


class _Objects:
    """The candidate objects the judge holds handles to, by number."""

    def __init__(self):
        self.by_id = {}
        self.ids = {}

    def ref(self, value):
        key = id(value)
        number = self.ids.get(key)
        if number is None or self.by_id.get(number) is not value:
            number = len(self.by_id)
            self.by_id[number] = value
            self.ids[key] = number
        if isinstance(value, type):
            kind = "exception" if issubclass(value, BaseException) else "class"
        elif isinstance(value, _types.ModuleType):
            kind = "module"
        elif callable(value):
            kind = "callable"
        else:
            kind = "object"
        name = getattr(value, "__name__", None) if kind in ("class", "exception", "module") else None
        if not isinstance(name, str):
            name = type(value).__name__
        if kind == "exception":
            name += "|" + ",".join(_builtin_bases(value))
        return ["R", number, kind, name]

    def get(self, number, kind=None, type_name=None):
        return self.by_id[number]


class _Handle:
    """An answer that is already a handle's wire form (sent as it is, not as a plain list)."""

    def __init__(self, wire):
        self.wire = wire


def _encode(value, objects):
    if type(value) is _Handle:
        return value.wire
    return wire_encode(value, objects.ref)  # noqa: F821 - wire.py is prepended


def _decode(value, objects):
    return wire_decode(value, objects.get)  # noqa: F821


def _builtin_bases(kind):
    return [c.__name__ for c in kind.__mro__ if c.__module__ == "builtins" and issubclass(c, BaseException)]


def _exception(exc, objects):
    import traceback as _traceback

    kind = type(exc)
    builtin_bases = _builtin_bases(kind)
    try:
        message = str(exc)
    except Exception:
        message = f"<unprintable {kind.__name__}>"
    return {
        "type": kind.__name__,
        "class": objects.ref(kind),
        "builtin": kind.__module__ == "builtins",
        "bases": builtin_bases,
        "message": message[:2000],
        "traceback": "".join(_traceback.format_exception(kind, exc, exc.__traceback__))[-4000:],
    }


def _answer(request, objects):
    op = request["op"]
    target = objects.by_id[request["ref"]]
    handler = _HANDLERS.get(op) if type(op) is str else None
    if handler is None:
        raise ValueError(f"unknown request {op!r}")
    return handler(target, request, objects)


def _call(target, request, objects):
    args = [_decode(a, objects) for a in request["args"]]
    kwargs = {name: _decode(v, objects) for name, v in request["kwargs"]}
    return target(*args, **kwargs)


def _setattr(target, request, objects):
    setattr(target, request["name"], _decode(request["value"], objects))


def _delattr(target, request, objects):
    delattr(target, request["name"])


def _setitem(target, request, objects):
    target[_decode(request["key"], objects)] = _decode(request["value"], objects)


def _delitem(target, request, objects):
    del target[_decode(request["key"], objects)]


def _iter(target, request, objects):
    # A handle (not its wire form as a value, which would cross as a plain list): the judge
    # steps through it with "next".
    return _Handle(objects.ref(iter(target)))


def _issubclass(target, request, objects):
    other = _decode(request["value"], objects)
    return isinstance(other, type) and issubclass(other, target)


# What the judge may ask of a candidate object: op -> handler(target, request, objects).
_HANDLERS = {
    "call": _call,
    "getattr": lambda target, request, objects: getattr(target, request["name"]),
    "setattr": _setattr,
    "delattr": _delattr,
    "getitem": lambda target, request, objects: target[_decode(request["key"], objects)],
    "setitem": _setitem,
    "delitem": _delitem,
    "len": lambda target, request, objects: len(target),
    "bool": lambda target, request, objects: bool(target),
    "str": lambda target, request, objects: str(target),
    "repr": lambda target, request, objects: repr(target),
    "iter": _iter,
    "next": lambda target, request, objects: next(target),
    "contains": lambda target, request, objects: _decode(request["value"], objects) in target,
    "isinstance": lambda target, request, objects: isinstance(_decode(request["value"], objects), target),
    "issubclass": _issubclass,
    "dir": lambda target, request, objects: [name for name in dir(target) if not name.startswith("__")],
}


def _serve(module_name, source_file):
    objects = _Objects()
    module = _types.ModuleType(module_name)
    module.__file__ = source_file
    _sys.modules[module_name] = module
    objects.ref(module)  # handle 0
    real_stdout = _sys.stdout
    captured = _io.StringIO()
    _sys.stdout = captured
    try:
        with open(source_file, "rb") as f:
            code = compile(f.read(), source_file, "exec")
        exec(code, module.__dict__)
        names = [[n, _encode(v, objects)] for n, v in list(module.__dict__.items()) if not n.startswith("__")]
        answer = {"ok": True, "names": names}
    except BaseException as exc:  # noqa: BLE001 - reported to the judge, which fails the run
        answer = {"ok": False, "exc": _exception(exc, objects)}
    answer["out"] = captured.getvalue()
    _sys.stdout = real_stdout
    wire_send(_ANSWERS, answer)  # noqa: F821
    while True:
        try:
            request = wire_receive(_REQUESTS)  # noqa: F821
        except EOFError:
            return
        captured = _io.StringIO()
        _sys.stdout = captured
        try:
            answer = {"ok": True, "value": _encode(_answer(request, objects), objects)}
        except BaseException as exc:  # noqa: BLE001 - the judge re-raises it in the test
            answer = {"ok": False, "exc": _exception(exc, objects)}
        _sys.stdout = real_stdout
        answer["out"] = captured.getvalue()
        try:
            wire_send(_ANSWERS, answer)  # noqa: F821
        except WireError as exc:  # noqa: F821
            wire_send(  # noqa: F821
                _ANSWERS, {"ok": False, "exc": _exception(exc, objects), "out": ""}
            )


if __name__ == "__main__":
    import _sitebuiltins
    import builtins as _builtins

    # What `site` would have added (the interpreter runs with -S to start faster).
    _builtins.exit = _sitebuiltins.Quitter("exit", "Ctrl-D (i.e. EOF)")
    _builtins.quit = _sitebuiltins.Quitter("quit", "Ctrl-D (i.e. EOF)")
    _sys.path[:] = [p for p in wire_loads(_sys.argv[3]) if isinstance(p, str)]  # noqa: F821
    _serve(_sys.argv[1], _sys.argv[2])
