"""Which classes a `match` class pattern may take positional sub-patterns of, in the hidden-code rule.

`case C(x)` reads from the subject the attribute that `C.__match_args__[0]` names, and `C` itself
decides what it is an instance of (a metaclass's `__instancecheck__`, `abc.ABC.register`). A class
built at run time can put any name there where no linter reads it: `type("C", (), {"__match_args__":
("__se" + "lf__",)})` matched against `print` hands out the builtins module, and `namedtuple("C", "o" +
"s")` reads `os` off a module. So positional sub-patterns are allowed on two kinds of class only:

- the builtins that match their subject itself (`case int(n)`, `case str(s)`), when the program never
  binds that name;
- a class the program defines once with a `class` statement, with no metaclass, no decorator but
  `dataclass`, and bases among `object`, `NamedTuple`, `Generic[...]` and such classes of its own (so
  its `__match_args__` is either written in its body, which the rule flags, or its annotated fields,
  which the rule checks as attribute names).

Anything else with a positional sub-pattern (`case ast.BinOp(l, r)`, a class from `type(...)`)
counts as hiding code; keyword sub-patterns name their attributes in the source and are checked there.
`dataclass` likewise decorates such plain classes only: it writes methods as source from the field
names, which a metaclass's `__prepare__` or `__new__` can rename to code (`(self.a,print(...),)`).
"""

from __future__ import annotations

import ast
from collections import Counter

__all__ = ["ClassPatterns"]

SELF_MATCHING = frozenset({"bool", "bytearray", "bytes", "dict", "float", "frozenset", "int", "list", "set"})
SELF_MATCHING |= {"str", "tuple"}
_BASES = frozenset({"builtins.object", "typing.NamedTuple", "typing.Generic"})
_DATACLASS = "dataclasses.dataclass"
_DECORATORS = frozenset({_DATACLASS, "functools.total_ordering"})


class ClassPatterns:
    """The classes of one program whose positional class patterns read only attributes named in it."""

    def __init__(self, tree: ast.Module, aliases: dict[str, str]) -> None:
        self.aliases = aliases  # local name -> dotted path, as the hidden-code scan binds them
        self.bindings: Counter[str] = Counter()
        self.classes: dict[str, ast.ClassDef] = {}
        for node in ast.walk(tree):
            for name in _bound_names(node):
                self.bindings[name] += 1
            if isinstance(node, ast.ClassDef):
                self.classes[node.name] = node
        self.checked: dict[str, bool] = {}
        self.decorators = {
            id(d.func if isinstance(d, ast.Call) else d)
            for c in self.classes.values()
            for d in c.decorator_list
        }

    def check_dataclass(self, node: ast.AST) -> str | None:
        """`dataclass` writes `__init__`, `__eq__`, ... as source from the field names, and a metaclass
        (`__prepare__`, `__new__`) can rename a field to code there: so it decorates plain classes only."""
        if isinstance(node, ast.ClassDef) and not self._plain_class(node):
            decorators = (d.func if isinstance(d, ast.Call) else d for d in node.decorator_list)
            if any(self._path(d) == _DATACLASS for d in decorators):
                return f"makes {node.name} a dataclass, with a metaclass or base that can rename its fields"
        named = isinstance(node, ast.Name) or (isinstance(node, ast.Attribute) and node.attr == "dataclass")
        if named and id(node) not in self.decorators and self._path(node) == _DATACLASS:  # type: ignore[arg-type]
            return "uses dataclass other than as a class decorator"
        return None

    def check(self, pattern: ast.MatchClass) -> str | None:
        """Why `pattern` can read an attribute no linter sees, or None."""
        if not pattern.patterns:
            return None
        name = ast.unparse(pattern.cls)
        if name in SELF_MATCHING and not self.bindings[name]:
            return None
        if self._plain(name):
            return None
        return f"matches a class pattern by position on {name}, whose __match_args__ no linter reads"

    def _plain(self, name: str) -> bool:
        if name not in self.checked:
            self.checked[name] = False  # a class that derives from itself is not plain
            node = self.classes.get(name)
            self.checked[name] = node is not None and self.bindings[name] == 1 and self._plain_class(node)
        return self.checked[name]

    def _plain_class(self, node: ast.ClassDef) -> bool:
        decorators = (d.func if isinstance(d, ast.Call) else d for d in node.decorator_list)
        if node.keywords or any(self._path(d) not in _DECORATORS for d in decorators):
            return False
        for base in node.bases:
            base = base.value if isinstance(base, ast.Subscript) else base
            if self._path(base) not in _BASES and not self._plain(ast.unparse(base)):
                return False
        return True

    def _path(self, node: ast.expr) -> str:
        """What `node` names (`dataclass` -> "dataclasses.dataclass"), "" when the name is rebound."""
        head, dot, rest = ast.unparse(node).partition(".")
        path = self.aliases.get(head, "builtins." + head if head == "object" else head) + dot + rest
        imported = path.startswith(("dataclasses.", "typing."))
        return path if self.bindings[head] == (1 if imported else 0) else ""


def _bound_names(node: ast.AST) -> list[str]:
    """The names `node` binds in its scope (any scope: the rule does not tell them apart)."""
    if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
        return [node.id]
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return [node.name]
    if isinstance(node, ast.Import | ast.ImportFrom):
        return [(a.asname or a.name).split(".")[0] for a in node.names]
    if isinstance(node, ast.arg):
        return [node.arg]
    if isinstance(node, ast.MatchAs | ast.MatchStar) and node.name:
        return [node.name]
    if isinstance(node, ast.MatchMapping) and node.rest:
        return [node.rest]
    if isinstance(node, ast.Global | ast.Nonlocal):
        return list(node.names)
    if isinstance(node, ast.ExceptHandler) and node.name:
        return [node.name]
    return []
