"""The `--report` page of `reward-server eval`: one self-contained HTML file (inline SVG, no assets)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

BINS = 20
_WIDTH, _HEIGHT, _PAD = 360, 160, 24


def histogram(values: Sequence[float], bins: int = BINS) -> tuple[float, float, list[int]]:
    """(low, high, counts) over equal-width bins; a constant series gets one full bin."""
    low, high = min(values), max(values)
    if high == low:
        return low, high, [len(values)]
    counts = [0] * bins
    width = (high - low) / bins
    for value in values:
        counts[min(int((value - low) / width), bins - 1)] += 1
    return low, high, counts


def histogram_svg(title: str, values: Sequence[float]) -> str:
    """An inline SVG bar chart of `values`, with the range and the tallest bar labelled."""
    if not values:
        return f"<figure><figcaption>{escape(title)}: no values</figcaption></figure>"
    low, high, counts = histogram(values)
    tallest = max(counts)
    plot_w, plot_h = _WIDTH - 2 * _PAD, _HEIGHT - 2 * _PAD
    bar_w = plot_w / len(counts)
    bars = []
    for i, count in enumerate(counts):
        h = plot_h * count / tallest
        lo = low + (high - low) * i / len(counts)
        hi = low + (high - low) * (i + 1) / len(counts)
        bars.append(
            f'<rect x="{_PAD + i * bar_w:.1f}" y="{_PAD + plot_h - h:.1f}" width="{max(bar_w - 1, 1):.1f}" '
            f'height="{h:.1f}" fill="#4c78a8"><title>[{lo:.4g}, {hi:.4g}]: {count}</title></rect>'
        )
    axis_y = _PAD + plot_h
    return (
        f'<figure><svg xmlns="http://www.w3.org/2000/svg" width="{_WIDTH}" height="{_HEIGHT}" '
        f'role="img" aria-label="{escape(title)} histogram">'
        + "".join(bars)
        + f'<line x1="{_PAD}" y1="{axis_y}" x2="{_WIDTH - _PAD}" y2="{axis_y}" stroke="#333"/>'
        f'<text x="{_PAD}" y="{_HEIGHT - 6}" font-size="11">{low:.4g}</text>'
        f'<text x="{_WIDTH - _PAD}" y="{_HEIGHT - 6}" font-size="11" text-anchor="end">{high:.4g}</text>'
        f'<text x="{_PAD}" y="{_PAD - 8}" font-size="11">max bin {tallest}</text>'
        f"</svg><figcaption>{escape(title)} (n={len(values)}, "
        f"mean={sum(values) / len(values):.4f})</figcaption></figure>"
    )


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4f}"
    return escape(str(value))


def render_report(summary: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]) -> str:
    """The page: headline numbers, a histogram per reward component and of the reward, per-group results."""
    components: dict[str, list[float]] = {}
    for row in rows:
        for name, score in row.get("scores", {}).items():
            components.setdefault(name, []).append(score)
    rewards = [r["reward"] for r in rows if r.get("reward") is not None]
    figures = [histogram_svg("reward", rewards)] + [
        histogram_svg(name, values) for name, values in sorted(components.items())
    ]
    ks = list(summary.get("pass_at_k", {}))
    headline = [
        ("rows", summary["rows"]),
        ("errors", summary["errors"]),
        ("mean reward", summary["mean_reward"]),
        *((f"mean {name}", stats["mean"]) for name, stats in summary["components"].items()),
        *((f"pass@{k}", summary["pass_at_k"][k]) for k in ks),
        ("maj@n", summary.get("maj_at_n")),
    ]
    head_rows = "".join(f"<tr><th>{escape(name)}</th><td>{_cell(v)}</td></tr>" for name, v in headline)
    group_head = "".join(
        f"<th>{h}</th>"
        for h in ["group", "n", "correct", "errors", "mean reward", *[f"pass@{k}" for k in ks]]
    )
    group_rows = "".join(
        "<tr>"
        + "".join(
            f"<td>{_cell(v)}</td>"
            for v in [g["group"], g["n"], g["correct"], g["errors"], g["mean_reward"]]
            + [g["pass_at_k"].get(k) for k in ks]
        )
        + f"<td>{_cell(g['maj'])}</td></tr>"
        for g in summary.get("per_group", [])
    )
    groups_section = (
        f"<h2>Per group</h2><table><tr>{group_head}<th>maj@n</th></tr>{group_rows}</table>"
        if summary.get("per_group")
        else ""
    )
    source = escape(str(summary.get("input", "")))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>reward-server eval: {source}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; margin-bottom: 1.5em; }}
th, td {{ border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }}
th {{ background: #f3f3f3; }}
figure {{ display: inline-block; margin: 0 1em 1em 0; }}
figcaption {{ font-size: 0.9em; text-align: center; }}
</style></head><body>
<h1>Evaluation of {source}</h1>
<table>{head_rows}</table>
<h2>Distributions</h2>
{"".join(figures)}
{groups_section}
</body></html>
"""


def write_report(path: Path, summary: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]) -> None:
    path.write_text(render_report(summary, rows), encoding="utf-8")
