"""errors.http_error: the one place domain errors become HTTP answers (status, field, Retry-After)."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from reward_server.errors import (
    BatchTooLarge,
    Refusal,
    Refused,
    RequestError,
    RewardServerError,
    ServiceUnavailable,
    UnknownReward,
    http_error,
    install_error_handlers,
)
from reward_server.outcomes import Failure, ItemError, UnusableGold
from reward_server.pipeline import validate_batch_size
from reward_server.queue.errors import IdempotencyConflict, JobFinished, JobNotFound, QueueFull
from sandboxes import UnsafeFileName, UnsupportedLanguage


@pytest.mark.parametrize(
    ("error", "status", "field"),
    [
        (BatchTooLarge(5, 4), 413, ("body", "items")),
        (BatchTooLarge(5, 4, "query"), 413, ("body", "query")),
        (BatchTooLarge(5, 4, None), 413, ("body",)),
        (UnknownReward("acuracy", "no such reward"), 422, ("body", "rewards", "acuracy")),
        (UnknownReward("model", "no model", item=3), 422, ("body", "items", 3, "rewards", "model")),
        (UnknownReward("lenght", "no such reward", part="filters"), 422, ("body", "filters", "lenght")),
        (IdempotencyConflict("abc"), 422, ("header", "Idempotency-Key")),
        (JobNotFound("abc"), 404, ("path", "job_id")),
        (JobFinished("abc", "done"), 409, ("path", "job_id")),
        (UnsupportedLanguage("rust", ["python"]), 422, ("body", "language")),
        (UnsafeFileName("../x"), 422, ("body", "files")),
        (UnsafeFileName("/etc/passwd", "fetch_files"), 422, ("body", "fetch_files")),
    ],
)
def test_each_domain_error_maps_to_its_status_and_field(error: Exception, status: int, field: tuple) -> None:
    answer = http_error(error)
    assert isinstance(answer, RequestError)
    assert (answer.status_code, answer.field) == (status, field)
    assert answer.message == str(error)


def test_the_domain_errors_carry_their_data_and_name_no_http() -> None:
    full = QueueFull(waiting=120, limit=100, retry_after_s=2.0)
    assert (full.waiting, full.limit, full.retry_after_s) == (120, 100, 2.0)
    assert str(full) == "the job queue is full (120 items waiting, limit 100)"
    answer = http_error(full)
    assert isinstance(answer, ServiceUnavailable) and answer.status_code == 429
    assert answer.retry_after_s == 2.0 and answer.message.endswith("retry after the Retry-After delay")
    with pytest.raises(BatchTooLarge) as caught:
        validate_batch_size([1, 2, 3], 2, "groups")
    assert (caught.value.count, caught.value.limit, caught.value.part) == (3, 2, "groups")
    assert "413" not in str(caught.value) and "body" not in str(caught.value)


def test_a_queue_chunks_unknown_reward_is_shifted_to_the_jobs_item_index() -> None:
    error = UnknownReward("model", "no model", item=2).shifted(256)
    assert http_error(error).field == ("body", "items", 258, "rewards", "model")  # type: ignore[attr-defined]
    assert UnknownReward("x", "no", part="filters").shifted(5).item is None


def test_unusable_gold_is_an_item_outcome_not_an_http_error() -> None:
    gold = UnusableGold("the gold answer is empty")
    assert isinstance(gold, ItemError) and not isinstance(gold, RewardServerError)
    assert gold.failure is Failure.UNUSABLE_GOLD


def test_the_handlers_answer_with_the_mapping_and_retry_after() -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/full")
    async def full() -> None:
        raise QueueFull(7, 5, 3.0)

    @app.get("/file")
    async def file() -> None:
        raise UnsafeFileName("../x")

    client = TestClient(app)
    response = client.get("/full")
    assert response.status_code == 429 and response.headers["Retry-After"] == "3"
    assert response.json() == {
        "detail": [
            {
                "loc": [],
                "msg": "the job queue is full (7 items waiting, limit 5); retry after the Retry-After delay",
                "type": "unavailable",
            }
        ]
    }
    response = client.get("/file")
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "loc": ["body", "files"],
            "msg": "file name '../x' must be a relative path inside the workspace",
            "type": "request_error",
        }
    ]


@pytest.mark.parametrize(
    ("error", "status", "headers", "body"),
    [
        (
            QueueFull(7, 5, 0.2),  # a delay under a second is still a whole second
            429,
            {"retry-after": "1"},
            b'{"detail":[{"loc":[],"msg":"the job queue is full (7 items waiting, limit 5); '
            b'retry after the Retry-After delay","type":"unavailable"}]}',
        ),
        (
            IdempotencyConflict("job-1"),
            422,
            {},
            b'{"detail":[{"loc":["header","Idempotency-Key"],"msg":"this key was already used for job '
            b'job-1 with a different body; use a new key","type":"request_error"}]}',
        ),
        (
            JobNotFound("job-1"),
            404,
            {},
            b'{"detail":[{"loc":["path","job_id"],"msg":"no job \'job-1\': it never existed or its '
            b'results expired","type":"request_error"}]}',
        ),
        (
            JobFinished("job-1", "done"),
            409,
            {},
            b'{"detail":[{"loc":["path","job_id"],"msg":"job job-1 is already done",'
            b'"type":"request_error"}]}',
        ),
    ],
)
def test_each_queue_refusal_is_answered_byte_for_byte(
    error: Exception, status: int, headers: dict[str, str], body: bytes
) -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/refuse")
    async def refuse() -> None:
        raise error

    response = TestClient(app).get("/refuse")
    assert response.status_code == status
    assert response.content == body
    expected = {"content-type": "application/json", "content-length": str(len(body)), **headers}
    assert dict(response.headers) == expected


def test_a_refusal_from_any_package_is_mapped_by_its_kind_alone() -> None:
    """`http_error` knows no queue class: a new subpackage's refusal gets its answer from `Refused`."""

    class Gone(Refused):
        refusal = Refusal.NOT_FOUND
        subject = ("path", "thing_id")

    class Busy(Refused):
        refusal = Refusal.BUSY
        retry_after_s = 4.0

    gone = http_error(Gone("no thing 7"))
    assert isinstance(gone, RequestError)
    assert (gone.status_code, gone.field, gone.message) == (404, ("path", "thing_id"), "no thing 7")
    busy = http_error(Busy("too many things"))
    assert isinstance(busy, ServiceUnavailable)
    assert (busy.status_code, busy.retry_after_s) == (429, 4.0)
    assert isinstance(QueueFull(1, 1, 1.0), Refused) and QueueFull(1, 1, 1.0).refusal is Refusal.BUSY
