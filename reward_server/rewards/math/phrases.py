"""Answers written in words: "The final answer is X", "Final Answer: **73**", "The largest $n$ is 34.",
a concluding sentence with one value in it, math segments.

Every function here is linear-time string work over bounded windows.
"""

from __future__ import annotations

import re

__all__ = [
    "ANSWER_MARKER",
    "answer_from_phrase",
    "answer_from_sentence",
    "final_statement_answers",
    "last_math_segment",
    "math_segments",
    "strip_boilerplate",
]

PHRASE_WINDOW_CHARS = 400  # an answer phrase is read up to here (the rest of its line, usually)
FINAL_STATEMENT_CHARS = 600
LAST_SENTENCE_CHARS = 300  # a longer last paragraph is reasoning, not a concluding statement

ANSWER_MARKER = re.compile(
    r"(?:\bfinal answer|\bthe answer|\banswer)\s*(?:\*\*)?\s*(?:is\s*:?|:|=)\s*", re.IGNORECASE
)
_BOILERPLATE = re.compile(
    r"(?:\bI hope (?:it|this) is correct\.?|<\|[a-z_]+\|>.*|</s>.*|<\|endoftext\|>.*)\s*$",
    re.IGNORECASE | re.DOTALL,
)
_MATH_DELIMITERS = (("$$", "$$"), ("\\(", "\\)"), ("\\[", "\\]"), ("$", "$"))
_CLOSERS = dict(_MATH_DELIMITERS)
_OPENER = re.compile(r"\$\$|\\\(|\\\[|(?<!\\)\$")
# "... is 34", "... = 34", "... equals 34": the value after the last such verb
_IS = re.compile(r"(?:\s(?:is|are|was|equals|it'?s|=)\s*:?\s*|\s*=\s*)(?=[^\s])")
_NUMBER = re.compile(r"(?<![\w.])[-−]?\d[\d,]*(?:\.\d+)?(?:\s*/\s*\d+)?\s*(?:\\?%)?(?![\d])")
_PROSE_WORD = re.compile(r"(?<![\\a-zA-Z])[a-zA-Z]{3,}")
_SENTENCE_END = re.compile(r"(?<=[^\d\s])\.(?:\s|$)|\.\s+(?=[A-Z])|[!?](?:\s|$)|\n")
_BOLD = re.compile(r"\*\*([^*\n]{1,80})\*\*")


def strip_boilerplate(text: str) -> str:
    """Drop "I hope it is correct" and chat-template tokens (with what follows them) from the end."""
    previous = None
    while previous != text:
        previous = text
        text = _BOILERPLATE.sub("", text).rstrip()
    return text


def math_segments(text: str) -> list[tuple[str, int, int]]:
    """The `$…$`, `$$…$$`, `\\(…\\)`, `\\[…\\]` segments of a text as (content, start, end)."""
    found: list[tuple[str, int, int]] = []
    i = 0
    while (m := _OPENER.search(text, i)) is not None:
        opener = m.group(0)
        closer = _CLOSERS[opener]
        end = text.find(closer, m.end())
        while opener == "$" and end > 0 and text[end - 1] == "\\":
            end = text.find(closer, end + 1)
        if end < 0:
            return found
        if opener in ("$", "\\(") and "\n" in text[m.end() : end]:
            i = m.end()  # inline math never spans lines (as math-verify reads it)
            continue
        content = text[m.end() : end].strip()
        if content:
            found.append((content, m.start(), end + len(closer)))
        i = end + len(closer)
    return found


def last_math_segment(text: str) -> tuple[str, int, int] | None:
    """The last non-empty math segment as (content, start, end); scans back with `rfind` (linear)."""
    best: tuple[str, int, int] | None = None
    for opener, closer in _MATH_DELIMITERS:
        end = text.rfind(closer)
        if end <= 0 or (best is not None and end + len(closer) <= best[2]):
            continue
        start = text.rfind(opener, 0, end)
        if start < 0:
            continue
        content = text[start + len(opener) : end].strip()
        if content and content != "$":
            best = (content, start, end + len(closer))
    return best


def _first_sentence(text: str) -> str:
    """Up to the end of the first sentence; math segments are kept whole (a `.` inside them is not an end)."""
    masked = list(text)
    for _, start, end in math_segments(text):
        for k in range(start, end):
            masked[k] = "x"
    m = _SENTENCE_END.search("".join(masked))
    return text[: m.start()] if m else text


def _strip_marks(text: str) -> str:
    s = text.strip()
    while s.startswith("**") and s.endswith("**") and len(s) > 4:
        s = s[2:-2].strip()
    s = s.replace("**", "").strip()
    return s.strip().rstrip(".,;:").strip()


def answer_from_sentence(sentence: str) -> str | None:
    """The value a short answer sentence states, or None when it states none clearly.

    `$\\frac12$` → `\\frac12`; `The largest $n$ is 34` → `34`; `Jane started 3 hours ago` → `3`;
    a sentence with several numbers and no "is"/"=" → None.
    """
    s = _strip_marks(sentence)
    if not s:
        return None
    segments = math_segments(s)
    if segments and not s[segments[-1][2] :].strip(" .,;:!*"):
        last, start, _ = segments[-1]
        before = s[:start]
        if len(segments) == 1 or _IS.search(before[-12:] + " ") or not _PROSE_WORD.search(before):
            return last
    if not _PROSE_WORD.search(s) and not segments:
        return s  # a bare expression: "\\frac{148}{52}", "(1, 2)"
    outside = s
    for _, start, end in reversed(segments):
        outside = outside[:start] + " " + outside[end:]
    verbs = list(_IS.finditer(s))
    if verbs:
        tail = _strip_marks(s[verbs[-1].end() :])
        if tail and not _PROSE_WORD.match(tail):
            inner = math_segments(tail)
            if inner and inner[0][1] == 0:
                return inner[0][0]
            number = _NUMBER.match(tail)
            if number:
                return number.group(0).strip()
            if not _PROSE_WORD.search(tail):
                return tail
    numbers = {m.group(0).strip() for m in _NUMBER.finditer(outside)}
    if len(numbers) == 1 and not segments:
        return numbers.pop()
    if len(segments) == 1 and not numbers:
        return segments[0][0]
    return None


def answer_from_phrase(rest: str) -> str | None:
    """What follows an answer marker ("The final answer is", "Answer:"), read as the answer."""
    text = strip_boilerplate(rest[:PHRASE_WINDOW_CHARS])
    # "Final Answer: The final answer is $100$." names the answer twice: the innermost counts.
    nested = list(ANSWER_MARKER.finditer(text))
    if nested:
        text = text[nested[-1].end() :]
    text = text.lstrip(" *")
    segments = math_segments(text)
    if segments and segments[0][1] == 0:
        return segments[0][0]
    return answer_from_sentence(_first_sentence(text))


def final_statement_answers(region: str) -> tuple[str, ...] | None:
    """The value(s) the last paragraph states when it is a short concluding statement, else None.

    One math segment or one number: that value. Several math segments: all of them (offered
    together: the caller treats them as a list or a hedge). Several bare numbers and no "is"/"=":
    None (a trace of attempts commits to nothing).
    """
    text = strip_boilerplate(region).strip()
    if not text:
        return None
    paragraph = text[text.rfind("\n\n") + 2 :] if "\n\n" in text else text
    paragraph = paragraph.strip()
    short = len(paragraph) <= FINAL_STATEMENT_CHARS
    paragraph = paragraph[-FINAL_STATEMENT_CHARS:]
    # display math may span lines: keep it one piece when splitting sentences
    for _, start, end in math_segments(paragraph):
        paragraph = paragraph[:start] + paragraph[start:end].replace("\n", " ") + paragraph[end:]
    bold = list(_BOLD.finditer(paragraph))
    if (
        bold
        and len(paragraph[bold[-1].end() :].strip(" .!")) <= 40
        and not re.search(r"\d", paragraph[bold[-1].end() :])
    ):
        inside = answer_from_sentence(bold[-1].group(1))
        if inside is not None:
            return (inside,)
    sentences = [s for s in re.split(r"(?<=[.!?])\$*\s+(?=[A-Z])|\n", paragraph) if s.strip()]
    if not sentences or (not short and len(sentences) == 1) or len(sentences[-1]) > LAST_SENTENCE_CHARS:
        return None  # the last sentence was cut by the window, or is reasoning rather than a statement
    stated = answer_from_sentence(sentences[-1])
    if stated is not None:
        return (stated,)
    segments = [c for c, _, _ in math_segments(sentences[-1])]
    if len(segments) > 1 and short:
        return tuple(segments)
    return None
