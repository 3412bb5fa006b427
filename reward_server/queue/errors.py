"""What the job queue refuses, as data: each error says how (`Refusal`) and which request input is at
fault; `reward_server.errors.http_error` makes the HTTP answer of that, without importing this module."""

from __future__ import annotations

from reward_server.errors import Refusal, Refused

__all__ = ["IdempotencyConflict", "JobFinished", "JobNotFound", "QueueError", "QueueFull"]


class QueueError(Refused):
    """Base of the queue's refusals."""


class QueueFull(QueueError):
    """`waiting` items are queued and `limit` is the most the queue holds; retry after `retry_after_s`."""

    refusal = Refusal.BUSY

    def __init__(self, waiting: int, limit: int, retry_after_s: float) -> None:
        super().__init__(f"the job queue is full ({waiting} items waiting, limit {limit})")
        self.waiting, self.limit, self.retry_after_s = waiting, limit, retry_after_s


class IdempotencyConflict(QueueError):
    """The idempotency key already named job `job_id`, submitted with a different body."""

    refusal = Refusal.INVALID
    subject = ("header", "Idempotency-Key")

    def __init__(self, job_id: str) -> None:
        super().__init__(f"this key was already used for job {job_id} with a different body; use a new key")
        self.job_id = job_id


class JobNotFound(QueueError):
    """No job `job_id`: it never existed or its results expired."""

    refusal = Refusal.NOT_FOUND
    subject = ("path", "job_id")

    def __init__(self, job_id: str) -> None:
        super().__init__(f"no job {job_id!r}: it never existed or its results expired")
        self.job_id = job_id


class JobFinished(QueueError):
    """Job `job_id` already finished with `status` (done or failed): it cannot be cancelled."""

    refusal = Refusal.CONFLICT
    subject = ("path", "job_id")

    def __init__(self, job_id: str, status: str) -> None:
        super().__init__(f"job {job_id} is already {status}")
        self.job_id, self.status = job_id, status
