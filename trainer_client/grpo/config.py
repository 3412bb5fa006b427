"""Settings of a GRPO run and the command line that fills them."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from dataclasses import MISSING, dataclass, fields
from enum import StrEnum
from pathlib import Path

from trainer_client.outcomes import OnFailure
from trainer_client.weights import weights_argument


class Overlap(StrEnum):
    """How reward scoring overlaps generation.

    - ``none``: generate the whole batch, then score it; every second of scoring is exposed.
    - ``chunks`` (default, exactly on-policy): the batch is generated in chunks and each chunk is
      sent for scoring as soon as it exists, so scoring runs while later chunks generate; only the
      last chunk's scoring is exposed.
    - ``next-step``: step t+1's completions are generated while step t's are scored, so they come
      from the policy one update behind. The clipped importance ratio against the generating
      policy's log-probabilities corrects for that (as PPO does for its reused samples).
    """

    NONE = "none"
    CHUNKS = "chunks"
    NEXT_STEP = "next-step"


@dataclass
class GRPOConfig:
    model: Path
    prompts: Path
    reward_url: str
    log: Path
    steps: int = 100
    group_size: int = 8
    prompts_per_step: int = 4
    seed: int = 0
    max_new_tokens: int = 256
    temperature: float = 1.0
    top_p: float = 1.0
    learning_rate: float = 1e-6
    weight_decay: float = 0.0
    max_grad_norm: float = 1.0
    beta: float = 0.04
    clip_eps: float = 0.2
    updates_per_step: int = 1
    micro_batch_size: int = 8
    overlap: Overlap = Overlap.CHUNKS
    generation_chunks: int = 4
    rewards: dict[str, float] | None = None
    api_key: str | None = None
    reward_timeout_s: float = 600.0
    max_unscored_steps: int = 3
    on_failure: OnFailure = OnFailure.MASK  # a sample without a verdict: left out, or trained as a 0
    checkpoint_dir: Path | None = None
    checkpoint_every: int = 0
    resume: str | None = None  # "auto" (latest in checkpoint_dir) or a checkpoint directory
    device: str | None = None  # default: cuda when present, else cpu
    dtype: str | None = None  # default: bfloat16 on cuda, float32 on cpu

    def __post_init__(self) -> None:
        problems = []
        if self.group_size < 2:
            problems.append("--group-size must be at least 2 (advantages compare completions of one prompt)")
        for name in ("steps", "prompts_per_step", "max_new_tokens", "updates_per_step", "micro_batch_size"):
            if getattr(self, name) < 1:
                problems.append(f"--{name.replace('_', '-')} must be at least 1")
        if self.max_unscored_steps < 1:
            problems.append("--max-unscored-steps must be at least 1")
        if self.generation_chunks < 1:
            problems.append("--generation-chunks must be at least 1")
        if self.checkpoint_every and self.checkpoint_dir is None:
            problems.append("--checkpoint-every needs --checkpoint-dir")
        if self.resume == "auto" and self.checkpoint_dir is None:
            problems.append("--resume auto needs --checkpoint-dir")
        if problems:
            raise ValueError("; ".join(problems))


def parse_args(argv: Sequence[str] | None = None) -> GRPOConfig:
    p = argparse.ArgumentParser(
        prog="python -m trainer_client.grpo",
        description="GRPO training of a causal LM with rewards from reward-server. The service is "
        "checked before the model loads; the run stops when --max-unscored-steps steps in a row get "
        "no reward at all.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument(
        "--model", type=Path, required=True, help="a save_pretrained directory (model + tokenizer)"
    )
    p.add_argument(
        "--prompts", type=Path, required=True, help="JSONL: prompt, task, language, rewards per row"
    )
    p.add_argument("--reward-url", required=True, help="reward-server base URL, e.g. http://host:8000")
    p.add_argument("--log", type=Path, required=True, help="JSONL file, one line per step")
    p.add_argument("--steps", type=int, help="optimizer steps to run")
    p.add_argument("--group-size", type=int, help="completions per prompt (G)")
    p.add_argument("--prompts-per-step", type=int, help="prompts sampled per step")
    p.add_argument("--seed", type=int, help="seeds sampling, prompt order and init")
    p.add_argument(
        "--max-new-tokens",
        type=int,
        help="completion length cap; longest prompt + this must fit the model's context",
    )
    p.add_argument("--temperature", type=float, help="sampling temperature")
    p.add_argument("--top-p", type=float, help="nucleus sampling threshold")
    p.add_argument("--lr", dest="learning_rate", type=float, help="AdamW learning rate")
    p.add_argument("--weight-decay", type=float, help="AdamW weight decay")
    p.add_argument("--max-grad-norm", type=float, help="gradient clipping norm")
    p.add_argument("--beta", type=float, help="KL penalty to the frozen reference (0: no reference)")
    p.add_argument("--clip-eps", type=float, help="PPO-style ratio clipping epsilon")
    p.add_argument("--updates-per-step", type=int, help="optimizer passes over each batch (mu)")
    p.add_argument("--micro-batch-size", type=int, help="completions per forward/backward")
    p.add_argument(
        "--overlap",
        type=Overlap,
        choices=list(Overlap),
        help="how scoring overlaps generation: none, chunks (on-policy) or next-step (one update behind)",
    )
    p.add_argument("--generation-chunks", type=int, help="chunks per step with --overlap chunks")
    p.add_argument("--rewards", type=weights_argument, help="component weights: accuracy=1,format=0.2")
    p.add_argument("--api-key", help="bearer key for the service (prefer $REWARD_SERVER_API_KEY)")
    p.add_argument(
        "--reward-timeout",
        dest="reward_timeout_s",
        type=float,
        help="seconds one scoring call may take before its unscored samples are reported",
    )
    p.add_argument(
        "--max-unscored-steps",
        type=int,
        help="stop the run after this many steps in a row in which no sample got a reward",
    )
    p.add_argument(
        "--on-failure",
        type=OnFailure,
        choices=list(OnFailure),
        help="a sample the service gave no verdict (timeout, sandbox error, ...): 'mask' leaves it out "
        "of its group's advantages, 'zero' trains it as a wrong answer (default: %(default)s)",
    )
    p.add_argument("--checkpoint-dir", type=Path, help="where checkpoints are written")
    p.add_argument("--checkpoint-every", type=int, help="steps between checkpoints (0: only at the end)")
    p.add_argument("--resume", help="'auto' (latest in --checkpoint-dir) or a checkpoint directory")
    p.add_argument("--device", help="torch device (default: cuda when present, else cpu)")
    p.add_argument(
        "--dtype",
        choices=["float32", "bfloat16", "float16"],
        help="parameter dtype (default: float32; forward passes run in bfloat16 on cuda)",
    )
    # One source for every default: GRPOConfig's fields (--help shows them through the formatter).
    p.set_defaults(**{f.name: f.default for f in fields(GRPOConfig) if f.default is not MISSING})
    args = p.parse_args(argv)
    if args.api_key is None:
        args.api_key = os.environ.get("REWARD_SERVER_API_KEY")
    try:
        return GRPOConfig(**vars(args))
    except ValueError as error:
        p.error(str(error))
        raise  # unreachable: p.error exits
