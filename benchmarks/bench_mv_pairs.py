"""Differential run on math-verify's own public test pairs: our verdict vs its labels vs plain math-verify.

    git clone https://github.com/huggingface/Math-Verify /tmp/Math-Verify   # or any checkout / bare mirror
    PYTHONPATH=$PWD python benchmarks/bench_mv_pairs.py /tmp/Math-Verify [--show-agree]

The pairs (gold, prediction, expected 0/1) are read at run time from the `@pytest.mark.parametrize`
tables of the peer's `tests/` directory (parsed with `ast`, never imported or copied here); a bare git
mirror is read with `git show HEAD:tests/...`. Tables whose rows need an option we do not have
(string-only extraction, non-default precision or strictness) are left out and counted.

Each prediction is scored by `check_math(prediction, gold)` (the verdict /v1/score returns) and by
plain math-verify with the defaults the peer's tests use (`LatexExtractionConfig(boxed_match_priority=0)`,
`ExprExtractionConfig()`). Every pair where math-verify agrees with the label and we do not is printed.
"""

from __future__ import annotations

import argparse
import ast
import logging
import subprocess
from pathlib import Path
from typing import Any

from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse, verify

from reward_server.rewards.math import check_math, configure_math_verify

# (gold, pred, expected) tables; the extra columns that must hold their default for a row to count
DEFAULTS = {"precision": 6, "strict": True, "allow_set_relation_comp": False}


def read_tests(repo: Path) -> dict[str, str]:
    """{file name: source} of the peer's tests/*.py, from a checkout or a bare mirror."""
    if (repo / "tests").is_dir():
        return {p.name: p.read_text() for p in sorted((repo / "tests").glob("*.py"))}
    names = subprocess.run(
        ["git", "--git-dir", str(repo), "ls-tree", "--name-only", "HEAD", "tests/"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return {
        Path(name).name: subprocess.run(
            ["git", "--git-dir", str(repo), "show", f"HEAD:{name}"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        for name in names
        if name.endswith(".py")
    }


def pairs_from(source: str, file: str) -> tuple[list[dict[str, Any]], int]:
    """Rows of every parametrize table with gold/pred/expected columns; and how many were left out."""
    rows: list[dict[str, Any]] = []
    skipped = 0
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef):
            continue
        for deco in node.decorator_list:
            if not (isinstance(deco, ast.Call) and getattr(deco.func, "attr", "") == "parametrize"):
                continue
            try:
                names = [n.strip() for n in ast.literal_eval(deco.args[0]).split(",")]
                values = ast.literal_eval(deco.args[1])
            except (ValueError, SyntaxError, AttributeError):
                continue  # tables built from expressions
            if not {"gold", "pred"} <= set(names):
                continue
            for value in values:
                row = dict(zip(names, value, strict=True))
                row["expected"] = row.pop("expected", row.pop("result", None))
                extra = {k: v for k, v in row.items() if k not in ("gold", "pred", "expected")}
                if any(DEFAULTS.get(k, object()) != v for k, v in extra.items()) or row["expected"] is None:
                    skipped += 1
                    continue
                rows.append({"file": file, "test": node.name, **row})
    return rows, skipped


def math_verify_verdict(gold: str, pred: str) -> bool:
    config = [LatexExtractionConfig(boxed_match_priority=0), ExprExtractionConfig()]
    try:
        return bool(verify(parse(gold, config), parse(pred, config)))
    except Exception:  # noqa: BLE001 - count a crash as "not equal"
        return False


def our_verdict(gold: str, pred: str) -> tuple[bool, Any]:
    try:
        result = check_math(pred, gold)
    except Exception as exc:  # noqa: BLE001 - an item error is not a verdict of 1
        return False, f"error: {type(exc).__name__}: {exc}"
    return result.score == 1.0, result.details


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("repo", type=Path, help="Math-Verify checkout or bare git mirror")
    args = parser.parse_args()
    configure_math_verify()
    logging.disable(logging.WARNING)
    rows: list[dict[str, Any]] = []
    skipped = 0
    for file, source in read_tests(args.repo).items():
        found, left_out = pairs_from(source, file)
        rows += found
        skipped += left_out
    ours_ok = mv_ok = 0
    worse: list[tuple[dict[str, Any], Any]] = []
    better: list[dict[str, Any]] = []
    for row in rows:
        expected = bool(row["expected"])
        mine, details = our_verdict(row["gold"], row["pred"])
        theirs = math_verify_verdict(row["gold"], row["pred"])
        ours_ok += mine == expected
        mv_ok += theirs == expected
        if theirs == expected and mine != expected:
            worse.append((row, details))
        elif mine == expected and theirs != expected:
            better.append(row)
    print(f"{len(rows)} labelled pairs from {args.repo} ({skipped} rows with non-default options left out)")
    print(f"math-verify agrees with the label on {mv_ok}/{len(rows)}; reward-server on {ours_ok}/{len(rows)}")
    fp = sum(1 for r in rows if not r["expected"] and our_verdict(r["gold"], r["pred"])[0])
    fn = sum(1 for r in rows if r["expected"] and not our_verdict(r["gold"], r["pred"])[0])
    print(f"reward-server: {fp} false positives, {fn} false negatives")
    print(f"\n{len(worse)} pairs where math-verify is right and reward-server is not:")
    for row, details in worse:
        print(
            f"- [{row['test']}] gold={row['gold']!r} pred={row['pred'][-160:]!r} expected={row['expected']}"
        )
        print(f"    ours: {str(details)[:300]}")
    print(f"\n{len(better)} pairs where reward-server is right and math-verify is not:")
    for row in better:
        print(
            f"- [{row['test']}] gold={row['gold']!r} pred={row['pred'][-120:]!r} expected={row['expected']}"
        )


if __name__ == "__main__":
    main()
