"""Benchmark of the language-consistency reward: accuracy on labelled clauses, and throughput on
2,000-character chains of thought against a named baseline, in one run.

Baseline ("lingua per sentence"): what one writes first with lingua: split the chain of thought
at sentence punctuation, `detect_language_of` each sentence with a detector restricted to the same
drift languages, count its words (characters for CJK). Same processes, same items, same run.

    PYTHONPATH=$PWD python benchmarks/bench_language.py [--items 4000] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from language_corpus import LATIN_DRIFT, Cot, load_clauses, make_cots  # noqa: E402
from lingua import IsoCode639_1, LanguageDetector, LanguageDetectorBuilder  # noqa: E402
from pebble import ProcessPool  # noqa: E402

from reward_server.rewards.language import (  # noqa: E402
    _CODE_OF,
    DRIFT_LANGUAGES,
    _label_clauses,
    score_language,
    warm_up,
)
from reward_server.rewards.prose import read_prose  # noqa: E402

# --- the baseline ------------------------------------------------------------------------------
_SENTENCE = re.compile(r"[^.!?。！？\n]+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_baseline_detector: LanguageDetector | None = None


def baseline_warm_up() -> None:
    global _baseline_detector
    codes = [IsoCode639_1.from_str(code) for code in sorted(DRIFT_LANGUAGES)]
    _baseline_detector = LanguageDetectorBuilder.from_iso_codes_639_1(*codes).build()
    for sample in ("warm up", "warm up the models " * 8, "预热模型", "準備します", "준비", "разогрев"):
        _baseline_detector.detect_language_of(sample)


def baseline_score(completion: str, target: str) -> float:
    assert _baseline_detector is not None
    start, end = completion.find("<think>"), completion.find("</think>")
    text = completion[start + 7 : end] if 0 <= start < end else completion
    units: Counter[str] = Counter()
    for sentence in _SENTENCE.findall(text):
        found = _baseline_detector.detect_language_of(sentence)
        if found is not None:
            cjk = len(_CJK.findall(sentence))
            units[_CODE_OF[found]] += cjk if cjk else len(sentence.split())
    total = sum(units.values())
    return units[target] / total if total else 0.0


def ours_score(completion: str, target: str) -> float:
    return score_language(completion, target=target, prompt=None).score


def score_chunk(scorer: str, chunk: list[tuple[str, str]]) -> list[float]:
    fn = ours_score if scorer == "ours" else baseline_score
    return [fn(completion, target) for completion, target in chunk]


def warm_both() -> None:
    warm_up(prompt_detection=False)
    baseline_warm_up()


# --- clause accuracy ---------------------------------------------------------------------------
def clause_methods() -> dict[str, Callable[[str], str | None]]:
    import langdetect
    from langid.langid import LanguageIdentifier, model

    langdetect.DetectorFactory.seed = 0
    six = IsoCode639_1.from_str
    restricted = LanguageDetectorBuilder.from_iso_codes_639_1(*map(six, LATIN_DRIFT)).build()
    everything = LanguageDetectorBuilder.from_all_languages().build()
    langid_all = LanguageIdentifier.from_modelstring(model, norm_probs=True)
    langid_six = LanguageIdentifier.from_modelstring(model, norm_probs=True)
    langid_six.set_languages(list(LATIN_DRIFT))

    def ours(text: str) -> str | None:
        clauses = read_prose(text).clauses
        votes: Counter[str] = Counter()
        for (_, words), label in zip(clauses, _label_clauses(clauses, "en"), strict=True):
            votes[label or "und"] += len(words)
        return votes.most_common(1)[0][0] if votes else None

    def langdetect_any(text: str) -> str | None:
        try:
            return str(langdetect.detect(text))
        except langdetect.LangDetectException:
            return None

    def langdetect_six(text: str) -> str | None:
        try:
            found = [p.lang for p in langdetect.detect_langs(text) if p.lang in LATIN_DRIFT]
        except langdetect.LangDetectException:
            return None
        return found[0] if found else None

    return {
        "reward (fast paths + lingua, 6 candidates)": ours,
        "lingua, 6 candidates": lambda t: _CODE_OF.get(restricted.detect_language_of(t)),  # type: ignore[arg-type]
        "lingua, all 75 languages": lambda t: _CODE_OF.get(everything.detect_language_of(t)),  # type: ignore[arg-type]
        "langdetect 1.0.9 (seeded)": langdetect_any,
        "langdetect, best of 6": langdetect_six,
        "langid 1.1.6": lambda t: str(langid_all.classify(t)[0]),
        "langid, 6 candidates": lambda t: str(langid_six.classify(t)[0]),
    }


def bench_clauses() -> None:
    rows = [(language, clause) for language, clause in load_clauses() if language in LATIN_DRIFT]
    print(f"\n## Clause accuracy: {len(rows)} labelled Latin-script clauses ({', '.join(LATIN_DRIFT)})")
    print(f"{'method':44s} {'right':>8s} {'short (<=3 words)':>18s} {'ms/clause':>10s}")
    for name, method in clause_methods().items():
        for _, clause in rows:  # load lazily-loaded models before timing
            method(clause)
        start = time.perf_counter()
        found = [method(clause) for _, clause in rows]
        elapsed = time.perf_counter() - start
        right = sum(f == language for f, (language, _) in zip(found, rows, strict=True))
        short = [
            (f, language)
            for f, (language, clause) in zip(found, rows, strict=True)
            if len(clause.split()) <= 3
        ]
        short_right = sum(f == language for f, language in short)
        print(
            f"{name:44s} {right:>4d}/{len(rows):<3d} {short_right:>10d}/{len(short):<7d}"
            f" {elapsed / len(rows) * 1e3:>10.3f}"
        )


# --- chains of thought ---------------------------------------------------------------------------
def bench_single(cots: list[Cot]) -> None:
    print(f"\n## One process, {len(cots)} chains of thought of 2,000 characters")
    warm_both()
    results = {}
    for name, fn in (
        ("baseline: lingua per sentence", baseline_score),
        ("reward: score_language", ours_score),
    ):
        start = time.perf_counter()
        scores = [fn(c.completion, c.target) for c in cots]
        elapsed = time.perf_counter() - start
        results[name] = (elapsed, scores)
        print(
            f"{name:32s} {len(cots) / elapsed:8.0f} completions/s  ({elapsed / len(cots) * 1e3:.3f} ms each)"
        )
    (base_t, base_s), (ours_t, ours_s) = results.values()
    print(f"ratio reward / baseline: {base_t / ours_t:.1f}x")
    by_kind: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for cot, b, o in zip(cots, base_s, ours_s, strict=True):
        by_kind[cot.kind].append((b, o))
    print(f"{'kind':10s} {'n':>5s} {'baseline mean':>14s} {'reward mean':>12s}")
    for kind, pairs in sorted(by_kind.items()):
        b_mean = statistics.fmean(b for b, _ in pairs)
        o_mean = statistics.fmean(o for _, o in pairs)
        print(f"{kind:10s} {len(pairs):5d} {b_mean:14.3f} {o_mean:12.3f}")


def bench_pool(cots: list[Cot], workers: int, chunk_size: int) -> None:
    print(f"\n## {workers} worker processes (pebble), chunks of {chunk_size} items per task")
    items = [(c.completion, c.target) for c in cots]
    chunks = [items[i : i + chunk_size] for i in range(0, len(items), chunk_size)]
    rates = {}
    with ProcessPool(max_workers=workers, initializer=warm_both) as pool:
        pool.schedule(score_chunk, args=("ours", items[:8])).result()  # wait for the initializers
        for _ in range(workers):
            pool.schedule(score_chunk, args=("baseline", items[:8])).result()
        for scorer in ("baseline", "ours"):
            start = time.perf_counter()
            futures = [pool.schedule(score_chunk, args=(scorer, chunk)) for chunk in chunks]
            for future in futures:
                future.result()
            rates[scorer] = len(items) / (time.perf_counter() - start)
            print(f"{scorer:10s} {rates[scorer]:8.0f} completions/s")
    print(
        f"ratio reward / baseline: {rates['ours'] / rates['baseline']:.1f}x  (target: >= 1,000 completions/s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=4000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--chunk-size", type=int, default=64)
    parser.add_argument("--skip-clauses", action="store_true")
    args = parser.parse_args()
    print(f"cores: {os.cpu_count()}, load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if not args.skip_clauses:
        bench_clauses()
    cots = make_cots(args.items)
    mean_chars = statistics.fmean(len(c.completion) for c in cots)
    print(f"\ncorpus: {Counter(c.kind for c in cots)}, mean completion {mean_chars:.0f} characters")
    bench_single(cots[: args.items // 4])
    bench_pool(cots, args.workers, args.chunk_size)


if __name__ == "__main__":
    main()
