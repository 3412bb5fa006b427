"""Finding the code in a completion: fenced blocks, the `<answer>` block, or the whole text."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reward_server.rewards.text import tag_block
from sandboxes.languages import language_names, resolve_language

if TYPE_CHECKING:
    from reward_server.schemas import CodeTask

__all__ = ["ProgramCode", "extract_code", "fenced_blocks", "program_code"]

_FENCE = re.compile(r"(^[ ]*)?```[ \t]*([A-Za-z0-9_+#.-]*)[^\n]*\n(.*?)```", re.MULTILINE | re.DOTALL)


def _dedent(code: str, indent: int) -> str:
    """Remove up to `indent` leading spaces from each line, as CommonMark does with the content of
    a fence indented `indent` spaces (a fence inside a list item)."""
    if indent == 0:
        return code
    lines = code.split("\n")
    if lines and not lines[-1].strip(" "):
        lines[-1] = ""  # the closing fence's own indentation
    out = []
    for line in lines:
        spaces = len(line) - len(line.lstrip(" "))
        out.append(line[min(spaces, indent) :])
    return "\n".join(out)


def fenced_blocks(text: str) -> list[tuple[str, str]]:
    """All fenced code blocks as (info-string language, code), in order. A fence indented by n
    spaces (inside a list item) has up to n spaces removed from each of its lines (CommonMark)."""
    blocks = []
    for match in _FENCE.finditer(text):
        indent = len(match.group(1)) if match.group(1) is not None else 0
        blocks.append((match.group(2).lower(), _dedent(match.group(3), indent)))
    return blocks


def extract_code(text: str, language: str, *, answer_tag: str = "answer") -> str:
    """The code to run: the last fenced block of `language` in the `<answer>` block, else in the
    whole text; an untagged fence counts when no block names the language; with no fence at all,
    the `<answer>` block's text, else the whole text.

    >>> extract_code("<answer>```python\\nprint(1)\\n```</answer>", "python")
    'print(1)\\n'
    >>> extract_code("1. Code:\\n   ```python\\n   if x:\\n       y()\\n   ```", "python")
    'if x:\\n    y()\\n'
    """
    names = language_names(language)
    answer = tag_block(text, answer_tag)
    for scope in ([answer] if answer is not None else []) + [text]:
        blocks = fenced_blocks(scope)
        tagged = [code for lang, code in blocks if lang in names]
        if tagged:
            return tagged[-1]
        untagged = [code for lang, code in blocks if not lang]
        if untagged:
            return untagged[-1]
    return answer if answer is not None else text


@dataclass(frozen=True, slots=True)
class ProgramCode:
    """The program a code task judges: `language` (canonical name when known), `code` (the whole
    source), `body` (the completion's own part: `code` itself, or what follows `prompt_code`) and
    `prompt_lines` (how many whole lines of `code` came from the task's `prompt_code`)."""

    language: str
    code: str
    body: str
    prompt_lines: int = 0


def program_code(completion: str, task: CodeTask, *, answer_tag: str = "answer") -> ProgramCode:
    """The program the code accuracy checker runs for `completion` on `task` (and the lint reward
    lints): with `prompt_code` (HumanEval protocol) the prompt then the completion as is, else
    the code `extract_code` finds.
    """
    language = resolve_language(task.language)
    name = language.name if language else task.language
    if task.prompt_code is not None:
        prompt = task.prompt_code
        # A prompt whose last line is unfinished shares that line with the completion.
        whole_lines = prompt.count("\n")
        return ProgramCode(name, prompt + completion, completion, whole_lines)
    code = extract_code(completion, name, answer_tag=answer_tag)
    return ProgramCode(name, code, code)
