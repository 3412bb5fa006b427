"""The language-consistency reward (DeepSeek-R1): how much of the chain of thought is written in
the target language.

How a chain of thought is measured:

1. Take the `<think>` block (else the whole completion) and blank out what is written in no
   natural language: code blocks and inline code, LaTeX (display, inline, bare commands), markup
   tags, URLs and e-mail addresses, code-like identifiers and numbers (`prose.py`).
2. Split the rest by Unicode script (`scripts.py`). Scripts written without spaces (Han, kana,
   Hangul, Thai) are counted by characters; all others by words. Han characters are Japanese when
   the text's kana make up at least a fifth of its Han + kana (Japanese prose is mostly kana,
   Chinese has none), otherwise Chinese.
3. Words are grouped into clauses (runs of one script between sentence punctuation, line breaks
   and text in other scripts). A clause's language is chosen among its *candidates*: the target
   plus the languages models drift into (`DRIFT_LANGUAGES`), restricted to those written in the
   clause's script. No model is needed when there is one candidate (Cyrillic text with target
   "ru") or when the target is not among them (every Latin word in a Chinese chain of thought is
   off-target, whatever its language; such words are reported under the script tag, e.g.
   "Latn"). Otherwise (Latin text with target "en": English, French, German...?):
   - a clause with at least two function words whose languages have exactly one language in
     common is that language (`function_words.py`): the fast path; on our labelled clauses it
     never disagrees with the labels;
   - a clause of one or two words without such evidence takes the language of its nearest
     decided neighbour of the same script (lingua guesses poorly on single words);
   - every other clause goes to lingua, restricted to the candidates.
   A lone letter or a clause of lone letters ("let x be", "设 x 为") is a math symbol, not a word.
4. score = target units / all counted units. Nothing countable (an empty or all-math chain of
   thought) scores 0 with `details["reason"]`: a reward must not pay for saying nothing.

Target: the item's `language` (ISO 639-1; "EN", "zh-CN", "pt_BR" are read as "en", "zh", "pt";
an unknown code is the item's error, naming the field), else the language of the prompt: the
script most of the prompt is written in, then lingua among all languages of that script, trusted
when it gives its top language at least half of the confidence and otherwise among the drift
languages of that script. Prompt verdicts are cached: GRPO sends each prompt once per sample.

Why lingua: on our labelled set of chain-of-thought clauses (benchmarks/bench_language.py) lingua
restricted to the candidates is the most accurate of lingua, langdetect and langid, and it is
deterministic and ships its models in the wheel. It is also the slowest per clause (0.25-0.4 ms;
4-5 CPU-ms for a 2,000-character chain of thought sentence by sentence), so it only sees the
clauses the script and function-word fast paths cannot decide (under one per chain of thought).

Example: `score_language("<think>Let me think. 我们先算一下.</think>", target="en", prompt=None)`
counts 3 English words against 6 Chinese characters and scores 3 / 9 ≈ 0.33.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import Sequence
from functools import cache, lru_cache
from typing import Any

from lingua import IsoCode639_1, Language, LanguageDetector, LanguageDetectorBuilder

from reward_server.cpu_pool import CpuPool, WorkerCrashed
from reward_server.rewards.base import ComponentScore, ItemError
from reward_server.rewards.language.function_words import FUNCTION_WORDS, marker_language
from reward_server.rewards.language.prose import read_prose
from reward_server.rewards.language.scripts import languages_of_script
from reward_server.rewards.text import completion_text, prompt_text, tag_block
from reward_server.schemas import ScoreItem

__all__ = [
    "DRIFT_LANGUAGES",
    "SUPPORTED_LANGUAGES",
    "LanguageComponent",
    "normalize_language",
    "score_language",
    "score_language_batch",
    "warm_up",
]

# The languages reasoning models drift into: a clause is only ever judged among these and the
# target, which fixes most of lingua's errors on short text.
DRIFT_LANGUAGES: frozenset[str] = frozenset({"en", "zh", "ja", "ko", "ru", "fr", "de", "es", "pt", "it"})

_CODE_OF: dict[Language, str] = {lang: lang.iso_code_639_1.name.lower() for lang in Language.all()}
_LANGUAGE_OF: dict[str, Language] = {code: lang for lang, code in _CODE_OF.items()}
SUPPORTED_LANGUAGES: frozenset[str] = frozenset(_CODE_OF.values())
# Codes people write that lingua spells differently.
_ALIASES = {"no": "nb", "iw": "he", "in": "id", "fil": "tl"}

_KANA_SHARE_FOR_JAPANESE = 0.2
_SHORT_CLAUSE_WORDS = 2

_CHARACTER_LANGUAGE = {"Hang": "ko", "Thai": "th", "Kana": "ja"}


def normalize_language(code: str) -> str:
    """An ISO 639-1 code lingua supports, from what an item may carry ("en", "EN", "zh-Hans",
    "pt_BR"); raises ItemError naming the `language` field otherwise."""
    primary = re.split(r"[-_]", code.strip(), maxsplit=1)[0].lower()
    primary = _ALIASES.get(primary, primary)
    if primary not in SUPPORTED_LANGUAGES:
        raise ItemError(
            f"unsupported `language` code {code!r}: expected an ISO 639-1 code such as "
            f"'en' or 'zh' (supported: {', '.join(sorted(SUPPORTED_LANGUAGES))})"
        )
    return primary


@cache
def _candidates(script: str, target: str) -> frozenset[str]:
    return languages_of_script(script, SUPPORTED_LANGUAGES) & (DRIFT_LANGUAGES | {target})


# Models are loaded lazily, never with `with_preloaded_language_models()`: preloading runs on
# rayon's thread pool, and a process forked after that (a pool worker replaced after a timeout)
# hangs forever the next time it preloads. `warm_up` loads the models by using them instead.
@cache
def _clause_detector(candidates: frozenset[str]) -> LanguageDetector:
    codes = [IsoCode639_1.from_str(code) for code in sorted(candidates)]
    return LanguageDetectorBuilder.from_iso_codes_639_1(*codes).build()


@cache
def _script_detector(script: str) -> LanguageDetector:
    """All of lingua's languages written in `script`, for prompts, with trigram models only
    (lingua's low-accuracy mode, all it uses from 120 characters on anyway): the 1- to 5-gram
    models of the 45 Latin languages alone take ~900 MB per process."""
    codes = [IsoCode639_1.from_str(code) for code in sorted(languages_of_script(script, SUPPORTED_LANGUAGES))]
    return LanguageDetectorBuilder.from_iso_codes_639_1(*codes).with_low_accuracy_mode().build()


def warm_up(*, prompt_detection: bool = True) -> None:
    """Load the models a process needs before its first item (the pool initializer calls this):
    the drift languages' Latin models and, optionally, the Latin prompt detector's (≈90 MB)."""
    # A short text loads the 1- to 5-gram models, a long one the trigram models lingua uses from
    # 120 characters on.
    for sample in ("warm up", "warm up the models " * 8):
        _clause_detector(_candidates("Latn", "en")).detect_language_of(sample)
    if prompt_detection:
        _script_detector("Latn").detect_language_of("warm up the models " * 8)


def _label_clauses(clauses: list[tuple[str, list[str]]], target: str) -> list[str | None]:
    """Each clause's language code (or script tag when no language needs to be told)."""
    labels: list[str | None] = []
    pending: list[int] = []
    for index, (script, words) in enumerate(clauses):
        candidates = _candidates(script, target)
        if target not in candidates:
            labels.append(next(iter(candidates)) if len(candidates) == 1 else script)
        elif len(candidates) == 1:
            labels.append(target)
        else:
            label = marker_language(words) if candidates <= FUNCTION_WORDS.keys() else None
            labels.append(label)
            if label is None:
                pending.append(index)
    if not pending:
        return labels
    # Short undecided clauses follow their neighbours; the rest (and orphans) go to lingua.
    for_model = [i for i in pending if len(clauses[i][1]) > _SHORT_CLAUSE_WORDS]
    _detect(clauses, for_model, labels, target)
    orphans = []
    for index in pending:
        if labels[index] is None:
            labels[index] = _neighbour_label(clauses, labels, index)
            if labels[index] is None:
                orphans.append(index)
    _detect(clauses, orphans, labels, target)
    return labels


def _neighbour_label(
    clauses: list[tuple[str, list[str]]], labels: list[str | None], index: int
) -> str | None:
    script = clauses[index][0]
    for step in (-1, 1):
        other = index + step
        while 0 <= other < len(clauses):
            if clauses[other][0] == script and labels[other] not in (None, "und"):
                return labels[other]
            other += step
    return None


def _detect(
    clauses: list[tuple[str, list[str]]], indices: list[int], labels: list[str | None], target: str
) -> None:
    for index in indices:
        script, words = clauses[index]
        detector = _clause_detector(_candidates(script, target))
        found = detector.detect_language_of(" ".join(words))
        labels[index] = "und" if found is None else _CODE_OF[found]


def measure_language(text: str, target: str) -> tuple[Counter[str], dict[str, int]]:
    """Units of prose per language (characters for CJK/Thai, words otherwise) and what was
    excluded. Clauses lingua cannot place are counted under "und"."""
    prose = read_prose(text)
    units: Counter[str] = Counter()
    for (_, words), label in zip(prose.clauses, _label_clauses(prose.clauses, target), strict=True):
        units[label or "und"] += len(words)
    characters = prose.characters
    han, kana = characters.get("Hani", 0), characters.get("Kana", 0)
    if han:
        units["ja" if kana >= _KANA_SHARE_FOR_JAPANESE * (han + kana) else "zh"] += han
    for script, count in characters.items():
        if script != "Hani":
            units[_CHARACTER_LANGUAGE[script]] += count
    return units, prose.excluded


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
            "detect one from; set `language` to an ISO 639-1 code such as 'en'"
        )
    script = max(weight, key=weight.__getitem__)
    candidates = languages_of_script(script, SUPPORTED_LANGUAGES)
    if script == "Hani":
        return "zh"
    if len(candidates) == 1:
        return next(iter(candidates))
    text = " ".join(words_of[script])
    # Among all the languages of a script lingua needs some text to be sure ("What is 1/2 + 1/2?"
    # comes out German at 16 % among the 45 Latin ones). Its verdict stands when it gives its top
    # language at least half of the confidence; otherwise the prompt is judged among the drift
    # languages of that script. A short prompt in a language outside them should carry `language`.
    values = _script_detector(script).compute_language_confidence_values(text)
    drift = _candidates(script, "en")
    best = values[0] if values and values[0].value > 0 else None
    found: Language | None = best.language if best is not None else None
    if (best is None or best.value < 0.5) and drift:
        found = (
            _clause_detector(drift).detect_language_of(text) if len(drift) > 1 else _LANGUAGE_OF[min(drift)]
        )
    if found is None:
        raise ItemError(
            "no target language: the item has no `language` and its prompt's language could "
            "not be detected; set `language` to an ISO 639-1 code such as 'en'"
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
            "or send a prompt to detect it from"
        )
    block = tag_block(completion, think_tag)
    units, excluded = measure_language(completion if block is None else block, language)
    undetermined = units.pop("und", 0)
    if undetermined:
        excluded["undetermined_words"] = undetermined
    total = sum(units.values())
    details: dict[str, Any] = {
        "target": language,
        "target_detected": detected,
        "scored": "completion" if block is None else think_tag,
        "units": dict(units.most_common()),
        "excluded": excluded,
    }
    if total == 0:
        details.update(share=0.0, reason="nothing countable: no prose left once code, LaTeX, numbers are out")
        return ComponentScore(0.0, details)
    share = units[language] / total
    details["share"] = round(share, 4)
    return ComponentScore(share, details)


Request = tuple[str, str | None, str | None]  # (completion, target, prompt)


def score_language_batch(requests: list[Request], think_tag: str) -> list[ComponentScore | ItemError]:
    """`score_language` over several items in one pool task; an item's ItemError is its result."""
    results: list[ComponentScore | ItemError] = []
    for completion, target, prompt in requests:
        try:
            results.append(score_language(completion, target=target, prompt=prompt, think_tag=think_tag))
        except ItemError as exc:
            results.append(exc)
    return results


class LanguageComponent:
    """Scores items on the CPU pool in chunks: one pool round trip costs about what scoring a
    completion does, so items travel in chunks sized to keep every worker busy.

    The time budget stays per item: a chunk gets one item's budget (a healthy chunk of 64 takes
    well under a tenth of it); a chunk that overruns is scored again item by item, each with the
    full budget, so only the item that really overran gets the timeout error.
    """

    name = "language"

    def __init__(
        self, pool: CpuPool, timeout_s: float, think_tag: str = "think", max_chunk: int = 64
    ) -> None:
        self.pool, self.timeout_s, self.think_tag, self.max_chunk = pool, timeout_s, think_tag, max_chunk

    async def score(self, items: Sequence[ScoreItem]) -> list[ComponentScore | ItemError]:
        requests: list[Request] = [
            (completion_text(item.completion), item.language, prompt_text(item.prompt) or None)
            for item in items
        ]
        # Four chunks per worker balance uneven chunks without paying a round trip per item.
        size = max(1, min(self.max_chunk, -(-len(requests) // (4 * self.pool.workers))))
        chunks = [requests[start : start + size] for start in range(0, len(requests), size)]
        scored = await asyncio.gather(*(self._chunk(chunk) for chunk in chunks))
        return [result for chunk_results in scored for result in chunk_results]

    async def _chunk(self, chunk: list[Request]) -> list[ComponentScore | ItemError]:
        try:
            return await self.pool.run(score_language_batch, chunk, self.think_tag, timeout_s=self.timeout_s)
        except TimeoutError:
            if len(chunk) == 1:
                return [ItemError(f"exceeded the {self.timeout_s} s budget")]
        except WorkerCrashed as exc:
            if len(chunk) == 1:
                return [ItemError(str(exc))]
        retried = await asyncio.gather(*(self._chunk([request]) for request in chunk))
        return [result for results in retried for result in results]
