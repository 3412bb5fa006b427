"""The letter set of a multiple-choice task, its option texts, and how option texts are compared.

Shapes found in public multiple-choice sets, all accepted for `options`:
- a dict by letter, `{"A": "Paris", "B": "London"}`;
- a list of texts in letter order: MMLU's `choices` column (4 texts, gold an index), MMLU-Pro's
  `options` (up to 10 texts, A to J, gold a letter), ARC's `choices.text` (with `choices.label`);
- NeMo-Gym's MCQA resources server: a list of one-key dicts, `[{"A": "Paris"}, {"B": "London"}]`.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Mapping, Sequence

__all__ = ["LETTERS", "check_choice_task", "normalise_option_text", "option_letter"]

LETTERS = string.ascii_uppercase
MAX_OPTION_CHARS = 2000

_TEXT_COMMAND = re.compile(r"\\(?:text|textbf|textit|textrm|mathrm|mathbf|mbox|emph)\s*\{([^{}]*)\}")
_SPACE = re.compile(r"\s+")
_EDGE = " \t\n.,;:!?\"'`*_$()[]{}“”‘’«»"


def normalise_option_text(text: str) -> str:
    """The spelling option texts are compared in: NFKC (full-width forms as ASCII), LaTeX text commands
    unwrapped, markdown and quotes and edge punctuation dropped, case folded, runs of space collapsed.

    >>> normalise_option_text("  **The Mitochondria.** ")
    'the mitochondria'
    >>> normalise_option_text("$\\\\text{Paris}$")
    'paris'
    """
    s = _TEXT_COMMAND.sub(r"\1", unicodedata.normalize("NFKC", text))
    s = s.replace("**", "").replace("\\%", "%")
    s = _SPACE.sub(" ", s).strip(_EDGE).strip()
    return s.casefold()


def option_letter(text: str, options: Mapping[str, str]) -> str | None:
    """The one letter whose option text equals `text` after normalisation, else None.

    None as well when the text matches several options (duplicate option texts decide nothing).
    """
    wanted = normalise_option_text(text)
    if not wanted:
        return None
    found = [letter for letter, option in options.items() if normalise_option_text(option) == wanted]
    return found[0] if len(found) == 1 else None


def _options_by_letter(
    options: Mapping[str, str] | Sequence[str] | Sequence[Mapping[str, str]], choices: Sequence[str] | None
) -> dict[str, str]:
    if isinstance(options, Mapping):
        return {str(k).strip(): v for k, v in options.items()}
    if all(isinstance(o, Mapping) for o in options):  # NeMo-Gym: [{"A": "..."}, {"B": "..."}]
        merged: dict[str, str] = {}
        for entry in options:
            assert isinstance(entry, Mapping)
            if len(entry) != 1:
                raise ValueError(
                    "options: each entry of a list of dicts maps one letter to its text, "
                    f"got keys {sorted(entry)}"
                )
            [(letter, text)] = entry.items()
            if letter.strip() in merged:
                raise ValueError(f"options: letter {letter!r} appears twice")
            merged[letter.strip()] = text
        return merged
    if any(isinstance(o, Mapping) for o in options):
        raise ValueError("options: give all texts, or all one-key dicts, not a mix")
    letters = list(choices) if choices is not None else list(LETTERS[: len(options)])
    if len(letters) != len(options):
        raise ValueError(
            f"options: {len(options)} texts for {len(letters)} choices; give one text per letter"
        )
    return dict(zip(letters, [str(o) for o in options], strict=True))


def check_choice_task(
    answer: str,
    choices: Sequence[str] | Mapping[str, Sequence[str]] | None,
    options: Mapping[str, str] | Sequence[str] | Sequence[Mapping[str, str]] | None,
) -> tuple[list[str], dict[str, str] | None]:
    """The task's letters and its option texts by letter, or ValueError naming the field to fix.

    Letters are distinct capital letters A-Z (at least two); `answer` must be one of them;
    `options`, when given, has exactly one non-empty text per letter. `choices` may also be ARC's
    column as is, `{"text": [...], "label": ["A", "B", ...]}`: the labels are the letters and the
    texts the options.
    """
    if isinstance(choices, Mapping):
        if options is not None:
            raise ValueError("options: ARC-style choices already hold the texts; drop options")
        choices, options = _arc_columns(choices)
    if len(options or ()) > len(LETTERS):
        raise ValueError(f"options: at most {len(LETTERS)} options (letters A-Z)")
    by_letter = _options_by_letter(options, choices) if options is not None else None
    if choices is None:
        if by_letter is None:
            raise ValueError('choices: give the letter set, e.g. ["A", "B", "C", "D"] (or the option texts)')
        choices = list(by_letter)
    letters = _letters(choices)
    if answer not in letters:
        raise ValueError(f"answer: {answer!r} is not one of the choices {', '.join(letters)}")
    if by_letter is not None:
        by_letter = _options_for(letters, by_letter)
    return letters, by_letter


def _arc_columns(choices: Mapping[str, Sequence[str]]) -> tuple[list[str], list[str]]:
    """ARC's `{"text": [...], "label": [...]}` column as (letters, option texts)."""
    if set(choices) != {"text", "label"}:
        raise ValueError(
            'choices: a dict of choices is ARC\'s {"text": [...], "label": [...]}, '
            f"got keys {sorted(choices)}"
        )
    labels, texts = list(choices["label"]), list(choices["text"])
    if len(labels) != len(texts):
        raise ValueError(f"choices: {len(labels)} labels for {len(texts)} texts")
    return labels, texts


def _letters(choices: Sequence[str]) -> list[str]:
    """The letter set: distinct capital letters A-Z, at least two."""
    letters = [c.strip() if isinstance(c, str) else c for c in choices]
    bad = [c for c in letters if not (isinstance(c, str) and len(c) == 1 and c in LETTERS)]
    if bad:
        raise ValueError(f"choices: each choice is one capital letter A-Z, got {bad[0]!r}")
    if len(set(letters)) != len(letters):
        raise ValueError("choices: a letter appears twice")
    if len(letters) < 2:
        raise ValueError("choices: a multiple-choice task needs at least two letters")
    return letters


def _options_for(letters: list[str], by_letter: dict[str, str]) -> dict[str, str]:
    """The option texts in letter order: one non-empty text of bounded length per letter."""
    if set(by_letter) != set(letters):
        raise ValueError(
            f"options: the letters of options ({', '.join(sorted(by_letter))}) differ from choices "
            f"({', '.join(letters)})"
        )
    for letter, text in by_letter.items():
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"options: option {letter} has no text")
        if len(text) > MAX_OPTION_CHARS:
            raise ValueError(f"options: option {letter} is over {MAX_OPTION_CHARS} characters")
    return {letter: by_letter[letter] for letter in letters}
