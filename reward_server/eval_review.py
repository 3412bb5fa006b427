"""What an eval run's report adds to the metrics: the samples to look at, the groups GRPO learns
nothing from, what the run was (weights, date, version), and two runs side by side.

Inputs are OUTPUT rows of `reward-server eval` (`{"id", "group", "reward", "scores", "details",
"error"}`) and the summaries it writes (`OUTPUT.summary.json`).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from reward_server import __version__


def run_info(weights: Mapping[str, float] | None, where: str) -> dict[str, Any]:
    """`weights` as sent (None: the scorer's defaults), `where` it was scored, UTC date, our version."""
    return {
        "weights": dict(weights) if weights is not None else None,
        "scored_by": where,
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "version": __version__,
    }


def uniform_groups(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Groups of 2+ scored samples in which every sample got the same reward: GRPO's advantage is 0 there.

    Returns ``{"groups": n considered, "uniform": count, "share": count / n or None, "names": [...]}``.
    """
    by_group: dict[str, list[float]] = {}
    for row in rows:
        if row.get("group") is not None and row.get("reward") is not None:
            by_group.setdefault(str(row["group"]), []).append(float(row["reward"]))
    considered = {g: r for g, r in by_group.items() if len(r) >= 2}
    uniform = sorted(g for g, rewards in considered.items() if max(rewards) == min(rewards))
    return {
        "groups": len(considered),
        "uniform": len(uniform),
        "share": len(uniform) / len(considered) if considered else None,
        "names": uniform,
    }


def flagged_samples(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Samples that errored or whose accuracy is below 1, with the extracted answer and the reason."""
    flagged = []
    for row in rows:
        accuracy = (row.get("details") or {}).get("accuracy") or {}
        score = (row.get("scores") or {}).get("accuracy")
        if row.get("error"):
            kind, reason = "error", str(row["error"])
        elif score is not None and score < 1:
            kind, reason = "wrong", _reason(accuracy)
        else:
            continue
        flagged.append(
            {
                "id": row.get("id"),
                "group": row.get("group"),
                "kind": kind,
                "accuracy": score,
                "extracted": accuracy.get("extracted"),
                "reason": reason,
            }
        )
    return flagged


def _reason(accuracy: Mapping[str, Any]) -> str:
    parts = [str(accuracy[key]) for key in ("status", "reason") if accuracy.get(key)]
    if verdicts := accuracy.get("verdicts"):
        parts.append("verdicts: " + ", ".join(map(str, verdicts)))
    return "; ".join(parts) or "accuracy below 1"


def headline(summary: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """The numbers a run is judged by, in display order (shared by the report and --compare)."""
    uniform = summary.get("uniform_groups") or {}
    return [
        ("rows", summary.get("rows")),
        ("errors", summary.get("errors")),
        ("mean reward", summary.get("mean_reward")),
        *((f"mean {name}", stats["mean"]) for name, stats in (summary.get("components") or {}).items()),
        *((f"pass@{k}", v) for k, v in (summary.get("pass_at_k") or {}).items()),
        ("maj@n", summary.get("maj_at_n")),
        ("groups with one reward for all", uniform.get("share")),
    ]


def compare_summaries(a: Mapping[str, Any], b: Mapping[str, Any], names: tuple[str, str]) -> str:
    """Two runs side by side as a text table: metric, A, B, B - A."""
    rows_a, rows_b = dict(headline(a)), dict(headline(b))
    metrics = list(rows_a) + [m for m in rows_b if m not in rows_a]
    width = max(len(m) for m in metrics) + 2
    lines = [f"A: {names[0]}  ({_run_line(a)})", f"B: {names[1]}  ({_run_line(b)})", ""]
    lines.append(f"{'metric':<{width}}{'A':>12}{'B':>12}{'B - A':>12}")
    for metric in metrics:
        va, vb = rows_a.get(metric), rows_b.get(metric)
        delta = vb - va if isinstance(va, int | float) and isinstance(vb, int | float) else None
        lines.append(f"{metric:<{width}}{_fmt(va):>12}{_fmt(vb):>12}{_fmt(delta, signed=True):>12}")
    return "\n".join(lines)


def _run_line(summary: Mapping[str, Any]) -> str:
    run = summary.get("run") or {}
    weights = run.get("weights")
    shown = ",".join(f"{k}={v:g}" for k, v in weights.items()) if weights else "default weights"
    return f"{run.get('date', 'date unknown')}, reward-server {run.get('version', '?')}, {shown}"


def _fmt(value: Any, *, signed: bool = False) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:+.4f}" if signed else f"{value:.4f}"
    return f"{value:+d}" if signed and isinstance(value, int) else str(value)
