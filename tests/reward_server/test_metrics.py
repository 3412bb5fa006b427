"""/metrics in Prometheus text, request ids on every answer, JSON log lines carrying them."""

from __future__ import annotations

import json
import logging
import re
import sys

from fastapi.testclient import TestClient

from reward_server import metrics
from reward_server.app import create_app
from reward_server.config import Settings
from reward_server.logs import JsonFormatter, RequestIdFilter, request_id_var
from reward_server.schemas import ScoreResult
from tests.support.prometheus import increase, labels, sample, samples

GOOD = "<think>t</think><answer>\\boxed{1}</answer>"
SANDBOX = "reward_server_sandbox_verdicts_total"
ERRORS = "reward_server_item_errors_total"


def test_metrics_is_prometheus_text(client: TestClient) -> None:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    for name in (
        "reward_server_request_duration_seconds",
        "reward_server_items_scored_total",
        "reward_server_sandbox_verdicts_total",
        "reward_server_queue_depth",
        "reward_server_busy_workers",
    ):
        assert f"# TYPE {name} " in response.text


def test_scoring_counts_items_per_component_and_errors(client: TestClient) -> None:
    before_acc = sample(client, "reward_server_items_scored_total", component="accuracy")
    before_fmt = sample(client, "reward_server_items_scored_total", component="format")
    before_err = samples(client, ERRORS)
    items = [
        {"completion": GOOD, "task": {"type": "math", "answer": "1"}},
        {"completion": GOOD, "task": {"type": "math", "answer": "2"}},
        {"completion": GOOD},  # accuracy without a task: an item error
    ]
    response = client.post("/v1/score", json={"items": items, "rewards": {"accuracy": 1, "format": 1}})
    assert response.status_code == 200
    assert sample(client, "reward_server_items_scored_total", component="accuracy") == before_acc + 2
    assert sample(client, "reward_server_items_scored_total", component="format") == before_fmt + 3
    assert increase(before_err, samples(client, ERRORS)) == {
        labels(component="accuracy", failure="invalid_item"): 1
    }


def test_each_item_error_is_counted_once_by_component_and_failure_class(client: TestClient) -> None:
    """Bad input, bad gold and a watched (weight 0) component's failure, through POST /v1/score."""
    before = samples(client, ERRORS)
    items = [
        {"id": "no-task", "completion": GOOD},  # accuracy needs a task: invalid_item
        {"id": "bad-gold", "completion": GOOD, "task": {"type": "math", "answer": "."}},  # empty gold
        {"id": "fine", "completion": GOOD, "task": {"type": "math", "answer": "1"}},
        # accuracy watched at weight 0 fails too, but the item keeps its reward: no item error
        {"id": "watched", "completion": GOOD, "rewards": {"format": 1, "accuracy": 0}},
    ]
    response = client.post("/v1/score", json={"items": items, "rewards": {"accuracy": 1, "format": 1}})
    assert response.status_code == 200, response.text
    results = {r["id"]: r for r in response.json()["results"]}
    assert results["bad-gold"]["details"]["accuracy"]["failure"] == "unusable_gold"
    assert results["watched"]["error"] is None and results["watched"]["details"]["accuracy"]["failure"]
    assert increase(before, samples(client, ERRORS)) == {
        labels(component="accuracy", failure="invalid_item"): 1,
        labels(component="accuracy", failure="unusable_gold"): 1,
    }


def test_a_peer_sample_that_never_became_an_item_counts_as_invalid_input(client: TestClient) -> None:
    """OpenRLHF's /get_reward: a label that is no task fails before any component runs."""
    before = samples(client, ERRORS)
    body = {"query": ["2+2? <answer>\\boxed{4}</answer>"], "prompts": ["2+2?"], "labels": [{"type": "nope"}]}
    response = client.post("/get_reward", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["extra_logs"]["reward_error"] == [1.0]
    assert increase(before, samples(client, ERRORS)) == {labels(component="none", failure="invalid_item"): 1}


def test_the_item_error_counter_takes_only_the_failure_classes_and_none(client: TestClient) -> None:
    """Its label values stay bounded whatever a result's details say: an unknown class is no class."""
    result = ScoreResult(
        reward=None,
        error="accuracy: odd",
        details={"accuracy": {"failure": "made_up"}, "format": {"failure": "timeout", "error": "watched"}},
    )
    before = samples(client, ERRORS)
    metrics.record_results([result])
    assert increase(before, samples(client, ERRORS)) == {
        labels(component="none", failure="internal_error"): 1
    }


def test_latency_is_recorded_per_route_template_and_status(client: TestClient) -> None:
    labels = {"method": "POST", "route": "/v1/score", "status": "422"}
    before = sample(client, "reward_server_request_duration_seconds_count", **labels)
    client.post("/v1/score", json={"items": "nope"})
    assert sample(client, "reward_server_request_duration_seconds_count", **labels) == before + 1
    # Unknown paths share one series instead of creating one per path.
    client.get("/no/such/path/12345")
    text = client.get("/metrics").text
    assert "12345" not in text and 'route="unmatched"' in text


def test_sandbox_verdicts_and_queue_gauges_are_fed_by_the_api(client: TestClient) -> None:
    before = sample(client, "reward_server_sandbox_verdicts_total", verdict="timeout")
    metrics.record_sandbox_verdict("timeout")
    metrics.record_sandbox_verdict("timeout")
    assert sample(client, "reward_server_sandbox_verdicts_total", verdict="timeout") == before + 2
    metrics.set_queue_depth(17)
    metrics.set_busy_workers(3)
    assert sample(client, "reward_server_queue_depth") == 17
    assert sample(client, "reward_server_busy_workers") == 3
    metrics.set_queue_depth(0)
    metrics.set_busy_workers(0)


def test_scrape_hooks_refresh_gauges_and_a_failing_hook_does_not_break_the_scrape(
    client: TestClient,
) -> None:
    services = client.app.state.services  # type: ignore[attr-defined]

    async def refresh() -> None:
        metrics.set_queue_depth(42)

    async def broken() -> None:
        raise ConnectionError("redis is down")

    services.scrape_hooks[:] = [broken, refresh]
    try:
        assert sample(client, "reward_server_queue_depth") == 42
    finally:
        services.scrape_hooks.clear()
        metrics.set_queue_depth(0)


def test_request_id_is_echoed_or_generated(client: TestClient) -> None:
    given = client.get("/healthz", headers={"X-Request-ID": "trainer-step-7.item:3"})
    assert given.headers["x-request-id"] == "trainer-step-7.item:3"
    generated = client.get("/healthz")
    assert re.fullmatch(r"[0-9a-f]{32}", generated.headers["x-request-id"])
    # Ids that could forge log lines or blow up headers are replaced, not echoed.
    for bad in ["x" * 200, "two words", 'quote"d']:
        answer = client.get("/healthz", headers={"X-Request-ID": bad})
        assert answer.headers["x-request-id"] != bad
    # Refusals carry an id too.
    assert client.post("/v1/score", json={}).headers["x-request-id"]


def test_json_log_lines_carry_the_request_id_and_extras() -> None:
    record = logging.LogRecord("reward_server.x", logging.WARNING, __file__, 1, "scored %d", (3,), None)
    record.status = 200
    token = request_id_var.set("req-1")
    try:
        RequestIdFilter().filter(record)
    finally:
        request_id_var.reset(token)
    entry = json.loads(JsonFormatter().format(record))
    assert entry["msg"] == "scored 3"
    assert entry["level"] == "warning"
    assert entry["request_id"] == "req-1"
    assert entry["status"] == 200
    assert entry["ts"].endswith("Z")


def test_json_log_lines_carry_exceptions() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    entry = json.loads(JsonFormatter().format(record))
    assert "ValueError: boom" in entry["exc"]


def test_code_runs_count_their_sandbox_verdicts() -> None:
    settings = Settings(cpu_workers=1, sandbox="local")
    program = "```python\na, b = map(int, input().split())\nprint(a + b)\n```"
    task = {
        "type": "code",
        "language": "python",
        "tests": [
            {"stdin": "1 2\n", "expected_stdout": "3\n"},
            {"stdin": "2 2\n", "expected_stdout": "5\n"},
        ],
    }
    with TestClient(create_app(settings)) as local:
        before = {v: sample(local, SANDBOX, verdict=v) for v in ("accepted", "wrong_answer")}
        body = {
            "items": [{"completion": f"<answer>{program}</answer>", "task": task}],
            "rewards": {"accuracy": 1},
        }
        [result] = local.post("/v1/score", json=body).json()["results"]
        assert result["details"]["accuracy"]["verdicts"] == ["accepted", "wrong_answer"]
        assert sample(local, SANDBOX, verdict="accepted") == before["accepted"] + 1
        assert sample(local, SANDBOX, verdict="wrong_answer") == before["wrong_answer"] + 1


class FakeQueue:
    """What /metrics reads from `serve --redis-url`'s JobQueue."""

    def __init__(self, depth: int, live: int, fail: bool = False) -> None:
        self.depth, self.live, self.fail = depth, live, fail

    async def queued_items(self) -> int:
        if self.fail:
            raise ConnectionError("redis is down")
        return self.depth

    async def live_workers(self) -> int:
        return self.live

    async def busy_workers(self) -> int:
        return self.live - 1


def test_queue_depth_and_live_workers_are_read_from_the_queue_on_each_scrape(client: TestClient) -> None:
    services = client.app.state.services  # type: ignore[attr-defined]
    services.queue = FakeQueue(depth=130, live=4)
    try:
        assert sample(client, "reward_server_queue_depth") == 130
        assert sample(client, "reward_server_live_workers") == 4
        assert sample(client, "reward_server_busy_workers") == 3
        services.queue = FakeQueue(depth=1, live=1, fail=True)
        assert client.get("/metrics").status_code == 200  # stale gauges, no failed scrape
        assert sample(client, "reward_server_queue_depth") == 130
    finally:
        del services.queue
        metrics.set_queue_depth(0)
        metrics.set_live_workers(0)
