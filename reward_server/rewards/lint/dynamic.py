"""Python that can run code no linter sees: the rule that scores it 0 in the lint reward.

ruff lints the source it is given. A program that runs code held in a string (`exec`, `eval`,
`compile`, a module that imports, unpickles or starts a process, a file it writes and then
imports) could keep arbitrarily bad code there and still lint clean, so such a program scores 0.
The rule reads the program with Python's own `ast` (nothing runs) and is a denylist over names,
imported module paths and attribute names that closes the ways to reach a code runner known to
us (a way on none of these lists is not caught; README "Lint reward" lists the known gaps):

- `BARE_NAMES`: the builtins that run code or hand out the namespace holding them, flagged on
  any use, even when the program binds the name itself (telling a shadowed `eval` from the
  builtin needs the order of execution; call your own function something else).
- `getattr` / `setattr` / `delattr` only as a direct call with a string literal name, which is
  then checked as an attribute; `operator.attrgetter` / `methodcaller` likewise.
- `MODULES`: importing them (or any submodule) in any form, or reaching them as an attribute of
  an imported name.
- `ATTRIBUTES`: attribute names flagged on any object (`x.system`, `f.__globals__`, `t.tb_frame`),
  since objects can be passed around where no import alias follows them; also as keywords of a
  class pattern (`case object(__globals__=g)`), and `__match_args__` may not be set.
- `PATHS`: attributes flagged on one module only (`os.rename`, `sys.path`), followed through
  `import … as`, `from … import … as` and plain assignments (`o = os`); a module bound by
  `import` may otherwise only be used as `module.attribute` (`f(os)` or `[os]` is flagged), and a
  private attribute of a module (`random._os`, `dataclasses._create_fn`) is flagged.
- Files: `open` (and `io.open`, `codecs.open`, …) with a write mode needs a literal path that
  Python cannot import (not `.py`, `.pyc`, `.so`, `.zip`, …) or a file descriptor; `pathlib`,
  `shutil`, `tempfile`, `zipfile`, `tarfile` and `fileinput` are in `MODULES`.
- A string annotation that is not a type expression (`functools.singledispatch` evaluates them).
- `PACKAGES`: besides the standard library, the only modules a program may import (any other could
  be a file it wrote); class patterns by position only on classes the program states
  (`class_patterns`); the class of an object only compared, tested or named (`constructors`).
- A source encoding declaration other than UTF-8, ASCII or Latin-1 (`# coding: unicode_escape`
  turns `\\u000a` in a comment into a new line of code).

Code that `ast` cannot parse is left to ruff's verdict (a syntax error scores 0 there); code nested
too deeply to check counts as hiding code. Python's AST takes about 400 bytes of memory per byte of
source, so the lint component runs this module as a script under the lint limits for large programs
(`python -I -S dynamic.py`, the code on stdin, `{"hidden": reason or null}` on stdout).
"""

from __future__ import annotations

import ast
import codecs
import io
import json
import posixpath
import sys
import tokenize

if __package__:
    from reward_server.rewards.lint.class_patterns import ClassPatterns
    from reward_server.rewards.lint.constructors import BY_NAME, check_class_use
else:  # run as a script by the lint component (`python -I -S dynamic.py`): its folder is not on sys.path
    sys.path.append(posixpath.dirname(posixpath.abspath(__file__)))
    from class_patterns import ClassPatterns  # type: ignore[no-redef]
    from constructors import BY_NAME, check_class_use  # type: ignore[no-redef]

__all__ = ["ATTRIBUTES", "BARE_NAMES", "MODULES", "PACKAGES", "PATHS", "hidden_code"]

BARE_NAMES = frozenset(
    {"exec", "eval", "compile", "__import__", "breakpoint", "globals", "locals", "vars", "help"}
    | {"__builtins__", "__builtin__", "__loader__", "__spec__", "__annotations__"}
)
_NAME_GETTERS = frozenset({"getattr", "setattr", "delattr"})
MODULES = frozenset(
    {"builtins", "__builtin__", "importlib", "imp", "runpy", "code", "codeop", "zipimport", "pkgutil"}
    | {"marshal", "pickle", "_pickle", "cPickle", "shelve", "dill", "cloudpickle", "multiprocessing"}
    | {"subprocess", "_posixsubprocess", "pty", "posix", "nt", "pipes", "webbrowser", "asyncio.subprocess"}
    | {"ctypes", "_ctypes", "cffi", "pdb", "bdb", "timeit", "cProfile", "profile", "trace", "doctest"}
    | {"inspect", "pydoc", "site", "rlcompleter", "tkinter", "_tkinter", "idlelib", "unittest.mock"}
    | {"logging.config", "_xxsubinterpreters", "_interpreters", "_testcapi", "_testinternalcapi"}
    | {"pathlib", "shutil", "tempfile", "zipfile", "tarfile", "fileinput", "distutils", "setuptools"}
    | {"py_compile", "compileall", "lib2to3", "ensurepip", "venv", "turtle", "unittest", "mailcap", "test"}
    | {"optparse"}  # Values.read_file execs a file
    | {"dis", "readline"}  # dis.Bytecode(source).codeobj: compile by another name; a history file
    | {"xmlrpc", "xml", "http.cookiejar", "mailbox", "uu"}  # getattr by a dotted string; text writers
)
ATTRIBUTES = frozenset(
    # namespaces and code objects: where builtins and code live
    {"__globals__", "__builtins__", "__dict__", "__code__", "__self__", "__subclasses__", "__loader__"}
    | {"__spec__", "__getattribute__", "__getattr__", "__import__", "__reduce__", "__reduce_ex__"}
    | {"f_globals", "f_builtins", "f_locals", "f_code", "f_back", "gi_code", "gi_frame", "cr_code"}
    | {"cr_frame", "ag_code", "ag_frame", "tb_frame", "co_code", "co_consts", "func_globals", "func_code"}
    # sys, gc, types, typing, importlib loaders, sqlite3
    | {"modules", "_getframe", "meta_path", "path_hooks", "path_importer_cache", "breakpointhook"}
    | {"get_objects", "get_referents", "get_referrers", "FunctionType", "LambdaType", "CodeType"}
    | {"get_type_hints", "ForwardRef", "source_to_code", "exec_module", "load_module"}
    | {"load_extension", "enable_load_extension", "tofile", "open_memmap", "ctypeslib", "f2py"}
    | {"_evaluate", "_eval_type", "_create_fn", "_current_frames"}  # private runners on stdlib objects
    | {"codeobj", "resolve_dotted_attribute", "__setattr__", "__delattr__", "__match_args__", "lookfor"}
    | {"singledispatch", "singledispatchmethod"}  # register() evaluates annotations (a name bound to a str)
    # import paths, annotations, modules held by other modules (`os.path.os`), writers, processes
    | {"__path__", "__annotations__", "os", "sys", "_os", "_sys", "StrFormatter", "memmap"}
    | {"save", "savez", "savez_compressed", "savetxt", "Popen", "check_output", "getoutput"}
    | {"getstatusoutput", "IMAP4_stream", "CGIHTTPRequestHandler"}
    | {"urlretrieve", "FileHandler", "RotatingFileHandler", "TimedRotatingFileHandler", "WatchedFileHandler"}
    # processes
    | {"system", "popen", "execl", "execle", "execlp", "execlpe", "execv", "execve", "execvp", "execvpe"}
    | {"spawnl", "spawnle", "spawnlp", "spawnlpe", "spawnv", "spawnve", "spawnvp", "spawnvpe"}
    | {"posix_spawn", "posix_spawnp", "startfile", "fork_exec", "spawnv_passfds"}
    | {"create_subprocess_exec", "create_subprocess_shell", "subprocess_exec", "subprocess_shell"}
    # modules other modules import (`dataclasses.builtins`, `dataclasses.inspect`)
    | {"builtins", "importlib", "runpy", "marshal", "pickle", "subprocess", "ctypes", "pydoc", "pdb"}
    | {"inspect", "multiprocessing", "shutil", "pathlib", "tempfile"}
)
PATHS = frozenset(
    {"os.open", "os.rename", "os.renames", "os.replace", "os.link", "os.symlink", "os.copy_file_range"}
    | {"string.Formatter", "numpy.save", "numpy.savez", "numpy.savez_compressed", "numpy.savetxt"}
    | {"numpy.load", "npyio.load", "numpy.distutils", "numpy.testing", "sys.path"}
)
# Private helpers solutions use (`heapq._heapify_max` for a max-heap, `os._exit` to skip teardown).
_PRIVATE_ALLOWED = frozenset(
    {"os._exit", "heapq._heapify_max", "heapq._heappop_max", "heapq._heapreplace_max"}
)
# What a program may import besides the standard library: the Python sandbox image's packages. A
# module of any other name could be a file the program wrote with a writer no list here names.
PACKAGES = frozenset({"numpy", "sortedcontainers"})
_OPENERS = frozenset({"open", "io.open", "io.FileIO", "_io.open", "_io.FileIO", "codecs.open"})
_IMPORTABLE = (".py", ".pyc", ".pyo", ".pyw", ".so", ".pyd", ".zip", ".egg", ".whl", ".pyz", ".pth")
_ATTRIBUTE_CALLERS = frozenset({"operator.attrgetter", "operator.methodcaller", "attrgetter", "methodcaller"})
_SAFE_STAR = frozenset({"math", "cmath", "itertools", "collections", "heapq", "bisect", "functools"})
_SAFE_STAR |= {"decimal", "fractions", "statistics", "random", "array", "copy", "sortedcontainers"}
_SOURCE_CODECS = frozenset({"utf-8", "utf-8-sig", "ascii", "iso8859-1"})
# What a string annotation may hold: a type expression (`"Item"`, `"list[int] | None"`), never a
# call (functools.singledispatch evaluates annotations with typing.get_type_hints).
_TYPE_NODES: tuple[type[ast.AST], ...] = (ast.Expression, ast.Name, ast.Attribute, ast.Subscript, ast.Tuple)
_TYPE_NODES += (ast.List, ast.Constant, ast.BinOp, ast.BitOr, ast.Load)


def hidden_code(code: str) -> str | None:
    """What in `code` can run code that no linter sees (with its line), or None if nothing can.

    None as well when `ast` cannot parse `code`: ruff's syntax error decides then.

    >>> hidden_code("import builtins\\ngetattr(builtins, 'ex' + 'ec')('x = 1')\\n")
    'imports builtins (line 1)'
    >>> hidden_code("import re\\n\\nprint(re.compile('a+').findall('aab'))\\n") is None
    True
    """
    cookie = _source_encoding(code)
    if cookie is not None:
        return f"declares the source encoding {cookie!r}, which can turn comments into code (line 1)"
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return None
    except RecursionError:
        return "is nested too deeply to check (line ?)"
    try:
        return _Scan(tree).first()
    except RecursionError:
        return "is nested too deeply to check (line ?)"


def _source_encoding(code: str) -> str | None:
    """The coding declaration's codec when it is not one that decodes UTF-8 source as written."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(code.encode("utf-8", "surrogatepass")).readline)
        name = codecs.lookup(encoding).name
    except (SyntaxError, LookupError):
        return "unknown"
    return None if name in _SOURCE_CODECS else encoding


def _literal(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


class _Scan:
    """One pass over a parsed program: the import and assignment aliases first, then every node."""

    def __init__(self, tree: ast.Module) -> None:
        self.tree = tree
        self.aliases: dict[str, str] = {}  # local name -> dotted path ("o" -> "os", "p" -> "os.path")
        self.module_paths: set[str] = set()  # what `import x` binds: module objects
        self.imported: set[str] = set()  # the top-level packages imported in any form
        self.parents: dict[ast.AST, ast.AST] = {}
        self.class_patterns = ClassPatterns(tree, self.aliases)
        for node in ast.walk(tree):
            for child in ast.iter_child_nodes(node):
                self.parents[child] = node
            self._bind(node)

    def _bind(self, node: ast.AST) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                local = alias.asname or alias.name.split(".")[0]
                self.aliases[local] = alias.name if alias.asname else local
                self.module_paths.add(self.aliases[local])
                self.imported.add(alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.module:
            self.imported.add(node.module.split(".")[0])
            for alias in node.names:
                self.aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Assign | ast.NamedExpr | ast.AnnAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            path = self.path(node.value)
            for target in targets:
                if isinstance(target, ast.Name) and path is not None and path != target.id:
                    self.aliases.setdefault(target.id, path)

    def path(self, node: ast.expr) -> str | None:
        """The dotted path `node` names (`np.linalg` -> "numpy.linalg"), None for other values."""
        if isinstance(node, ast.Name):
            return self.aliases.get(node.id, node.id)
        if isinstance(node, ast.Attribute):
            base = self.path(node.value)
            return f"{base}.{node.attr}" if base else None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr":
            name = _literal(node.args[1]) if len(node.args) == 2 else None
            base = self.path(node.args[0]) if name else None
            return f"{base}.{name}" if base else None
        return None

    def first(self) -> str | None:
        """The finding that comes first in the source, with its line."""
        found = []
        for order, node in enumerate(ast.walk(self.tree)):
            reason = self._check(node) or self._check_class_use(node)
            if reason:
                line, column = getattr(node, "lineno", 0), getattr(node, "col_offset", 0)
                found.append((line, column, order, f"{reason} (line {line})"))
        return min(found)[3] if found else None

    def _check_class_use(self, node: ast.AST) -> str | None:
        patterns = self.class_patterns
        found = check_class_use(node, self.parents, patterns.classes, patterns.bindings)
        return found or patterns.check_dataclass(node)

    def _check(self, node: ast.AST) -> str | None:
        if isinstance(node, ast.Import | ast.ImportFrom):
            return _check_import(node)
        if isinstance(node, ast.Name):
            return self._check_name(node)
        if isinstance(node, ast.Attribute):
            return self._check_attribute(node, node.value, node.attr)
        if isinstance(node, ast.MatchClass):  # `case object(__globals__=g)` reads the attribute
            found = next((f"reaches {a}" for a in node.kwd_attrs if a in ATTRIBUTES | BY_NAME), None)
            return found or self.class_patterns.check(node)
        if isinstance(node, ast.AnnAssign):  # a dataclass or NamedTuple field is a __match_args__ name
            field = node.target.id if isinstance(node.target, ast.Name) else None
            in_class = isinstance(self.parents.get(node), ast.ClassDef)
            return (
                f"has a field named {field}" if in_class and field in ATTRIBUTES else _check_annotation(node)
            )
        if isinstance(node, ast.arg | ast.FunctionDef | ast.AsyncFunctionDef):
            return _check_annotation(node)
        if isinstance(node, ast.keyword) and node.arg == "filename":  # logging.basicConfig(filename=...)
            return (
                None
                if _unimportable(node.value)
                else f"writes a file Python could import: {ast.unparse(node)}"
            )
        if isinstance(node, ast.keyword) and node.arg == "allow_pickle":
            return (
                None
                if isinstance(node.value, ast.Constant) and node.value.value is False
                else "unpickles data"
            )
        return None

    def _called(self, node: ast.expr) -> ast.Call | None:
        """The call `node` is the function of, if it is one."""
        call = self.parents.get(node)
        return call if isinstance(call, ast.Call) and call.func is node else None

    def _check_name(self, node: ast.Name) -> str | None:
        if node.id in BARE_NAMES:
            return f"uses {node.id}"
        if node.id == "__match_args__":  # the attributes a class pattern reads
            return "sets __match_args__"
        call = self._called(node)
        path = self.aliases.get(node.id, node.id)
        if node.id in _NAME_GETTERS:
            return self._check_getter(call) if call else f"uses {node.id}"
        if path in _ATTRIBUTE_CALLERS:
            return _check_attribute_caller(call) if call else f"uses {path}"
        if path in _OPENERS:
            return _check_open(call, path) if call else f"uses {path}"
        if path in self.module_paths and isinstance(node.ctx, ast.Load):
            return self._check_module_use(node, path)
        return None

    def _check_module_use(self, node: ast.Name, module: str) -> str | None:
        parent = self.parents.get(node)
        if isinstance(parent, ast.Attribute) and parent.value is node:
            return None
        if isinstance(parent, ast.Assign | ast.NamedExpr) and parent.value is node:
            return None  # an alias, followed by `path`
        return f"passes the module {module} around"

    def _check_getter(self, call: ast.Call) -> str | None:
        name = _literal(call.args[1]) if len(call.args) >= 2 else None
        if name is None or any(isinstance(a, ast.Starred) for a in call.args):
            return f"uses {ast.unparse(call.func)} with a computed name"
        if name in BY_NAME:
            return f"reaches {name} by name"
        return self._check_attribute(call, call.args[0], name)

    def _check_attribute(self, node: ast.AST, value: ast.expr, attr: str) -> str | None:
        base = self.path(value)
        if attr in ATTRIBUTES or (attr == "Formatter" and base != "logging"):  # string.Formatter
            return f"reaches {attr}"
        call = self._called(node) if isinstance(node, ast.Attribute) else None
        if attr == "open" and call is not None:  # `gzip.open`, a `DataSource().open`: the same modes
            return _check_open(call, ast.unparse(node))
        if base is None:
            return None
        path = f"{base}.{attr}"
        if any(path == p or path.endswith(f".{p}") for p in PATHS):
            return f"reaches {path}"
        imported = base.split(".")[0] in self.imported  # not a variable that happens to be called `code`
        if imported and any(path == m or path.startswith(f"{m}.") for m in MODULES):
            return f"reaches {path}"
        if imported and _private(path):
            return f"reaches the private {path}"
        if path in _OPENERS:
            return f"uses {path}"  # not called where it is named (an alias, `getattr(io, "open")`)
        return None


def _check_attribute_caller(call: ast.Call) -> str | None:
    """`operator.attrgetter("a.b")` / `methodcaller("name", ...)`: literal names only, each checked."""
    function = ast.unparse(call.func)
    args = call.args[:1] if "methodcaller" in function else call.args
    names = [_literal(a) for a in args]
    if not names or None in names or (call.keywords and "attrgetter" in function):
        return f"uses {function} with a computed name"
    for part in ".".join(n for n in names if n).split("."):
        if part in ATTRIBUTES or part in BARE_NAMES or part in BY_NAME:
            return f"reaches {part}"
    return None


def _check_import(node: ast.Import | ast.ImportFrom) -> str | None:
    if isinstance(node, ast.ImportFrom) and node.level:
        return "has a relative import (of a file the program could have written)"
    unknown = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
    unknown = [n for n in unknown if n.split(".")[0] not in sys.stdlib_module_names | PACKAGES]
    if unknown:
        return f"imports {unknown[0]}, which is neither the standard library nor a package of the sandbox"
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        module = node.module or ""
        if any(alias.name == "*" for alias in node.names) and module not in _SAFE_STAR:
            return f"imports * from {module}"
        names = [module] + [f"{module}.{alias.name}" for alias in node.names]
    for name in names:
        parts = name.split(".")
        if any(".".join(parts[: i + 1]) in MODULES for i in range(len(parts))):
            return f"imports {name}"
        if name in PATHS or (len(parts) > 1 and parts[-1] in ATTRIBUTES | BARE_NAMES) or _private(name):
            return f"imports {name}"
    return None


def _private(path: str) -> bool:
    """A single-underscore name after the top-level module (`random._os`), bar `_PRIVATE_ALLOWED`."""
    parts = path.split(".")[1:]
    return path not in _PRIVATE_ALLOWED and any(p.startswith("_") and not p.endswith("__") for p in parts)


def _check_annotation(node: ast.arg | ast.FunctionDef | ast.AsyncFunctionDef | ast.AnnAssign) -> str | None:
    annotation = node.returns if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) else node.annotation
    for part in ast.walk(annotation) if annotation is not None else ():
        text = _literal(part) if isinstance(part, ast.expr) else None
        if text is None:
            continue
        try:
            parsed = ast.parse(text.strip(), mode="eval")
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return "has a string annotation that is not a type"
        if not all(isinstance(n, _TYPE_NODES) for n in ast.walk(parsed)):
            return "has a string annotation that is not a type"
    return None


def _check_open(call: ast.Call, path: str) -> str | None:
    """A call of an `_OPENERS` function: reading, or writing to a path Python cannot import."""
    keywords = {k.arg: k.value for k in call.keywords}
    if None in keywords or any(isinstance(a, ast.Starred) for a in call.args):
        return f"calls {path} with unpacked arguments"
    mode_node = call.args[1] if len(call.args) > 1 else keywords.get("mode")
    mode = _literal(mode_node) if mode_node is not None else "r"
    if mode is not None and not set(mode) & set("wax+"):
        return None
    target = call.args[0] if call.args else keywords.get("file")
    if _unimportable(target):
        return None
    return f"writes a file Python could import: {ast.unparse(call)[:80]}"


def _unimportable(target: ast.expr | None) -> bool:
    """A file descriptor (`open(1, "w")` is stdout), or a literal path no import can load and that
    is not the process's own memory (`/proc/self/mem`)."""
    if isinstance(target, ast.Constant) and isinstance(target.value, int):
        return True
    name = _literal(target)
    if name is None:
        return False
    parts = posixpath.normpath(name).split("/")
    return not name.lower().endswith(_IMPORTABLE) and ".." not in parts and "proc" not in parts


if __name__ == "__main__":
    sys.stdout.write(
        json.dumps({"hidden": hidden_code(sys.stdin.buffer.read().decode("utf-8", "surrogatepass"))})
    )
