"""Every Redis key and name the queue uses, and nothing else.

One stream of chunks is read by one consumer group of workers. Each job owns a hash (its state), a hash
of chunk requests, a hash of chunk results keyed by chunk index, and a stream of events its waiters block on.
"""

from __future__ import annotations

from dataclasses import dataclass

GROUP = "workers"


@dataclass(frozen=True)
class Keys:
    """Key names under one prefix, so several deployments (or tests) can share a Redis."""

    prefix: str

    @property
    def chunks(self) -> str:
        """Stream of chunk entries `{job_id, index, start, stop}`, read by the consumer group `GROUP`."""
        return f"{self.prefix}:chunks"

    @property
    def queued_items(self) -> str:
        """Counter of items in chunks not yet acknowledged: the depth backpressure compares."""
        return f"{self.prefix}:queued-items"

    def job(self, job_id: str) -> str:
        return f"{self.prefix}:job:{job_id}"

    def request(self, job_id: str) -> str:
        """Hash of chunk index → that chunk's ScoreRequest JSON (deleted once the job finishes)."""
        return f"{self.prefix}:job:{job_id}:request"

    def results(self, job_id: str) -> str:
        return f"{self.prefix}:job:{job_id}:results"

    def events(self, job_id: str) -> str:
        return f"{self.prefix}:job:{job_id}:events"

    def idempotency(self, key: str) -> str:
        return f"{self.prefix}:idempotency:{key}"

    @property
    def workers(self) -> str:
        """Sorted set of live workers, scored by when their heartbeat runs out (Redis clock, seconds)."""
        return f"{self.prefix}:workers"
