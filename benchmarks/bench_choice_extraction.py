"""Multiple-choice letter extraction: reward-server's `extract_choice` against lighteval's extractive
match for letters (`IndicesExtractionConfig`), on data sets the second and third of which nobody on
this team wrote.

    /work/venvs/lighteval/bin/python -m benchmarks.bench_choice_extraction \
        [--nemo-gym-repo PATH]  # a checkout of NVIDIA-NeMo/Gym, for its MCQA example rollouts

(lighteval 0.13.0 installed with `pip install --no-deps lighteval==0.13.0` plus sacrebleu,
scikit-learn, pytablewriter, nltk and pandas, in a venv with the system site packages; without it
only our column is printed.)

Data sets, each case a completion and the letter a grader should read (None: no single letter):
- `corpus`: tests/reward_server/rewards/choice_corpus.py (R1 / Qwen / Llama / simple-evals /
  MMLU-Pro styles; labels ours).
- `lighteval-tests`: the English letter cases of lighteval's tests/unit/metrics/test_extractive_match.py
  (`test_extraction_abc`), the expected letter read from their gold and verdict.
- `lighteval-tests-zh`: the Chinese letter cases of the same file (`test_multilingual_extraction_abc`);
  lighteval runs them with `Language.CHINESE`.
- `nemo-gym-tests`: NeMo-Gym's resources_servers/mcqa/tests/test_app.py cases for the markdown-aware
  `Answer:` mode and the box forms (their expected extraction; an ambiguous list expects None).
- `nemo-gym-rollouts`: NeMo-Gym's resources_servers/mcqa/data/example_rollouts*.jsonl, 10 real
  gpt-4.1 completions; the expected letter is the one the completion states (read by hand, noted
  where NeMo-Gym's strict boxed mode extracts something else).

Each case is judged against every letter of its set as the gold: FN = the expected letter is the
gold and the verdict is 0; FP = the verdict is 1 for a gold the completion does not commit to.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path

from reward_server.rewards.choice import extract_choice
from tests.reward_server.rewards.choice_corpus import CASES

Case = tuple[str, str, str, Mapping[str, str] | None, str | None]
Extractor = Callable[[str, str, Mapping[str, str] | None], str | None]

# lighteval tests/unit/metrics/test_extractive_match.py, test_extraction_abc (English): (pred, letter).
LIGHTEVAL_CASES: list[Case] = [
    ("le-1", "thinking about it I think the correct answer is C", "ABCD", None, "C"),
    (
        "le-2",
        "Let's think step by step. It's not A because it doesn't make sense, therefore I think it's B",
        "ABCD",
        None,
        "B",
    ),
    ("le-3", "The answer is for sure D, it can't be A or B", "ABCD", None, "D"),
    ("le-4", "The answer: D, it doesn't make sense for it to be A or B", "ABCD", None, "D"),
    ("le-5", "D. it can't be A or B", "ABCD", None, "D"),
    ("le-6", "D", "ABCD", None, "D"),
    ("le-7", "C", "ABCD", None, "C"),
    ("le-8", "A", "ABCD", None, "A"),
]
# lighteval test_extractive_match.py, test_multilingual_extraction_abc (Chinese): (pred, letter).
LIGHTEVAL_ZH_CASES: list[Case] = [
    ("le-zh-1", "B。 不是 A", "ABCD", None, "B"),
    ("le-zh-2", "B。不是 A", "ABCD", None, "B"),
    ("le-zh-3", "B不是 A", "ABCD", None, "B"),
]
# NeMo-Gym resources_servers/mcqa/tests/test_app.py (lenient_answer_colon_md and box forms).
_OPT = {letter: f"opt{letter}" for letter in "ABCD"}
_OPT10 = {letter: f"opt{letter}" for letter in "ABCDEFGHIJ"}
NEMO_GYM_CASES: list[Case] = [
    ("ng-boxed-bracket", "Final: \\boxed{ [C] }", "ABCD", _OPT, "C"),
    ("ng-boxed-text", "Final: \\boxed{ optC }", "ABCD", _OPT, "C"),
    ("ng-colon-lower", "Answer: c", "ABCD", _OPT, "C"),
    ("ng-colon-text", "Answer: optC", "ABCD", _OPT, "C"),
    ("ng-selected", "Option Selected: B", "ABCD", _OPT, "B"),
    ("ng-reconsider", "Maybe Answer: A? Let me reconsider. Final Answer: B", "ABCD", _OPT, "B"),
    ("ng-final-choice", "Final Choice: B", "ABCD", _OPT, "B"),
    ("ng-boxed", "\\boxed{B}", "ABCD", _OPT, "B"),
    ("ng-plain", "The answer is B.\n\nAnswer: B", "ABCD", _OPT, "B"),
    ("ng-bold", "Reasoning here.\n\n**Answer: C**", "ABCD", _OPT, "C"),
    ("ng-underscore", "__Answer__: A", "ABCD", _OPT, "A"),
    ("ng-because", "Answer: B because C is not valid", "ABCD", _OPT, "B"),
    ("ng-repeated", "Answer: B/B", "ABCD", _OPT, "B"),
    ("ng-dollar", "Answer: $D$", "ABCD", _OPT, "D"),
    ("ng-paren", "Answer: (D)", "ABCD", _OPT, "D"),
    ("ng-boxed-answer", "\\boxed{\\text{Answer: G}}", "ABCDEFGHIJ", _OPT10, "G"),
    ("ng-unknown", "Answer: unknown", "ABCD", _OPT, None),
    ("ng-disallowed", "Answer: G", "ABCD", _OPT, None),
    ("ng-list-abc", "Answer: A/B/C", "ABCD", _OPT, None),
    ("ng-list-bi", "Answer: B/I", "ABCDEFGHIJ", _OPT10, None),
    ("ng-list-bold", "**Answer: D/H**", "ABCDEFGHIJ", _OPT10, None),
    ("ng-or", "Answer: A or B", "ABCD", _OPT, None),
    ("ng-and", "Answer: A and B", "ABCD", _OPT, None),
    ("ng-comma", "Answer: A, B", "ABCD", _OPT, None),
    ("ng-rightmost", "Answer: A\nAnswer: B", "ABCD", _OPT, "B"),
    ("ng-fallback-unknown", "Answer: B\nAnswer: unknown", "ABCD", _OPT, "B"),
    ("ng-fallback-disallowed", "Answer: B\nAnswer: G", "ABCD", _OPT, "B"),
    ("ng-fallback-list", "Answer: B\nAnswer: A/B/C", "ABCD", _OPT, "B"),
    ("ng-no-pattern", "I think it might be B but I'm not sure", "ABCD", _OPT, None),
]
# Read by hand: the rollout that boxes "C: <option C's text>" states C (NeMo-Gym's strict mode reads
# nothing); the first rollout states H (gold I).
_ROLLOUT_STATED = {0: "H", 1: "E", 2: "C", 3: "E", 4: "B", 5: "B", 6: "E", 7: "I", 8: "E", 9: "C"}
_OPTION_LINE = re.compile(r"^([A-J]):\s*(.+)$", re.MULTILINE)


def nemo_gym_rollouts(repo: Path) -> list[Case]:
    cases: list[Case] = []
    for name in ("example_rollouts.jsonl", "example_rollouts_with_template_metadata.jsonl"):
        text = subprocess.run(
            ["git", "-C", str(repo), "show", f"HEAD:resources_servers/mcqa/data/{name}"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for line in text.splitlines():
            row = json.loads(line)
            prompt = row["responses_create_params"]["input"][0]["content"]
            options = dict(_OPTION_LINE.findall(prompt))
            messages = [o for o in row["response"]["output"] if o.get("type") == "message"]
            completion = "".join(c["text"] for c in messages[-1]["content"])
            index = len(cases)
            cases.append((f"rollout-{index}", completion, "".join(options), options, _ROLLOUT_STATED[index]))
    return cases


def ours(completion: str, letters: str, options: Mapping[str, str] | None) -> str | None:
    return extract_choice(completion, letters, options).letter


def lighteval_extractor(without_anchor: bool, language: str = "ENGLISH") -> Extractor | None:
    try:
        from lighteval.metrics.utils.extractive_match_utils import (
            IndicesExtractionConfig,
            extract_target_from_pred,
            get_extraction_regexes,
        )
        from lighteval.tasks.requests import Doc
        from lighteval.utils.language import Language
    except ImportError:
        return None
    config = IndicesExtractionConfig(
        prefix_for_extraction="NativeLetters", try_extract_without_anchor=without_anchor
    )

    def extract(completion: str, letters: str, options: Mapping[str, str] | None) -> str | None:
        doc = Doc(query="", choices=[options.get(x, x) if options else x for x in letters], gold_index=0)
        regexes = get_extraction_regexes(doc, [config], Language[language])
        found = extract_target_from_pred(completion, regexes)
        return str(found[0]) if found else None

    return extract


def score(cases: list[Case], extractor: Extractor) -> tuple[int, int, int, int, list[str]]:
    """(FN, positives, FP, negatives, disagreeing case names) over every (case, gold letter) pair."""
    fn = fp = positives = negatives = 0
    wrong: list[str] = []
    for name, completion, letters, options, expected in cases:
        got = extractor(completion, letters, options)
        if got != expected:
            wrong.append(f"{name}: {got!r} (expected {expected!r})")
        for gold in letters:
            if gold == expected:
                positives += 1
                fn += got != gold
            else:
                negatives += 1
                fp += got == gold
    return fn, positives, fp, negatives, wrong


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nemo-gym-repo", type=Path, default=Path("/work/.mirror/NVIDIA-NeMo+Gym/repo"))
    parser.add_argument(
        "--verbose", action="store_true", help="list each disagreement with the expected letter"
    )
    args = parser.parse_args()
    sets: dict[str, list[Case]] = {
        "corpus": list(CASES),
        "lighteval-tests": LIGHTEVAL_CASES,
        "lighteval-tests-zh": LIGHTEVAL_ZH_CASES,
        "nemo-gym-tests": NEMO_GYM_CASES,
    }
    if (args.nemo_gym_repo / ".git").exists() or (args.nemo_gym_repo / "HEAD").exists():
        sets["nemo-gym-rollouts"] = nemo_gym_rollouts(args.nemo_gym_repo)
    print(f"{'data set':<20}{'extractor':<24}{'cases':>6}{'wrong':>7}{'FN':>12}{'FP':>12}")
    for set_name, cases in sets.items():
        language = "CHINESE" if set_name.endswith("-zh") else "ENGLISH"
        extractors: dict[str, Extractor | None] = {
            "reward-server": ours,
            "lighteval (anchored)": lighteval_extractor(False, language),
            "lighteval (no anchor)": lighteval_extractor(True, language),
        }
        for ex_name, extractor in extractors.items():
            if extractor is None:
                continue
            fn, pos, fp, neg, wrong = score(cases, extractor)
            print(
                f"{set_name:<20}{ex_name:<24}{len(cases):>6}{len(wrong):>7}{f'{fn}/{pos}':>12}{f'{fp}/{neg}':>12}"
            )
            if args.verbose:
                for line in wrong:
                    print(f"    {line}")
    timing([case for cases in sets.values() for case in cases])
    least_cpu_time([case for cases in sets.values() for case in cases])


def timing(cases: list[Case], repeats: int = 50) -> None:
    """Seconds per completion: `check_choice` against math's `extract_answer` (the inline math step) on the
    same completions, medians of `repeats` passes."""
    import statistics
    import time

    from reward_server.rewards.choice import check_choice
    from reward_server.rewards.math.extraction import extract_answer

    def per_item(fn: Callable[[Case], object]) -> float:
        passes = []
        for _ in range(repeats):
            start = time.perf_counter()
            for case in cases:
                fn(case)
            passes.append((time.perf_counter() - start) / len(cases))
        return statistics.median(passes)

    choice = per_item(lambda c: check_choice(c[1], c[4] or c[2][0], c[2], c[3]))
    math = per_item(lambda c: extract_answer(c[1]))
    print(
        f"\ncheck_choice {choice * 1e6:.0f} us/item, math extract_answer {math * 1e6:.0f} us/item, "
        f"ratio {choice / math:.2f} ({len(cases)} completions, median of {repeats} passes)"
    )


def least_cpu_time(cases: list[Case], repeats: int = 40) -> None:
    """The least CPU time (`time.process_time`) per completion of `check_choice` over `repeats` passes: on a
    loaded shared host it moves far less than wall-clock medians, so two commits can be compared by it."""
    import time

    from reward_server.rewards.choice import check_choice

    least = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        for case in cases:
            check_choice(case[1], case[4] or case[2][0], case[2], case[3])
        least = min(least, time.process_time() - start)
    print(f"check_choice least CPU time {least / len(cases) * 1e6:.0f} us/item (least of {repeats} passes)")


if __name__ == "__main__":
    main()
