"""The dynamic batcher and the `--reward-model` spec, without torch."""

from __future__ import annotations

import asyncio
import threading

import pytest

from reward_server.reward_model import (
    DynamicBatcher,
    RewardModelSpecError,
    parse_reward_model_spec,
    plan_batches,
    view_completion,
)
from reward_server.reward_model.batcher import TokenIds


class RecordingForward:
    """A forward pass that scores a sequence by its length and records each batch it saw."""

    def __init__(self, *, fail_on: int | None = None) -> None:
        self.batches: list[list[int]] = []
        self.threads: set[str] = set()
        self.fail_on = fail_on

    def __call__(self, batch: list[TokenIds]) -> list[float]:
        self.threads.add(threading.current_thread().name)
        lengths = [len(ids) for ids in batch]
        self.batches.append(lengths)
        if self.fail_on is not None and self.fail_on in lengths:
            raise RuntimeError("out of memory")
        return [float(n) for n in lengths]


def test_plan_batches_sorts_by_length_and_keeps_the_padded_budget() -> None:
    lengths = [30, 5, 7, 28, 6, 100, 29]
    plan = plan_batches(lengths, max_batch_tokens=90, max_batch_size=8, max_padding=1.0)
    assert sorted(i for batch in plan for i in batch) == list(range(len(lengths)))
    for batch in plan:
        assert len(batch) == 1 or len(batch) * max(lengths[i] for i in batch) <= 90
    assert [[lengths[i] for i in batch] for batch in plan] == [[5, 6, 7], [28, 29, 30], [100]]


def test_plan_batches_cuts_where_padding_would_exceed_its_limit() -> None:
    lengths = [10, 11, 12, 20, 21, 40]
    plan = plan_batches(lengths, max_batch_tokens=10_000, max_batch_size=64, max_padding=0.25)
    assert [[lengths[i] for i in batch] for batch in plan] == [[10, 11, 12], [20, 21], [40]]
    for batch in plan:
        real = sum(lengths[i] for i in batch)
        assert len(batch) * max(lengths[i] for i in batch) <= 1.25 * real


def test_plan_batches_respects_the_batch_size_cap() -> None:
    plan = plan_batches([4] * 10, max_batch_tokens=10_000, max_batch_size=4)
    assert [len(batch) for batch in plan] == [4, 4, 2]


async def test_concurrent_requests_share_forward_passes() -> None:
    forward = RecordingForward()
    batcher = DynamicBatcher(
        forward, max_batch_tokens=10_000, max_batch_size=64, max_wait_ms=10, max_padding=1.0
    )
    requests = [[[1] * n] for n in range(1, 33)]
    results = await asyncio.gather(*(batcher.submit(r) for r in requests))
    assert results == [[float(n)] for n in range(1, 33)]
    assert len(forward.batches) == 1 and sorted(forward.batches[0]) == list(range(1, 33))
    assert forward.threads and all(name.startswith("reward-model") for name in forward.threads)
    assert batcher.stats.sequences == 32 and batcher.stats.forwards == 1
    await batcher.close()


async def test_requests_arriving_during_a_forward_join_the_next_round() -> None:
    release = threading.Event()
    forward = RecordingForward()

    def slow_forward(batch: list[TokenIds]) -> list[float]:
        release.wait(timeout=5)
        return forward(batch)

    batcher = DynamicBatcher(
        slow_forward, max_batch_tokens=10_000, max_batch_size=64, max_wait_ms=0, max_padding=1.0
    )
    first = asyncio.create_task(batcher.submit([[1]]))
    await asyncio.sleep(0.02)  # the first forward is now running
    later = [asyncio.create_task(batcher.submit([[1] * n])) for n in (2, 3, 4)]
    await asyncio.sleep(0.02)
    release.set()
    assert await first == [1.0]
    assert [await t for t in later] == [[2.0], [3.0], [4.0]]
    assert forward.batches == [[1], [2, 3, 4]]
    await batcher.close()


async def test_a_failed_batch_is_split_until_only_the_culprit_fails() -> None:
    forward = RecordingForward(fail_on=5)
    batcher = DynamicBatcher(
        forward, max_batch_tokens=1000, max_batch_size=64, max_wait_ms=10, max_padding=10.0
    )
    outcomes = await asyncio.gather(*(batcher.submit([[1] * n]) for n in range(1, 9)), return_exceptions=True)
    assert forward.batches[0] == list(range(1, 9))  # one shared batch first
    for n, outcome in zip(range(1, 9), outcomes, strict=True):
        if n == 5:
            assert isinstance(outcome, RuntimeError) and "out of memory" in str(outcome)
        else:
            assert outcome == [float(n)]
    assert batcher.stats.split_retries == 3  # 8 → 4 → 2 → 1
    assert await batcher.submit([[1] * 2]) == [2.0]  # the batcher keeps working
    await batcher.close()


async def test_a_caller_that_gives_up_is_skipped() -> None:
    forward = RecordingForward()
    batcher = DynamicBatcher(forward, max_batch_tokens=10_000, max_batch_size=64, max_wait_ms=30)
    impatient = asyncio.create_task(batcher.submit([[1] * 7]))
    patient = asyncio.create_task(batcher.submit([[1] * 2]))
    await asyncio.sleep(0)
    impatient.cancel()
    assert await patient == [2.0]
    assert forward.batches == [[2]]
    await batcher.close()


async def test_close_during_a_forward_fails_its_callers_instead_of_hanging() -> None:
    release = threading.Event()

    def slow_forward(batch: list[TokenIds]) -> list[float]:
        release.wait(timeout=5)
        return [1.0] * len(batch)

    batcher = DynamicBatcher(slow_forward, max_batch_tokens=100, max_batch_size=1, max_wait_ms=0)
    running = asyncio.create_task(batcher.submit([[1], [2]]))  # two batches: one runs, one waits
    await asyncio.sleep(0.02)
    closing = asyncio.create_task(batcher.close())
    await asyncio.sleep(0.01)
    release.set()
    await closing
    with pytest.raises(RuntimeError, match="stopped"):
        await asyncio.wait_for(running, timeout=2)


async def test_close_fails_waiting_callers_and_refuses_new_ones() -> None:
    batcher = DynamicBatcher(RecordingForward(), max_batch_tokens=100, max_batch_size=4, max_wait_ms=1000)
    waiting = asyncio.create_task(batcher.submit([[1]]))
    await asyncio.sleep(0.01)
    await batcher.close()
    with pytest.raises(RuntimeError, match="stopped"):
        await waiting
    with pytest.raises(RuntimeError, match="closed"):
        await batcher.submit([[1]])


def test_spec_reads_name_path_and_options() -> None:
    spec = parse_reward_model_spec("helpful=/models/rm,view=answer,max_length=4096,mean=0.5,std=2")
    assert (spec.name, spec.path, spec.view, spec.max_length) == ("helpful", "/models/rm", "answer", 4096)
    assert (spec.mean, spec.std) == (0.5, 2.0)
    hub = parse_reward_model_spec("Skywork/Skywork-Reward-V2-Llama-3.1-8B")
    assert (hub.name, hub.path, hub.view) == ("default", "Skywork/Skywork-Reward-V2-Llama-3.1-8B", "full")
    dashed = parse_reward_model_spec(
        "rm=./ckpt, max-batch-tokens=8192, truncation-side=left, trust-remote-code=true"
    )
    assert (dashed.max_batch_tokens, dashed.truncation_side, dashed.trust_remote_code) == (8192, "left", True)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rm=/m,colour=blue", "unknown option 'colour=blue'"),
        ("rm=/m,view=summary", "view"),
        ("rm=/m,mean=1", "both `mean` and `std`"),
        ("rm=/m,std=0,mean=0", "std"),
        ("bad name=/m", "name"),
        ("rm=", "path"),
    ],
)
def test_spec_errors_name_the_problem(text: str, message: str) -> None:
    with pytest.raises(RewardModelSpecError, match="reward model") as info:
        parse_reward_model_spec(text)
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("completion", "answer", "found"),
    [
        ("<think>2+2=4</think><answer>4</answer>", "4", True),
        ("<think>2+2=4</think>\nThe answer is 4.", "The answer is 4.", True),
        ("2+2=4</think>The answer is 4.", "The answer is 4.", True),  # template opened <think>
        ("<think>2+2 is", "", False),
        ("Just 4.", "Just 4.", True),
    ],
)
def test_answer_view(completion: str, answer: str, found: bool) -> None:
    viewed = view_completion(completion, "answer")
    assert (viewed.text, viewed.answer_found) == (answer, found)
    assert view_completion(completion, "full").text == completion
