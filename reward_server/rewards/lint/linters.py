"""The linter of each language, the command that runs it over the source in the sandbox, and how
its output reads as findings. None of these commands runs the program: the compilers only check
(`-fsyntax-only`, `--emit=metadata`, `javac` writes classes nobody loads, `go vet` type-checks).

Python is linted by ruff on the host (`reward_server.rewards.lint.ruff`); JavaScript has no
linter in its sandbox image (eslint is not installed there), so it is not listed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from reward_server.rewards.lint.findings import Finding

__all__ = ["SANDBOX_LINTERS", "SandboxLinter", "suppression"]

# Switching warnings off inside the code would buy a clean score; such code scores 0 instead.
# Python needs no pattern: ruff runs with --ignore-noqa.
_SUPPRESSIONS: dict[str, re.Pattern[str]] = {
    # `#pragma GCC diagnostic ignored`, `_Pragma("clang diagnostic ...")`, line markers
    # (`# 1 "x.h" 3` makes what follows a system header, whose warnings are not shown),
    # `#pragma GCC system_header` (the same, in a file that includes itself), and a `_Pragma`
    # whose argument is not a string literal (built by macros, so its text cannot be read here).
    # Matched on `_c_tokens_text`: splices joined, comments blanked, `%:` read as `#`.
    "c": re.compile(
        r"\b(?:GCC|clang)\s+diagnostic\b|\bsystem_header\b|^[ \t]*#[ \t]*(?:line\b|\d)"
        r"|\b_Pragma\s*\((?!\s*(?:u8|[LuU])?\")",
        re.M,
    ),
    "java": re.compile(r"\bSuppressWarnings\b"),  # matched after `\\uXXXX` escapes are decoded, as javac does
    # `#[allow(…)]`, `#[expect(…)]`, and an attribute built from a macro's metavariable
    # (`#[$a(unused)]` with `$a` = `allow`), whose name cannot be read here.
    "rust": re.compile(r"#!?\s*\[[^\]]*(?:\b(?:allow|expect)\s*\(|\$)"),
}
_SUPPRESSIONS["cpp"] = _SUPPRESSIONS["c"]


_JAVA_UNICODE_ESCAPE = re.compile(r"\\u+([0-9a-fA-F]{4})")
_C_COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)


def _c_tokens_text(code: str) -> str:
    """C/C++ source as the preprocessor reads its directives: line splices (backslash-newline)
    joined, comments replaced by a space, the digraph `%:` read as `#`. (A comment marker inside
    a string literal is blanked too; that can only hide text, never add a match.)"""
    joined = re.sub(r"\\[ \t]*\r?\n", "", code)
    return _C_COMMENT.sub(" ", joined).replace("%:", "#")


def suppression(language: str, code: str) -> str | None:
    """The first text in `code` that turns the linter's warnings off, if any."""
    if language in ("c", "cpp"):
        code = _c_tokens_text(code)
    elif language == "java":
        code = _JAVA_UNICODE_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), code)
    pattern = _SUPPRESSIONS.get(language)
    match = pattern.search(code) if pattern else None
    return match.group(0).strip() if match else None


_GCC = re.compile(
    r"^(?P<file>[^:\n]+):(?P<line>\d+):(?:\d+:)? (?P<kind>warning|error|fatal error): "
    r"(?P<message>.*?)(?: \[(?P<option>-W[^\]]+)\])?$",
    re.M,
)


def parse_gcc(output: str) -> list[Finding]:
    """gcc/g++ diagnostics (`main.c:3:9: warning: unused variable ‘x’ [-Wunused-variable]`)."""
    return [
        Finding(
            m["option"] or ("error" if m["kind"] != "warning" else "warning"),
            m["message"],
            int(m["line"]),
            error=m["kind"] != "warning",
        )
        for m in _GCC.finditer(output)
    ]


_JAVAC = re.compile(
    r"^(?P<file>[^:\n]+\.java):(?P<line>\d+): (?P<kind>warning|error): "
    r"(?:\[(?P<key>[\w.-]+)\] )?(?P<message>.*)$",
    re.M,
)


def parse_javac(output: str) -> list[Finding]:
    """javac diagnostics (`Main.java:4: warning: [rawtypes] found raw type: List`)."""
    return [
        Finding(m["key"] or m["kind"], m["message"], int(m["line"]), error=m["kind"] == "error")
        for m in _JAVAC.finditer(output)
    ]


def parse_rustc(output: str) -> list[Finding]:
    """rustc's JSON diagnostics, one object a line; the closing counts ("2 warnings emitted",
    "aborting due to …") have no span and are skipped."""
    findings = []
    for line in output.splitlines():
        if not line.startswith("{"):
            continue
        try:
            diagnostic = json.loads(line)
        except json.JSONDecodeError:
            continue
        level = diagnostic.get("level", "")
        spans = [s for s in diagnostic.get("spans") or [] if s.get("is_primary")]
        if not spans or level not in ("warning", "error"):
            continue
        code = (diagnostic.get("code") or {}).get("code") or level
        message = str(diagnostic.get("message", ""))
        findings.append(Finding(str(code), message, spans[0].get("line_start"), level == "error"))
    return findings


_GO_POSITION = re.compile(r":(\d+):\d+$")
_GO_ERROR = re.compile(r"^(?:vet: )?(?:\./)?main\.go:(?P<line>\d+):\d+: (?P<message>.*)$", re.M)


def parse_go_vet(output: str) -> list[Finding]:
    """`go vet -json`'s report ({package: {analyzer: [{posn, message}]}}), and the type errors it
    prints as text (`vet: ./main.go:6:2: declared and not used: y`) when it cannot analyse."""
    findings = []
    decoder = json.JSONDecoder()
    for start in (m.start() for m in re.finditer(r"^\{", output, re.M)):
        try:
            report, _ = decoder.raw_decode(output, start)
        except json.JSONDecodeError:
            continue
        for analyzers in report.values() if isinstance(report, dict) else ():
            for analyzer, diagnostics in analyzers.items() if isinstance(analyzers, dict) else ():
                for diagnostic in diagnostics if isinstance(diagnostics, list) else []:
                    position = _GO_POSITION.search(str(diagnostic.get("posn", "")))
                    line = int(position.group(1)) if position else None
                    findings.append(Finding(str(analyzer), str(diagnostic.get("message", "")), line))
    for m in _GO_ERROR.finditer(output):
        findings.append(Finding("typecheck", m["message"], int(m["line"]), error=True))
    return findings


@dataclass(frozen=True, slots=True)
class SandboxLinter:
    """A linter run in the language's sandbox image: `command` (`{source}` is the source file),
    `parse` turns its stdout + stderr into findings, `tool` names it in details."""

    tool: str
    command: tuple[str, ...]
    parse: Callable[[str], list[Finding]]


_GCC_FLAGS = ("-fsyntax-only", "-Wall", "-Wextra", "-fno-diagnostics-show-caret", "-fdiagnostics-color=never")
_GO_VET = (
    'mkdir -p "$GOCACHE" && { cp -R /opt/go-cache/. "$GOCACHE"/ 2>/dev/null || true; }'
    " && CGO_ENABLED=0 exec go vet -json main.go"
)

SANDBOX_LINTERS: dict[str, SandboxLinter] = {
    # The dialects the accuracy checker compiles with (sandboxes/languages.py).
    "c": SandboxLinter(
        "gcc -Wall -Wextra", ("gcc", "-std=gnu17", *_GCC_FLAGS, "-fmax-errors=20", "{source}"), parse_gcc
    ),
    "cpp": SandboxLinter(
        "g++ -Wall -Wextra", ("g++", "-std=gnu++20", *_GCC_FLAGS, "-fmax-errors=20", "{source}"), parse_gcc
    ),
    # -proc:none: no annotation processor (code found on the class path) runs.
    "java": SandboxLinter(
        "javac -Xlint:all",
        (
            "javac",
            "-encoding",
            "UTF-8",
            "-Xlint:all",
            "-proc:none",
            "-Xmaxerrs",
            "20",
            "-d",
            "lint-classes",
            "{source}",
        ),
        parse_javac,
    ),  # fmt: skip
    # Type-checks and lints without code generation; a single file has no build script or proc macro.
    "rust": SandboxLinter(
        "rustc warnings",
        (
            "rustc",
            "--edition",
            "2021",
            "--emit=metadata",
            "--error-format=json",
            "--json=diagnostic-short",
            "-o",
            "lint.rmeta",
            "{source}",
        ),
        parse_rustc,
    ),  # fmt: skip
    "go": SandboxLinter("go vet", ("sh", "-c", _GO_VET), parse_go_vet),
}
