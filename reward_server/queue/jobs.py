"""The job model clients see: status, progress and, once done, the results."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field, TypeAdapter

from reward_server.schemas import ScoreResult


class JobStatus(StrEnum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"
    cancelled = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (JobStatus.done, JobStatus.failed, JobStatus.cancelled)


class JobProgress(BaseModel):
    done: int = Field(description="Items scored so far.")
    total: int = Field(description="Items in the job.")


class JobCreated(BaseModel):
    job_id: str


class JobInfo(BaseModel):
    """`GET /v1/jobs/{job_id}`: results (in item order, as /v1/score returns them) once `status` is done."""

    job_id: str
    status: JobStatus
    progress: JobProgress
    results: list[ScoreResult] | None = None
    error: str | None = Field(default=None, description="Why the job failed, when it did.")
    created_at: float
    started_at: float | None = None
    finished_at: float | None = None


# A chunk's results travel as one JSON array, parsed and written by pydantic-core in one call.
CHUNK_RESULTS = TypeAdapter(list[ScoreResult])
