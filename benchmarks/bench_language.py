"""Benchmark of the language-consistency reward: accuracy on labelled clauses, and throughput on
2,000-character chains of thought against a named baseline, in one run.

Baseline ("lingua per sentence"): what one writes first with lingua: split the chain of thought
at sentence punctuation, `detect_language_of` each sentence with a detector restricted to the same
drift languages, count its words (characters for CJK). Same processes, same items, same run.

    PYTHONPATH=$PWD python benchmarks/bench_language.py [--items 4000] [--parts single,pool,http]
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

from lingua import IsoCode639_1, Language, LanguageDetector, LanguageDetectorBuilder
from pebble import ProcessPool

from benchmarks.language_corpus import LATIN_DRIFT, Cot, load_clauses, make_cots
from reward_server.rewards.language import (
    DRIFT_LANGUAGES,
    score_language,
    warm_up,
)
from reward_server.rewards.language.identify import label_clauses
from reward_server.rewards.language.prose import read_prose

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


def iso_code(language: Language | None) -> str | None:
    """lingua's answer as an ISO 639-1 code, None when it found none."""
    return None if language is None else language.iso_code_639_1.name.lower()


def baseline_score(completion: str, target: str) -> float:
    assert _baseline_detector is not None
    start, end = completion.find("<think>"), completion.find("</think>")
    text = completion[start + 7 : end] if 0 <= start < end else completion
    units: Counter[str] = Counter()
    for sentence in _SENTENCE.findall(text):
        found = _baseline_detector.detect_language_of(sentence)
        if found is not None:
            cjk = len(_CJK.findall(sentence))
            units[found.iso_code_639_1.name.lower()] += cjk if cjk else len(sentence.split())
    total = sum(units.values())
    return units[target] / total if total else 0.0


def ours_score(completion: str, target: str) -> float:
    return score_language(completion, target=target, prompt=None).score


def score_chunk(scorer: str, chunk: list[tuple[str, str]]) -> tuple[list[float], float]:
    """Scores and the CPU seconds this worker spent on them."""
    fn = ours_score if scorer == "ours" else baseline_score
    start = time.process_time()
    scores = [fn(completion, target) for completion, target in chunk]
    return scores, time.process_time() - start


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and all its descendants (Linux /proc)."""
    total = 0.0
    stack = [pid]
    tick = os.sysconf("SC_CLK_TCK")
    while stack:
        current = stack.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for task in Path(f"/proc/{current}/task").iterdir():
                stack += [int(child) for child in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def capacity(cpu_s: float, count: int, cores: int = 2) -> str:
    """Load-independent figure: what `cores` idle cores would sustain at this CPU cost per item."""
    per_item_ms = cpu_s / count * 1e3
    return f"{per_item_ms:.3f} CPU-ms each -> {cores * 1e3 / per_item_ms:,.0f}/s on {cores} idle cores"


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
        for (_, words), label in zip(clauses, label_clauses(clauses, "en"), strict=True):
            votes[label.language or "und"] += len(words)
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
        "lingua, 6 candidates": lambda t: iso_code(restricted.detect_language_of(t)),
        "lingua, all 75 languages": lambda t: iso_code(everything.detect_language_of(t)),
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
        start, cpu_start = time.perf_counter(), time.process_time()
        scores = [fn(c.completion, c.target) for c in cots]
        elapsed, cpu_s = time.perf_counter() - start, time.process_time() - cpu_start
        results[name] = (elapsed, scores)
        print(f"{name:32s} {len(cots) / elapsed:8.0f} completions/s   {capacity(cpu_s, len(cots))}")
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
            cpu_s = sum(future.result()[1] for future in futures)
            rates[scorer] = len(items) / (time.perf_counter() - start)
            print(f"{scorer:10s} {rates[scorer]:8.0f} completions/s   {capacity(cpu_s, len(items), workers)}")
    ratio = rates["ours"] / rates["baseline"]
    print(f"ratio reward / baseline: {ratio:.1f}x  (target: >= 1,000 completions/s)")


def bench_http(cots: list[Cot], workers: int, batch_size: int, in_flight: int) -> None:
    """Through the real service: `python -m reward_server serve` in a subprocess, POST /v1/score."""
    import asyncio
    import socket
    import subprocess

    import httpx

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "REWARD_SERVER_CPU_WORKERS": str(workers), "REWARD_SERVER_LOG_LEVEL": "warning"}
    command = [sys.executable, "-m", "reward_server", "serve", "--port", str(port)]
    server = subprocess.Popen(command, env=env)
    url = f"http://127.0.0.1:{port}"
    items = [{"completion": c.completion, "language": c.target} for c in cots]
    batches = [items[i : i + batch_size] for i in range(0, len(items), batch_size)]
    print(
        f"\n## Through POST /v1/score: {workers} pool workers, batches of {batch_size}, {in_flight} in flight"
    )

    async def run() -> None:
        async with httpx.AsyncClient(base_url=url, timeout=300) as client:
            for _ in range(600):
                try:
                    if (await client.get("/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
            # The first batch waits for the workers to load their models.
            warm = await client.post("/v1/score", json={"items": items[:64], "rewards": {"language": 1.0}})
            warm.raise_for_status()
            gate = asyncio.Semaphore(in_flight)

            async def post(batch: list[dict[str, str]]) -> int:
                async with gate:
                    response = await client.post(
                        "/v1/score", json={"items": batch, "rewards": {"language": 1.0}}
                    )
                    response.raise_for_status()
                    return sum(result["error"] is None for result in response.json()["results"])

            start, server_cpu, client_cpu = time.perf_counter(), cpu_seconds(server.pid), time.process_time()
            scored = sum(await asyncio.gather(*(post(batch) for batch in batches)))
            elapsed = time.perf_counter() - start
            server_cpu = cpu_seconds(server.pid) - server_cpu
            client_cpu = time.process_time() - client_cpu
            rate = len(items) / elapsed
            print(f"service   {rate:8.0f} completions/s  ({scored}/{len(items)} scored without error)")
            print(f"server and its workers: {capacity(server_cpu, len(items), workers)}")
            print(
                f"(the HTTP client in this process spent {client_cpu / len(items) * 1e3:.3f} CPU-ms per item)"
            )

    try:
        asyncio.run(run())
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=4000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--chunk-size", type=int, default=64)
    parser.add_argument(
        "--parts", default="clauses,single,pool,http", help="comma-separated: clauses,single,pool,http"
    )
    parser.add_argument("--batch-size", type=int, default=256, help="items per POST /v1/score")
    parser.add_argument("--in-flight", type=int, default=2, help="concurrent requests")
    args = parser.parse_args()
    print(f"cores: {os.cpu_count()}, load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    parts = set(args.parts.split(","))
    if "clauses" in parts:
        bench_clauses()
    cots = make_cots(args.items)
    mean_chars = statistics.fmean(len(c.completion) for c in cots)
    print(f"\ncorpus: {Counter(c.kind for c in cots)}, mean completion {mean_chars:.0f} characters")
    if "single" in parts:
        bench_single(cots[: args.items // 4])
    if "pool" in parts:
        bench_pool(cots, args.workers, args.chunk_size)
    if "http" in parts:
        bench_http(cots, args.workers, args.batch_size, args.in_flight)


if __name__ == "__main__":
    main()
