"""Languages that share a script, measured on labelled text no one on this team wrote: the test
sentences, word pairs and single words lingua's authors publish (`language-testdata/` in the
lingua-py repository, drawn from the Leipzig corpora; not shipped in the wheel).

For every text in language L and every rival R written in the same script, the text is scored as a
chain of thought twice: with target L (it should score 1: a miss is a false negative, a correct
chain of thought thrown away) and with target R (it should score 0: a pass is a false positive, a
drift rewarded). A score counts as a pass at >= 0.5. Texts that hold nothing countable are
reported apart (their score is 0 whatever the target).

    git clone --depth 1 https://github.com/pemistahl/lingua-py /tmp/lingua-py
    PYTHONPATH=$PWD python benchmarks/bench_language_lid.py --testdata /tmp/lingua-py/language-testdata

Run it against another checkout (PYTHONPATH=/path/to/main) for the before/after comparison.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from reward_server.rewards.language import score_language, warm_up

GROUPS: dict[str, tuple[str, ...]] = {
    "Cyrillic": ("ru", "uk", "bg", "sr", "mk", "be"),
    "Han": ("zh", "ja"),
    "Latin (drift)": ("en", "fr", "de", "es", "pt", "it"),
    "Latin (Scandinavian)": ("nb", "da", "sv"),
}
KINDS = ("sentences", "word-pairs", "single-words")


def passes(text: str, target: str) -> bool | None:
    """Whether `text` scores >= 0.5 for `target`; None when nothing in it is countable."""
    result = score_language(f"<think>{text}</think>", target=target, prompt=None)
    if "reason" in result.details:
        return None
    return result.score >= 0.5


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--testdata", type=Path, required=True, help="lingua-py's language-testdata folder")
    parser.add_argument("--limit", type=int, default=300, help="texts per language and kind")
    parser.add_argument("--groups", default=",".join(GROUPS), help="comma-separated group names")
    args = parser.parse_args()
    warm_up(prompt_detection=False)
    header = ("group", "kind", "lang", "n", "FN (own target)", "FP (rival targets)", "empty")
    print("{:22s} {:13s} {:5s} {:>5s} {:>16s} {:>19s} {:>6s}".format(*header))
    for group in args.groups.split(","):
        languages = GROUPS[group]
        for kind in KINDS:
            totals = [0, 0, 0, 0, 0]  # texts, misses, rival trials, rival passes, empty
            start = time.perf_counter()
            for language in languages:
                path = args.testdata / kind / f"{language}.txt"
                texts = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
                texts = texts[: args.limit]
                n = misses = trials = false = empty = 0
                for text in texts:
                    own = passes(text, language)
                    if own is None:
                        empty += 1
                        continue
                    n += 1
                    misses += not own
                    for rival in languages:
                        if rival != language:
                            trials += 1
                            false += bool(passes(text, rival))
                print(
                    f"{group:22s} {kind:13s} {language:5s} {n:5d} {misses / max(n, 1):16.1%}"
                    f" {false / max(trials, 1):19.1%} {empty:6d}"
                )
                for index, value in enumerate((n, misses, trials, false, empty)):
                    totals[index] += value
            n, misses, trials, false, empty = totals
            print(
                f"{group:22s} {kind:13s} {'all':5s} {n:5d} {misses / max(n, 1):16.1%}"
                f" {false / max(trials, 1):19.1%} {empty:6d}   ({time.perf_counter() - start:.1f} s)"
            )


if __name__ == "__main__":
    main()
