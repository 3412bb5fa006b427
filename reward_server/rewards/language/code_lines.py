"""Code written without fences in a chain of thought (`def calculate(x): return x * 2` on its own
line or between two Chinese sentences): its keywords and identifiers are no prose.

A line, or a piece of a line between runs of CJK characters, is code when
- it opens like a statement (`def f(`, `class A:`, `import x`, `from x import`, `#include <`,
  `int main(`, `const x =`, `function f(`, `fn f(`, `print(`, `console.log(`, `return;`), or is a
  bare call statement (`nums.sort()`, `calculate(5);`);
- or it shows two different marks of code syntax: a call written without a space before its
  parenthesis (`range(10)`, not a one-letter math function like `f(x)`), a method call, an
  operator prose does not use (`==`, `+=`, `->`, `&&`...), a statement end (`;`, `{` at the end,
  `}` at the start, `):` at the end), an assignment at the start (`total = ...`), a compound
  statement header (`for i in ...:`, `if n % 2 == 0:`);
- or all its words are keywords and built-ins (`return x * 2`, `else:`, `for i in range(n):`)
  and it holds code punctuation;
- or it is indented and follows a code line (the body of a block).
A single mark is not enough: "We call calculate(x) once" and "f(x) = 2x" stay prose.
"""

from __future__ import annotations

import re

_STATEMENT = re.compile(
    r"""^\s*(?:
      (?:async\s+)?def\s+\w+\s*\( | class\s+\w+\s*[(:{]
    | import\s+[\w.]+(?:\s+as\s+\w+)?\s*(?:,\s*[\w.]+\s*)*;?\s*$
    | from\s+[\w.]+\s+import\s | \#include\s*[<"] | using\s+namespace\s | package\s+[\w.]+\s*;
    | (?:public|private|protected|static)\s+[\w<>\[\],]+\s+\w+
    | (?:int|void|long|double|float|char|bool|auto|unsigned)\s+\*?\w+\s*(?:\(|=|;|\[)
    | (?:const|let|var)\s+(?:mut\s+)?\w+\s*(?::\s*\w+\s*)?= | function\s+\w+\s*\( | fn\s+\w+\s*\(
    | print\s*\( | println!?\s*\( | printf\s*\( | console\.\w+\s*\( | System\.out\. | cout\s*<<
    | return\s*; | [\w.]*[\w_]\w*(?:\.\w+)*\([^()]*\)\s*;?\s*$
    )""",
    re.VERBOSE,
)
_MATH_CALL = re.compile(r"^(?:sin|cos|tan|log|ln|exp|max|min|gcd|lcm|sqrt|lim|det|mod)\(", re.IGNORECASE)
_MARKS: tuple[re.Pattern[str], ...] = (
    re.compile(r"\b(?!(?:sin|cos|tan|log|ln|exp|max|min|gcd|lcm|sqrt|lim|det|mod)\()[A-Za-z_]\w+\((?!e?s\))"),
    re.compile(r"\w\.[A-Za-z_]\w*\("),
    re.compile(r"==|!=|\+=|-=|\*=|/=|->|=>|::|&&|\|\||\+\+|<<|>>"),
    re.compile(r"[;{]\s*$|^\s*[}\]]|\)\s*:\s*$"),
    re.compile(r"^\s*[A-Za-z_][\w.]*(?:\[[^\]]*\])?\s*(?:=|\+=|-=)(?!=)\s*\S"),
    re.compile(r"^\s*(?:for|while|if|elif|with|switch)\b[^:]*:\s*(?:\S.*)?$|^\s*(?:for|while|if)\s*\("),
)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words that only code uses, and words code shares with English: a piece made only of these
# and holding code punctuation is code when at least one of the first kind is there.
_CODE_WORDS = _words(
    """def elif print range len int str dict tuple self lambda yield const var void std cout cin
    endl printf scanf null none true false bool println fn mut enumerate append zip sqrt pow
    push_back nums arr res ans idx len isinstance namespace struct enum async await del
    return else"""
)
_SHARED_WORDS = _words(
    """for in if while import from as and or not is list set map filter sum max min abs sorted
    class pass break continue try except finally raise with global switch case default do new
    this public static private string auto char long double using vector size main include
    match math round input split join items keys values num result i j k n x y"""
)
_KNOWN = _CODE_WORDS | _SHARED_WORDS
_WORD = re.compile(r"[A-Za-z_]\w*")
_CODE_PUNCTUATION = re.compile(r"[()=\[\]{};:+*/<>%]")
_CJK_RUN = re.compile(r"[\u3000-\u30FF\u3400-\u4DBF\u4E00-\u9FFF\uAC00-\uD7AF\uF900-\uFAFF\uFF00-\uFFEF]+")
_TRIGGERS = re.compile(r"[(=;{}:]|#include|import ")
# A longer line is a paragraph of prose, not a line of code.
_MAX_CODE_LINE = 240


def is_code(piece: str) -> bool:
    """Whether one line (or a piece of one between CJK runs) is code rather than prose."""
    if _STATEMENT.match(piece) and not _MATH_CALL.match(piece.lstrip()):
        return True
    if sum(1 for mark in _MARKS if mark.search(piece)) >= 2:
        return True
    words = [word.lower() for word in _WORD.findall(piece)]
    return (
        any(word in _CODE_WORDS for word in words)
        and all(word in _KNOWN or "_" in word or len(word) == 1 for word in words)
        and _CODE_PUNCTUATION.search(piece) is not None
    )


def strip_code_lines(text: str) -> tuple[str, int]:
    """`text` with its unfenced code lines (and code pieces of mixed lines) blanked out, and how
    many lines or pieces went."""
    if _TRIGGERS.search(text) is None:
        return text, 0
    lines = text.split("\n")
    removed = 0
    previous_code = False
    for index, line in enumerate(lines):
        if not line.strip():
            continue
        if len(line) > _MAX_CODE_LINE:
            previous_code = False
            continue
        if line.isascii() or _CJK_RUN.search(line) is None:
            indented_body = previous_code and line[:1] in (" ", "\t")
            if indented_body or (_TRIGGERS.search(line) and is_code(line)):
                lines[index] = ""
                removed += 1
                previous_code = True
            else:
                previous_code = False
            continue
        pieces = _CJK_RUN.split(line)
        code = [piece for piece in pieces if piece.strip() and _TRIGGERS.search(piece) and is_code(piece)]
        if code:
            for piece in code:
                line = line.replace(piece, " ", 1)
            lines[index] = line
            removed += len(code)
        previous_code = False
    return ("\n".join(lines), removed) if removed else (text, 0)
