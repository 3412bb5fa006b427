"""The code judge on both backends: every case of tests/code_corpus.py (task shapes and reward
hacks) gets its expected score on Docker and on the local backend, and the two agree."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from reward_server.rewards.base import ComponentScore, ItemError
from reward_server.rewards.code import CodeChecker
from reward_server.schemas import CodeTask
from sandboxes import DockerConfig, DockerSandbox, LocalSandbox, Sandbox
from tests.code_corpus import CORPUS, Case
from tests.sandbox_helpers import require_bwrap, require_images

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(600)]

_OUTCOMES: dict[tuple[str, str], tuple[float | str, dict[str, Any]]] = {}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def local() -> AsyncIterator[Sandbox]:
    require_bwrap()
    box = LocalSandbox()
    await box.start()
    yield box
    await box.close()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def docker() -> AsyncIterator[Sandbox]:
    require_images(["python"])
    box = DockerSandbox(DockerConfig(pool_size=2, prewarm=("python",)))
    await box.start()
    yield box
    await box.close()


async def outcome(backend: str, sandbox: Sandbox, case: Case) -> tuple[float | str, dict[str, Any]]:
    key = (backend, case.name)
    if key not in _OUTCOMES:
        task = CodeTask.model_validate(case.full_task())
        result = await CodeChecker(sandbox).check(case.completion(), task)
        if isinstance(result, ItemError):
            _OUTCOMES[key] = ("error", {"error": result.message})
        else:
            assert isinstance(result, ComponentScore)
            _OUTCOMES[key] = (result.score, result.details)
    return _OUTCOMES[key]


@pytest.mark.parametrize("case", CORPUS, ids=lambda c: c.name)
async def test_local_backend(local: Sandbox, case: Case) -> None:
    got, details = await outcome("local", local, case)
    assert got == case.expected, details


@pytest.mark.docker
@pytest.mark.parametrize("case", CORPUS, ids=lambda c: c.name)
async def test_docker_backend(docker: Sandbox, case: Case) -> None:
    got, details = await outcome("docker", docker, case)
    assert got == case.expected, details


@pytest.mark.docker
async def test_both_backends_give_the_same_verdicts(local: Sandbox, docker: Sandbox) -> None:
    disagreements = []
    for case in CORPUS:
        on_local, local_details = await outcome("local", local, case)
        on_docker, docker_details = await outcome("docker", docker, case)
        verdicts = (local_details.get("verdicts"), docker_details.get("verdicts"))
        if on_local != on_docker or verdicts[0] != verdicts[1]:
            disagreements.append((case.name, on_local, on_docker, verdicts))
    agreed = len(CORPUS) - len(disagreements)
    print(f"backend agreement: {agreed}/{len(CORPUS)} cases")
    assert not disagreements, disagreements
