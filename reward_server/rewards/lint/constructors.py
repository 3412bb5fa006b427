"""Objects built from a class the program does not name, in the hidden-code rule.

`type(x)` and `x.__class__` hand out the class of any object, and `x.__init__(...)` runs a
constructor again on an object that exists. With the unbuffered `open(2, "wb", 0)` that class is
`io.FileIO`, which writes any file: `type(raw)("colorsys.py", "w")` or `raw.__init__("colorsys.py",
"w")` puts a module where the next `import colorsys` finds it (the script's folder comes first on
`sys.path`). So:

- the class of an object may only be compared (`type(x) == int`, `type(x) is list`), tested
  (`isinstance`, `issubclass`), printed, formatted or asked its name (`type(x).__name__`); calling it
  (`type(self)(v)`, `self.__class__(v)`: name the class instead), binding it to a name or passing it
  anywhere else counts;
- `__init__` and `__new__` are called on `super()` or on a class the program defines once, nothing else;
- `type(name, bases, namespace)` (a class built at run time, whose names no linter reads) counts.
"""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Container

__all__ = ["BY_NAME", "check_class_use"]

BY_NAME = frozenset({"__class__", "__init__", "__new__"})
"""Attributes allowed as `x.name` under the rules above but never by a name in a string (`getattr(x,
"__class__")`, `operator.attrgetter`, `case object(__class__=c)`), where no rule follows what is done."""

_READS = frozenset({"__name__", "__qualname__"})
_INSPECTORS = frozenset({"isinstance", "issubclass", "print", "str", "repr", "id", "hash"})


def check_class_use(
    node: ast.AST, parents: dict[ast.AST, ast.AST], classes: Container[str], bindings: Counter[str]
) -> str | None:
    """Why `node` builds or reuses an object of a class no linter names, or None.

    `classes`: the names of the program's `class` statements; `bindings`: how often each name is bound."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "type":
        if len(node.args) == 3 or node.keywords:
            return "builds a class at run time with type(name, bases, namespace)"
        return None if _inspected(node, parents) else "uses the class of an object as a value: type(...)"
    if isinstance(node, ast.Name) and node.id == "type" and isinstance(node.ctx, ast.Load):
        parent = parents.get(node)
        if _inspected(node, parents) or isinstance(parent, ast.ClassDef) or _called(node, parent):
            return None
        return "uses type as a value (a class of an object could be made with it unseen)"
    if isinstance(node, ast.Attribute) and node.attr == "__class__":
        return None if _inspected(node, parents) else "uses the class of an object as a value: .__class__"
    if isinstance(node, ast.Attribute) and node.attr in ("__init__", "__new__"):
        value = node.value
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "super":
            return None
        if isinstance(value, ast.Name) and value.id in classes and bindings[value.id] == 1:
            return None
        return f"runs the constructor {ast.unparse(node)[:60]} of an object no linter names"
    return None


def _called(node: ast.expr, parent: ast.AST | None) -> bool:
    return isinstance(parent, ast.Call) and parent.func is node


def _inspected(node: ast.expr, parents: dict[ast.AST, ast.AST]) -> bool:
    """`node` (a class) is only compared, tested, printed, formatted or asked its name."""
    parent = parents.get(node)
    if isinstance(parent, ast.Compare | ast.FormattedValue):
        return True
    if isinstance(parent, ast.Attribute):
        return parent.attr in _READS
    if isinstance(parent, ast.Call) and node in parent.args:
        return isinstance(parent.func, ast.Name) and parent.func.id in _INSPECTORS
    return False
