"""The Redis job queue: API processes enqueue chunks on a stream, `reward-server worker`s score them."""

from __future__ import annotations

from reward_server.queue.backend import QueueBackend
from reward_server.queue.client import JobQueue, QueueUnavailable
from reward_server.queue.config import QueueConfig
from reward_server.queue.jobs import JobCreated, JobInfo, JobProgress, JobStatus
from reward_server.queue.worker import ScoreChunk, Worker

__all__ = [
    "JobCreated",
    "JobInfo",
    "JobProgress",
    "JobQueue",
    "JobStatus",
    "QueueBackend",
    "QueueConfig",
    "QueueUnavailable",
    "ScoreChunk",
    "Worker",
]
