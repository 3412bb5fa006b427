"""The numbers an offline evaluation reports: component means, pass@k and maj@k per prompt group."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

# A sample counts as correct when this component scored it 1 (exactly: rule-based checks are 0/1).
CORRECTNESS_COMPONENT = "accuracy"


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


def majority_correct(samples: Sequence[tuple[str | None, bool]]) -> bool | None:
    """maj@k (the R1 paper's cons@64): is the most frequent extracted answer a correct one?

    Samples without an extracted answer do not vote; ties go to the answer seen first. None when no sample
    has an answer to vote with (e.g. code tasks).
    """
    votes = Counter(answer for answer, _ in samples if answer is not None)
    if not votes:
        return None
    best = max(votes.values())
    winner = next(answer for answer, _ in samples if answer is not None and votes[answer] == best)
    return any(correct for answer, correct in samples if answer == winner)


def _ks(n: int) -> list[int]:
    """1, 2, 4, ... up to n, and n itself."""
    ks = [k for k in (2**e for e in range(n.bit_length())) if k <= n]
    return ks if ks[-1] == n else [*ks, n]


def _correct(row: Mapping[str, Any]) -> bool | None:
    score = row.get("scores", {}).get(CORRECTNESS_COMPONENT)
    return None if score is None else score == 1.0


def _extracted(row: Mapping[str, Any]) -> str | None:
    details = row.get("details", {}).get(CORRECTNESS_COMPONENT)
    value = details.get("extracted") if isinstance(details, Mapping) else None
    return None if value is None else str(value)


def group_summary(group: str, rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """n, correct count, mean reward, pass@k for k = 1, 2, 4, ..., n, and maj@n of one prompt's samples."""
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
        summary["pass_at_k"] = {str(k): pass_at_k(n, c, k) for k in _ks(n)}
        summary["maj"] = majority_correct([(_extracted(r), ok) for r, ok in graded])
    return summary


def summarize(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The whole evaluation: per-component means over all rows, and per-group results with their means."""
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
    per_group = [group_summary(name, members) for name, members in groups.items()]

    pass_means: dict[str, float] = {}
    for k in sorted({int(k) for g in per_group for k in g["pass_at_k"]}):
        values = [g["pass_at_k"][str(k)] for g in per_group if str(k) in g["pass_at_k"]]
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
        if summary["maj_at_n"] is not None:
            lines.append(f"{'maj@n':<24}{_fmt(summary['maj_at_n']):>10}")
    return "\n".join(lines)
