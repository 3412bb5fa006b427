"""HardVerify-Math: correct-but-differently-written answers accepted, wrong answers rejected.

    PYTHONPATH=$PWD python benchmarks/bench_hardverify.py [/work/shared/data/hardverify-math-dev.jsonl] [-v]

Each row has a `ground_truth`, a `correct_answer` written differently and a `wrong_answer` (public
benchmark of answer checkers, MIT licence; see the data set's README). Every answer is wrapped as a
model writes it, `<think>…</think><answer>The answer is $\\boxed{X}$</answer>`, and posted to the real
app's `/v1/score` in process (httpx ASGITransport, lifespan started, pool workers, accuracy reward),
so the figure is the verdict a trainer gets. Plain math-verify scores the same completions in the same
run (`verify(parse(gold), parse(completion))`, 0.9.x defaults).

Printed: false negatives (correct answers rejected) and false positives (wrong answers accepted) for
both, item errors, and each miss. Rows listed in `--mislabelled` (default: 52, whose wrong answer is
the ground truth's set in another order) are left out of the false-positive count and shown apart.
Rounding: `--no-rounding` turns the rounding policy off (README, "Math answers: what counts") to show
what it contributes; correct answers that are rounded decimals of an exact ground truth (85.71 for
600/7) are also counted apart.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import re
from pathlib import Path
from typing import Any

import httpx
from math_verify import parse, verify

from reward_server.app import create_app
from reward_server.config import Settings
from reward_server.rewards.math import numbers
from reward_server.rewards.math.numbers import parse_plain_number

DEFAULT_DATA = Path("/work/shared/data/hardverify-math-dev.jsonl")


def wrap(answer: str) -> str:
    return f"<think>Let me work it out.</think><answer>The answer is $\\boxed{{{answer}}}$</answer>"


def math_verify_verdict(gold: str, completion: str) -> bool:
    gold_text = gold if "$" in gold or "\\boxed" in gold else f"${gold}$"
    try:
        return bool(verify(parse(gold_text), parse(completion)))
    except Exception:  # noqa: BLE001 - a crash is "not equal" for the baseline
        return False


def is_rounded(answer: str, gold: str) -> bool:
    """The answer is a decimal that differs from an exact (non-decimal) ground truth: a rounding."""
    a = parse_plain_number(answer)
    g = parse_plain_number(gold.strip().strip("$"))
    if a is None or not a.decimal:
        return False
    if g is not None:
        return not g.decimal and a.value != g.value
    return bool(re.search(r"\\frac|\\sqrt|\\pi|/", gold))


async def score_all(completions: list[tuple[str, str]], timeout_s: float | None) -> list[dict[str, Any]]:
    settings = Settings(cpu_workers=2, max_batch_items=max(256, len(completions)))
    if timeout_s is not None:
        settings = settings.model_copy(update={"math_timeout_s": timeout_s})
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=600) as client:
            body = {
                "items": [{"completion": c, "task": {"type": "math", "answer": g}} for c, g in completions],
                "rewards": {"accuracy": 1.0},
            }
            response = await client.post("/v1/score", json=body)
            response.raise_for_status()
            return response.json()["results"]  # type: ignore[no-any-return]


def main() -> None:
    args = _parse_args()
    logging.disable(logging.WARNING)
    if args.no_rounding:  # the pool's workers are forked after this, so they see it too
        numbers.ROUNDING_MIN_SIGNIFICANT = 10**6
    rows = [json.loads(line) for line in args.data.read_text().splitlines() if line.strip()]
    cases = []  # (row, kind, answer)
    for row in rows:
        cases.append((row, "correct", row["correct_answer"]))
        cases.append((row, "wrong", row["wrong_answer"]))
    completions = [(wrap(answer), row["ground_truth"]) for row, _, answer in cases]
    results = asyncio.run(score_all(completions, args.timeout_s))
    timeouts = [
        (row["id"], kind)
        for (row, kind, _), result in zip(cases, results, strict=True)
        if (result["details"].get("accuracy") or {}).get("failure") == "timeout"
    ]
    mv = [math_verify_verdict(gold, completion) for completion, gold in completions]
    stats = _tally(cases, results, mv, args.mislabelled)
    _print_summary(rows, stats, args)
    if timeouts:
        print(f"reward-server items over their time budget (no verdict, failure timeout): {timeouts}")
    _print_misses(stats["reward-server"], verbose=args.verbose)


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("data", type=Path, nargs="?", default=DEFAULT_DATA)
    parser.add_argument("--mislabelled", type=int, nargs="*", default=[52])
    parser.add_argument(
        "--timeout-s", type=float, default=None, help="per-item math budget (default: the server's setting)"
    )
    parser.add_argument(
        "--no-rounding",
        action="store_true",
        help="score with the rounding policy off (only math-verify's 6-place tolerance), for comparison",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="print every miss with its details")
    return parser.parse_args()


def _tally(
    cases: list[tuple[dict[str, Any], str, str]],
    results: list[dict[str, Any]],
    mv: list[bool],
    mislabelled: list[int],
) -> dict[str, dict[str, list[Any]]]:
    """Each side's false negatives (rounded answers apart), false positives, errors and accepted
    answers on mislabelled rows."""
    stats: dict[str, dict[str, list[Any]]] = {
        side: {"fn": [], "fn_rounded": [], "fp": [], "errors": [], "mislabelled": []}
        for side in ("reward-server", "math-verify")
    }
    for (row, kind, answer), result, theirs in zip(cases, results, mv, strict=True):
        ours = result["scores"].get("accuracy") == 1.0
        if result.get("error"):
            stats["reward-server"]["errors"].append((row["id"], kind, result["error"]))
        for side, accepted, details in (
            ("reward-server", ours, result["details"].get("accuracy")),
            ("math-verify", theirs, None),
        ):
            entry = (row["id"], row["ground_truth"], answer, details)
            if kind == "correct" and not accepted:
                key = "fn_rounded" if is_rounded(answer, row["ground_truth"]) else "fn"
                stats[side][key].append(entry)
            elif kind == "wrong" and accepted:
                stats[side]["mislabelled" if row["id"] in mislabelled else "fp"].append(entry)
    return stats


def _print_summary(
    rows: list[dict[str, Any]], stats: dict[str, dict[str, list[Any]]], args: argparse.Namespace
) -> None:
    n = len(rows)
    rounded = sum(1 for row in rows if is_rounded(row["correct_answer"], row["ground_truth"]))
    n_wrong = n - len([r for r in rows if r["id"] in args.mislabelled])
    print(f"{n} rows from {args.data}; {rounded} correct answers are rounded decimals of an exact gold")
    for side, s in stats.items():
        fn_all = len(s["fn"]) + len(s["fn_rounded"])
        print(
            f"{side:14s} correct rejected: {fn_all}/{n} ({100 * fn_all / n:.1f} %) with rounded answers "
            f"counted correct; {len(s['fn'])}/{n - rounded} ({100 * len(s['fn']) / (n - rounded):.1f} %) "
            "without them. "
            f"wrong accepted: {len(s['fp'])}/{n_wrong}"
            + (
                f" (+{len(s['mislabelled'])} on mislabelled rows {args.mislabelled})"
                if s["mislabelled"]
                else ""
            )
            + (f"; item errors: {len(s['errors'])}" if side == "reward-server" else "")
        )


def _print_misses(ours: dict[str, list[Any]], *, verbose: bool) -> None:
    for title, key in (
        ("false negatives", "fn"),
        ("rounded answers rejected", "fn_rounded"),
        ("false positives", "fp"),
        ("item errors", "errors"),
    ):
        if ours[key]:
            print(f"\nreward-server {title}:")
        for entry in ours[key]:
            if key == "errors":
                print(f"  id {entry[0]} ({entry[1]}): {entry[2]}")
                continue
            row_id, gold, answer, details = entry
            print(f"  id {row_id}: gold {gold!r} answer {answer!r}")
            if verbose:
                print(f"      {json.dumps(details)[:400]}")


if __name__ == "__main__":
    main()
