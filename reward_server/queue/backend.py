"""`QueueBackend`: /v1/score through Redis — enqueue the batch, wait for the workers, answer the results."""

from __future__ import annotations

import asyncio

from reward_server.errors import RequestError, RewardServerError, ServiceUnavailable
from reward_server.queue.client import JobQueue
from reward_server.queue.jobs import JobStatus
from reward_server.schemas import ScoreRequest, ScoreResult


class JobFailed(RewardServerError):
    """A job failed for a reason that is not the request's fault (a chunk that kept killing its workers)."""

    status_code = 500


class QueueBackend:
    """A `ScoringBackend` whose batches are scored by every `reward-server worker` reading the queue."""

    def __init__(self, queue: JobQueue) -> None:
        self.queue = queue

    async def score(self, request: ScoreRequest) -> list[ScoreResult]:
        config = self.queue.config
        if await self.queue.live_workers() == 0:
            raise ServiceUnavailable(
                f"no worker is reading the job queue at {self.queue.where}; start one with "
                f"`reward-server worker --redis-url {self.queue.where}`",
                retry_after_s=config.retry_after_s,
            )
        job_id = await self.queue.enqueue(request)
        try:
            info = await self.queue.wait(job_id, config.wait_timeout_s)
        except asyncio.CancelledError:  # the client left: its chunks need not be scored
            await asyncio.shield(self.queue.cancel(job_id))
            raise
        except TimeoutError as exc:
            await self.queue.cancel(job_id)
            raise ServiceUnavailable(
                "the workers did not score this batch within "
                f"job_wait_timeout_s={config.wait_timeout_s:g} s "
                "(too few workers for the load?); the job was cancelled",
                retry_after_s=config.retry_after_s,
            ) from exc
        if info.status is JobStatus.done and info.results is not None:
            return info.results
        if info.status is JobStatus.failed:
            cause = await self.queue.request_error(job_id)
            if cause is not None:
                field, message = cause
                raise RequestError(field, message)
            raise JobFailed(f"job {job_id} failed: {info.error}")
        raise ServiceUnavailable(
            f"job {job_id} was {info.status.value} before it finished; resubmit the batch",
            retry_after_s=config.retry_after_s,
        )
