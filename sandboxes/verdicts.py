"""The verdicts a sandboxed run or a test can end with."""

from __future__ import annotations

from enum import StrEnum


class Verdict(StrEnum):
    """How one run (or one test of a code task) ended.

    `ok` is a run that exited 0; `accepted` / `wrong_answer` are given by the
    checker that compares output. Only `sandbox_error` is the sandbox's fault
    (and worth retrying); every other verdict is the program's.
    """

    OK = "ok"
    ACCEPTED = "accepted"
    WRONG_ANSWER = "wrong_answer"
    TIME_LIMIT = "time_limit"
    MEMORY_LIMIT = "memory_limit"
    RUNTIME_ERROR = "runtime_error"
    COMPILE_ERROR = "compile_error"
    OUTPUT_LIMIT = "output_limit"
    SANDBOX_ERROR = "sandbox_error"
