"""Reading the letter(s) a short piece of answer text names: `C`, `(C)`, `**C**`, `$\\text{C}$`,
`C) Paris`, `C or D`, or an option's text itself.

A letter counts only as a token of its own: never inside a word ("Carbon", "I'm"), and the words
"A" and "I" followed by an ordinary lower-case word ("A good choice", "I think") are an article and
a pronoun, not options. All functions are linear string work over short windows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from reward_server.tasks.choice_letters import option_letter

__all__ = ["CJK", "Reading", "clean_answer_text", "read_letters"]

# What a reader skips before the letter: "The answer is definitely option (C)", "答案是选项 C".
_FILLER = re.compile(
    r"(?:(?:definitely|clearly|certainly|probably|likely|most likely|indeed|therefore|thus|hence|"
    r"for sure|then|so|either|option|choice|letter|answer|choose|select)\b[\s:,\-]*"
    r"|(?:选项|選項|选择|选)[\s:]*)+",
    re.IGNORECASE,
)
# Chinese, Japanese and Korean script: a letter next to it is a token of its own ("选C项", "C입니다").
CJK = "\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff"
# A letter token: (C), [C], C), C., C:, C.  Group `open` is the bracket when there is one.
_TOKEN = re.compile(r"(?P<open>[(\[（])?\s*(?P<letter>[A-Z])(?:\s*(?P<close>[)\]）]))?(?P<after>[.:;!?]?)")
_TOKEN_LOWER = re.compile(
    r"(?P<open>[(\[（])?\s*(?P<letter>[a-z])(?:\s*(?P<close>[)\]）]))?(?P<after>[.:;!?]?)(?![A-Za-z0-9])"
)
# What may follow a letter token for it to be a token of its own.
_TOKEN_END = re.compile(rf"(?:$|[\s.,;:!?)\]）*\"`”}}/&{CJK}]|['’]\s|[-–—]\s|\((?=[{CJK}]))")
# Ordinary words that can follow "A"/"I" used as an option ("A because ...", "A, since ...").
_CONNECTORS = frozenset(
    [
        "because",
        "since",
        "as",
        "and",
        "or",
        "which",
        "is",
        "was",
        "would",
        "seems",
        "–",
        "—",
        "-",
        "so",
        "given",
        "due",
        "for",
        "with",
        "whereas",
    ]
)
# "C or D", "C, D", "C and D", "C/D", "C | D", "C vs D", "C... D", "C -> D", "C — D", "(C)(D)", "C D",
# "C (or possibly D)", "C, or maybe D", "C或D", "C、D": further letters offered with the first.
_MORE = re.compile(
    r"\s*\(?\s*(?:,\s*(?:or|and|then)?|\band\s*/\s*or\b|/|&|\||\bor\b|\band\b|[-–—]\s*or\b|\\lor|\\vee|"
    r"\bvs\b\.?|\bversus\b|\.{2,}|…|->|=>|→|[–—]|\bthen\b|"
    r"或者?|或是|还是|還是|和|与|與|及|、|か|または|と|や|또는|이나|와|과)?\s*"
    r"(?:(?:possibly|maybe|perhaps|probably|potentially|else|alternatively)\b,?\s*|(?:也|还)?(?:也许|或许|可能)是?\s*)?",
    re.IGNORECASE,
)
# After a second letter, a verb means a new clause about it ("C, and A is wrong"), not an offer.
_CLAUSE_VERB = re.compile(
    r"\s*(?:is|was|are|isn'?t|wasn'?t|can|cannot|can'?t|could|would|does|doesn'?t|seems|looks|"
    r"has|had|fails|only|also|might|may|must|should|will|won'?t)\b|\s*(?:是|不|错|錯|对|對|都|也|为|為|は|も|가|는|은|도)",
    re.IGNORECASE,
)
_WRAPPERS = re.compile(
    r"\\(?:text|textbf|textit|textrm|mathrm|mathbf|mathit|mbox|emph|underline)\s*\{([^{}]*)\}"
)
# An option's text followed by its letter: "9 (option I)", "Paris [C]".
_TRAILING_LETTER = re.compile(r"\s*[(\[]\s*(?:(?i:option|choice)\s+)?([A-Z])\s*[)\]]\W*$")
# Markdown italics around a short span: "*C* or *D*".
_ITALIC = re.compile(r"(?<![\w*])\*([^*\s](?:[^*\n]{0,40}[^*\s])?)\*(?![\w*])")
_SENTENCE_CUT = re.compile(r"[.;!?](?:\s|$)|,\s|\s[-–—]\s|\n")


def clean_answer_text(text: str) -> str:
    """Markup dropped: LaTeX text commands unwrapped, `$`, `\\(`/`\\)`, `**`, `__`, backticks and
    `*italics*` removed."""
    s = _WRAPPERS.sub(r"\1", text)
    s = _WRAPPERS.sub(r"\1", s)  # \text{\textbf{C}}
    for mark in ("\\(", "\\)", "\\[", "\\]", "$", "**", "__", "`"):
        s = s.replace(mark, "")
    return _ITALIC.sub(r"\1", s) if "*" in s else s


class Reading:
    """The letters a piece of text offers (in order, as written) and how far the reading went."""

    __slots__ = ("end", "letters", "via_text")

    def __init__(self, letters: tuple[str, ...], end: int, via_text: bool = False) -> None:
        self.letters, self.end, self.via_text = letters, end, via_text


def _token_at(
    text: str,
    pos: int,
    letters: Sequence[str],
    options: Mapping[str, str] | None,
    lower_case: bool = False,
) -> re.Match[str] | None:
    """A letter token starting at `pos` that names one of `letters`, or None.

    With `lower_case` (right after an answer marker, or a whole box), "Answer: c" and "(c)" count
    too, when nothing but punctuation follows on the line ("Answer: a cell" is an article).
    """
    m = _TOKEN.match(text, pos)
    if m is None and lower_case:
        low = _TOKEN_LOWER.match(text, pos)
        if low is not None and low.group("letter").upper() in letters:
            line_rest = text[low.end() :].split("\n", 1)[0]
            closed = bool(low.group("open")) and bool(low.group("close"))
            if closed or not line_rest.strip(" .!*"):
                return low
        return None
    if m is None or m.group("letter") not in letters:
        return None
    if bool(m.group("open")) != bool(m.group("close")) and m.group("open"):
        return None  # "(C" without its bracket closed: "(Carbon" is caught by _TOKEN_END below anyway
    end = m.end()
    if not m.group("close") and not m.group("after") and not _TOKEN_END.match(text, end):
        return None  # inside a word: "Carbon", "I'm", "A-level"
    if m.group("letter") in "AI" and not m.group("open") and not m.group("close") and not m.group("after"):
        nxt = re.match(r"\s+([a-z][a-z'’]*)", text[end:])
        if nxt is not None and nxt.group(1) not in _CONNECTORS:
            rest = text[end:].split("\n", 1)[0]
            if options is None or option_letter(rest, options) != m.group("letter"):
                return None  # "A good choice", "I think": an article or a pronoun
    return m


def read_letters(
    text: str,
    letters: Sequence[str],
    options: Mapping[str, str] | None,
    *,
    whole: bool = False,
    lower_case: bool = False,
) -> Reading | None:
    """The letter(s) `text` starts by naming, or None.

    `text` is what follows an answer marker, a box's content, or a final line. With `whole`, the
    text must be nothing but the answer (a letter, a letter with its option text, or an option
    text): a box or a line holding more is no reading. A letter whose own text on the line names a
    different option ("C) Paris" where Paris is option A) offers both letters.

    >>> read_letters("(C) Paris.", "ABCD", {"A": "Rome", "B": "Oslo", "C": "Paris", "D": "Bern"}).letters
    ('C',)
    >>> read_letters("A or C", "ABCD", None).letters
    ('A', 'C')
    >>> read_letters("A good choice is B", "ABCD", None) is None
    True
    """
    s = clean_answer_text(text)
    line = s.split("\n", 1)[0] if not whole else s
    skip = _FILLER.match(line.lstrip(" *:,-–—>\t"))
    start = len(line) - len(line.lstrip(" *:,-–—>\t")) + (skip.end() if skip else 0)
    first = _token_at(line, start, letters, options, lower_case)
    if first is None:
        return _read_option_text(line[start:], options, whole=whole, offset=start)
    found = [first.group("letter").upper()]
    end = first.end()
    while (sep := _MORE.match(line, end)) is not None:
        nxt = _token_at(line, sep.end(), letters, options, lower_case)
        if nxt is None or _CLAUSE_VERB.match(line, nxt.end()):
            break
        found.append(nxt.group("letter").upper())
        end = nxt.end()
    rest = line[end:]
    said = _option_named(rest, options) if options is not None and len(found) == 1 else None
    if said is not None and said != found[0]:
        found.append(said)  # the letter and the text disagree: both are offered
    if whole and rest.strip(" .!*") and said is None:
        return None
    return Reading(tuple(found), end)


def _option_named(rest: str, options: Mapping[str, str]) -> str | None:
    """The option whose text `rest` (what follows a letter on its line) is, if it is one."""
    body = rest.lstrip(" .):-–—")
    if not body.strip():
        return None
    for cut in [*(m.start() for m in _SENTENCE_CUT.finditer(body)), len(body)]:
        found = option_letter(body[:cut], options)
        if found is not None:
            return found
    return None


def _read_option_text(
    text: str, options: Mapping[str, str] | None, *, whole: bool, offset: int
) -> Reading | None:
    """An option's text given as the answer: the whole text, or (not `whole`) its first sentence."""
    if options is None or not text.strip():
        return None
    if whole:
        found = _text_and_letter(text, options)
        return None if found is None else Reading(found, offset + len(text), via_text=True)
    for cut in [*(m.start() for m in _SENTENCE_CUT.finditer(text)), len(text)]:
        found = _text_and_letter(text[:cut], options)
        if found is not None:
            return Reading(found, offset + cut, via_text=True)
    return None


def _text_and_letter(text: str, options: Mapping[str, str]) -> tuple[str, ...] | None:
    """The letter of the option `text` is, also when its letter follows in brackets ("9 (option I)");
    a bracketed letter that names another option is offered with it (a hedge, as "C) Paris" is)."""
    found = option_letter(text, options)
    if found is not None:
        return (found,)
    m = _TRAILING_LETTER.search(text)
    if m is None or m.group(1) not in options:
        return None
    found = option_letter(text[: m.start()], options)
    if found is None:
        return None
    return (found,) if m.group(1) == found else (found, m.group(1))
