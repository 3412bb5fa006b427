"""The fixed labels of a math verdict's details: which check decided it, and its status.

String enums, as `sandboxes.Verdict`: they compare equal to their values and serialise as them,
so `details["decided_by"] == "exact"` and the JSON on the wire are unchanged.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["DecidedBy", "MathStatus"]


class DecidedBy(StrEnum):
    """`details["decided_by"]`: the check whose answer is the verdict."""

    STRING = "string"  # identical after normalising spacing and \left/\right
    EXACT = "exact"  # exact numbers, canonical forms or lists, without a parser
    MATH_VERIFY = "math_verify"  # math-verify alone (the second check did not apply)
    SECOND_CHECK = "second_check"  # the independent mpmath check overruled math-verify
    BOTH = "both"  # math-verify and the second check agree
    GUARD = "guard"  # refused without a parser (too costly, disowned, a gold read only in part)
    HEDGE = "hedge"  # several different answers offered at once
    ERROR = "error"  # every check crashed on the answer's content: no check applies, a 0


class MathStatus(StrEnum):
    """`details["status"]` of a math verdict."""

    CORRECT = "correct"
    WRONG = "wrong"
    NO_ANSWER = "no_answer"  # nothing that reads as a final answer
    UNFINISHED = "unfinished"  # the completion stopped inside its think block
    RETRACTED = "retracted"  # every answer offered was taken back
