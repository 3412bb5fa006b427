"""Validation of instruction-following tasks: the checks behind `InstructionTask` in schemas.py.

The task shape is the one IFEval (`google/IFEval`) and IFBench (`allenai/IFBench_test`) rows
have: `instruction_id_list` (n ids) and `kwargs` (n objects, one per instruction, in order).
Rows read through `datasets` carry every argument of every instruction with null for the unused
ones, so nulls are dropped, as the benchmarks' own evaluation code does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reward_server.tasks.instruction_ids import (
    IDS_SOURCE,
    INSTRUCTION_KWARGS,
    kwarg_problem,
    required_kwargs,
)

__all__ = ["clean_instruction_kwargs"]


def clean_instruction_kwargs(
    instruction_ids: Sequence[str], kwargs: Sequence[Mapping[str, Any] | None] | None
) -> list[dict[str, Any]]:
    """One argument dict per instruction, nulls dropped.

    Raises `ValueError` naming the field: an unknown instruction id, a `kwargs` list whose length
    is not that of `instruction_id_list`, an argument the instruction does not take, or one it
    needs that is missing or of the wrong kind (the checker would draw it at random or fail:
    `registry.required_kwargs`, `registry.kwarg_problem`).
    """
    for index, instruction_id in enumerate(instruction_ids):
        if instruction_id not in INSTRUCTION_KWARGS:
            raise ValueError(
                f"instruction_id_list[{index}]: unknown instruction id {instruction_id!r}; "
                f"known ids are {IDS_SOURCE}"
            )
    if kwargs is None:
        kwargs = [None] * len(instruction_ids)
    elif len(kwargs) != len(instruction_ids):
        raise ValueError(
            f"kwargs has {len(kwargs)} entries for {len(instruction_ids)} instruction ids: give one "
            "object (or null) per id of instruction_id_list, in the same order"
        )
    cleaned: list[dict[str, Any]] = []
    for index, (instruction_id, arguments) in enumerate(zip(instruction_ids, kwargs, strict=True)):
        given = {key: value for key, value in (arguments or {}).items() if value is not None}
        allowed = INSTRUCTION_KWARGS[instruction_id]
        unknown = sorted(set(given) - allowed)
        if unknown:
            takes = ", ".join(sorted(allowed)) or "no arguments"
            raise ValueError(
                f"kwargs[{index}]: {instruction_id} takes no argument {unknown[0]!r} (it takes: {takes})"
            )
        for name in sorted(required_kwargs(instruction_id) & set(given)):
            problem = kwarg_problem(name, given[name])
            if problem is not None:
                raise ValueError(f"kwargs[{index}]: {instruction_id} takes {name!r} as {problem}")
        missing = sorted(required_kwargs(instruction_id) - set(given))
        if missing:
            raise ValueError(
                f"kwargs[{index}]: {instruction_id} needs {missing[0]!r} (it takes: "
                f"{', '.join(sorted(allowed))}); without it the checker would draw one at random"
            )
        cleaned.append(given)
    return cleaned
