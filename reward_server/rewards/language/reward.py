"""The language-consistency reward (DeepSeek-R1): how much of the chain of thought is written in
the target language.

How a chain of thought is measured:

1. Take the `<think>` block (else the whole completion) and blank out what is written in no
   natural language (`prose.py`): code blocks, inline code and unfenced code lines
   (`code_lines.py`), LaTeX, markup, URLs, numbers, identifiers, and math written with letters
   (`symbols.py`): lone letters in any script (`x`, `θ`), point labels (`AB`, `ABC`), function
   names (`sin`, `log`).
2. Split the rest by Unicode script (`scripts.py`). Scripts written without spaces (Han, kana,
   Hangul, Thai) are counted by characters; all others by words. Han characters are told Chinese
   or Japanese sentence by sentence (`han.py`).
3. Words are grouped into clauses (runs of one script between sentence punctuation, line breaks
   and text in other scripts), and each clause is placed among its candidate languages
   (`identify.py`: script, function words, alphabet, lingua, context), with the evidence that
   placed it. A short clause whose language stays uncertain is not counted against the target
   when the target is a plausible reading of it.
4. score = target units / all counted units. Nothing countable (an empty or all-math chain of
   thought) scores 0 with `details["reason"]`: a reward must not pay for saying nothing.

`details` says what was counted and why: `units` per language, `evidence` (units per kind of
evidence), `excluded` (what was left out, by kind) and `uncertain` (the first clauses whose
language stayed uncertain: lingua's best guess and the language they were counted for).

Target: the item's `language` (ISO 639-1; "EN", "zh-CN", "pt_BR" are read as "en", "zh", "pt";
an unknown code is the item's error, naming the field), else the language of the prompt: the
script most of the prompt is written in, then lingua among all languages of that script, trusted
when it gives its top language at least half of the confidence and otherwise among the drift
languages of that script. Prompt verdicts are cached: GRPO sends each prompt once per sample.

Why lingua: on our labelled set of chain-of-thought clauses (benchmarks/bench_language.py) lingua
restricted to the candidates is the most accurate of lingua, langdetect and langid, and it is
deterministic and ships its models in the wheel. It is also the slowest per clause (0.25-0.4 ms),
so it only sees the clauses the script, function-word and alphabet fast paths cannot decide.

Example: `score_language("<think>Let me think. 我们先算一下.</think>", target="en", prompt=None)`
counts 3 English words against 6 Chinese characters and scores 3 / 9 ≈ 0.33.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import cache, lru_cache
from typing import Any

from lingua import IsoCode639_1, Language, LanguageDetector, LanguageDetectorBuilder

from reward_server.rewards.base import ComponentScore, Failure, ItemError
from reward_server.rewards.language import han
from reward_server.rewards.language.identify import (
    _CODE_OF,
    _LANGUAGE_OF,
    DRIFT_LANGUAGES,
    SUPPORTED_LANGUAGES,
    candidates,
    clause_detector,
    label_clauses,
    load_detectors,
)
from reward_server.rewards.language.prose import read_prose
from reward_server.rewards.language.scripts import languages_of_script
from reward_server.rewards.text import tag_block

__all__ = [
    "DRIFT_LANGUAGES",
    "SUPPORTED_LANGUAGES",
    "detect_prompt_language",
    "measure_language",
    "normalize_language",
    "score_language",
    "warm_up",
]

# Codes people write that lingua spells differently.
_ALIASES = {"no": "nb", "iw": "he", "in": "id", "fil": "tl"}
_CHARACTER_LANGUAGE = {"Hang": "ko", "Thai": "th"}
_UNCERTAIN_SHOWN = 10


def normalize_language(code: str) -> str:
    """An ISO 639-1 code lingua supports, from what an item may carry ("en", "EN", "zh-Hans",
    "pt_BR"); raises ItemError naming the `language` field otherwise."""
    primary = re.split(r"[-_]", code.strip(), maxsplit=1)[0].lower()
    primary = _ALIASES.get(primary, primary)
    if primary not in SUPPORTED_LANGUAGES:
        raise ItemError(
            f"unsupported `language` code {code!r}: expected an ISO 639-1 code such as "
            f"'en' or 'zh' (supported: {', '.join(sorted(SUPPORTED_LANGUAGES))})",
            failure=Failure.INVALID_ITEM,
        )
    return primary


@cache
def _script_detector(script: str) -> LanguageDetector:
    """All of lingua's languages written in `script`, for prompts, with trigram models only
    (lingua's low-accuracy mode, all it uses from 120 characters on anyway): the 1- to 5-gram
    models of the 45 Latin languages alone take ~900 MB per process."""
    codes = [IsoCode639_1.from_str(code) for code in sorted(languages_of_script(script, SUPPORTED_LANGUAGES))]
    return LanguageDetectorBuilder.from_iso_codes_639_1(*codes).with_low_accuracy_mode().build()


def warm_up(*, prompt_detection: bool = True) -> None:
    """Load the models a process needs before its first item (the pool initializer calls this):
    those of the Latin drift languages, the Han character sets and, optionally, the Latin prompt
    detector's (≈90 MB). Other targets' models (a Russian target brings every Cyrillic language:
    ≈100 MB, ≈5 s) are loaded by `LanguageComponent` before the first batch that needs them."""
    load_detectors(("en",))
    han.warm_up()
    if prompt_detection:
        _script_detector("Latn").detect_language_of("warm up the models " * 8)


class Measure:
    """Units of prose per language (characters for CJK/Thai, words otherwise), units per kind of
    evidence, what was excluded, and the uncertain clauses."""

    def __init__(self) -> None:
        self.units: Counter[str] = Counter()
        self.evidence: Counter[str] = Counter()
        self.excluded: dict[str, int] = {}
        self.uncertain: list[dict[str, str]] = []


def measure_language(text: str, target: str) -> Measure:
    """Measure `text` for `target`; words lingua can place nowhere go to
    `excluded["undetermined_words"]`."""
    prose = read_prose(text)
    measure = Measure()
    measure.excluded = prose.excluded
    undetermined = 0
    for (_, words), label in zip(prose.clauses, label_clauses(prose.clauses, target), strict=True):
        measure.evidence[label.evidence] += len(words)
        if label.evidence == "uncertain" and len(measure.uncertain) < _UNCERTAIN_SHOWN:
            measure.uncertain.append(
                {"clause": " ".join(words), "best_guess": label.language, "counted_as": label.counted_as}
            )
        if label.counted_as == "und":
            undetermined += len(words)
        else:
            measure.units[label.counted_as] += len(words)
    if undetermined:
        measure.excluded["undetermined_words"] = undetermined
    if prose.han_sentences:
        units, evidence = han.han_units(prose.han_sentences)
        measure.units.update(units)
        measure.evidence.update(evidence)
    for script, count in prose.characters.items():
        if script in _CHARACTER_LANGUAGE:
            measure.units[_CHARACTER_LANGUAGE[script]] += count
            measure.evidence["script"] += count
    return measure


@lru_cache(maxsize=4096)  # GRPO sends every prompt once per sampled completion
def detect_prompt_language(prompt: str) -> str:
    """The language a prompt is written in (ISO 639-1), judged among lingua's languages that use
    the prompt's dominant script (among the drift languages when lingua is unsure); raises
    ItemError when there is nothing to judge."""
    prose = read_prose(prompt)
    clauses, characters = prose.clauses, prose.characters
    weight: dict[str, float] = {}
    words_of: dict[str, list[str]] = {}
    for script, words in clauses:
        weight[script] = weight.get(script, 0) + len(words)
        words_of.setdefault(script, []).extend(words)
    for script, count in characters.items():
        # About 1.5 CJK characters carry what one word does.
        weight[script] = weight.get(script, 0) + count / 1.5
    if "Kana" in weight:  # kanji and kana together are Japanese
        weight["Kana"] += weight.pop("Hani", 0.0)
    if not weight:
        raise ItemError(
            "no target language: the item has no `language` and its prompt has no prose to "
            "detect one from; set `language` to an ISO 639-1 code such as 'en'",
            failure=Failure.INVALID_ITEM,
        )
    script = max(weight, key=weight.__getitem__)
    of_script = languages_of_script(script, SUPPORTED_LANGUAGES)
    if script == "Hani":
        return "zh"
    if len(of_script) == 1:
        return next(iter(of_script))
    text = " ".join(words_of[script])
    # Among all the languages of a script lingua needs some text to be sure ("What is 1/2 + 1/2?"
    # comes out German at 16 % among the 45 Latin ones). Its verdict stands when it gives its top
    # language at least half of the confidence; otherwise the prompt is judged among the drift
    # languages of that script. A short prompt in a language outside them should carry `language`.
    values = _script_detector(script).compute_language_confidence_values(text)
    drift = candidates(script, "en")
    best = values[0] if values and values[0].value > 0 else None
    found: Language | None = best.language if best is not None else None
    if (best is None or best.value < 0.5) and drift:
        found = (
            clause_detector(drift).detect_language_of(text) if len(drift) > 1 else _LANGUAGE_OF[min(drift)]
        )
    if found is None:
        raise ItemError(
            "no target language: the item has no `language` and its prompt's language could "
            "not be detected; set `language` to an ISO 639-1 code such as 'en'",
            failure=Failure.INVALID_ITEM,
        )
    return _CODE_OF[found]


def score_language(
    completion: str, *, target: str | None, prompt: str | None, think_tag: str = "think"
) -> ComponentScore:
    """Share of the chain of thought written in the target language, in [0, 1].

    `target` is the item's `language` (ISO 639-1); when None it is detected from `prompt`.
    >>> completion = "<think>Wir rechnen die Summe. We compute the sum.</think>"
    >>> score_language(completion, target="en", prompt=None).score
    0.5
    """
    if target is not None:
        language, detected = normalize_language(target), False
    elif prompt:
        language, detected = detect_prompt_language(prompt), True
    else:
        raise ItemError(
            "no target language: set the item's `language` (ISO 639-1, e.g. 'en') "
            "or send a prompt to detect it from",
            failure=Failure.INVALID_ITEM,
        )
    block = tag_block(completion, think_tag)
    measure = measure_language(completion if block is None else block, language)
    units = measure.units
    total = sum(units.values())
    details: dict[str, Any] = {
        "target": language,
        "target_detected": detected,
        "scored": "completion" if block is None else think_tag,
        "units": dict(units.most_common()),
        "evidence": dict(measure.evidence.most_common()),
        "excluded": measure.excluded,
    }
    if measure.uncertain:
        details["uncertain"] = measure.uncertain
    if total == 0:
        reason = "nothing countable: no prose left once code, LaTeX, numbers and symbols are out"
        details.update(share=0.0, reason=reason)
        return ComponentScore(0.0, details)
    share = units[language] / total
    details["share"] = round(share, 4)
    return ComponentScore(share, details)
