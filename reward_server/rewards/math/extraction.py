"""Finding the final answer a completion commits to, and telling self-correction from hedging.

Where the answer lives:
- A completion with `</think>`: only the text after it. Boxes inside the think block are scratch
  work. A `<think>` that never closes is unfinished output: it commits to nothing (`source="unfinished"`)
  unless it holds a complete `<answer>` block.
- A completion without think tags is read whole, as a plain chain of thought ending in its answer.
- Inside that, the `<answer>` block when there is one. Several blocks that disagree are a hedge.
  Text after a stray closing tag (`</answer>` or a second `</think>`) is not part of the answer.
- What a reader cannot see (comments, `\\phantom`, white text) is removed first (`disowned`).

What the answer is, first rule that applies:
1. The last `\\boxed{}`/`\\fbox{}` not disowned by its sentence ("a common mistake is \\boxed{7}").
   An earlier, different box is superseded when the text between corrects it or is a stretch of
   reasoning; it is offered *together* with the last one when only a connective or a hedge word
   ("or", "maybe") separates them. A last box retracted by what follows ("Wait, that's wrong")
   does not count; an answer stated after the retraction does.
2. Answer phrases: "The final answer is X", "Answer: X", "Final Answer: The final answer is $X$. I
   hope it is correct." (the innermost), "Final Answer: The largest $n$ is 34." (the value after
   "is"), with the same supersede/hedge rules between several phrases.
3. A short `<answer>` block: its math, else the value its sentence states, else the block whole.
4. The concluding statement (the last paragraph, when short): a bold `**73**`, its one math segment
   or its one number; several math segments are offered together; several bare numbers commit to
   nothing ("3, then 5, then 7").
5. The last math segment of the last 300 characters.
Otherwise there is no answer (`source="none"`, scored 0).

Inside the answer string, "A or B" (top-level `or`, `\\text{ or }`, `\\lor`) offers alternatives.
Everything here is linear-time string work: it runs before any parsing and bounds the work after it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reward_server.rewards.math.disowned import CORRECTION, disowned_box, remove_hidden
from reward_server.rewards.math.phrases import (
    ANSWER_MARKER,
    answer_from_phrase,
    answer_from_sentence,
    final_statement_answers,
    last_math_segment,
    math_segments,
    strip_boilerplate,
)

__all__ = [
    "Extraction",
    "commit_answers",
    "committed_region",
    "extract_answer",
    "find_boxed",
    "last_math_segment",
    "normalise_answer",
    "split_alternatives",
]

# A short `<answer>` block without markers is taken whole as the answer.
SHORT_ANSWER_BLOCK_CHARS = 300
# Boxes further apart than this (with no hedge word between) are consecutive steps, not a hedge.
REASONING_GAP_CHARS = 80
# Only the last boxes matter; a spray of thousands must not cost quadratic time.
MAX_BOXES = 20
# The last math segment counts only this close to the end (else it is a step of the reasoning).
LAST_MATH_WINDOW_CHARS = 300

_BOX_COMMANDS = ("\\boxed", "\\fbox")
_HEDGE = re.compile(
    r"(\bor\b|\balternatively\b|\beither\b|\bpossibly\b|\bperhaps\b|\bmaybe\b|\bcould also\b|"
    r"\bmight\b|\\lor\b|\\vee\b)",
    re.IGNORECASE,
)
# After the last answer: words that take it back ("Let me double-check" alone does not).
_RETRACTION = re.compile(
    r"\b(wait|actually|oops|mistake|mistaken|wrong|incorrect|scratch that|not (?:correct|right)|"
    r"isn'?t (?:correct|right)|error)\b",
    re.IGNORECASE,
)
# Top-level alternatives inside one answer: "1 or 2", "1 \text{ or } 2", "x=1 \lor x=2".
_ALT_SPLIT = re.compile(
    r"\\text\{\s*or\s*\}|\\mathrm\{\s*or\s*\}|\\textrm\{\s*or\s*\}|\\lor\b|\\vee\b|\bor\b"
)


@dataclass(frozen=True, slots=True)
class Extraction:
    """What the completion answers.

    `answers` holds the answer strings offered together (one when the completion commits to one);
    `answer` is None when no answer was found (`source` "none", "unfinished" or "retracted").
    """

    region: str
    # "boxed" | "answer_is" | "answer_block" | "statement" | "math" | "none" | "unfinished" | "retracted"
    source: str
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
    upcoming = {cmd: text.find(cmd) for cmd in _BOX_COMMANDS}  # next occurrence of each (linear overall)
    while True:
        for cmd, at in upcoming.items():
            if 0 <= at < pos:
                upcoming[cmd] = text.find(cmd, pos)
        starts = [(at, cmd) for cmd, at in upcoming.items() if at >= 0]
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


def _commit(region: str, found: list[tuple[int, int, str]]) -> tuple[list[str], list[str], list[str]]:
    """(offered together, superseded, notes) from answers found in order at (start, end, text)."""
    offered = [found[-1][2]]
    superseded: list[str] = []
    notes: list[str] = []
    for (_, prev_end, prev), (next_start, _, _) in zip(
        reversed(found[:-1]), reversed(found[1:]), strict=True
    ):
        if normalise_answer(prev) in {normalise_answer(a) for a in offered}:
            continue  # repeating the same answer is fine
        between = region[prev_end:next_start]
        if CORRECTION.search(between):
            superseded.append(prev)
            notes.append(f"self-correction: {prev!r} superseded")
            break  # everything before a correction is superseded too
        if _HEDGE.search(between) or len(between.strip()) < REASONING_GAP_CHARS:
            offered.insert(0, prev)
            continue
        superseded.append(prev)
        notes.append(f"intermediate answer {prev!r} followed by further reasoning")
        break
    return offered, superseded, notes


def _tag_blocks(text: str, tag: str) -> list[tuple[int, int, str]]:
    """Every complete `<tag>…</tag>` block as (start, end, content), with `str.find` (linear)."""
    open_tag, close_tag = f"<{tag}>", f"</{tag}>"
    blocks: list[tuple[int, int, str]] = []
    pos = 0
    while (start := text.find(open_tag, pos)) >= 0:
        end = text.find(close_tag, start + len(open_tag))
        if end < 0:
            break
        nested = text.rfind(open_tag, start, end)  # "<a> <a>x</a>": the innermost opener
        blocks.append((nested, end + len(close_tag), text[nested + len(open_tag) : end]))
        pos = end + len(close_tag)
    return blocks


# Chat templates' end-of-turn tokens: what follows one was never part of the reply.
_END_OF_TURN = re.compile(r"<\|(?:im_end|endoftext|eot_id|end|end_of_turn)\|>|</s>|<end_of_turn>")


def _spoken(region: str, think_tag: str) -> str:
    """The region as the turn says it: up to an end-of-turn token (`<|im_end|>`, `</s>`), without a
    think block opened again in it (`<think>…</think>`, or `<think>…` to the end: thought again, not
    answer)."""
    end = _END_OF_TURN.search(region)
    if end is not None:
        region = region[: end.start()]
    open_tag, close_tag = f"<{think_tag}>", f"</{think_tag}>"
    spoken: list[str] = []
    pos = 0
    while (start := region.find(open_tag, pos)) >= 0:
        spoken.append(region[pos:start])
        close = region.find(close_tag, start)
        pos = len(region) if close < 0 else close + len(close_tag)
    spoken.append(region[pos:])
    return "".join(spoken)


def _committed_region(text: str, think_tag: str, answer_tag: str) -> tuple[str, str | None, list[str]]:
    """(region, why nothing is committed or None, answer blocks in the region).

    The region is what follows the first closing think tag, up to a second one, an end-of-turn token,
    or a think block opened again (`_spoken`); the whole text when there is no think tag; and the
    whole text when a think block never closes but an answer block follows it.
    """
    close_think, open_think = f"</{think_tag}>", f"<{think_tag}>"
    cut = text.find(close_think)
    if cut >= 0:
        region = text[cut + len(close_think) :]
        stray = region.find(close_think)
        if stray >= 0:
            region = region[:stray]
        region = _spoken(region, think_tag)
    elif open_think in text:
        blocks = _tag_blocks(text, answer_tag)
        if not blocks:
            return text, "unfinished: the think block never closes and no answer follows it", []
        region = text
    else:
        region = _spoken(text, think_tag)
    blocks = _tag_blocks(region, answer_tag)
    close_answer = f"</{answer_tag}>"
    last_end = blocks[-1][1] if blocks else 0
    stray = region.find(close_answer, last_end)
    if stray >= 0:  # a closing tag with no opener: what follows it is not part of the answer
        region = region[:stray]
    contents = [c for _, _, c in blocks if c.strip()]
    return region, None, contents


def _from_boxes(region: str) -> Extraction | None:
    """Boxes, and answer phrases after the last box (a later "Final Answer: X" supersedes an earlier
    box by the same rules as between boxes)."""
    boxes = [b for b in find_boxed(region)[-MAX_BOXES:] if not disowned_box(region, b[0], b[1])]
    if not boxes:
        return None
    later = _phrases(region, start=boxes[-1][1])
    found = boxes + later
    offered, superseded, notes = _commit(region, found)
    if later and offered[-1] == later[-1][2] and offered[-1] != boxes[-1][2]:
        return Extraction(region, "answer_is", tuple(offered), tuple(superseded), tuple(notes))
    after = region[found[-1][1] :]
    if _RETRACTION.search(after):
        restated = _from_phrases(after)
        if restated is not None:
            return Extraction(
                region,
                restated.source,
                restated.answers,
                (*superseded, *offered),
                (*notes, "last box retracted"),
            )
        return Extraction(region, "retracted", (), tuple(offered), (*notes, f"box {offered[-1]!r} retracted"))
    return Extraction(region, "boxed", tuple(offered), tuple(superseded), tuple(notes))


def _phrases(region: str, start: int = 0) -> list[tuple[int, int, str]]:
    """Answer phrases in region[start:] as (start, end, answer); phrases that hold a box are left to it."""
    found: list[tuple[int, int, str]] = []
    for m in list(ANSWER_MARKER.finditer(region, start))[-MAX_BOXES:]:
        if found and m.start() < found[-1][1]:
            continue  # "Final Answer: The final answer is X" is one statement
        rest = region[m.end() : m.end() + 400]
        line_end = rest.find("\n\n")
        answer = answer_from_phrase(rest if line_end < 0 else rest[:line_end])
        if answer and "\\boxed" not in answer and "\\fbox" not in answer:
            found.append((m.start(), m.end() + min(len(rest), 400 if line_end < 0 else line_end), answer))
    return found


def _from_phrases(region: str) -> Extraction | None:
    found = _phrases(region)
    if not found:
        return None
    offered, superseded, notes = _commit(region, found)
    return Extraction(region, "answer_is", tuple(offered), tuple(superseded), tuple(notes))


def _from_block(block: str, region: str) -> Extraction | None:
    stripped = strip_boilerplate(block).strip()
    if not 0 < len(stripped) <= SHORT_ANSWER_BLOCK_CHARS or "\n\n" in stripped:
        return None
    segments = math_segments(stripped)
    if len(segments) == 1 and segments[0][1] == 0 and segments[0][2] == len(stripped.rstrip(". ")):
        return Extraction(region, "answer_block", (segments[0][0],))  # "<answer>$\frac12$</answer>"
    stated = answer_from_sentence(stripped)
    return Extraction(region, "answer_block", (stated if stated is not None else stripped.rstrip("."),))


def extract_answer(completion: str, *, answer_tag: str = "answer", think_tag: str = "think") -> Extraction:
    """The answer strings the completion offers as final, with where they were found."""
    region, unfinished, blocks = _committed_region(completion, think_tag, answer_tag)
    if unfinished:
        return Extraction(region[-2000:], "unfinished", notes=(unfinished,))
    in_block = bool(blocks)
    if blocks:
        distinct = {normalise_answer(remove_hidden(b)) for b in blocks}
        if len(distinct) > 1:  # several answer blocks that disagree: each is offered as final
            answers: list[str] = []
            for block in blocks:
                inner = _extract_from(remove_hidden(block), in_block=True)
                answers.extend(inner.answers)
            if answers:
                return Extraction(region, "answer_block", tuple(answers), notes=("several answer blocks",))
        region = blocks[-1]
    return _extract_from(remove_hidden(region), in_block=in_block)


def _extract_from(region: str, *, in_block: bool) -> Extraction:
    for finder in (_from_boxes, _from_phrases):
        found = finder(region)
        if found is not None:
            return found
    if in_block:
        block = _from_block(region, region)
        if block is not None:
            return block
    stated = final_statement_answers(region)
    if stated:
        return Extraction(region, "statement", stated)
    tail = strip_boilerplate(region)[-LAST_MATH_WINDOW_CHARS:]
    last = last_math_segment(tail)
    if last is not None:
        return Extraction(region, "math", (last[0],))
    return Extraction(region, "none")


# The supersede/hedge rule and the committed region, shared with other answer kinds (multiple choice).
commit_answers = _commit
committed_region = _committed_region
