"""Which language each clause of a chain of thought is written in, and how sure that is.

A clause's language is chosen among its *candidates*. When the target writes in the clause's
script, they are every language lingua knows in that script for Cyrillic, Arabic, Devanagari...
(a Ukrainian chain of thought must not pass for Russian), and for Latin the languages models
drift into plus the target's close relatives (nb/nn/da/sv, hr/bs/sl, cs/sk/pl, id/ms...). When
the target does not write in that script, every word of it is off-target whatever its language,
and no model is asked.

Evidence, cheapest first; each clause records which one placed it:
- "script": one candidate, or the target not among them;
- "function_words": two or more function words whose languages have one in common (Latin);
- "alphabet": letters only one candidate's alphabet has (Cyrillic: і, ї, є only Ukrainian...);
- "model": lingua among the candidates, trusted when its top language has at least half of the
  confidence and leads the next by a quarter;
- "context": a clause of one or two words, or one lingua is unsure of, takes the language of the
  nearest placed clause of its script;
- "text": the clauses still open are judged together (all of the text's words in that script);
- "uncertain": lingua stays unsure even then. The clause keeps lingua's best guess as its label;
  a clause of one or two words is not counted against the target on its own: it counts for the
  target when lingua gives the target at least half the confidence of its top language (it
  cannot tell them apart), else for the top language. A longer clause counts as its best guess.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from lingua import IsoCode639_1, Language, LanguageDetector, LanguageDetectorBuilder

from reward_server.rewards.language.function_words import FUNCTION_WORDS, marker_language
from reward_server.rewards.language.scripts import languages_of_script

# The languages reasoning models drift into.
DRIFT_LANGUAGES: frozenset[str] = frozenset({"en", "zh", "ja", "ko", "ru", "fr", "de", "es", "pt", "it"})

_CODE_OF: dict[Language, str] = {lang: lang.iso_code_639_1.name.lower() for lang in Language.all()}
_LANGUAGE_OF: dict[str, Language] = {code: lang for lang, code in _CODE_OF.items()}
SUPPORTED_LANGUAGES: frozenset[str] = frozenset(_CODE_OF.values())

# Latin-script languages a model writing the key drifts into besides DRIFT_LANGUAGES.
_RELATIVES: dict[str, frozenset[str]] = {
    code: frozenset(group - {code})
    for group in (
        {"nb", "nn", "da", "sv"},
        {"hr", "bs", "sl"},
        {"cs", "sk", "pl"},
        {"id", "ms", "tl"},
        {"nl", "af", "de"},
        {"ca", "es"},
        {"lv", "lt"},
        {"et", "fi"},
        {"ro", "it"},
    )
    for code in group
}

# Cyrillic alphabets (lower case). A clause using a letter outside a language's alphabet is not
# that language.
_RUSSIAN = set("абвгдеёжзийклмнопрстуфхцчшщъыьэюя")
_ALPHABETS: dict[str, frozenset[str]] = {
    "ru": frozenset(_RUSSIAN),
    "uk": frozenset("абвгґдеєжзиіїйклмнопрстуфхцчшщьюя'"),
    "be": frozenset("абвгдеёжзійклмнопрстуўфхцчшыьэюя'"),
    "bg": frozenset("абвгдежзийклмнопрстуфхцчшщъьюя"),
    "sr": frozenset("абвгдђежзијклљмнњопрстћуфхцчџш"),
    "mk": frozenset("абвгдѓежзѕијклљмнњопрстќуфхцчџш"),
    "kk": frozenset(_RUSSIAN | set("әғқңөұүһі")),
    "mn": frozenset(_RUSSIAN | set("өү")),
}
# Kazakh and Mongolian write every Russian letter too; a clause of three or more words without
# any of their own letters is taken not to be theirs.
_OWN_LETTERS = {"kk": frozenset("әғқңөұүһі"), "mn": frozenset("өү")}

_SHORT_CLAUSE_WORDS = 2
_SURE_CONFIDENCE = 0.5
_SURE_LEAD = 0.25


@dataclass(frozen=True, slots=True)
class ClauseLabel:
    """A clause's language (ISO 639-1, a script tag, or "und"), the evidence that placed it, and
    the language its words are counted for (the same unless the clause is uncertain)."""

    language: str
    evidence: str
    counted: str = ""

    @property
    def counted_as(self) -> str:
        return self.counted or self.language


@cache
def candidates(script: str, target: str) -> frozenset[str]:
    """The languages a clause in `script` is judged among, for chains of thought in `target`."""
    of_script = languages_of_script(script, SUPPORTED_LANGUAGES)
    if target not in of_script:
        return of_script & DRIFT_LANGUAGES
    if script == "Latn":
        return of_script & (DRIFT_LANGUAGES | {target} | _RELATIVES.get(target, frozenset()))
    return of_script


# Models are loaded lazily, never with `with_preloaded_language_models()`: preloading runs on
# rayon's thread pool, and a process forked after that (a pool worker replaced after a timeout)
# hangs forever the next time it preloads. `warm_up` loads the models by using them instead.
@cache
def clause_detector(languages: frozenset[str]) -> LanguageDetector:
    codes = [IsoCode639_1.from_str(code) for code in sorted(languages)]
    return LanguageDetectorBuilder.from_iso_codes_639_1(*codes).build()


# Text that loads a script's models: a short one with a five-letter word (lingua loads the n-gram
# models up to the longest word's length) and a long one (its trigram models, used from 120
# characters on), written only with letters every candidate's alphabet has (lingua loads no
# models of a language whose alphabet lacks a letter of the text: "ё" would skip Ukrainian).
_WARM_UP_TEXT = {
    "Latn": "warm models",
    "Cyrl": "работа сестра",
    "Arab": "سلامت مسلمان",
    "Deva": "नमस्ते दुनिया",
}


def load_detectors(targets: Sequence[str]) -> None:
    """Load the lingua models chains of thought in `targets` are judged with, so that no item
    pays for them (loading takes seconds, more than an item's budget)."""
    for target in targets:
        for script, text in _WARM_UP_TEXT.items():
            languages = candidates(script, target)
            if target in languages and len(languages) > 1:
                detector = clause_detector(languages)
                for sample in (text, f"{text} " * 12):
                    detector.detect_language_of(sample)


def _confidences(words: list[str], languages: frozenset[str]) -> dict[str, float]:
    """lingua's confidence per candidate, highest first (empty when it has no opinion)."""
    values = clause_detector(languages).compute_language_confidence_values(" ".join(words))
    return {_CODE_OF[value.language]: value.value for value in values if value.value > 0}


def _verdict(confidences: dict[str, float]) -> tuple[str, bool]:
    """The top language and whether lingua is sure of it."""
    if not confidences:
        return "und", False
    ranked = list(confidences.values())
    lead = ranked[0] - (ranked[1] if len(ranked) > 1 else 0.0)
    return next(iter(confidences)), ranked[0] >= _SURE_CONFIDENCE and lead >= _SURE_LEAD


def _model(words: list[str], languages: frozenset[str]) -> tuple[str, bool]:
    return _verdict(_confidences(words, languages))


def _by_alphabet(words: list[str], languages: frozenset[str]) -> frozenset[str]:
    letters = set("".join(words))
    left = frozenset(code for code in languages if letters <= _ALPHABETS.get(code, letters))
    if len(words) >= 3:
        left = frozenset(code for code in left if code not in _OWN_LETTERS or letters & _OWN_LETTERS[code])
    return left or languages


def label_clauses(clauses: list[tuple[str, list[str]]], target: str) -> list[ClauseLabel]:
    """Each clause's language and evidence; see the module docstring."""
    labels: list[ClauseLabel | None] = []
    guesses: dict[int, str] = {}
    open_: list[int] = []
    for index, (script, words) in enumerate(clauses):
        languages = candidates(script, target)
        if target not in languages:
            labels.append(ClauseLabel(next(iter(languages)) if len(languages) == 1 else script, "script"))
            continue
        if len(languages) == 1:
            labels.append(ClauseLabel(target, "script"))
            continue
        label: ClauseLabel | None = None
        if script == "Latn" and languages <= FUNCTION_WORDS.keys():
            found = marker_language(words)
            label = None if found is None else ClauseLabel(found, "function_words")
        elif script == "Cyrl":
            languages = _by_alphabet(words, languages)
            if len(languages) == 1:
                label = ClauseLabel(next(iter(languages)), "alphabet")
        if label is None and len(words) > _SHORT_CLAUSE_WORDS:
            guess, sure = _model(words, languages)
            if sure:
                label = ClauseLabel(guess, "model")
            else:
                guesses[index] = guess
        labels.append(label)
        if label is None:
            open_.append(index)
    if open_:
        _settle(clauses, labels, guesses, open_, target)
    return [label or ClauseLabel("und", "uncertain") for label in labels]


def _settle(
    clauses: list[tuple[str, list[str]]],
    labels: list[ClauseLabel | None],
    guesses: dict[int, str],
    open_: list[int],
    target: str,
) -> None:
    """Place the open clauses by context, then by their script's open text taken together."""
    nearest = _nearest_placed(clauses, labels)
    for index in open_:
        if nearest[index] is not None:
            labels[index] = ClauseLabel(nearest[index], "context")  # type: ignore[arg-type]
    by_script: dict[str, list[int]] = {}
    for index in open_:
        if labels[index] is None:
            by_script.setdefault(clauses[index][0], []).append(index)
    for script, indices in by_script.items():
        words = [word for index in indices for word in clauses[index][1]]
        languages = candidates(script, target)
        if script == "Cyrl":
            languages = _by_alphabet(words, languages)
        confidences = _confidences(words, languages) if len(languages) > 1 else {min(languages): 1.0}
        guess, sure = _verdict(confidences)
        top = next(iter(confidences.values()), 0.0)
        plausible = top > 0 and confidences.get(target, 0.0) >= 0.5 * top
        for index in indices:
            if sure:
                labels[index] = ClauseLabel(guess, "text")
                continue
            alone = guesses.get(index)
            if alone is None:
                alone = guess if len(indices) == 1 else _model(clauses[index][1], languages)[0]
            short = len(clauses[index][1]) <= _SHORT_CLAUSE_WORDS
            counted = target if short and plausible else (alone if not short else guess)
            labels[index] = ClauseLabel(alone, "uncertain", counted)


def _nearest_placed(
    clauses: list[tuple[str, list[str]]], labels: list[ClauseLabel | None]
) -> list[str | None]:
    """For each clause, the language of the nearest placed clause of its script: the previous
    one when there is one, else the next."""
    nearest: list[str | None] = [None] * len(clauses)
    for order in (range(len(clauses) - 1, -1, -1), range(len(clauses))):
        last: dict[str, str] = {}
        for index in order:
            script = clauses[index][0]
            if script in last:
                nearest[index] = last[script]
            label = labels[index]
            if label is not None and label.language != "und":
                last[script] = label.language
    return nearest
