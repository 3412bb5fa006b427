"""The code judge on both backends: every case of tests/support/code_corpus.py (task shapes and reward
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
from tests.support.code_corpus import CORPUS, Case
from tests.support.sandbox_helpers import require_bwrap, require_images

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


# ---- special judges ---------------------------------------------------------------------------

CPP_CHECKER = r"""
#include <cstdio>
#include <cstdlib>
// testlib's convention without testlib.h: argv = input, output, answer; 0 accepts, 1 rejects, 3 fails.
int main(int argc, char* argv[]) {
    if (argc != 4) return 3;
    FILE* in = std::fopen(argv[1], "r");
    FILE* out = std::fopen(argv[2], "r");
    if (!in || !out) return 3;
    long n, a, b;
    if (std::fscanf(in, "%ld", &n) != 1) return 3;
    if (std::fscanf(out, "%ld %ld", &a, &b) != 2) return 1;
    return (a + b == n && a > 0 && b > 0) ? 0 : 1;
}
"""


def split_task(checker: dict[str, Any]) -> CodeTask:
    return CodeTask.model_validate(
        {
            "type": "code",
            "language": "python",
            "tests": [
                {"stdin": "10\n", "expected_stdout": "5 5"},
                {"stdin": "3\n", "expected_stdout": "1 2"},
            ],
            "checker": checker,
            "time_limit_s": 5,
        }
    )


@pytest.mark.parametrize("backend", ["local", pytest.param("docker", marks=pytest.mark.docker)])
async def test_a_cpp_checker_judges_each_output(backend: str, request: pytest.FixtureRequest) -> None:
    sandbox: Sandbox = request.getfixturevalue(backend)
    if "cpp" not in sandbox.languages():
        if backend == "docker":
            require_images(["cpp"])
        pytest.skip(f"no C++ compiler on the {backend} backend")
    checker = CodeChecker(sandbox)
    task = split_task({"language": "cpp", "code": CPP_CHECKER})
    good = await checker.check("```python\nn = int(input())\nprint(n - 1, 1)\n```", task)
    assert isinstance(good, ComponentScore) and good.score == 1.0, good
    half = await checker.check("```python\nn = int(input())\nprint(n - 2, 1)\n```", task)
    assert isinstance(half, ComponentScore) and half.details["verdicts"] == ["wrong_answer", "wrong_answer"]
    crashed = await checker.check("```python\nn = int(input())\nprint(1 / 0)\n```", task)
    assert isinstance(crashed, ComponentScore) and crashed.details["verdicts"] == ["runtime_error"] * 2


async def test_a_checker_that_fails_is_an_item_error_not_a_verdict(local: Sandbox) -> None:
    failing = split_task({"language": "python", "code": "import sys\nsys.exit(3)\n"})
    outcome = await CodeChecker(local).check("```python\nprint(1, 1)\n```", failing)
    assert isinstance(outcome, ItemError) and "checker failed on test 0 (exit status 3)" in outcome.message
    assert outcome.failure == "unusable_gold"  # the task's checker, not the completion, failed
    broken = split_task({"language": "python", "code": "this is not python"})
    outcome = await CodeChecker(local).check("```python\nprint(1, 1)\n```", broken)
    assert isinstance(outcome, ItemError) and "checker failed" in outcome.message
