"""The language-consistency reward (DeepSeek-R1): how much of a chain of thought is written in the
target language.

Modules, in the order a chain of thought goes through them:

- `prose`: what is written in no natural language is left out (code, LaTeX, markup, URLs,
  numbers, math symbols); the rest is cut into clauses of one script each;
- `scripts`: Unicode scripts and which languages write in each;
- `code_lines`, `symbols`: unfenced code and math written with letters, left out;
- `identify`: each clause's language among its candidates, with the evidence that placed it;
- `function_words`: the function-word fast path for Latin-script clauses;
- `han`: Chinese or Japanese, sentence by sentence;
- `reward`: the score and its details; the prompt's language;
- `component`: the pool component.
"""

from __future__ import annotations

from reward_server.rewards.language.component import LanguageComponent, score_language_batch
from reward_server.rewards.language.identify import _CODE_OF, _label_clauses
from reward_server.rewards.language.reward import (
    DRIFT_LANGUAGES,
    SUPPORTED_LANGUAGES,
    detect_prompt_language,
    measure_language,
    normalize_language,
    score_language,
    warm_up,
)

__all__ = [
    "DRIFT_LANGUAGES",
    "SUPPORTED_LANGUAGES",
    "LanguageComponent",
    "detect_prompt_language",
    "measure_language",
    "normalize_language",
    "score_language",
    "score_language_batch",
    "warm_up",
]
# `_CODE_OF` and `_label_clauses` stay importable from here for the benchmark and older callers.
_ = (_CODE_OF, _label_clauses)
