"""Prometheus metrics of one process, and the small API other modules use to feed them.

The sandbox code calls `record_sandbox_verdict(verdict)`; the queue sets `set_queue_depth(n)`,
`set_busy_workers(n)` and `set_live_workers(n)` (or registers a refresher with `Services.scrape_hooks`,
awaited on every scrape). With `serve --redis-url`, /metrics reads depth and live workers from the queue.
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from reward_server.outcomes import Failure
from reward_server.schemas import ScoreResult

__all__ = [
    "CONTENT_TYPE_LATEST",
    "REGISTRY",
    "observe_request",
    "record_results",
    "record_sandbox_verdict",
    "render",
    "set_busy_workers",
    "set_live_workers",
    "set_queue_depth",
]

# Our own registry: the process-wide default one also collects client-library internals we do not serve.
REGISTRY = CollectorRegistry(auto_describe=True)

REQUEST_SECONDS = Histogram(
    "reward_server_request_duration_seconds",
    "HTTP request latency, by route template and status code.",
    ["method", "route", "status"],
    # Scoring batches run from milliseconds (format only) to minutes (code under sandboxes).
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
    registry=REGISTRY,
)
ITEMS_SCORED = Counter(
    "reward_server_items_scored_total",
    "Items that received a score from a reward component.",
    ["component"],
    registry=REGISTRY,
)
ITEM_ERRORS = Counter(
    "reward_server_item_errors_total",
    "Item errors (reward null): one per component whose non-verdict nulled the item's reward, by "
    "component and failure class; component none: the item failed before any component ran.",
    ["component", "failure"],
    registry=REGISTRY,
)
NO_COMPONENT = "none"  # the `component` of an item error that names no component's failure
_FAILURES = frozenset(Failure)
SANDBOX_VERDICTS = Counter(
    "reward_server_sandbox_verdicts_total",
    "Verdicts of code runs in sandboxes (passed, failed, timeout, ...).",
    ["verdict"],
    registry=REGISTRY,
)
SANDBOX_DROPPED = Counter(
    "reward_server_sandbox_dropped_total",
    "Sandbox requests dropped before they ran: their caller left, or no slot was free in time.",
    ["reason"],
    registry=REGISTRY,
)
QUEUE_DEPTH = Gauge(
    "reward_server_queue_depth", "Scoring jobs waiting in the queue for a worker.", registry=REGISTRY
)
BUSY_WORKERS = Gauge(
    "reward_server_busy_workers", "Queue workers currently scoring a chunk.", registry=REGISTRY
)
LIVE_WORKERS = Gauge(
    "reward_server_live_workers", "Queue workers whose heartbeat is current.", registry=REGISTRY
)


def observe_request(method: str, route: str, status: int, duration_s: float) -> None:
    REQUEST_SECONDS.labels(method=method, route=route, status=str(status)).observe(duration_s)


def record_results(results: Iterable[ScoreResult], *, unclassified: Failure = Failure.INTERNAL_ERROR) -> None:
    """Count each component score, each item error and each sandbox verdict of a scored batch.

    Verdicts and failure classes are read from the results (`details[component]["verdicts"]` and
    `["failure"]`), so they are counted where /metrics is scraped whether the batch was scored in this
    process or by queue workers. An item error counts once per component whose non-verdict made it
    (its details hold a `Failure` value and no `error` message of their own: a weight-0 component's
    failure leaves the reward standing, outcomes.py); an error naming no such component counts once
    as component ``none`` with failure `unclassified` (the scoring pipeline classifies every error it
    makes, so on /v1/score that is a bug: internal_error).
    """
    for result in results:
        for component in result.scores:
            ITEMS_SCORED.labels(component=component).inc()
            details = result.details.get(component)
            verdicts = details.get("verdicts") if isinstance(details, dict) else None
            if isinstance(verdicts, list):
                for verdict in verdicts:
                    record_sandbox_verdict(str(verdict))
        if result.error is not None:
            for component, failure in _failures(result) or [(NO_COMPONENT, unclassified.value)]:
                ITEM_ERRORS.labels(component=component, failure=failure).inc()


def _failures(result: ScoreResult) -> list[tuple[str, str]]:
    """(component, failure class) of each non-verdict that made this result's error."""
    failed: list[tuple[str, str]] = []
    for component, details in result.details.items():
        if component in result.scores or not isinstance(details, dict) or "error" in details:
            continue
        failure = details.get("failure")
        if isinstance(failure, str) and failure in _FAILURES:
            failed.append((component, failure))
    return failed


def record_sandbox_verdict(verdict: str) -> None:
    """One code run in a sandbox finished with `verdict` (keep the set of verdicts small and fixed)."""
    SANDBOX_VERDICTS.labels(verdict=verdict).inc()


def record_sandbox_dropped(reason: str) -> None:
    SANDBOX_DROPPED.labels(reason=reason).inc()


def set_queue_depth(depth: int) -> None:
    QUEUE_DEPTH.set(depth)


def set_busy_workers(count: int) -> None:
    BUSY_WORKERS.set(count)


def set_live_workers(count: int) -> None:
    LIVE_WORKERS.set(count)


def render() -> bytes:
    """The Prometheus text exposition of every metric above."""
    return generate_latest(REGISTRY)
