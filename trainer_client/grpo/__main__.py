"""`python -m trainer_client.grpo ...`: see `trainer_client.grpo.config.parse_args` for the flags.

Mistakes (a wrong URL, a service that cannot score, a missing extra, a context too small for
--max-new-tokens) end the run with one line naming the fix and exit status 1, not a traceback.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence

PROG = "python -m trainer_client.grpo"
TRAIN_EXTRA_HINT = (
    "the GRPO trainer needs torch and transformers: pip install 'reward-server[train]' "
    "(client-only install: pip install './clients/trainer-client[train]'; on a machine without a GPU, "
    "add --extra-index-url https://download.pytorch.org/whl/cpu)"
)


def main(argv: Sequence[str] | None = None) -> int:
    from trainer_client.errors import RewardClientError
    from trainer_client.grpo.config import parse_args

    config = parse_args(argv)
    if not logging.getLogger().handlers:  # a progress line per step on stderr
        logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
        logging.getLogger("httpx").setLevel(logging.WARNING)  # not a line per HTTP request
    try:
        from trainer_client.grpo.trainer import train
    except ImportError as error:
        if error.name in ("torch", "transformers", "safetensors", "tokenizers"):
            print(f"{PROG}: error: {TRAIN_EXTRA_HINT} (missing module {error.name!r})", file=sys.stderr)
            return 1
        raise
    try:
        rows = train(config)
    except (RewardClientError, ValueError, FileNotFoundError) as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 1
    except OSError as error:  # a model directory that is not one, a log path that cannot be written
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 1
    if rows:
        last = rows[-1]
        print(f"step {last['step']}: reward_mean={last['reward_mean']} kl={last['kl']} (log: {config.log})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
