"""Writing systems: which Unicode ranges make up each script and which languages write in it.

The language reward uses this table as its fast path: CJK, Cyrillic, Arabic, Greek... need no
statistical model to be told from Latin, and a script with a single candidate language needs no
model at all. Script tags are ISO 15924 codes (`Latn`, `Cyrl`, `Hani`, ...).
"""

from __future__ import annotations

from bisect import bisect_right

# (first code point, last code point, ISO 15924 tag). Letters outside these ranges get "Zyyy"
# (common/unknown) and are not counted.
_RANGES: tuple[tuple[int, int, str], ...] = (
    (0x0041, 0x005A, "Latn"),
    (0x0061, 0x007A, "Latn"),
    (0x00AA, 0x00AA, "Latn"),
    (0x00BA, 0x00BA, "Latn"),
    (0x00C0, 0x024F, "Latn"),
    (0x0250, 0x02AF, "Latn"),
    (0x0370, 0x03FF, "Grek"),
    (0x0400, 0x052F, "Cyrl"),
    (0x0530, 0x058F, "Armn"),
    (0x0590, 0x05FF, "Hebr"),
    (0x0600, 0x06FF, "Arab"),
    (0x0750, 0x077F, "Arab"),
    (0x08A0, 0x08FF, "Arab"),
    (0x0900, 0x097F, "Deva"),
    (0x0980, 0x09FF, "Beng"),
    (0x0A00, 0x0A7F, "Guru"),
    (0x0A80, 0x0AFF, "Gujr"),
    (0x0B80, 0x0BFF, "Taml"),
    (0x0C00, 0x0C7F, "Telu"),
    (0x0E00, 0x0E7F, "Thai"),
    (0x10A0, 0x10FF, "Geor"),
    (0x1100, 0x11FF, "Hang"),
    (0x1C80, 0x1C8F, "Cyrl"),
    (0x1C90, 0x1CBF, "Geor"),
    (0x1E00, 0x1EFF, "Latn"),
    (0x1F00, 0x1FFF, "Grek"),
    (0x2C60, 0x2C7F, "Latn"),
    (0x2DE0, 0x2DFF, "Cyrl"),
    (0x2E80, 0x2FDF, "Hani"),
    (0x3005, 0x3007, "Hani"),
    (0x3040, 0x309F, "Kana"),  # hiragana; both kana are tagged Kana: they only ever mean Japanese
    (0x30A0, 0x30FF, "Kana"),
    (0x3130, 0x318F, "Hang"),
    (0x31F0, 0x31FF, "Kana"),
    (0x3400, 0x4DBF, "Hani"),
    (0x4E00, 0x9FFF, "Hani"),
    (0xA640, 0xA69F, "Cyrl"),
    (0xA720, 0xA7FF, "Latn"),
    (0xA960, 0xA97F, "Hang"),
    (0xAB30, 0xAB6F, "Latn"),
    (0xAC00, 0xD7AF, "Hang"),
    (0xD7B0, 0xD7FF, "Hang"),
    (0xF900, 0xFAFF, "Hani"),
    (0xFB00, 0xFB06, "Latn"),
    (0xFB1D, 0xFB4F, "Hebr"),
    (0xFB50, 0xFDFF, "Arab"),
    (0xFE70, 0xFEFF, "Arab"),
    (0xFF21, 0xFF3A, "Latn"),
    (0xFF41, 0xFF5A, "Latn"),
    (0xFF66, 0xFF9F, "Kana"),
    (0xFFA0, 0xFFDC, "Hang"),
    (0x20000, 0x3134F, "Hani"),
)
_STARTS = [start for start, _, _ in _RANGES]

# ISO 639-1 codes of lingua's languages by script, for the scripts lingua's own tables do not
# group (it only exposes Latin, Cyrillic, Arabic and Devanagari groupings).
SCRIPT_LANGUAGES: dict[str, frozenset[str]] = {
    "Cyrl": frozenset({"be", "bg", "kk", "mk", "mn", "ru", "sr", "uk"}),
    "Arab": frozenset({"ar", "fa", "ur"}),
    "Deva": frozenset({"hi", "mr"}),
    "Grek": frozenset({"el"}),
    "Hebr": frozenset({"he"}),
    "Armn": frozenset({"hy"}),
    "Geor": frozenset({"ka"}),
    "Beng": frozenset({"bn"}),
    "Guru": frozenset({"pa"}),
    "Gujr": frozenset({"gu"}),
    "Taml": frozenset({"ta"}),
    "Telu": frozenset({"te"}),
    "Thai": frozenset({"th"}),
    "Hang": frozenset({"ko"}),
    "Kana": frozenset({"ja"}),
    "Hani": frozenset({"zh", "ja"}),
}
_NON_LATIN = frozenset().union(*SCRIPT_LANGUAGES.values())


def script_of(char: str) -> str:
    """ISO 15924 tag of one character's script, "Zyyy" when it is none we count."""
    code = ord(char)
    if code < 0x80:  # the common case first: plain ASCII letters
        return "Latn" if char.isalpha() else "Zyyy"
    index = bisect_right(_STARTS, code) - 1
    if index >= 0:
        start, end, tag = _RANGES[index]
        if start <= code <= end:
            return tag
    return "Zyyy"


def languages_of_script(script: str, supported: frozenset[str]) -> frozenset[str]:
    """Which of the `supported` languages write in `script`."""
    if script == "Latn":
        return frozenset(code for code in supported if code not in _NON_LATIN)
    return SCRIPT_LANGUAGES.get(script, frozenset()) & supported
