"""The `--report` page of `reward-server eval`: one self-contained HTML file (inline SVG, no assets)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

from reward_server.eval_review import flagged_samples, headline

BINS = 20
MAX_LISTED = 1000  # rows of the samples table; the page stays openable for a 100k-row run
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
    head_rows = "".join(
        f"<tr><th>{escape(name)}</th><td>{_cell(v)}</td></tr>" for name, v in headline(summary)
    )
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
table.samples td, table.run td {{ text-align: left; }}
figure {{ display: inline-block; margin: 0 1em 1em 0; }}
figcaption {{ font-size: 0.9em; text-align: center; }}
</style></head><body>
<h1>Evaluation of {source}</h1>
{_run_section(summary)}
<table>{head_rows}</table>
{_uniform_section(summary)}
<h2>Distributions</h2>
{"".join(figures)}
{_flagged_section(rows)}
{groups_section}
</body></html>
"""


def _run_section(summary: Mapping[str, Any]) -> str:
    run = summary.get("run") or {}
    weights = run.get("weights")
    shown = ", ".join(f"{k}={v:g}" for k, v in weights.items()) if weights else "the service's defaults"
    facts = [
        ("date (UTC)", run.get("date")),
        ("reward-server", run.get("version")),
        ("weights", shown),
        ("scored by", run.get("scored_by")),
    ]
    return (
        '<table class="run">'
        + "".join(f"<tr><th>{k}</th><td>{_cell(v)}</td></tr>" for k, v in facts)
        + "</table>"
    )


def _uniform_section(summary: Mapping[str, Any]) -> str:
    uniform = summary.get("uniform_groups") or {}
    if not uniform.get("groups"):
        return ""
    names = ", ".join(escape(str(n)) for n in uniform["names"][:MAX_LISTED])
    more = f" and {uniform['uniform'] - MAX_LISTED} more" if uniform["uniform"] > MAX_LISTED else ""
    return (
        f"<p>{uniform['uniform']} of {uniform['groups']} groups ({uniform['share']:.1%}) gave every "
        "sample the same reward: GRPO's advantage is zero there, so those prompts teach nothing"
        + (f": {names}{more}" if names else "")
        + ".</p>"
    )


def _flagged_section(rows: Sequence[Mapping[str, Any]]) -> str:
    flagged = flagged_samples(rows)
    if not flagged:
        return "<h2>Wrong and errored samples</h2><p>none</p>"
    shown = flagged[:MAX_LISTED]
    cells = "".join(
        "<tr>"
        + "".join(
            f"<td>{_cell(s[key])}</td>" for key in ("id", "group", "kind", "accuracy", "extracted", "reason")
        )
        + "</tr>"
        for s in shown
    )
    more = f"<p>{len(flagged) - len(shown)} more not listed.</p>" if len(flagged) > len(shown) else ""
    wrong = sum(1 for s in flagged if s["kind"] == "wrong")
    return (
        f"<h2>Wrong and errored samples</h2><p>{wrong} wrong, {len(flagged) - wrong} errored.</p>"
        '<table class="samples"><tr><th>id</th><th>group</th><th>kind</th><th>accuracy</th>'
        f"<th>extracted answer</th><th>reason</th></tr>{cells}</table>{more}"
    )


def write_report(path: Path, summary: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]) -> None:
    path.write_text(render_report(summary, rows), encoding="utf-8")
