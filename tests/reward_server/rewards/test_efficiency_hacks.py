"""Ways a program could look faster than it is to the efficiency reward, on the local sandbox
(bubblewrap with a cgroup per run): each is charged its real work, so none scores near 1."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from reward_server.rewards.base import ComponentOutcome, ComponentScore
from reward_server.rewards.code import CodeChecker
from reward_server.rewards.code.efficiency import EfficiencyComponent, counts_program_cpu
from reward_server.rewards.shared_runs import shared_runs
from reward_server.schemas import ScoreItem
from sandboxes import LocalSandbox, Sandbox
from tests.reward_server.rewards.efficiency_tasks import (
    CLOSED_FORM_FN,
    TENFOLD,
    fenced,
    function_task,
    stdio_task,
)
from tests.support.sandbox_helpers import require_bwrap

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(600)]

# The tenfold loop's work, in a detached grandchild the program does not wait for as a child:
# it polls for the file the grandchild writes, sleeping (no CPU of its own).
FORKED = """import os, time
n = int(input())
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        for _ in range(10):
            s = 0
            for i in range(n):
                s += i
        with open(f"answer-{n}.tmp", "w") as f:
            f.write(str(s))
        os.rename(f"answer-{n}.tmp", f"answer-{n}")
    os._exit(0)
while not os.path.exists(f"answer-{n}"):
    time.sleep(0.01)
print(open(f"answer-{n}").read())
"""

# Tenfold work once, then an answer cached in every place a later round might still see.
CACHED = """import os
n = int(input())
places = [f"/tmp/cache-{n}", f"/dev/shm/cache-{n}", f"/workspace/cache-{n}"]
places.append(os.path.expanduser(f"~/cache-{n}"))
for place in places:
    if os.path.exists(place):
        print(open(place).read())
        raise SystemExit
for _ in range(10):
    s = 0
    for i in range(n):
        s += i
for place in places:
    try:
        with open(place, "w") as f:
            f.write(str(s))
    except OSError:
        pass
print(s)
"""

# HumanEval-style: the work happens when the module is imported, the function only looks it up.
AT_IMPORT = (
    "_TABLE = {}\nfor _ in range(10):\n    _s = 0\n    for _i in range(400_000):\n        _s += _i\n"
    "_TABLE[400_000] = _s\n_TABLE[10] = 45\n\n\ndef triangle(n):\n    return _TABLE[n]\n"
)


# Bounds that hold on a loaded host: tenfold work scores 0.1 quiet, 0.5 at most seen at load 30;
# a program charged nothing would score 1.0.
TENFOLD_AT_MOST = 0.65
CACHED_ROUND = 0.8


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def local() -> AsyncIterator[Sandbox]:
    require_bwrap()
    box = LocalSandbox()
    await box.start()
    if not counts_program_cpu(box):
        pytest.skip("this host's local sandbox has no CPU cgroup, so it offers no efficiency reward")
    yield box
    await box.close()


async def efficiency(sandbox: Sandbox, completion: str, task: dict[str, Any]) -> ComponentOutcome:
    with shared_runs():
        [outcome] = await EfficiencyComponent(CodeChecker(sandbox)).score(
            [ScoreItem.model_validate({"completion": completion, "task": task})]
        )
    return outcome


def scored(outcome: ComponentOutcome) -> ComponentScore:
    assert isinstance(outcome, ComponentScore), outcome
    return outcome


@pytest.mark.parametrize("code", [FORKED, CACHED], ids=["work in a detached grandchild", "answers cached"])
async def test_work_moved_out_of_sight_is_still_charged(local: Sandbox, code: str) -> None:
    result = scored(await efficiency(local, fenced(code), stdio_task()))
    assert "reason" not in result.details, result.details  # it passed its tests
    # Ten times the reference's work scores about 0.1 on a quiet host and up to 0.5 at load 30 (the
    # start-up floor grows with the load); a round that saw a cached answer scores 1.0.
    assert result.score < TENFOLD_AT_MOST, result.details
    assert max(result.details["round_scores"]) < CACHED_ROUND, result.details  # no round saw a cached answer


async def test_work_done_when_the_module_is_imported_is_charged(local: Sandbox) -> None:
    result = scored(await efficiency(local, fenced(AT_IMPORT), function_task()))
    assert "reason" not in result.details and result.score < TENFOLD_AT_MOST, result.details
    closed = scored(await efficiency(local, fenced(CLOSED_FORM_FN), function_task()))
    assert closed.score > result.score, (closed.details, result.details)


async def test_a_tenfold_program_that_fails_one_test_scores_zero_not_its_speed(local: Sandbox) -> None:
    task = stdio_task()
    task["tests"] = [
        *task["tests"],
        {"stdin": "3\n", "expected_stdout": "4"},
    ]  # 3 (the right answer) fails it
    result = scored(await efficiency(local, fenced(TENFOLD), task))
    assert result.score == 0.0 and result.details["reason"] == "the code fails a test"
