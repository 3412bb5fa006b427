"""Separating prose from what is written in no natural language: code, LaTeX, URLs, numbers.

The language reward counts prose only, so a chain of thought full of formulas is judged on its
words. Each kind of non-prose is replaced by whitespace (a newline where it breaks a sentence) and
counted, so the reward can say what it left out.
"""

from __future__ import annotations

import re

# Order matters: code first (it may contain "$" and URLs), then display math before inline math,
# then URLs and identifiers before the numbers inside them.
_PATTERNS: tuple[tuple[str, re.Pattern[str], str], ...] = (
    # A fence left open (a truncated completion) runs to the end of the text.
    ("code_blocks", re.compile(r"(```|~~~).*?(?:\1|\Z)", re.DOTALL), "\n"),
    ("inline_code", re.compile(r"`[^`\n]+`"), " "),
    (
        "display_math",
        re.compile(
            r"\$\$.+?\$\$|\\\[.+?\\\]|\\begin\{([A-Za-z*]+)\}.*?\\end\{\1\}",
            re.DOTALL,
        ),
        "\n",
    ),
    # "$x$" is math but "$5 and $10" is money: TeX's own rule, no space just inside the dollars.
    ("inline_math", re.compile(r"\\\(.+?\\\)|(?<![\\$])\$(?=[^\s$])(?:\\.|[^$\\\n])+?(?<=\S)\$"), " "),
    ("markup", re.compile(r"</?[A-Za-z][\w-]*(?:\s[^<>]*)?/?>"), " "),
    ("urls", re.compile(r"\b(?:https?|ftp)://\S+|\bwww\.\S+|\b[\w.+-]+@[\w-]+\.[\w.-]+"), " "),
    # Identifiers written like code (snake_case, camelCase, x1, 2n) are no language's words.
    ("identifiers", re.compile(r"\b(?:[A-Za-z]+_\w+|[a-z]+[A-Z]\w*|[A-Za-z]+\d\w*|\d+[A-Za-z]\w*)\b"), " "),
    ("latex_commands", re.compile(r"\\[A-Za-z]+\*?"), " "),
    ("numbers", re.compile(r"\d+(?:[.,:]\d+)*%?"), " "),
)

EXCLUDED_KINDS: tuple[str, ...] = tuple(name for name, _, _ in _PATTERNS)


def strip_non_prose(text: str) -> tuple[str, dict[str, int]]:
    """The text with code, LaTeX, markup, URLs, identifiers and numbers blanked out, and how
    many of each were removed (kinds with none are left out)."""
    excluded: dict[str, int] = {}
    for name, pattern, replacement in _PATTERNS:
        text, count = pattern.subn(replacement, text)
        if count:
            excluded[name] = count
    return text, excluded
