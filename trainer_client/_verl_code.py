"""verl's code ground truths as reward-server code tasks.

verl's code datasets (and its SandboxFusion scorer) carry ``{"inputs": [...], "outputs": [...]}``,
as a dict or a JSON string, optionally with ``fn_name`` (call-based: each input is the arguments)
or ``assert_case`` (a list of assert statements). Without ``fn_name`` each input is a program's
stdin and each output its expected stdout. With ``fn_name`` an input is either a string of JSON
lines, one per argument (verl's SandboxFusion harness), or a list of arguments (APPS / TACO /
PRIME style, where an output may also be the return value wrapped in a one-element list).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

# Runs after the completion's code: finds `fn_name` (a function, or a method of `Solution`), calls it
# once per case and exits non-zero on the first wrong answer. Names are prefixed so the completion
# cannot shadow them by accident.
_CALL_HARNESS = """
import json as _rs_json


def _rs_target(_rs_name):
    if callable(globals().get(_rs_name)):
        return globals()[_rs_name]
    if "Solution" in globals():
        return getattr(globals()["Solution"](), _rs_name)
    raise SystemExit("function " + repr(_rs_name) + " not found")


def _rs_args(raw):
    if isinstance(raw, list):
        return raw
    text = str(raw)
    return [_rs_json.loads(line) for line in text.split("\\n")] if text.strip() else []


def _rs_plain(value):
    if isinstance(value, tuple | list):
        return [_rs_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _rs_plain(v) for k, v in value.items()}
    return value


def _rs_equal(a, b):
    return isinstance(a, bool) == isinstance(b, bool) and a == b


def _rs_same(result, expected, listed):
    result = _rs_plain(result)
    if isinstance(expected, str) and not listed:
        shown = result
        if isinstance(result, dict | list | bool) or result is None:
            shown = _rs_json.dumps(result)
        if str(shown).rstrip("\\n") == expected.rstrip("\\n"):
            return True
        try:
            expected = _rs_json.loads(expected)
        except ValueError:
            return False
    if _rs_equal(result, expected):
        return True
    return listed and isinstance(expected, list) and len(expected) == 1 and _rs_equal(result, expected[0])


for _rs_index, (_rs_input, _rs_expected) in enumerate(_rs_json.loads(__CASES__)):
    _rs_result = _rs_target(__NAME__)(*_rs_args(_rs_input))
    if not _rs_same(_rs_result, _rs_expected, isinstance(_rs_input, list)):
        raise AssertionError(f"case {_rs_index}: expected {_rs_expected!r}, got {_rs_result!r}")
"""


def plain(value: Any) -> Any:
    """numpy arrays and scalars (what parquet gives verl) as lists and Python numbers."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if hasattr(value, "tolist") and not isinstance(value, str | bytes):
        return plain(value.tolist())
    return value


def verl_code_task(ground_truth: Any, language: str = "python") -> dict[str, Any] | None:
    """A code task for a verl code ground truth, or None if `ground_truth` is not one.

    >>> verl_code_task('{"inputs": ["1 2\\\\n"], "outputs": ["3\\\\n"]}')["tests"]
    [{'stdin': '1 2\\n', 'expected_stdout': '3\\n'}]

    Raises ValueError for a malformed one (inputs and outputs of different lengths, or empty).
    """
    cases = ground_truth
    if isinstance(cases, str):
        stripped = cases.strip()
        if not stripped.startswith("{"):
            return None
        try:
            cases = json.loads(stripped, strict=False)
        except ValueError:
            return None
    cases = plain(cases)
    if not isinstance(cases, dict) or "type" in cases:
        return None
    language = str(cases.get("language") or language)
    asserts = cases.get("assert_case")
    if isinstance(asserts, list) and asserts:
        return {"type": "code", "language": language, "test_code": "\n".join(map(str, asserts)) + "\n"}
    inputs, outputs = cases.get("inputs"), cases.get("outputs")
    if not isinstance(inputs, list) or not isinstance(outputs, list):
        return None
    if not inputs or len(inputs) != len(outputs):
        raise ValueError(
            f"verl code ground truth needs as many outputs as inputs, at least one: "
            f"got {len(inputs)} inputs and {len(outputs)} outputs"
        )
    fn_name = cases.get("fn_name")
    if fn_name:
        pairs = json.dumps(list(zip(inputs, outputs, strict=True)))
        harness = _CALL_HARNESS.replace("__CASES__", repr(pairs))
        return {"type": "code", "language": "python", "test_code": harness.replace("__NAME__", repr(fn_name))}
    tests = [{"stdin": _text(i), "expected_stdout": _text(o)} for i, o in zip(inputs, outputs, strict=True)]
    return {"type": "code", "language": language, "tests": tests}


def _text(value: Any) -> str:
    if isinstance(value, list):
        return "\n".join(map(str, value))
    return str(value)
