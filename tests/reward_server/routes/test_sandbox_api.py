"""POST /v1/sandbox/run and SandboxFusion's POST /run_code."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from reward_server.app import create_app
from reward_server.config import Settings
from tests.support.sandbox_helpers import require_images

# The first test may build the Python image (debootstrap, about a minute on a fresh machine).
pytestmark = [pytest.mark.docker, pytest.mark.timeout(600)]


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    require_images(["python"])
    settings = Settings(cpu_workers=1, sandbox="docker", sandbox_pool_size=1, max_body_bytes=1 << 20)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def post(client: TestClient, path: str, body: dict[str, Any], status: int = 200) -> dict[str, Any]:
    response = client.post(path, json=body)
    assert response.status_code == status, response.text
    return response.json()  # type: ignore[no-any-return]


def test_run_returns_the_documented_fields(client: TestClient) -> None:
    body = {
        "language": "python",
        "code": "import sys\nprint(input()[::-1])\nsys.stderr.write('e')",
        "stdin": "abc",
    }
    result = post(client, "/v1/sandbox/run", body)
    assert set(result) == {
        "status",
        "exit_code",
        "stdout",
        "stderr",
        "wall_time_s",
        "cpu_time_s",
        "truncated",
    }
    assert result["status"] == "ok" and result["exit_code"] == 0
    assert result["stdout"] == "cba\n" and result["stderr"] == "e" and result["truncated"] is False


def test_run_with_files_and_limits(client: TestClient) -> None:
    body = {
        "language": "py",
        "code": "print(open('input/data.txt').read(), flush=True)\nwhile True: pass",
        "files": {"input/data.txt": "payload"},
        "time_limit_s": 0.5,
    }
    result = post(client, "/v1/sandbox/run", body)
    assert result["status"] == "time_limit" and result["stdout"] == "payload\n"
    hog = post(
        client,
        "/v1/sandbox/run",
        {"language": "python", "code": "x = b'1' * (200 << 20)", "memory_limit_mb": 64},
    )
    assert hog["status"] == "memory_limit"


def test_run_output_over_the_cap_is_truncated(client: TestClient) -> None:
    result = post(client, "/v1/sandbox/run", {"language": "python", "code": "print('x' * (3 << 20))"})
    assert result["status"] == "output_limit" and result["truncated"] is True
    assert len(result["stdout"]) == 1 << 20


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"language": "cobol", "code": "x"}, ["body", "language"]),
        ({"language": "python", "code": "x", "files": {"../escape": "x"}}, ["body", "files"]),
        ({"language": "python", "code": "x", "fetch_files": ["/etc/passwd"]}, ["body", "fetch_files"]),
        ({"language": "python", "code": "x", "time_limit_s": -1}, ["body", "time_limit_s"]),
        ({"language": "python"}, ["body", "code"]),
    ],
)
def test_run_refuses_bad_requests_naming_the_field(
    client: TestClient, body: dict[str, Any], loc: list[str]
) -> None:
    [error] = post(client, "/v1/sandbox/run", body, status=422)["detail"]
    assert error["loc"] == loc


def test_run_code_speaks_sandbox_fusion(client: TestClient) -> None:
    ok = post(client, "/run_code", {"code": "print('Hello, world!')", "language": "python"})
    assert ok["status"] == "Success" and ok["message"] == "" and ok["compile_result"] is None
    assert ok["run_result"]["status"] == "Finished" and ok["run_result"]["return_code"] == 0
    assert ok["run_result"]["stdout"] == "Hello, world!\n" and ok["run_result"]["execution_time"] > 0
    assert set(ok) == {"status", "message", "compile_result", "run_result", "executor_pod_name", "files"}


def test_run_code_failures_in_sandbox_fusion_terms(client: TestClient) -> None:
    failed = post(client, "/run_code", {"code": "raise SystemExit(4)", "language": "python"})
    assert failed["status"] == "Failed" and failed["run_result"]["return_code"] == 4
    slow = post(client, "/run_code", {"code": "while True: pass", "language": "python", "run_timeout": 0.5})
    assert slow["status"] == "Failed" and slow["run_result"]["status"] == "TimeLimitExceeded"


def test_run_code_takes_stdin_and_base64_files_and_ignores_unknown_fields(client: TestClient) -> None:
    body = {
        "code": "print(input(), open('a.txt').read())",
        "language": "python",
        "stdin": "in",
        "files": {"a.txt": base64.b64encode(b"file").decode()},
        "fetch_files": [],
        "extra_field_from_a_newer_client": True,
    }
    result = post(client, "/run_code", body)
    assert result["status"] == "Success" and result["run_result"]["stdout"] == "in file\n"
    bad = post(client, "/run_code", {**body, "files": {"a.txt": "not base64!"}}, status=422)
    assert bad["detail"][0]["loc"] == ["body", "files", "a.txt"]


def test_sandbox_disabled_is_a_503() -> None:
    with TestClient(create_app(Settings(cpu_workers=1, sandbox="none"))) as client:
        response = client.post("/v1/sandbox/run", json={"language": "python", "code": "print(1)"})
    assert response.status_code == 503 and "not enabled" in response.json()["detail"][0]["msg"]


def test_run_code_sends_back_fetch_files_but_never_through_links(client: TestClient) -> None:
    code = (
        "import os\nopen('out.txt', 'w').write('result')\nos.symlink('/etc/passwd', 'link')\nos.mkfifo('p')"
    )
    body = {"code": code, "language": "python", "fetch_files": ["out.txt", "link", "p", "missing"]}
    result = post(client, "/run_code", body)
    assert result["status"] == "Success"
    assert result["files"] == {"out.txt": base64.b64encode(b"result").decode()}


@pytest.mark.parametrize(("memory_mb", "status"), [(1, 422), (15, 422), (70000, 422), (-1, 200), (16, 200)])
def test_run_code_memory_limit_out_of_range_is_a_422_naming_the_field(
    client: TestClient, memory_mb: int, status: int
) -> None:
    body = post(
        client, "/run_code", {"code": "print(1)", "language": "python", "memory_limit_MB": memory_mb}, status
    )
    if status == 422:
        assert body["detail"][0]["loc"] == ["body", "memory_limit_MB"]
    else:
        assert body["run_result"]["stdout"] == "1\n"


SLOW_TO_COMPILE_CPP = """
#include <bits/stdc++.h>
template <int N> struct Chain { static long value() { return Chain<N - 1>::value() + N; } };
template <> struct Chain<0> { static long value() { return 0; } };
int main() {
    std::map<std::string, std::vector<std::set<long>>> m;
    std::cout << Chain<800>::value() << m.size();
}
"""


def test_run_code_compile_killed_by_compile_timeout_is_time_limit_exceeded() -> None:
    """verl tells a compile timeout from a compile error by compile_result.status (SandboxFusion's shape)."""
    settings = Settings(cpu_workers=1, sandbox="local")
    with TestClient(create_app(settings)) as local_client:
        if "cpp" not in local_client.get("/healthz").json()["sandbox"]["languages"]:
            pytest.skip("g++ is not installed on this machine")
        body = {"code": SLOW_TO_COMPILE_CPP, "language": "cpp", "compile_timeout": 0.05}
        timed_out = post(local_client, "/run_code", body)
        assert timed_out["status"] == "Failed" and timed_out["run_result"] is None
        assert timed_out["compile_result"]["status"] == "TimeLimitExceeded", timed_out
        broken = post(local_client, "/run_code", {"code": "int main( {", "language": "cpp"})
        assert (
            broken["compile_result"]["status"] == "Finished" and broken["compile_result"]["return_code"] != 0
        )
