"""The option a multiple-choice completion commits to.

Where the answer lives is decided as for math (`rewards.math.extraction.committed_region`): after
`</think>`; a think block that never closes commits to nothing; the `<answer>` block when there is
one; hidden text (comments, phantoms, white text) removed first, then NFKC (full-width `Ｃ`, `（Ｃ）`,
`：` read as `C`, `(C)`, `:`), format characters, accents over a letter and HTML formatting tags dropped,
look-alike Cyrillic / Greek capitals read as Latin, whitespace runs read as one gap (`_visible`); text after
an end-of-turn token and a think block opened again are not the answer (math's `committed_region`).

What the answer is, first tier that finds something:
1. Boxes (`\\boxed{C}`, `\\boxed{\\text{(C) Paris}}`, `\\boxed{Paris}`) and answer phrases ("The answer
   is C.", "**Answer:** C", "The correct option is (C)", "Final Answer: C) Paris", "I'd go with B";
   Chinese "答案是 C", "答案：C", "正确选项是 C", "故选 C", "选C。", Japanese "答えは C", "正解は C", Korean
   "정답은 C"), in the order written; one followed by "?" or "吗" is a question, not an answer. The
   last one counts; an earlier, different one is superseded when the text between corrects it or is
   a stretch of reasoning, and offered together with it when only a hedge or a few words separate
   them (math's rule, `commit_answers`). Boxes quoted as wrong answers ("a common mistake is
   \\boxed{A}") do not count.
2. Statements that a letter is right: "Option C is correct", "(C) is the best answer", "选项C正确"
   ("Either C or D is correct" offers both).
3. The last line, when it is only an answer (`C`, `(C)`, `**C**`, `C) Paris`, an option's text) or
   ends by naming one ("... therefore I think it's B.", "So it must be (C).").
4. The first line, when the answer opens with its letter and then explains: "D. It cannot be A",
   "C (D would need x>0)"; not a Roman-numeral heading ("I. Introduction", "I. First, ...").
Two different letters offered as the answer ("A or C", "either B or D", boxes A and C side by side,
"C) Paris" when Paris is option A, "C. D is also possible.", "The answer is C, though D could also be
right", "答案是C或D") commit to nothing: a hedge scores 0, as in math. A letter named after the answer to
reject it ("C. D is wrong because ...", "C, not D", "D could be right only if ...") is not offered.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from reward_server.rewards.choice.prose import NOT_OPTION_BEFORE, is_heading, offered_after
from reward_server.rewards.choice.reading import CJK, Reading, clean_answer_text, read_letters
from reward_server.rewards.math.disowned import disowned_box, remove_hidden
from reward_server.rewards.math.extraction import commit_answers, committed_region, find_boxed
from reward_server.rewards.math.phrases import strip_boilerplate

__all__ = ["ChoiceExtraction", "extract_choice"]

MAX_STATEMENTS = 20  # only the last answers matter; a spray of thousands must not cost quadratic time
FINAL_LINE_CHARS = 200
SHORT_ANSWER_CHARS = 400  # an answer that opens with its letter is read only this short (else: an outline)

# "The answer is", "Answer:", "The correct option is", "Final Answer -", "I'd go with".
_ANSWER_MARKER = re.compile(
    r"(?:(?:\b(?:final|correct|right|best|most\s+likely|most\s+appropriate|only|my)\s+(?:answer|option|choice|response)"
    r"|\bthe\s+answer|\banswer|\bans\b|\b(?:option\s+)?selected|\bselection)(?:\s+(?:choice|letter|option))?"
    r"(?:\s+(?:to\s+(?:this|the)\s+question|here|then))?"
    r"(?:\s*,\s*(?:therefore|then|thus|hence|of\s+course|I\s+think|I\s+believe)\s*,)?"
    r"\s*(?:\*\*)?\s*(?:is(?:\s+therefore)?|would\s+be|should\s+be|will\s+be|must\s+be|:|=|-|–|—)"
    r"\s*(?:\*\*)?\s*:?"
    r"|\bI(?:'d|\s+would|\s+will|'ll)?\s+(?:choose|pick|select|go\s+with)\b)",
    re.IGNORECASE,
)
# Chinese "答案是", "答案：", "正确选项是", "故选", "选C。"; Japanese "答えは", "正解は"; Korean "정답은".
# Scanned for only in text that holds such script (`_HAS_CJK`), so English text costs nothing more.
_CJK_ANSWER_MARKER = re.compile(
    r"(?:(?:最终|最后|正确|標準|标准)?答案|正确(?:的)?选项|正確(?:的)?選項|答え|正解|정답)\s*"
    r"(?:应该是|应为|应是|是|为|為|は|은|는|:|=|应选|應選|(?:选|選)(?![项項择擇]))\s*"
    r"|(?:故|因此|所以|应|應|我)\s*[,]?\s*(?:本题|本題|此题|此題)?\s*(?:应|應)?(?:选|選)(?:择|擇)?\s*(?:是|:)?\s*"
    r"|【(?:正确|正確)?答案】\s*:?\s*|(?<![\w])答\s*:\s*|正确的(?:选项|答案)?(?:是|为)\s*"
    r"|(?:最终|最后)?答案\s+(?=[(\[]?[A-Z][)\]]?\s*(?:[。.!,;\n]|$))"
    r"|(?<![\w])(?:选|選)(?=\s*[(\[]?[A-Z][)\]]?\s*(?:项|項)?\s*(?:[。.!,;\n]|$))"
)
_HAS_CJK = re.compile(f"[{CJK}]")
# "Option C is correct", "(C) is the best answer", "**C** is right".
_STATED_CORRECT = re.compile(
    r"(?:\b(?:option|choice|answer)\s+|[(\[]|\*\*|^|(?<=\s))(?P<letter>[A-Z])(?:[)\]]|\*\*)?\s+"
    r"(?:is|seems|appears)\s+(?:to\s+be\s+)?"
    r"(?:(?:the\s+)?(?:most\s+)?(?:correct|right|best|true|appropriate|accurate)|the\s+(?:final\s+)?answer)\b(?!\s*\?)",
    re.MULTILINE,
)
# "选项C正确", "C项是正确的", "答案C对" (Chinese): a letter stated to be right; not "不正确", not a question.
_STATED_CORRECT_CJK = re.compile(
    r"(?:(?:选项|選項|答案)\s*)?(?<![A-Za-z0-9])[(\[]?(?P<letter>[A-Z])[)\]]?\s*(?:选项|選項|项|項)?\s*(?:是|为|為)?\s*"
    r"(?:正确|正確|[对對](?![应應于於比照]))(?:的)?(?!\s*(?:吗|嗎|呢|\?))"
)
# Just before a letter stated to be right: another letter offered with it ("Either C or D is correct").
_OFFERED_BEFORE = re.compile(
    r"(?<![\w'’])[(\[]?(?P<letter>[A-Z])[)\]]?\s*(?:,\s*)?(?:\bor\b|/|,|或者?|还是)\s*(?:(?:option|choice)\s+)?[(\[]?$"
)
# Right after an answer: it is asked, not given ("The answer is A?", "答案是A吗？").
_ASKED = re.compile(r"[ \t]*(?:\?|吗|嗎|呢)")
# After the last answer: it is taken back ("Wait, ...", "Actually, ...", "等等", "不对").
_RETRACTION = re.compile(
    r"(?:^\s*|[.!?\n]\s*)(?:(?:hmm+|um+|uh+)\b[,.!]?\s*)?(?:no\b[,.!]?\s*)?"
    r"(?:wait\b|actually\b|oops\b|on second thought|scratch that|let me reconsider|I made a mistake|"
    r"just\s+kidding|(?:I'?m|I\s+am)\s+kidding)"
    r"|(?:^|[.!?。,;\n])\s*(?:等等|等一下|不对|不對|不，|不,|待って|いや|잠깐|아니)",  # "答案是C。等等，不对"
    re.IGNORECASE,
)
# The last line concludes: "... therefore I think it's B.", "So it must be (C)."
_CONCLUDING = re.compile(
    r"\b(?:it'?s|it\s+is|it\s+must\s+be|it\s+should\s+be|that'?s|that\s+is|this\s+is|"
    r"I'?d\s+say|I\s+would\s+say|I'?m\s+going\s+with|I\s+am\s+going\s+with)\s+",
    re.IGNORECASE,
)
# "D. It cannot be A", "B。不是 A", "(D) since ...", "C (D would need x>0)" (a bracketed remark closing
# the line), "C" alone on the first line with its explanation below.
_OPENING_LETTER = re.compile(
    r"(?:[#>*\s]*)[(\[]?([A-Z])(?:[)\]。]|[.:](?=\s|$)|(?=[ \t]+\([^()\n]*\)[ \t]*[.!]?[ \t]*(?:\n|$))"
    r"|,(?=\s+(?i:since|because|as|given)\b)"
    r"|(?=[ \t]*\n))"
)
# Right after an opening letter: the answer disowns it ("(A) is incorrect.", "A. Wrong", "A) cannot be").
_DISOWNED_AFTER = re.compile(
    r"\s*\(?\s*(?:is\s+|are\s+|seems\s+|appears\s+)?(?:(?:definitely|clearly|certainly)\s+)?"
    r"(?:incorrect|wrong|false|invalid|not\b(?!\s+only|\s+[(\[]?(?-i:[A-Z])\b)|isn'?t|can(?:not|'t)|could\s*n(?:o|')t|"
    r"ruled\s+out|eliminated|excluded|(?:是|為|为)?(?:不对|不對|不正确|不正確|错|錯|排除))",
    re.IGNORECASE,
)
_ENUMERATED = re.compile(r"^\s*(?:[-*]\s*)?(?:\*\*)?[(\[]?([A-Z])[)\].:](?:\*\*)?\s", re.MULTILINE)
# Two lines in a row of one of these shapes ("A" then "B", "A (Rome)" then "B (Madrid)"): letters listed,
# none chosen.
_LIST_LINE_SHAPES = (
    re.compile(r"\s*(?:[-*]\s*)?[(\[]?([A-Z])[)\]]?\s*$"),
    re.compile(r"\s*(?:[-*]\s*)?([A-Z])[ \t]+\("),
)


# Look-alikes of Latin capitals in Cyrillic and Greek, read as those when standing alone ("С or Β").
_LATIN_OF = str.maketrans("АВСЕНКМОРТХΑΒΕΖΗΙΚΜΝΟΡΤΥΧ", "ABCEHKMOPTXABEZHIKMNOPTYX")
_LOOKALIKE = re.compile(r"(?<![^\W\d_])[АВСЕНКМОРТХΑΒΕΖΗΙΚΜΝΟΡΤΥΧ](?![^\W\d_])")
_MARKED_LETTER = re.compile(r"([A-Za-z])[\u0300-\u036f\u20d0-\u20ff]+")
_WHITESPACE_RUN = re.compile(r"\s{2,}")
_FORMAT_TAG = re.compile(r"</?(?i:b|strong|i|em|u|code|mark|del|s|strike|ins|big|small|tt|kbd|samp|var)>")
_LINE_TAG = re.compile(r"<(?i:br\s*/?|/?p|/?div)>")


@dataclass(frozen=True, slots=True)
class ChoiceExtraction:
    """What the completion answers.

    `letters`: the letters offered as the answer, in order (one distinct letter = a commitment);
    `source`: "boxed" | "answer_is" | "stated_correct" | "final_line" | "option_text" | "none" |
    "unfinished" | "retracted".
    """

    source: str
    letters: tuple[str, ...] = ()
    superseded: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def letter(self) -> str | None:
        """The one letter committed to, or None (no answer, or a hedge between letters)."""
        distinct = set(self.letters)
        return self.letters[-1] if len(distinct) == 1 else None

    @property
    def hedged(self) -> bool:
        return len(set(self.letters)) > 1


Found = tuple[int, int, str]  # (start, end, letters joined by ",")


def _boxes(region: str, letters: Sequence[str], options: Mapping[str, str] | None) -> list[tuple[Found, str]]:
    found: list[tuple[Found, str]] = []
    for start, end, boxed in find_boxed(region)[-MAX_STATEMENTS:]:
        if disowned_box(region, start, end):
            continue
        content = boxed.strip()
        while content.startswith("{") and content.endswith("}"):  # \boxed{{B}}
            content = content[1:-1].strip()
        reading = read_letters(content, letters, options, whole=True, lower_case=True)
        marker = _marker_at_start(clean_answer_text(content)) if reading is None else None
        if marker is not None:  # \boxed{\text{Answer: G}}
            rest = clean_answer_text(content)[marker.end() :]
            reading = read_letters(rest, letters, options, whole=True, lower_case=True)
        if reading is not None:
            found.append(((start, end, ",".join(reading.letters)), "boxed"))
    return found


def _phrases(
    region: str, letters: Sequence[str], options: Mapping[str, str] | None
) -> list[tuple[Found, str]]:
    found: list[tuple[Found, str]] = []
    for m in _markers(region)[-MAX_STATEMENTS:]:
        if found and m.start() < found[-1][0][1]:
            continue  # "Final Answer: the answer is C" is one statement
        rest = region[m.end() : m.end() + 400]
        if clean_answer_text(rest).lstrip(" *:").startswith(("\\boxed", "\\fbox")):
            continue  # the box is read as a box
        reading = read_letters(rest, letters, options, lower_case=True)
        if reading is None or _ASKED.match(rest, reading.end) or rest[reading.end - 1 : reading.end] == "?":
            continue  # "The answer is A?": a question, not an answer
        if _DISOWNED_AFTER.match(clean_answer_text(rest), reading.end):
            continue  # "Answer: C is wrong": the letter is named to reject it
        if "\n" in m.group(0) and len({e.group(1) for e in _ENUMERATED.finditer(rest[:400])}) > 1:
            continue  # "Answer:" above a list of the options is not an answer
        source = "option_text" if reading.via_text else "answer_is"
        found.append(((m.start(), m.end() + _raw_end(rest, reading), ",".join(reading.letters)), source))
    return found


def _markers(region: str) -> list[re.Match[str]]:
    """The answer markers of `region` in order: English, and CJK ones when it holds that script."""
    found = list(_ANSWER_MARKER.finditer(region))
    if _HAS_CJK.search(region):
        found = sorted([*found, *_CJK_ANSWER_MARKER.finditer(region)], key=lambda m: m.start())
    return found


def _marker_at_start(text: str) -> re.Match[str] | None:
    return _ANSWER_MARKER.match(text) or _CJK_ANSWER_MARKER.match(text)


def _raw_end(raw: str, reading: Reading) -> int:
    """Where the reading ends in the raw text (markup was dropped before reading): the line end at most."""
    line_end = raw.find("\n")
    window = raw[: reading.end + 4]
    dropped = window.count("*") + window.count("`")
    return min(len(raw) if line_end < 0 else line_end, reading.end + dropped)


def _stated_correct(region: str, letters: Sequence[str]) -> list[Found]:
    found: list[Found] = []
    stated = list(_STATED_CORRECT.finditer(region))
    if _HAS_CJK.search(region):
        stated += _STATED_CORRECT_CJK.finditer(region)
    for m in sorted(stated, key=lambda s: s.start())[-MAX_STATEMENTS:]:
        letter = m.group("letter")
        before = region[max(0, m.start("letter") - 30) : m.start("letter")]
        if letter not in letters or NOT_OPTION_BEFORE.search(region[max(0, m.start() - 20) : m.start()]):
            continue
        with_it = _OFFERED_BEFORE.search(before)
        if with_it is not None and with_it.group("letter") in letters:  # "Either C or D is correct"
            letter = f"{with_it.group('letter')},{letter}"
        found.append((m.start(), m.end(), letter))
    return found


def _listed_together(first: str, second: str) -> bool:
    """Whether two consecutive lines list two different letters in the same bare shape."""
    for shape in _LIST_LINE_SHAPES:
        a, b = shape.match(clean_answer_text(first)), shape.match(clean_answer_text(second))
        if a is not None and b is not None and a.group(1) != b.group(1):
            return True
    return False


def _final_line(
    region: str, letters: Sequence[str], options: Mapping[str, str] | None
) -> ChoiceExtraction | None:
    text = strip_boilerplate(region).strip()
    if not text:
        return None
    line = text.rsplit("\n", 1)[-1].strip()
    if len(line) > FINAL_LINE_CHARS or line.endswith(("?", "吗", "嗎")):
        return None  # "D?": a question, not an answer
    tail = text[-FINAL_LINE_CHARS * 3 :]
    listed = {
        m.group(1) for m in _ENUMERATED.finditer(tail[tail.rfind("\n\n") + 2 :] if "\n\n" in tail else tail)
    }
    last_lines = [row for row in tail.split("\n") if row.strip()][-2:]
    if len(listed) > 1 or (len(last_lines) == 2 and _listed_together(*last_lines)):
        return None  # the text ends by listing the options, not by choosing one
    reading = read_letters(line, letters, options, whole=True) or _concluded(line, letters, options)
    if reading is None:
        return None
    source = "option_text" if reading.via_text else "final_line"
    return ChoiceExtraction(source, reading.letters)


def _concluded(line: str, letters: Sequence[str], options: Mapping[str, str] | None) -> Reading | None:
    """What the last line concludes ("... therefore it's B."); every letter it concludes when it does
    so more than once ("I'd say A. I'd say B." offers both)."""
    concluding = list(_CONCLUDING.finditer(line))[-MAX_STATEMENTS:]
    if not concluding:
        return None
    last = read_letters(line[concluding[-1].end() :], letters, options, whole=True)
    if last is None:
        return None
    earlier = [read_letters(line[m.end() :], letters, options) for m in concluding[:-1]]
    offered = [letter for r in earlier if r is not None for letter in r.letters]
    return Reading((*offered, *last.letters), last.end, last.via_text)


def _first_line(
    region: str, letters: Sequence[str], options: Mapping[str, str] | None
) -> ChoiceExtraction | None:
    """An answer that opens with its letter, then explains: "D. It cannot be A or B, since ..."."""
    text = clean_answer_text(strip_boilerplate(region)).strip()
    m = _OPENING_LETTER.match(text)
    if m is None or m.group(1) not in letters or _DISOWNED_AFTER.match(text, m.end()):
        return None
    if _RETRACTION.search(text[m.end() :]):
        return None  # "D. Hmm, no, actually A.", "C. Oops, I meant D."
    if m.group(1) == "I" and is_heading(text, options):
        return None  # "I. Introduction", "I. First, we ...": a Roman-numeral heading, not option I
    first_lines = [row for row in text[: FINAL_LINE_CHARS * 3].split("\n") if row.strip()][:2]
    if len({e.group(1) for e in _ENUMERATED.finditer(text)}) > 1 or (
        len(first_lines) == 2 and _listed_together(*first_lines)
    ):
        return None  # "A) ... B) ...", "A\nB": the options discussed or listed one by one, none chosen
    reading = read_letters(text.split("\n", 1)[0], letters, options)
    names_its_option = reading is not None and options is not None and reading.letters[-1] == m.group(1)
    if len(text) > SHORT_ANSWER_CHARS and not (
        reading is not None and len(reading.letters) == 1 and names_its_option
    ):
        return None  # a long text opening with "I. Introduction" or "A. Let's see" is an outline
    found = reading.letters if reading is not None and reading.letters[0] == m.group(1) else (m.group(1),)
    return _also_offered(ChoiceExtraction("first_line", found), text[m.end() :], letters)


def _also_offered(found: ChoiceExtraction, after: str, letters: Sequence[str]) -> ChoiceExtraction:
    """`found` with a letter the text after it offers as possibly right too ("C. D is also possible.",
    or a letter alone on the next line: "Answer: C\nD"): two different letters offered, a hedge."""
    also = offered_after(after, found.letters, letters) or _letter_line_below(after, found.letters, letters)
    if also is None:
        return found
    note = f"{also!r} offered as possibly right after the answer"
    return ChoiceExtraction(found.source, (*found.letters, also), found.superseded, (*found.notes, note))


def _letter_line_below(after: str, committed: Sequence[str], letters: Sequence[str]) -> str | None:
    """Another letter alone on the next non-empty line after the answer ("Answer: C\nD"), or None."""
    _, newline, below = after.partition("\n")
    if not newline:
        return None
    line = next((row for row in below.split("\n", 8)[:8] if row.strip()), "")
    bare = _LIST_LINE_SHAPES[0].match(clean_answer_text(line))
    if bare is None or bare.group(1) not in letters or bare.group(1) in committed:
        return None
    return bare.group(1)


def _letters_of(offered: Sequence[str]) -> tuple[str, ...]:
    return tuple(letter for joined in offered for letter in joined.split(","))


def _from_region(region: str, letters: Sequence[str], options: Mapping[str, str] | None) -> ChoiceExtraction:
    statements = sorted(_boxes(region, letters, options) + _phrases(region, letters, options))
    if statements:
        found = [f for f, _ in statements]
        offered, superseded, notes = commit_answers(region, found)
        source = statements[-1][1]
        after = region[found[-1][1] :]
        if _RETRACTION.search(after):
            return ChoiceExtraction(
                "retracted", (), _letters_of(offered), (*notes, f"answer {offered[-1]!r} taken back")
            )
        committed = ChoiceExtraction(source, _letters_of(offered), _letters_of(superseded), tuple(notes))
        return _also_offered(committed, after, letters)
    stated = _stated_correct(region, letters)
    if stated:
        offered, superseded, notes = commit_answers(region, stated)
        if _RETRACTION.search(region[stated[-1][1] :]):  # "Option C is correct. Wait, no."
            return ChoiceExtraction("retracted", (), _letters_of(offered), (*notes, "answer taken back"))
        committed = ChoiceExtraction(
            "stated_correct", _letters_of(offered), _letters_of(superseded), tuple(notes)
        )
        return _also_offered(committed, region[stated[-1][1] :], letters)
    final = _final_line(region, letters, options) or _first_line(region, letters, options)
    return final if final is not None else ChoiceExtraction("none")


def extract_choice(
    completion: str,
    letters: Sequence[str],
    options: Mapping[str, str] | None = None,
    *,
    answer_tag: str = "answer",
    think_tag: str = "think",
) -> ChoiceExtraction:
    """The letter(s) the completion offers as its final answer, with where they were found.

    `letters` is the task's letter set (only those letters are read); `options` maps letters to
    option texts (an answer that is an option's text counts as its letter).

    >>> extract_choice("<think>maybe A</think>The answer is (C).", "ABCD").letter
    'C'
    >>> extract_choice("It is A or C.", "ABCD").letter is None
    True
    """
    region, unfinished, blocks = committed_region(completion, think_tag, answer_tag)
    if unfinished:
        return ChoiceExtraction("unfinished", notes=(unfinished,))
    if len(blocks) > 1:
        readings = [_from_region(_visible(b), letters, options) for b in blocks]
        offered = tuple(letter for r in readings for letter in r.letters)
        if len(set(offered)) > 1:
            return ChoiceExtraction("answer_block", offered, notes=("several answer blocks",))
    if blocks:
        region = blocks[-1]
    return _from_region(_visible(region), letters, options)


def _visible(text: str) -> str:
    """What a reader sees, in one spelling: hidden text removed, then NFKC (full-width `Ｃ`, `（Ｃ）`, `：`
    read as `C`, `(C)`, `:`; circled `Ⓒ` as `C`), invisible format characters (zero-width space,
    soft hyphen, BOM) dropped, marks over a Latin letter dropped (`D̶`, `D́` read as `D`), and a
    Cyrillic or Greek capital standing alone that looks like a Latin one (`С`, `Β`) read as it."""
    visible = remove_hidden(text)
    if "&" in visible and ";" in visible:
        visible = html.unescape(visible)  # "C &amp; D" reads "C & D"
    if not unicodedata.is_normalized("NFKC", visible):
        visible = unicodedata.normalize("NFKC", visible)
    if not visible.isascii():
        visible = _LOOKALIKE.sub(lambda m: m.group(0).translate(_LATIN_OF), _invisible_dropped(visible))
        visible = _MARKED_LETTER.sub(r"\1", visible)
    return _WHITESPACE_RUN.sub(_one_gap, _bare_tags_dropped(visible))


def _one_gap(run: re.Match[str]) -> str:
    """A run of whitespace as a reader takes it: a paragraph break, a line break, or one space. Keeps
    every whitespace run the readers scan short (a run of thousands would make them quadratic)."""
    breaks = run.group(0).count("\n")
    return "\n\n" if breaks > 1 else "\n" if breaks else " "


def _invisible_dropped(text: str) -> str:
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


def _bare_tags_dropped(text: str) -> str:
    """HTML formatting tags without attributes removed (`<b>C</b>` reads `C`), line tags made line
    breaks; left alone when a `<style>` could hide what they wrap."""
    if "<" not in text or "<style" in text.lower():
        return text
    return _FORMAT_TAG.sub("", _LINE_TAG.sub("\n", text))
