"""Translations between the wire formats trainers already speak and `/v1/score`.

One module per peer protocol: `openrlhf` (`POST /get_reward`), `nemo_gym` (a resources server's
`POST /verify`), `slime` (`--rm-type remote_rm`). Each holds the peer's request and response models
and pure functions from a request to `/v1/score` items and from results to the peer's answer;
`samples` holds what they share (labels, one sample scored against several gold answers). The
routes in `reward_server/routes/` only validate, call the scoring backend and return.
"""

from __future__ import annotations
