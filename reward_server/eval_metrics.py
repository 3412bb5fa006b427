"""The numbers an offline evaluation reports: component means, pass@k and maj@k per prompt group."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any

from pebble import ProcessPool

from reward_server.rewards.math import answers_equivalent  # the accuracy checker's equivalence, symmetric

# A sample counts as correct when this component scored it 1 (exactly: rule-based checks are 0/1).
CORRECTNESS_COMPONENT = "accuracy"
# Seconds one vote comparison may take (`(10^{10})!` against `3` runs for ever in sympy).
EQUIVALENCE_TIMEOUT_S = 5.0


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k of Chen et al. 2021: 1 - C(n-c, k) / C(n, k), as their numerically stable product.

    >>> pass_at_k(10, 0, 5), pass_at_k(10, 10, 1), round(pass_at_k(4, 1, 2), 4)
    (0.0, 1.0, 0.5)
    """
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"pass@k needs 0 <= c <= n and 1 <= k <= n (n={n}, c={c}, k={k})")
    if n - c < k:
        return 1.0
    return 1.0 - math.prod(1.0 - k / i for i in range(n - c + 1, n + 1))


Equivalence = Callable[[str, str], bool]


class BoundedEquivalence:
    """`answers_equivalent` with a time budget: each comparison runs in a worker process (started on
    the first comparison that is not a plain string match), and one that overruns `timeout_s`
    seconds, or crashes its worker, counts as different answers (the worker is replaced).
    Results are cached per pair. Use as a context manager, or call `close()`.
    """

    def __init__(self, timeout_s: float = EQUIVALENCE_TIMEOUT_S) -> None:
        self.timeout_s = timeout_s
        self._pool: ProcessPool | None = None
        self._cache: dict[tuple[str, str], bool] = {}

    def __call__(self, answer: str, other: str) -> bool:
        if answer == other:
            return True
        key = (answer, other)
        if key not in self._cache:
            if self._pool is None:
                self._pool = ProcessPool(max_workers=1)
            future = self._pool.schedule(answers_equivalent, args=key, timeout=self.timeout_s)
            try:
                self._cache[key] = bool(future.result())
            except Exception:  # noqa: BLE001 - over its budget (TimeoutError) or the worker died
                self._cache[key] = False
        return self._cache[key]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.stop()
            self._pool.join(timeout=10)
            self._pool = None

    def __enter__(self) -> BoundedEquivalence:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def majority_correct(
    samples: Sequence[tuple[str | None, bool]], equivalent: Equivalence | None = None
) -> bool:
    """maj@n (the R1 paper's cons@64): is the most frequent answer, counted by equivalence class, correct?

    Samples vote with their extracted answer; equivalent answers (`answers_equivalent`) are one class,
    represented by the first seen. The largest class wins, ties going to the class seen first, and
    the vote is correct when that class's first sample was scored correct. Samples without an answer
    do not vote; when none has one, the majority is a miss (False). `equivalent` defaults to a
    `BoundedEquivalence` (each comparison within `EQUIVALENCE_TIMEOUT_S`).
    """
    if equivalent is None:
        with BoundedEquivalence() as bounded:
            return majority_correct(samples, bounded)
    first_seen: dict[str, int] = {}  # each distinct answer string and its first sample
    votes: Counter[str] = Counter()
    for index, (answer, _) in enumerate(samples):
        if answer is not None:
            first_seen.setdefault(answer, index)
            votes[answer] += 1
    # Distinct strings are compared, not samples: a group of 64 usually holds a handful of answers.
    classes: list[list[str]] = []  # distinct answers per class, the first seen first
    for answer in first_seen:
        for members in classes:
            if equivalent(answer, members[0]):
                members.append(answer)
                break
        else:
            classes.append([answer])
    if not classes:
        return False
    winner = max(classes, key=lambda members: sum(votes[a] for a in members))  # first of equals wins
    return samples[first_seen[winner[0]]][1]


def default_ks(sizes: Iterable[int]) -> list[int]:
    """1, 2, 4, ... up to the largest group, and every group's own size.

    >>> default_ks([3, 5])
    [1, 2, 3, 4, 5]
    """
    sizes = [n for n in sizes if n > 0]
    if not sizes:
        return []
    largest = max(sizes)
    return sorted({2**e for e in range(largest.bit_length()) if 2**e <= largest} | set(sizes))


def _correct(row: Mapping[str, Any]) -> bool | None:
    score = row.get("scores", {}).get(CORRECTNESS_COMPONENT)
    return None if score is None else score == 1.0


def _details(row: Mapping[str, Any]) -> Mapping[str, Any]:
    details = row.get("details", {}).get(CORRECTNESS_COMPONENT)
    return details if isinstance(details, Mapping) else {}


def _extracted(row: Mapping[str, Any]) -> str | None:
    """The one answer a sample committed to; None for none, or for several at once (a hedge)."""
    value = _details(row).get("extracted")
    return None if value is None or isinstance(value, list) else str(value)


def _same_letter(answer: str, other: str) -> bool:
    return answer == other


def _votes(rows: Sequence[Mapping[str, Any]]) -> bool:
    """Whether the group's check extracts answers to vote with (math does; code tests do not).

    Only graded rows vote: a math check that overran its budget is an error (`failure: timeout`),
    not a miss, so it is counted in `errors` and left out of pass@k and maj@n like any error.
    """
    return any("extracted_from" in _details(r) for r in rows)


def group_summary(
    group: str,
    rows: Sequence[Mapping[str, Any]],
    ks: Sequence[int] | None = None,
    equivalent: Equivalence | None = None,
) -> dict[str, Any]:
    """n, correct count, mean reward, pass@k for each k in `ks` up to n, and maj@n of one prompt's samples.

    `ks` defaults to `default_ks([n])`. `maj` is None for a group whose check extracts no answers;
    votes compare answers with `equivalent` (default: a `BoundedEquivalence`), except multiple-choice
    groups (details `answer_kind: "letter"`), whose votes group by the extracted letter exactly.
    """
    graded = [(r, ok) for r in rows if (ok := _correct(r)) is not None]
    rewards = [r["reward"] for r in rows if r.get("reward") is not None]
    summary: dict[str, Any] = {
        "group": group,
        "n": len(rows),
        "graded": len(graded),
        "correct": sum(ok for _, ok in graded),
        "errors": sum(1 for r in rows if r.get("error")),
        "mean_reward": sum(rewards) / len(rewards) if rewards else None,
        "pass_at_k": {},
        "maj": None,
    }
    if graded:
        n, c = len(graded), summary["correct"]
        wanted = default_ks([n]) if ks is None else ks
        summary["pass_at_k"] = {str(k): pass_at_k(n, c, k) for k in wanted if k <= n}
        if _votes([r for r, _ in graded]):
            if all(_details(r).get("answer_kind") == "letter" for r, _ in graded):
                equivalent = _same_letter  # multiple choice: votes group by the extracted letter
            summary["maj"] = majority_correct([(_extracted(r), ok) for r, ok in graded], equivalent)
    return summary


def summarize(
    rows: Iterable[Mapping[str, Any]],
    ks: Sequence[int] | None = None,
    equivalence_timeout_s: float = EQUIVALENCE_TIMEOUT_S,
) -> dict[str, Any]:
    """The whole evaluation: per-component means over all rows, and per-group results with their means.

    pass@k is reported for each k in `ks` (default: `default_ks` of the group sizes), averaged over
    every group with at least k graded samples; a k no group reaches is left out. maj@n averages
    over every group whose check extracts answers; a group with no answer counts as a miss. A vote
    comparison that takes over `equivalence_timeout_s` seconds counts as different answers.
    """
    rows = list(rows)
    component_scores: dict[str, list[float]] = {}
    for row in rows:
        for name, score in row.get("scores", {}).items():
            component_scores.setdefault(name, []).append(score)
    rewards = [r["reward"] for r in rows if r.get("reward") is not None]
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for row in rows:
        if row.get("group") is not None:
            groups.setdefault(str(row["group"]), []).append(row)
    if ks is None:
        ks = default_ks(sum(1 for r in members if _correct(r) is not None) for members in groups.values())
    with BoundedEquivalence(equivalence_timeout_s) as equivalent:
        per_group = [group_summary(name, members, ks, equivalent) for name, members in groups.items()]

    pass_means: dict[str, float] = {}
    pass_groups: dict[str, int] = {}
    for k in sorted(set(ks)):
        values = [g["pass_at_k"][str(k)] for g in per_group if str(k) in g["pass_at_k"]]
        pass_groups[str(k)] = len(values)
        if values:
            pass_means[str(k)] = sum(values) / len(values)
    maj_votes = [g["maj"] for g in per_group if g["maj"] is not None]
    return {
        "rows": len(rows),
        "errors": sum(1 for r in rows if r.get("error")),
        "mean_reward": sum(rewards) / len(rewards) if rewards else None,
        "components": {
            name: {"mean": sum(values) / len(values), "count": len(values)}
            for name, values in sorted(component_scores.items())
        },
        "groups": len(per_group),
        # pass@k averages over the groups with at least k graded samples (the Codex paper's convention).
        "pass_at_k": pass_means,
        "pass_at_k_groups": pass_groups,
        "maj_at_n": sum(maj_votes) / len(maj_votes) if maj_votes else None,
        "maj_groups": len(maj_votes),
        "per_group": per_group,
    }


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def format_table(summary: Mapping[str, Any]) -> str:
    """The summary as the plain-text table `reward-server eval` prints."""
    lines = [
        f"rows {summary['rows']}   errors {summary['errors']}   mean reward {_fmt(summary['mean_reward'])}"
    ]
    lines.append("")
    lines.append(f"{'component':<24}{'mean':>10}{'count':>10}")
    for name, stats in summary["components"].items():
        lines.append(f"{name:<24}{_fmt(stats['mean']):>10}{stats['count']:>10}")
    if summary["groups"]:
        lines.append("")
        lines.append(f"groups {summary['groups']}")
        lines.append(f"{'metric':<24}{'value':>10}")
        for k, value in summary["pass_at_k"].items():
            lines.append(f"{'pass@' + k:<24}{_fmt(value):>10}")
        for k, count in summary.get("pass_at_k_groups", {}).items():
            if count == 0:
                lines.append(f"{'pass@' + k:<24}{'-':>10}   no group has {k} graded samples")
        if summary["maj_at_n"] is not None:
            lines.append(f"{'maj@n':<24}{_fmt(summary['maj_at_n']):>10}")
    return "\n".join(lines)
