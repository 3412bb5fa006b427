"""`QueueConfig`: everything the queue reads, frozen, built once by the composition root.

The queue is a small library: it never reads the service's `Settings`. `reward_server.services.queue_config`
maps the settings onto this (the only place that knows both), so a test or another program can run the
queue with a config of its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

__all__ = ["QueueConfig"]


@dataclass(frozen=True, kw_only=True)
class QueueConfig:
    """Where the queue lives and how it behaves; units in every name. No defaults here: `Settings`
    holds them (and documents them), once.

    `default_rewards` are the API process's reward weights, stored with each job it enqueues so the
    workers score a job the way the process that took it would have.
    """

    redis_url: str
    prefix: str
    chunk_items: int  # items per chunk (a stream entry one worker scores)
    max_items: int  # items queued or in progress beyond which enqueue refuses
    retry_after_s: float  # what a refused or failed call tells its caller to wait
    reclaim_after_s: float  # a chunk untouched this long is redelivered
    max_deliveries: int  # a chunk delivered this often without a result fails its job
    result_ttl_s: float
    max_age_s: float  # an unfinished job's keys expire after this, whatever happens
    wait_timeout_s: float  # how long `QueueBackend` waits for a job
    redis_timeout_s: float  # one Redis call; an outage longer than this fails calls
    worker_concurrency: int  # chunks one worker scores at once
    default_rewards: Mapping[str, float]

    def __post_init__(self) -> None:
        # Frozen all the way down: nobody can change the weights stamped on later jobs.
        object.__setattr__(self, "default_rewards", MappingProxyType(dict(self.default_rewards)))
