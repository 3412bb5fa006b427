"""What a completion hides or disowns does not count as its answer.

- Hidden: LaTeX comments at the start of a line (`% \\boxed{7}`), HTML comments, `\\iffalse … \\fi`,
  `\\begin{comment} … \\end{comment}`, `\\phantom{…}` (and `\\hphantom`, `\\vphantom`), text coloured
  white (`\\textcolor{white}{…}`, `{\\color{white} …}`): removed before the answer is looked for.
- Disowned: a box quoted as someone's wrong answer ("a common mistake is \\boxed{7}", "\\boxed{7} is
  wrong"), and a box retracted by what follows it ("\\boxed{7}. Wait, that's wrong.").

A `%` inside a line is left alone: `50%` is a percentage far more often than a comment.
All linear-time string work.
"""

from __future__ import annotations

import re

__all__ = ["CORRECTION", "disowned_box", "remove_hidden", "retracted_after"]

_HTML_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.DOTALL)
_IFFALSE = re.compile(r"\\iffalse\b.*?(?:\\fi\b|$)", re.DOTALL)
_COMMENT_ENV = re.compile(r"\\begin\{comment\}.*?(?:\\end\{comment\}|$)", re.DOTALL)
_LINE_COMMENT = re.compile(r"(?m)^[ \t]*%.*$")
_INVISIBLE_COMMANDS = re.compile(
    r"\\(?:[hv]?phantom|textcolor\s*\{\s*(?:white|#?f{3}(?:f{3})?|bg|background)\s*\}|"
    r"colorbox\s*\{\s*(?:white)\s*\}\s*\\color\s*\{\s*white\s*\})\s*\{"
)
_WHITE = re.compile(r"\\color\s*\{\s*(?:white|#?f{3}(?:f{3})?)\s*\}")

# Words that correct what came before ("Wait, actually ..."): shared with the box commit rules.
CORRECTION = re.compile(
    r"\b(wait|actually|mistake|mistaken|wrong|incorrect|error|oops|hmm|re-?check|re-?examin\w*|"
    r"reconsider\w*|correct(?:ion|ing)|instead|scratch that|let me (?:re|double))\b",
    re.IGNORECASE,
)
# Just before a box, in the same sentence: the box is quoted as somebody's (wrong) answer.
_DISOWN_BEFORE = re.compile(
    r"(?:\b(?:wrong|incorrect|mistaken|erroneous|false|bad|naive|tempting)\s+(?:answer|result|value|guess)\b|"
    r"\b(?:common|typical|classic)\s+(?:mistake|error|trap|pitfall)\b|"
    r"\b(?:mistake|error)\s+(?:is|would be|was)\b|"
    r"\b(?:someone|student|people|they|he|she|others?|bob|alice)\s+(?:might\s+|may\s+|could\s+|would\s+)?"
    r"(?:claims?|says?|said|answers?|answered|wrote|writes|thinks?|thought|guess(?:es|ed)?)\b|"
    r"\bnot\s*(?:equal\s+to|be|is)?\s*$|\bisn'?t\s*$|\bnot\s+the\s+answer\b)",
    re.IGNORECASE,
)
# Just after a box, in the same sentence: the completion says the boxed value is wrong.
_DISOWN_AFTER = re.compile(
    r"^[\s$.,;:)\]]*(?:\\\)|\\\])?[\s$.,;:]*(?:is|was|would be|would have been|seems|looks)\s+"
    r"(?:wrong|incorrect|not\s+(?:right|correct|the\s+(?:right\s+|correct\s+|final\s+)?answer)|a\s+(?:mistake|trap))\b",
    re.IGNORECASE,
)
_SENTENCE_START = re.compile(r"(?:[.!?]\s|\n)")


def _remove_groups(text: str, opener: re.Pattern[str]) -> str:
    """Delete every `\\cmd{…}` matched by `opener` (which ends at the `{`) with its balanced group."""
    out: list[str] = []
    pos = 0
    for m in opener.finditer(text):
        if m.start() < pos:
            continue
        depth, i = 1, m.end()
        while i < len(text) and depth:
            if text[i] == "\\":
                i += 2
                continue
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        out.append(text[pos : m.start()])
        pos = i
    out.append(text[pos:])
    return "".join(out)


def _remove_white(text: str) -> str:
    """`\\color{white}` hides the rest of its group (or of the line when it is not in a group)."""
    out: list[str] = []
    pos = 0
    for m in _WHITE.finditer(text):
        if m.start() < pos:
            continue
        depth, i = 0, m.end()
        while i < len(text):
            ch = text[i]
            if ch == "\\":
                i += 2
                continue
            if ch == "{":
                depth += 1
            elif ch == "}":
                if depth == 0:
                    break
                depth -= 1
            elif ch == "\n" and depth == 0:
                break
            i += 1
        out.append(text[pos : m.start()])
        pos = i
    out.append(text[pos:])
    return "".join(out)


def remove_hidden(text: str) -> str:
    """The text with what a reader cannot see (comments, phantoms, white text) removed."""
    if "<!--" in text:
        text = _HTML_COMMENT.sub(" ", text)
    if "\\iffalse" in text:
        text = _IFFALSE.sub(" ", text)
    if "\\begin{comment}" in text:
        text = _COMMENT_ENV.sub(" ", text)
    if "%" in text:
        text = _LINE_COMMENT.sub("", text)
    if "phantom" in text or "color" in text:
        text = _remove_groups(text, _INVISIBLE_COMMANDS)
        text = _remove_white(text)
    return text


def _sentence_before(text: str, start: int) -> str:
    window = text[max(0, start - 200) : start]
    cut = max((m.end() for m in _SENTENCE_START.finditer(window)), default=0)
    return window[cut:]


def disowned_box(text: str, start: int, end: int) -> bool:
    """Whether the box at text[start:end] is quoted as a wrong answer by its own sentence."""
    return bool(
        _DISOWN_BEFORE.search(_sentence_before(text, start)) or _DISOWN_AFTER.match(text[end : end + 120])
    )


def retracted_after(text: str) -> bool:
    """Whether the text after an answer takes it back ("Wait, that's wrong.")."""
    return bool(CORRECTION.search(text))
