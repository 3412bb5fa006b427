"""`python -m trainer_client.grpo ...`: see `trainer_client.grpo.config.parse_args` for the flags."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    from trainer_client.grpo.config import parse_args
    from trainer_client.grpo.trainer import train

    config = parse_args(argv)
    rows = train(config)
    if rows:
        last = rows[-1]
        print(f"step {last['step']}: reward_mean={last['reward_mean']} kl={last['kl']} (log: {config.log})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
