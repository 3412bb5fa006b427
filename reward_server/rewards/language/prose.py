"""Prose out of a chain of thought: what is written in no natural language is left out (code
in fences and without, LaTeX, markup, URLs, numbers, identifiers, math symbols, point labels,
function names), the rest is cut into clauses of one script each.

Every kind of non-prose left out is counted, so the language reward can say what it ignored.
Each pass only runs when its trigger characters occur: most chains of thought have no code, and
this runs on every completion of a training batch.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from reward_server.rewards.language.code_lines import strip_code_lines
from reward_server.rewards.language.han import may_be_japanese
from reward_server.rewards.language.scripts import script_of
from reward_server.rewards.language.symbols import (
    ALL_FUNCTION_NAMES,
    is_function_name,
    may_hold_symbols,
    symbol_kind,
    written_in_capitals,
)

# (kind, characters that must occur for the pattern to match, pattern, replacement). Order
# matters: code first (it may hold "$" and URLs), display math before inline math.
_PASSES: tuple[tuple[str, tuple[str, ...], re.Pattern[str], str], ...] = (
    # A fence left open (a truncated completion) runs to the end of the text.
    ("code_blocks", ("```", "~~~"), re.compile(r"(```|~~~).*?(?:\1|\Z)", re.DOTALL), "\n"),
    ("inline_code", ("`",), re.compile(r"`[^`\n]+`"), " "),
    ("display_math", ("$$",), re.compile(r"\$\$.+?\$\$", re.DOTALL), "\n"),
    ("display_math", ("\\[",), re.compile(r"\\\[.+?\\\]", re.DOTALL), "\n"),
    ("display_math", ("\\begin",), re.compile(r"\\begin\{([A-Za-z*]+)\}.*?\\end\{\1\}", re.DOTALL), "\n"),
    ("inline_math", ("\\(",), re.compile(r"\\\(.+?\\\)"), " "),
    # "$x$" is math but "$5 and $10" is money: TeX's own rule, no space just inside the dollars.
    ("inline_math", ("$",), re.compile(r"(?<![\\$])\$(?=[^\s$])(?:\\.|[^$\\\n])+?(?<=\S)\$"), " "),
    ("latex_commands", ("\\",), re.compile(r"\\[A-Za-z]+\*?"), " "),
    ("markup", ("<",), re.compile(r"</?[A-Za-z][\w-]*(?:\s[^<>]*)?/?>"), " "),
    ("urls", ("://", "www."), re.compile(r"\b(?:https?|ftp)://\S+|\bwww\.\S+"), " "),
    ("urls", ("@",), re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"), " "),
)

# Sentence punctuation and line breaks end a clause; so does any text in a character script.
_STOPS = re.compile(r"[.!?;:。！？；：…\n]+")
# Scripts written without spaces (counted by characters), as character runs.
_CHARACTER_RUNS: dict[str, re.Pattern[str]] = {
    "Hani": re.compile(
        r"[\u2E80-\u2FDF\u3005-\u3007\u3400-\u4DBF\u4E00-\u9FFF\uF900-\uFAFF\U00020000-\U0003134F]+"
    ),
    "Kana": re.compile(r"[\u3040-\u30FF\u31F0-\u31FF\uFF66-\uFF9F]+"),
    "Hang": re.compile(r"[\u1100-\u11FF\u3130-\u318F\uA960-\uA97F\uAC00-\uD7FF\uFFA0-\uFFDC]+"),
    "Thai": re.compile(r"[\u0E00-\u0E7F]+"),
}
_ANY_CHARACTER_RUN = re.compile("|".join(pattern.pattern for pattern in _CHARACTER_RUNS.values()))
# Combining marks are not \w in Python's re, yet Devanagari, Arabic... words are full of them.
_MARKS = r"\u0300-\u036F\u0483-\u0489\u0591-\u05C7\u0610-\u061A\u064B-\u065F\u0670\u06D6-\u06ED\u0900-\u0DFF"
_TOKEN = re.compile(rf"[\w{_MARKS}]+(?:'[\w{_MARKS}]+)*")
# Superscript and subscript digits are no letters either: "φ²", "x₁" are math.
_DIGIT_OR_UNDERSCORE = re.compile(r"[\d_\u00B2\u00B3\u00B9\u2070-\u209F]")
_HAN = _CHARACTER_RUNS["Hani"]
_KANA = _CHARACTER_RUNS["Kana"]


@dataclass
class Prose:
    """A text's prose: word clauses in order, characters per character script, what was left out."""

    clauses: list[tuple[str, list[str]]] = field(default_factory=list)  # (ISO 15924 script, words)
    characters: Counter[str] = field(default_factory=Counter)  # script -> characters
    # One entry per sentence with Han or kana: (its Han characters, how many kana it has).
    han_sentences: list[tuple[str, int]] = field(default_factory=list)
    excluded: dict[str, int] = field(default_factory=dict)  # kind -> count


def strip_non_prose(text: str) -> tuple[str, dict[str, int]]:
    """The text with code (fenced or not), LaTeX, markup and URLs blanked out, and how many of
    each went."""
    excluded: dict[str, int] = {}
    for kind, triggers, pattern, replacement in _PASSES:
        if any(trigger in text for trigger in triggers):
            text, count = pattern.subn(replacement, text)
            if count:
                excluded[kind] = excluded.get(kind, 0) + count
    text, count = strip_code_lines(text)
    if count:
        excluded["code_lines"] = count
    return text, excluded


def read_prose(text: str) -> Prose:
    """Split a text into clauses of words (lower-cased), Han sentences and character-script counts.

    Numbers, identifiers (`x1`, `max_value`, `fooBar`), lone letters in any script (`x`, `θ`),
    point labels (`AB`, `ABC`) and function names (`sin`, `log`) are no words and are counted as
    excluded, by kind.
    """
    stripped, excluded = strip_non_prose(text.replace("’", "'"))
    prose = Prose(excluded=excluded)
    kinds: Counter[str] = Counter()
    ascii_text = stripped.isascii()
    by_sentence = False if ascii_text else _count_characters(prose, stripped)
    for sentence in _STOPS.split(stripped):
        if not sentence or sentence.isspace():
            continue
        pieces = [sentence]
        if not ascii_text and not sentence.isascii():
            pieces = _split_sentence(prose, sentence, by_sentence)
        for piece in pieces:
            words = _words(piece, kinds)
            if words:
                if piece.isascii():
                    prose.clauses.append(("Latn", words))
                else:
                    _append_by_script(prose.clauses, words)
    for script in [script for script, count in prose.characters.items() if not count]:
        del prose.characters[script]
    excluded.update(kinds)
    return prose


def _count_characters(prose: Prose, text: str) -> bool:
    """Count the characters of each character script into `prose`; whether the Han sentences are
    to be read sentence by sentence (only when something may be Japanese; else one entry now)."""
    for script, pattern in _CHARACTER_RUNS.items():
        count = sum(map(len, pattern.findall(text)))
        if count:
            prose.characters[script] = count
    if not (prose.characters.get("Hani") or prose.characters.get("Kana")):
        return False
    by_sentence = may_be_japanese(text)
    if not by_sentence:
        prose.han_sentences.append(("".join(_HAN.findall(text)), 0))
    return by_sentence


def _split_sentence(prose: Prose, sentence: str, by_sentence: bool) -> list[str]:
    """A sentence with non-ASCII text split at its character-script runs (its Han and kana noted
    first when read sentence by sentence)."""
    if by_sentence:
        han = "".join(_HAN.findall(sentence))
        kana = sum(map(len, _KANA.findall(sentence)))
        if han or kana:
            prose.han_sentences.append((han, kana))
    return _ANY_CHARACTER_RUN.split(sentence) if prose.characters else [sentence]


def _words(piece: str, kinds: Counter[str]) -> list[str]:
    """The words of one piece of text, lower-cased; what is no word is counted in `kinds`."""
    tokens = _TOKEN.findall(piece.lower())
    if not tokens:
        return []
    if not may_hold_symbols(piece) and ALL_FUNCTION_NAMES.isdisjoint(tokens):
        words = [token for token in tokens if len(token) > 1]
        if len(words) < len(tokens):
            kinds["symbols"] += len(tokens) - len(words)
        return words
    matches = list(_TOKEN.finditer(piece))
    gaps = [piece[left.end() : right.start()] for left, right in zip(matches, matches[1:], strict=False)]
    capitals = written_in_capitals([match.group() for match in matches], gaps)
    words = []
    for index, match in enumerate(matches):
        token = match.group()
        if _DIGIT_OR_UNDERSCORE.search(token) is not None:
            kinds["numbers" if token.isdigit() else "identifiers"] += 1
            continue
        lowered = token.lower()
        following = matches[index + 1].group() if index + 1 < len(matches) else None
        if lowered in ALL_FUNCTION_NAMES and is_function_name(lowered, piece, match.end(), following):
            kinds["function_names"] += 1
            continue
        kind = symbol_kind(token, capitals[index])
        if kind is None:
            words.append(lowered)
        else:
            kinds[kind] += 1
    return words


def _append_by_script(clauses: list[tuple[str, list[str]]], words: list[str]) -> None:
    script, run = "", list[str]()
    for word in words:
        word_script = "Latn" if word[0] < "\u0250" else script_of(word[0])
        if word_script != script:
            if run and script != "Zyyy":
                clauses.append((script, run))
            script, run = word_script, []
        run.append(word)
    if run and script != "Zyyy":
        clauses.append((script, run))
