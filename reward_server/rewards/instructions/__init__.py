"""Instruction following (IFEval / IFBench): does the final answer follow verifiable constraints?

Modules:

- `registry`: the instruction ids and the arguments each takes (IFEval's and IFBench's);
- `task`: validation of a task's `instruction_id_list` / `kwargs` (used by `schemas.InstructionTask`);
- `nltk_data`: NLTK kept offline, its English Punkt model from an installed package;
- `check`: one response against its instructions, strict or loose (runs in a pool worker);
- `checker`: the accuracy component's checker (final answer, pool chunks, budgets).

The checkers themselves come from `if-verifiable` (the `instructions` extra); README.md says why.
"""

from __future__ import annotations

from reward_server.rewards.instructions.check import warm_up_instructions
from reward_server.rewards.instructions.checker import InstructionChecker, checkers_installed, final_answer
from reward_server.tasks.instruction_ids import IDS_SOURCE, INSTRUCTION_KWARGS

__all__ = [
    "IDS_SOURCE",
    "INSTRUCTION_KWARGS",
    "InstructionChecker",
    "checkers_installed",
    "final_answer",
    "warm_up_instructions",
]
