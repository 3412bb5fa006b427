"""Finding the final answer a completion commits to, and telling self-correction from hedging.

The rules (issue 2 and issue 8):
- The answer lives in the `<answer>` block when there is one, else anywhere in the completion.
- The last `\\boxed{}` (or `\\fbox{}`) is the committed answer. An earlier, different box counts as
  superseded when the text between them corrects it ("Wait, actually ...") or is a stretch of further
  reasoning; it counts as offered *at the same time* when only a connective separates them
  (`\\boxed{1}, \\boxed{2}`, `\\boxed{1} or \\boxed{2}`) or the text between hedges ("maybe", "or").
- Without a box: "the answer is X" / "Answer: X", else the last `$...$` / `\\(...\\)` / `\\[...\\]`
  math, else a short `<answer>` block taken whole. Otherwise there is no clean answer string and the
  caller falls back to math-verify's own extraction over the region.
- Inside the answer string, "A or B" (top-level `or`, `\\text{ or }`, `\\lor`) offers alternatives.

Everything here is linear-time string work: it runs before any parsing and bounds the work after it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reward_server.rewards.text import answer_text, tag_block

__all__ = ["Extraction", "extract_answer", "find_boxed", "split_alternatives"]

# A short `<answer>` block without markers is taken whole as the answer.
SHORT_ANSWER_BLOCK_CHARS = 300
# Boxes further apart than this (with no hedge word between) are consecutive steps, not a hedge.
REASONING_GAP_CHARS = 80
# Only the last boxes matter; a spray of thousands must not cost quadratic time.
MAX_BOXES = 20

_BOX_COMMANDS = ("\\boxed", "\\fbox")
_CORRECTION = re.compile(
    r"\b(wait|actually|mistake|mistaken|wrong|incorrect|error|oops|hmm|re-?check|re-?examin\w*|"
    r"reconsider\w*|correct(?:ion|ing)|instead|scratch that|let me (?:re|double))\b",
    re.IGNORECASE,
)
_HEDGE = re.compile(
    r"(\bor\b|\balternatively\b|\beither\b|\bpossibly\b|\bperhaps\b|\bmaybe\b|\bcould also\b|"
    r"\bmight\b|\\lor\b|\\vee\b|/)",
    re.IGNORECASE,
)
_ANSWER_IS = re.compile(
    r"(?:final answer|the answer|answer)\s*(?:is\s*:?|:|=)\s*(?:\\\(|\\\[|\$+)?\s*(?P<ans>[^\n]+)",
    re.IGNORECASE,
)
_MATH_DELIMITERS = (("$$", "$$"), ("\\(", "\\)"), ("\\[", "\\]"), ("$", "$"))
# Top-level alternatives inside one answer: "1 or 2", "1 \text{ or } 2", "x=1 \lor x=2".
_ALT_SPLIT = re.compile(
    r"\\text\{\s*or\s*\}|\\mathrm\{\s*or\s*\}|\\textrm\{\s*or\s*\}|\\lor\b|\\vee\b|\bor\b"
)


@dataclass(frozen=True, slots=True)
class Extraction:
    """What the completion answers.

    `answers` holds the answer strings offered together (one when the completion commits to one);
    `answer` is None when no clean answer string was found (`source="none"`), in which case the
    caller may hand `region` to a general-purpose extractor.
    """

    region: str
    source: str  # "boxed" | "answer_is" | "math" | "answer_block" | "none"
    answers: tuple[str, ...] = ()
    superseded: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def answer(self) -> str | None:
        return self.answers[-1] if self.answers else None


def _balanced(text: str, open_at: int) -> int | None:
    """Index just past the `}` matching the `{` at `open_at`, or None if unbalanced."""
    depth = 0
    i = open_at
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return None


def find_boxed(text: str) -> list[tuple[int, int, str]]:
    """Every `\\boxed{...}` / `\\fbox{...}` / `\\boxed 5` as (start, end, content), in order."""
    found: list[tuple[int, int, str]] = []
    pos = 0
    while True:
        starts = [(text.find(cmd, pos), cmd) for cmd in _BOX_COMMANDS]
        starts = [(s, c) for s, c in starts if s >= 0]
        if not starts:
            return found
        start, cmd = min(starts)
        i = start + len(cmd)
        while i < len(text) and text[i] in " \t":
            i += 1
        if i < len(text) and text[i] == "{":
            end = _balanced(text, i)
            if end is None:
                return found
            found.append((start, end, text[i + 1 : end - 1].strip()))
            pos = end
        elif i > start + len(cmd) and i < len(text):  # `\boxed 5`: one token
            m = re.match(r"[^\s$.,;]+", text[i:])
            if m:
                found.append((start, i + m.end(), m.group(0)))
                pos = i + m.end()
            else:
                pos = i
        else:
            pos = i


def normalise_answer(answer: str) -> str:
    """A canonical spelling for comparing answer strings with each other (not with the gold)."""
    s = answer.strip().strip("$").strip()
    s = re.sub(r"\\[dt]frac", r"\\frac", s)
    s = re.sub(r"\\left|\\right|\\[,;:! ]|\\quad|\\qquad", "", s)
    s = re.sub(r"\s+", "", s)
    return s.rstrip(".")


def split_alternatives(answer: str) -> list[str]:
    """Top-level alternatives joined by "or" in one answer string; one item when there is no hedge."""
    parts: list[str] = []
    last = 0
    depth = 0
    scanned = 0
    for m in _ALT_SPLIT.finditer(answer):
        for ch in answer[scanned : m.start()]:  # brace/paren depth, updated incrementally
            if ch in "{(":
                depth += 1
            elif ch in "})":
                depth -= 1
        scanned = m.start()
        if depth == 0 or m.group(0).startswith("\\text"):
            parts.append(answer[last : m.start()])
            last = m.end()
    parts.append(answer[last:])
    cleaned = [p.strip().strip(",;").strip() for p in parts]
    cleaned = [p for p in cleaned if p]
    return cleaned if len(cleaned) > 1 else [answer.strip()]


def _commit_boxes(region: str, boxes: list[tuple[int, int, str]]) -> tuple[list[str], list[str], list[str]]:
    """(offered together, superseded, notes) from the boxes in order."""
    offered = [boxes[-1][2]]
    superseded: list[str] = []
    notes: list[str] = []
    for (_, prev_end, prev), (next_start, _, _) in zip(
        reversed(boxes[:-1]), reversed(boxes[1:]), strict=True
    ):
        if normalise_answer(prev) in {normalise_answer(a) for a in offered}:
            continue  # repeating the same answer is fine
        between = region[prev_end:next_start]
        if _CORRECTION.search(between):
            superseded.append(prev)
            notes.append(f"self-correction: {prev!r} superseded")
            break  # everything before a correction is superseded too
        if _HEDGE.search(between) or len(between.strip()) < REASONING_GAP_CHARS:
            offered.insert(0, prev)
            continue
        superseded.append(prev)
        notes.append(f"intermediate box {prev!r} followed by further reasoning")
        break
    return offered, superseded, notes


def _strip_answer_sentence(text: str) -> str:
    s = text.strip()
    # Stop at the end of the sentence ("... is 5. Therefore ...") but keep decimals ("3.5").
    m = re.search(r"(?<=[^\d\s])\.\s|\.\s*$|\.\s+[A-Z]", s)
    if m:
        s = s[: m.start() + (1 if s[m.start()] != "." else 0)]
    s = re.split(r"\$|\\\)|\\\]", s)[0] if not s.startswith("$") else s
    return s.strip().rstrip(".").strip()


def extract_answer(completion: str, *, answer_tag: str = "answer") -> Extraction:
    """The answer strings the completion offers as final, with where they were found."""
    region = answer_text(completion, answer_tag)
    in_block = tag_block(completion, answer_tag) is not None
    boxes = find_boxed(region)[-MAX_BOXES:]
    if boxes:
        offered, superseded, notes = _commit_boxes(region, boxes)
        return Extraction(region, "boxed", tuple(offered), tuple(superseded), tuple(notes))
    matches = list(_ANSWER_IS.finditer(region))
    if matches:
        answer = _strip_answer_sentence(matches[-1].group("ans"))
        if answer:
            return Extraction(region, "answer_is", (answer,))
    stripped = region.strip()
    if in_block and 0 < len(stripped) <= SHORT_ANSWER_BLOCK_CHARS and "\n\n" not in stripped:
        whole = last_math_segment(stripped)
        if whole is not None and whole[1] == 0 and whole[2] == len(stripped):
            stripped = whole[0]  # "<answer>$\frac12$</answer>"
        return Extraction(region, "answer_block", (stripped.strip().rstrip("."),))
    last = last_math_segment(region)
    if last is not None:
        return Extraction(region, "math", (last[0],))
    return Extraction(region, "none")


def last_math_segment(text: str) -> tuple[str, int, int] | None:
    """The last non-empty `$...$`, `$$...$$`, `\\(...\\)` or `\\[...\\]` as (content, start, end).

    Scans back from the end with `rfind` (linear): a regex with lazy groups is quadratic on text
    like "\\(" repeated thousands of times, and this runs on the event loop.
    """
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
