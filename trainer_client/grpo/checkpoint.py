"""Checkpoints: the policy (save_pretrained), the optimizer, the data position and the RNG states.

A checkpoint directory is complete once its ``trainer_state.pt`` exists; it is written last and
atomically, so a run killed while saving resumes from the previous checkpoint.
"""

from __future__ import annotations

import os
import random
import re
from pathlib import Path
from typing import Any

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

STATE_FILE = "trainer_state.pt"
_STEP_DIR = re.compile(r"^step-(\d+)$")


def save_checkpoint(
    root: Path,
    step: int,
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    optimizer: torch.optim.Optimizer,
    sampler_state: dict[str, int],
    rng_state: dict[str, Any],
) -> Path:
    directory = root / f"step-{step:06d}"
    directory.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    state = {"step": step, "optimizer": optimizer.state_dict(), "sampler": sampler_state, "rng": rng_state}
    partial = directory / (STATE_FILE + ".partial")
    torch.save(state, partial)
    os.replace(partial, directory / STATE_FILE)
    return directory


def latest_checkpoint(root: Path) -> Path | None:
    """The complete checkpoint with the highest step under `root`, if any."""
    if not root.is_dir():
        return None
    found = []
    for child in root.iterdir():
        match = _STEP_DIR.match(child.name)
        if match and (child / STATE_FILE).is_file():
            found.append((int(match.group(1)), child))
    return max(found)[1] if found else None


def load_trainer_state(directory: Path) -> dict[str, Any]:
    path = directory / STATE_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{directory} is not a complete checkpoint (no {STATE_FILE})")
    state: dict[str, Any] = torch.load(path, map_location="cpu", weights_only=True)
    return state


def capture_rng() -> dict[str, Any]:
    state: dict[str, Any] = {"python": random.getstate(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng(state: dict[str, Any]) -> None:
    random.setstate(state["python"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
