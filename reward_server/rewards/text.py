"""The text helpers as the reward modules import them; they live in `reward_server.text`, below both
`rewards` and `reward_model` (the reward models read completions too, and must not import `rewards`)."""

from reward_server.text import (
    completion_text,
    fenced_blocks,
    prompt_tail,
    prompt_text,
    tag_block,
    with_prefilled_think,
)

__all__ = [
    "completion_text",
    "fenced_blocks",
    "prompt_tail",
    "prompt_text",
    "tag_block",
    "with_prefilled_think",
]
