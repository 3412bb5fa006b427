"""Chinese or Japanese: Han characters are shared, so each sentence is judged on its own.

Evidence, strongest first:
- kana (hiragana, katakana) only ever mean Japanese;
- characters of Chinese only: in GB 2312 (simplified Chinese) or in Big5's common level
  (traditional), but not in JIS X 0208 (every kanji Japanese text normally uses): 们, 这, 说...;
- characters of Japanese only: JIS X 0208 level 1 (the common kanji) in neither Chinese set,
  mostly the shinjitai forms: 図, 対, 発, 続, 駅...;
- in a sentence without kana, characters of Chinese grammar (的, 是, 了, 吗...).
The character sets come from the codecs of Python's standard library, not from a list of ours.
On lingua's test sentences (benchmarks/bench_language_lid.py) 727 of 729 Chinese sentences hold a
Chinese-only character and none of 412 Japanese ones do.

A sentence without evidence (all its characters are shared, "答案是五") takes the language of
the nearest sentence that has some; when none has, the text's kana share decides (Japanese when
kana are at least a fifth of its Han and kana together).
"""

from __future__ import annotations

import re
from collections import Counter
from functools import cache

_KANA_SHARE_FOR_JAPANESE = 0.2
_KANA = re.compile(r"[\u3040-\u30FF\u31F0-\u31FF\uFF66-\uFF9F]")
# Characters of Chinese grammar (particles, copula, aspect) that Japanese writes in kana: in a
# sentence without kana they are evidence for Chinese ("首先求方程的根" has no character of
# Chinese only, but 的 there is Chinese grammar).
_CHINESE_GRAMMAR = re.compile("[的是了就都也很吗呢吧把被着]")


def _two_bytes(char: str, codec: str) -> bytes | None:
    try:
        encoded = char.encode(codec)
    except UnicodeEncodeError:
        return None
    return encoded if len(encoded) == 2 else None


@cache
def _evidence() -> tuple[re.Pattern[str], re.Pattern[str]]:
    chinese, japanese = [], []
    for code in range(0x4E00, 0xA000):
        char = chr(code)
        jis = _two_bytes(char, "euc_jp")
        gb = _two_bytes(char, "gb2312")
        big5 = _two_bytes(char, "big5")
        common_traditional = big5 is not None and (big5[0] << 8 | big5[1]) <= 0xC67E
        if jis is None and (gb is not None or common_traditional):
            chinese.append(char)
        elif jis is not None and jis[0] <= 0xCF and gb is None and big5 is None:  # JIS level 1
            japanese.append(char)
    return re.compile(f"[{''.join(chinese)}]"), re.compile(f"[{''.join(japanese)}]")


def warm_up() -> None:
    """Build the character sets (≈50 ms) before the first item."""
    _evidence()


def may_be_japanese(text: str) -> bool:
    """Whether `text` holds kana or a character of Japanese only."""
    return _KANA.search(text) is not None or _evidence()[1].search(text) is not None


def _verdict(han: str, kana: int) -> str | None:
    chinese_only, japanese_only = _evidence()
    chinese = len(chinese_only.findall(han)) if han else 0
    if han and not kana:
        chinese += len(_CHINESE_GRAMMAR.findall(han))
    japanese = kana + (len(japanese_only.findall(han)) if han else 0)
    if chinese > japanese:
        return "zh"
    if japanese > chinese:
        return "ja"
    return None


def han_units(sentences: list[tuple[str, int]]) -> tuple[Counter[str], Counter[str]]:
    """Characters per language ("zh", "ja") over sentences of (Han characters, kana count), and
    characters per kind of evidence ("characters", "context", "text")."""
    units: Counter[str] = Counter()
    evidence: Counter[str] = Counter()
    chinese_only, japanese_only = _evidence()
    all_han = "".join(han for han, _ in sentences)
    all_kana = sum(kana for _, kana in sentences)
    if not all_kana and japanese_only.search(all_han) is None:
        # Nothing Japanese anywhere (the common Chinese chain of thought): all of it is Chinese.
        chinese = chinese_only.search(all_han) or _CHINESE_GRAMMAR.search(all_han)
        units["zh"] = len(all_han)
        evidence["characters" if chinese else "text"] = len(all_han)
        return units, evidence
    verdicts = [_verdict(han, kana) for han, kana in sentences]
    nearest = _nearest(verdicts)
    fallback: str | None = None
    for index, (han, kana) in enumerate(sentences):
        units["ja"] += kana
        evidence["characters"] += kana
        if not han:
            continue
        language, how = verdicts[index], "characters"
        if language is None:
            language, how = nearest[index], "context"
        if language is None:
            if fallback is None:
                share = all_kana / (len(all_han) + all_kana)
                fallback = "ja" if share >= _KANA_SHARE_FOR_JAPANESE else "zh"
            language, how = fallback, "text"
        units[language] += len(han)
        evidence[how] += len(han)
    return +units, +evidence


def _nearest(verdicts: list[str | None]) -> list[str | None]:
    """For each position, the nearest verdict before or after it (the earlier one on a tie)."""
    size = len(verdicts)
    before: list[tuple[int, str] | None] = [None] * size
    after: list[tuple[int, str] | None] = [None] * size
    last: tuple[int, str] | None = None
    for index, verdict in enumerate(verdicts):
        if verdict is not None:
            last = (index, verdict)
        before[index] = last
    last = None
    for index in range(size - 1, -1, -1):
        if verdicts[index] is not None:
            last = (index, verdicts[index])  # type: ignore[assignment]
        after[index] = last
    nearest: list[str | None] = []
    for index in range(size):
        options = [
            (abs(index - found[0]), order, found[1])
            for order, found in enumerate((before[index], after[index]))
            if found is not None
        ]
        nearest.append(min(options)[2] if options else None)
    return nearest
