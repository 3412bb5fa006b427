"""What the prose around a multiple-choice answer says about it.

- `offered_after`: after the answer, another letter offered as possibly right ("C. D is also
  possible.", "The answer is C, though D could also be right.", "…, but it might be D", "答案是 C，
  但也可能是 D"): two different letters offered, a hedge. A letter named to be rejected ("D is
  wrong", "not D", "D would need x>0") or under a condition ("D could be right only if …") is not
  offered.
- `is_heading`: an answer region that opens with a Roman numeral "I." / "I)" used as a heading
  ("I. Introduction", "I. First, …", an outline with "II."), not as option I.

Linear regex work over the text after the answer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from reward_server.rewards.choice.reading import clean_answer_text
from reward_server.tasks.choice_letters import option_letter

__all__ = ["NOT_OPTION_BEFORE", "is_heading", "offered_after"]

# A letter as prose names an option: "D", "(D)", "[D]", "**D**", "option D", "choice (D)".
_REF = r"(?:(?i:option|choice)\s+)?(?P<open>[(\[])?(?:\*\*)?(?P<{name}>[A-Z])(?:\*\*)?[)\]]?"
# Just before a capital letter: it names something else ("Vitamin D", "Type I", "Hepatitis B").
NOT_OPTION_BEFORE = re.compile(
    r"(?:statement|part|step|case|figure|table|point|vitamin|type|class|group|hepatitis|grade|plan|"
    r"person|player|team|city|country|company|box|room|set|matrix|line|angle|region|sample|patient)\s*$",
    re.IGNORECASE,
)
_APPROVING = (
    r"(?:a\s+|an\s+)?(?:possible|plausible|likely|correct|right|valid|true|acceptable|reasonable|defensible)"
    r"(?:\s+(?:answer|option|choice))?"
)
_KIND = r"(?:(?:possible|plausible|viable|strong|good|reasonable|valid|likely|serious|correct)\s+)"
_CONDITION = (
    r"(?!\s*,?\s*(?:only\s+)?(?i:if|when|unless|under|had|were|but|though|although|however|"
    r"in\s+(?:a|another|some|other|certain))\b)"
)
# "D is also possible", "D could (also) be right", "D might be correct", "D works too", "D cannot be
# ruled out" (a letter then words that say it may be the answer too); not under a condition.
_ALSO_AFTER = re.compile(
    r"(?<![\w'’])" + _REF.format(name="letter") + r"\s+(?i:"
    r"(?:is|seems|looks|appears)\s+(?:to\s+be\s+)?(?:also|equally|just\s+as)\s+" + _APPROVING + r"|"
    r"(?:is|seems)\s+" + _APPROVING + r"\s+(?:too|as\s+well)|"
    r"(?:could|might|may|can)\s+(?:also\s+|equally\s+|well\s+|just\s+as\s+well\s+)?(?:be\s+)?"
    r"(?:" + _APPROVING + r"|the\s+answer|it|work)|would\s+(?:also|equally)\s+be\s+" + _APPROVING + r"|"
    r"(?:also\s+works|works\s+too|works\s+as\s+well)|"
    r"(?:can(?:not|'t|\s+not))\s+be\s+(?:ruled\s+out|excluded|eliminated)|"
    r"is\s+(?:also\s+)?(?:another|an?)\s+" + _KIND + r"?(?:candidate|possibility|alternative|contender)|"
    r"is\s+(?:also\s+an?|another)\s+" + _KIND + r"?(?:option|choice|answer))\b" + _CONDITION
)
# "…, or maybe D", "though possibly D", "but it could also be D", "(or D)", ". Or D.": words
# that offer what follows them.
_ALSO_BEFORE = re.compile(
    r"(?i:\b(?:or|though|although|but|alternatively|perhaps)\s*,?\s+"
    r"(?:(?:it\s+)?(?:could|might|may)\s+(?:also\s+|well\s+)?be\s+|(?:maybe|possibly|perhaps|potentially)\s+)"
    r"|(?:^|(?<=[.!?(\n]))\s*(?:or|also|and\s+maybe|or\s+maybe|maybe|perhaps|possibly)\s+"
    r"|(?:^|(?<=[.!?(\n;,]))\s*(?:if\s+not|otherwise|or\s+else|failing\s+that|"
    r"second\s+(?:choice|guess|best))\s*[,:]?\s*"
    r"|\b(?:(?:either\s+)?(?:that|this|it)\s+or|unless\s+(?:it\s+is|it'?s|the\s+answer\s+is)|"
    r"or\s+(?:is|was)\s+it|it\s+(?:could|might|may)\s+(?:also\s+|well\s+)?be)\s+)"
    + _REF.format(name="letter")
    + r"(?=\s*(?:[.,;:!?)]|$|\s(?i:too|also|as\s+well|instead)\b))"
)
# Chinese: "也可能是 D", "或许是D", "也可以选D" (but not "不可能是 D", "不太可能是 D"); "D也对", "D也正确".
_ALSO_CJK = re.compile(
    r"(?<![不没沒太])(?:也|还|或)?(?:可能|或许|也许|可以选?)(?:是|选)?\s*[(\[]?(?P<letter>[A-Z])(?![A-Za-z])"
)
_ALSO_CJK_AFTER = re.compile(
    r"(?<![A-Za-z])[(\[]?(?P<letter>[A-Z])[)\]]?\s*(?:项|項)?\s*(?:也|同样|同樣|亦)\s*(?:是\s*)?"
    r"(?:正确|正確|[对對](?![应應于於])|可以(?!\s*排除)|有?可能(?!\s*不)|行|说得通|說得通|成立|合理)"
)
# Chinese "，或者 D", "。或 D", "要么 D": a clause that offers a letter.
_OR_CJK = re.compile(
    r"(?:^|[,.;，。；、(])\s*(?:或者?|或是|还是|還是|要么|要麼)\s*(?:是|选|選)?\s*[(\[]?(?P<letter>[A-Z])(?![A-Za-z])"
)
# "C (60%), D (40%)", "C: 0.6, D: 0.4": when the answer is given a probability, another letter given
# one is offered too.
_WEIGHT = r"[:=(-]?\s*(?:\d{1,3}(?:\.\d+)?\s*%|(?:p\s*=\s*)?0?\.\d+\b)"
_OWN_WEIGHT = re.compile(r"[)\]]?\s*" + _WEIGHT)
_WEIGHTED = re.compile(r"(?<![\w'’])[(\[]?(?P<letter>[A-Z])[)\]]?\s*" + _WEIGHT)
_MODAL_AFTER_PRONOUN = re.compile(r"\s+(?i:could|might|may|can|am|was|should|would|think|believe)\b")

# Roman-numeral outline: "I. Introduction", "I. First, …", "**I. Analysis**", with or without "II.".
_HEADING_OPENING = re.compile(r"[#>*\s]*(?:\*\*)?I(?:[.)]|:(?=\s)|(?=(?:\*\*)?[ \t]*\n))(?:\*\*)?[ \t]*")
_OUTLINE_NEXT = re.compile(r"^[#>*\s]*(?:\*\*)?II(?:[.)]|:\s)", re.MULTILINE)
_HEADING_WORDS = re.compile(
    r"(?i:first(?:ly)?|to\s+(?:begin|start)|let'?s|let\s+us|we|step|introduction|overview|background|"
    r"analy[sz]\w*|understand\w*|identify\w*|given|recall|consider\w*|problem|question|solution|approach|"
    r"method|summary|definitions?|key|part|section|preliminar\w*|restat\w*|context|setup|setting)\b"
)
_SENTENCE_END = re.compile(r"[.!?。](?:\s|$)")


def offered_after(text: str, committed: Sequence[str], letters: Sequence[str]) -> str | None:
    """The first letter of `letters` not in `committed` that `text` (what follows the answer) offers
    as possibly right too, or None."""
    text = clean_answer_text(text)  # "`D` is also possible", "$D$ too"
    patterns = [_ALSO_AFTER, _ALSO_BEFORE, _ALSO_CJK, _ALSO_CJK_AFTER, _OR_CJK]
    if _OWN_WEIGHT.match(text):
        patterns.append(_WEIGHTED)
    for pattern in patterns:
        for m in pattern.finditer(text):
            letter = m.group("letter")
            if letter not in letters or letter in committed:
                continue
            if NOT_OPTION_BEFORE.search(text[max(0, m.start("letter") - 20) : m.start("letter")]):
                continue  # "Vitamin D could also be right": not an option
            bare = m.start("letter") == m.start()  # no "option", bracket or bold before it
            if letter == "I" and bare and _MODAL_AFTER_PRONOUN.match(text, m.end("letter")):
                continue  # "but I could be wrong": the pronoun
            return letter
    return None


def is_heading(text: str, options: Mapping[str, str] | None) -> bool:
    """Whether `text` (the answer region, markup dropped) opens with "I." as a Roman-numeral heading.

    A heading: its words are a heading's ("I. Introduction", "I. First, we …", "I. Analysis"), or
    an "II." line follows, or its line is a short title in capitals with more text below it. Not a
    heading: "I. <option I's text>", "I. It cannot be A or B."
    """
    m = _HEADING_OPENING.match(text)
    if m is None:
        return False
    line, _, below = text[m.end() :].partition("\n")
    if not line.strip():  # "I" alone on its line: the heading's title is the next line
        line, _, below = below.lstrip().partition("\n")
    title = line.strip().strip("*").strip()
    if options is not None and _names_option_i(title, options):
        return False
    if _HEADING_WORDS.match(title) or _OUTLINE_NEXT.search(below):
        return True
    words = [w for w in re.findall(r"[^\W\d_][\w'’-]*", title) if len(w) > 3]
    return (
        bool(below.strip())
        and bool(words)
        and len(title) <= 80
        and not _SENTENCE_END.search(title)
        and all(w[0].isupper() for w in words)
    )


def _names_option_i(title: str, options: Mapping[str, str]) -> bool:
    if "I" not in options:
        return False
    for cut in [*(m.start() for m in re.finditer(r"[.;,!?](?:\s|$)|\s[-–—]\s", title)), len(title)]:
        if option_letter(title[:cut], options) == "I":
            return True
    return False
