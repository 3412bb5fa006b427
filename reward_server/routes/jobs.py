"""/v1/jobs: submit a batch without waiting for it, then read its progress and results, or cancel it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path

from reward_server import metrics
from reward_server.errors import RequestError
from reward_server.pipeline import validate_batch_size
from reward_server.queue.client import JobQueue
from reward_server.queue.errors import JobFinished, JobNotFound
from reward_server.queue.jobs import JobCreated, JobInfo, JobStatus
from reward_server.routes.deps import get_services
from reward_server.schemas import ScoreRequest
from reward_server.services import Services

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])

JobId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


def get_queue(services: Annotated[Services, Depends(get_services)]) -> JobQueue:
    if services.queue is None:
        raise RequestError(
            ("path",),
            "asynchronous jobs need a job queue: start the server with --redis-url redis://HOST:PORT "
            "(or use POST /v1/score, which scores in this process)",
            status_code=404,
        )
    return services.queue


Queue = Annotated[JobQueue, Depends(get_queue)]


@router.post("", status_code=202, response_model=JobCreated)
async def submit_job(
    request: ScoreRequest,
    queue: Queue,
    services: Annotated[Services, Depends(get_services)],
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=200,
            description="Resubmitting the same body with the same key answers the first job's id.",
        ),
    ] = None,
) -> JobCreated:
    """Queue a batch (the body of /v1/score); answers 202 with the job id, or 429 when the queue is full."""
    validate_batch_size(request.items, services.settings.max_batch_items)
    return JobCreated(job_id=await queue.enqueue(request, idempotency_key=idempotency_key))


@router.get("/{job_id}", response_model=JobInfo)
async def get_job(job_id: JobId, queue: Queue) -> JobInfo:
    """Status and progress; the results, in item order, once the status is `done`."""
    info = await queue.get(job_id)
    if info is None:
        raise JobNotFound(job_id)
    if info.results is not None and await queue.claim_metrics(job_id):
        metrics.record_results(info.results)  # the workers expose no metrics: counted here, once per job
    return info


@router.delete("/{job_id}", response_model=JobInfo)
async def cancel_job(job_id: JobId, queue: Queue) -> JobInfo:
    """Cancel a queued or running job: workers drop its chunks. A finished job answers 409."""
    status = await queue.cancel(job_id)
    if status is None:
        raise JobNotFound(job_id)
    if status in (JobStatus.done, JobStatus.failed):
        raise JobFinished(job_id, status.value)
    info = await queue.get(job_id, with_results=False)
    if info is None:
        raise JobNotFound(job_id)
    return info
