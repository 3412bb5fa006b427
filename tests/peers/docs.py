"""The commands docs/integrations.md shows, so the peer lane runs exactly what users are told."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "integrations.md"


def doc_block(name: str) -> str:
    """The fenced code block right after `<!-- tested: NAME -->` in docs/integrations.md."""
    text = DOC.read_text()
    match = re.search(rf"<!-- tested: {re.escape(name)} -->\s*```[a-z]*\n(.*?)```", text, re.S)
    assert match, f"docs/integrations.md has no block marked <!-- tested: {name} -->"
    return match.group(1)


def command_words(block: str, program: str) -> list[str]:
    """The arguments of the command in `block` that runs `program` (continuation lines joined)."""
    joined = block.replace("\\\n", " ")
    for line in joined.splitlines():
        words = shlex.split(line, comments=True)
        if program in words:
            return words[words.index(program) + 1 :]
    raise AssertionError(f"no `{program}` command in the block:\n{block}")
