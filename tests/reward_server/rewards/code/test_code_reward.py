"""The code accuracy reward: extraction, output comparison, verdicts, and /v1/score end to end."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from reward_server.app import create_app
from reward_server.config import Settings
from reward_server.rewards.base import ComponentScore, ItemError
from reward_server.rewards.code import CodeChecker, extract_code, humaneval_program, outputs_match
from reward_server.schemas import CodeTask
from sandboxes import Execution, Limits, LocalConfig, LocalSandbox, RunResult
from tests.support.sandbox_helpers import require_images

# The first Docker test may build the Python image (debootstrap, about a minute on a fresh machine).
pytestmark = pytest.mark.timeout(600)

ADD_TEST = "def check(f):\n    assert f(2, 3) == 5\n    assert f(-1, 1) == 0\n"


def fenced(code: str, language: str = "python") -> str:
    return f"<think>easy</think><answer>Here:\n```{language}\n{code}\n```</answer>"


# ---- extraction and comparison ---------------------------------------------------------------


def test_code_is_the_last_block_of_the_language_in_the_answer() -> None:
    text = (
        "<think>```python\nthink_code()\n```</think>"
        "<answer>```js\nnot_this()\n```\n```python\nfirst()\n```\n```py\nsecond()\n```</answer>"
    )
    assert extract_code(text, "python") == "second()\n"


def test_code_falls_back_to_the_completion_then_untagged_then_plain_text() -> None:
    assert extract_code("no answer tag\n```cpp\nint main(){}\n```", "c++") == "int main(){}\n"
    assert extract_code("```\nprint(1)\n```", "python") == "print(1)\n"
    assert extract_code("<answer>print(2)</answer>", "python") == "print(2)"
    assert extract_code("print(3)", "python") == "print(3)"


def test_outputs_compare_per_line_ignoring_trailing_whitespace() -> None:
    assert outputs_match("1 2  \n3\n\n", "1 2\n3")
    assert outputs_match("a\r\nb\r\n", "a\nb\n")
    assert not outputs_match("1\n2\n", "1 2\n")
    assert not outputs_match("1\n\n2", "1\n2")
    assert not outputs_match(" 1", "1")  # leading whitespace counts


def test_comparison_accepts_what_codeforces_and_atcoder_accept() -> None:
    expected = "3 4\n5\n"
    for output in ("3 4\n5\n", "3 4\n5", "3 4  \n5\t\n", "3 4\r\n5\r\n", "3 4\n5\n\n\n", "3 4 \r\n5"):
        assert outputs_match(output, expected), repr(output)
        assert outputs_match(output, expected, mode="tokens"), repr(output)
    for output in ("3 4 5\n", "3\n4\n5\n"):  # whitespace layout: only the token checker accepts it
        assert not outputs_match(output, expected) and outputs_match(output, expected, mode="tokens")
    assert not outputs_match("3 4\n6\n", expected, mode="tokens")
    assert outputs_match("Yes\n", "YES", mode="tokens_ignore_case") and not outputs_match(
        "Yes", "YES", mode="tokens"
    )
    assert outputs_match("a\r\nb\r\n", "a\nb\n", mode="exact") and not outputs_match(
        "a \n", "a\n", mode="exact"
    )


def test_code_fences_indented_in_a_list_item_are_dedented() -> None:
    text = "Steps:\n\n1. Write it:\n\n   ```python\n   def f(x):\n       return x\n   ```\n"
    assert extract_code(text, "python") == "def f(x):\n    return x\n"
    nested = "- a\n  - b\n\n      ```python\n      if x:\n          y()\n      ```"
    assert extract_code(nested, "python") == "if x:\n    y()\n"


def test_float_error_can_be_absolute_or_relative_only() -> None:
    assert outputs_match("1000.5", "1000", 1e-3)  # relative above 1 by default (testlib doubleCompare)
    assert not outputs_match("1000.5", "1000", 1e-3, float_error="absolute")
    assert outputs_match("1000.5", "1000", 1e-3, float_error="relative")
    assert outputs_match("0.0005", "0", 1e-3, float_error="absolute")
    assert not outputs_match("0.0005", "0", 1e-3, float_error="relative")


def test_float_tolerance_applies_token_by_token() -> None:
    assert outputs_match("0.3333333 x\n", "0.333333 x\n", float_tolerance=1e-5)
    assert not outputs_match("0.3334 x\n", "0.333333 x\n", float_tolerance=1e-5)
    assert outputs_match("1000000.5\n", "1000000.0\n", float_tolerance=1e-6)  # relative above 1
    assert not outputs_match("0.33 y\n", "0.33 x\n", float_tolerance=1.0)
    assert not outputs_match("0.3333333\n", "0.333333\n")


def test_float_tolerance_reads_only_numbers_as_judges_write_them() -> None:
    # Python's float() reads these; no judge's checker takes them for the number.
    assert not outputs_match("1_000\n", "1000\n", float_tolerance=1e-6)
    assert not outputs_match("\u0661\u0662\n", "12\n", float_tolerance=1e-6)  # Arabic-Indic digits
    assert not outputs_match("\uff11\uff12\n", "12\n", float_tolerance=1e-6)  # full-width digits
    assert outputs_match("+1.0E3 .5 -2. inf\n", "1000 0.5 -2 inf\n", float_tolerance=1e-6)


def test_humaneval_program_calls_check_on_the_entry_point() -> None:
    assert humaneval_program("def add(a, b):\n    return a + b\n", ADD_TEST, "add").endswith("check(add)\n")


@pytest.mark.parametrize(
    ("task", "message"),
    [
        ({"type": "code", "language": "python"}, "either test_code"),
        (
            {"type": "code", "language": "python", "test_code": "x", "tests": [{"expected_stdout": ""}]},
            "not both",
        ),
        ({"type": "code", "language": "cobol", "test_code": "x"}, "unknown language 'cobol'"),
        ({"type": "code", "language": "python", "tests": []}, "at least 1"),
        ({"type": "code", "language": "python", "test_code": "x", "time_limit_s": 0}, "greater than 0"),
        ({"type": "code", "language": "python", "test_code": " \n"}, "test_code is empty"),
        (
            {"type": "code", "language": "python", "test_code": ADD_TEST},
            "entry_point: test_code defines check",
        ),
        ({"type": "code", "language": "python", "test_code": ADD_TEST, "entry_point": " "}, "entry_point"),
        ({"type": "code", "language": "python", "test_code": "def test_x():\n    f(1)\n"}, "has no assert"),
        ({"type": "code", "language": "python", "test_code": "def check(:"}, "not valid Python"),
        (
            {"type": "code", "language": "cpp", "test_code": "// no tests", "entry_point": "main"},
            "Python only",
        ),
        (
            {
                "type": "code",
                "language": "python",
                "test_code": "assert 1",
                "checker": {"language": "python", "code": "x"},
            },
            "checker",
        ),
        (
            {
                "type": "code",
                "language": "py",
                "tests": [{"expected_stdout": ""}],
                "checker": {"language": "go", "code": "x"},
            },
            "checker language",
        ),
        (
            {
                "type": "code",
                "language": "py",
                "tests": [{"expected_stdout": ""}],
                "checker": {"language": "python", "code": "x", "files": {"../testlib.h": ""}},
            },
            "must be a relative path",
        ),
        (
            {
                "type": "code",
                "language": "py",
                "tests": [{"expected_stdout": ""}],
                "checker": {"language": "cpp", "code": "x", "files": {"/etc/testlib.h": ""}},
            },
            "must be a relative path",
        ),
    ],
)
def test_bad_code_tasks_are_refused_naming_the_field(task: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        CodeTask.model_validate(task)


# ---- the checker on the local sandbox (always available) ---------------------------------------


class FlakySandbox(LocalSandbox):
    """A real local sandbox whose first `failures` executions hit an infrastructure error."""

    def __init__(self, failures: int) -> None:
        super().__init__(LocalConfig())
        self.failures = failures
        self.calls = 0

    async def _execute(self, *args: Any, **kwargs: Any) -> Execution:
        self.calls += 1
        if self.calls <= self.failures:
            return Execution(runs=[RunResult.sandbox_error("container vanished")])
        return await super()._execute(*args, **kwargs)


def humaneval_task(**extra: Any) -> CodeTask:
    return CodeTask.model_validate(
        {"type": "code", "language": "python", "test_code": ADD_TEST, "entry_point": "add", **extra}
    )


async def test_sandbox_errors_are_retried_then_become_an_item_error() -> None:
    good = fenced("def add(a, b):\n    return a + b")
    recovered = FlakySandbox(failures=2)
    outcome = await CodeChecker(recovered, retries=2).check(good, humaneval_task())
    assert isinstance(outcome, ComponentScore) and outcome.score == 1.0 and recovered.calls == 3
    broken = FlakySandbox(failures=10)
    outcome = await CodeChecker(broken, retries=2).check(good, humaneval_task())
    assert isinstance(outcome, ItemError) and "container vanished" in outcome.message and broken.calls == 3
    assert outcome.as_details() == {"failure": "sandbox_error", "attempts": 3}


class PythonOnlySandbox(LocalSandbox):
    """A real local sandbox on a machine whose only toolchain is Python."""

    def languages(self) -> list[str]:
        return ["python"]


async def test_a_language_the_sandbox_lacks_is_an_item_error() -> None:
    sandbox = PythonOnlySandbox()
    task = CodeTask.model_validate({"type": "code", "language": "rust", "tests": [{"expected_stdout": "1"}]})
    [outcome] = await CodeChecker(sandbox).score([_item(fenced("fn main(){}", "rust"), task)])
    assert isinstance(outcome, ItemError) and "'rust' is not available" in outcome.message
    assert outcome.failure == "invalid_item"


async def test_no_code_scores_zero_without_running_anything() -> None:
    sandbox = FlakySandbox(failures=0)
    outcome = await CodeChecker(sandbox).check("<answer>```python\n\n```</answer>", humaneval_task())
    assert isinstance(outcome, ComponentScore) and outcome.score == 0.0 and sandbox.calls == 0


def _item(completion: str, task: CodeTask) -> Any:
    from reward_server.schemas import ScoreItem

    return ScoreItem(completion=completion, task=task)


# ---- /v1/score end to end on the Docker backend ------------------------------------------------


@pytest.fixture(scope="module")
def docker_client() -> Iterator[TestClient]:
    # The sandbox learns which language images exist when it starts: build every one this module uses first.
    require_images(["python", "cpp"])
    settings = Settings(
        cpu_workers=1,
        sandbox="docker",
        sandbox_pool_size=2,
        default_rewards={"accuracy": 1.0},
        max_body_bytes=1 << 20,
    )
    with TestClient(create_app(settings)) as client:
        yield client


def score_code(client: TestClient, completion: str, task: dict[str, Any]) -> dict[str, Any]:
    body = {"items": [{"completion": completion, "task": {"type": "code", "language": "python", **task}}]}
    response = client.post("/v1/score", json=body)
    assert response.status_code == 200, response.text
    [result] = response.json()["results"]
    return result  # type: ignore[no-any-return]


HUMANEVAL = {"test_code": ADD_TEST, "entry_point": "add"}
JUDGE = {
    "tests": [
        {"stdin": "1 2\n", "expected_stdout": "3\n"},
        {"stdin": "10 20\n", "expected_stdout": "30"},
        {"stdin": "2 2\n", "expected_stdout": "5\n"},
    ]
}
SUM_PROGRAM = "a, b = map(int, input().split())\nprint(a + b)"


@pytest.mark.docker
def test_humaneval_style_passes_and_fails(docker_client: TestClient) -> None:
    passed = score_code(docker_client, fenced("def add(a, b):\n    return a + b"), HUMANEVAL)
    assert passed["error"] is None and passed["scores"]["accuracy"] == 1.0 and passed["reward"] == 1.0
    assert passed["details"]["accuracy"]["verdicts"] == ["accepted"]
    failed = score_code(docker_client, fenced("def add(a, b):\n    return a - b"), HUMANEVAL)
    assert failed["scores"]["accuracy"] == 0.0
    assert failed["details"]["accuracy"]["verdicts"] == ["wrong_answer"]
    assert "AssertionError" in failed["details"]["accuracy"]["reason"]  # where the tests failed
    crashed = score_code(docker_client, fenced("def add(a, b):\n    return a +"), HUMANEVAL)
    assert crashed["details"]["accuracy"]["verdicts"] == ["runtime_error"]


@pytest.mark.docker
def test_judge_style_scores_the_fraction_of_tests_passed(docker_client: TestClient) -> None:
    result = score_code(docker_client, fenced(SUM_PROGRAM), JUDGE)
    assert result["scores"]["accuracy"] == pytest.approx(2 / 3)
    details = result["details"]["accuracy"]
    assert details["verdicts"] == ["accepted", "accepted", "wrong_answer"]
    assert details["passed"] == 2 and details["total"] == 3


@pytest.mark.docker
def test_stop_on_first_failure_skips_the_rest(docker_client: TestClient) -> None:
    tests = [JUDGE["tests"][2], JUDGE["tests"][0], JUDGE["tests"][1]]
    result = score_code(docker_client, fenced(SUM_PROGRAM), {"tests": tests, "stop_on_first_failure": True})
    details = result["details"]["accuracy"]
    assert details["verdicts"] == ["wrong_answer"] and details["skipped"] == 2
    assert result["scores"]["accuracy"] == 0.0


@pytest.mark.docker
def test_limits_from_the_task_give_their_verdicts(docker_client: TestClient) -> None:
    slow = score_code(docker_client, fenced("while True:\n    pass"), {**JUDGE, "time_limit_s": 0.5})
    assert slow["details"]["accuracy"]["verdicts"] == ["time_limit"] * 3
    hog = score_code(docker_client, fenced("x = bytearray(300 << 20)"), {**HUMANEVAL, "memory_limit_mb": 64})
    assert hog["details"]["accuracy"]["verdicts"] == ["memory_limit"]


@pytest.mark.docker
def test_float_tolerance_in_a_judge_task(docker_client: TestClient) -> None:
    task = {"tests": [{"stdin": "", "expected_stdout": "0.333333"}], "float_tolerance": 1e-4}
    assert score_code(docker_client, fenced("print(1/3)"), task)["scores"]["accuracy"] == 1.0


@pytest.mark.docker
def test_a_batch_mixing_math_code_and_bad_code(docker_client: TestClient) -> None:
    items = [
        {"completion": "<answer>\\boxed{2}</answer>", "task": {"type": "math", "answer": "2"}},
        {"completion": fenced(SUM_PROGRAM), "task": {"type": "code", "language": "python", **JUDGE}},
        {
            "completion": fenced("import os\nos.kill(1, 9)\nwhile 1: pass"),
            "task": {"type": "code", "language": "py", **HUMANEVAL, "time_limit_s": 0.5},
        },
    ]
    response = docker_client.post("/v1/score", json={"items": items})
    assert response.status_code == 200, response.text
    scores = [r["scores"].get("accuracy") for r in response.json()["results"]]
    assert scores == [1.0, pytest.approx(2 / 3), 0.0]


@pytest.mark.docker
def test_unknown_language_is_a_422_naming_the_field(docker_client: TestClient) -> None:
    body = {"items": [{"completion": "x", "task": {"type": "code", "language": "cobol", "test_code": "x"}}]}
    response = docker_client.post("/v1/score", json=body)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"][-2:] == ["code", "language"] and "cobol" in error["msg"]


@pytest.mark.docker
def test_healthz_reports_the_sandbox(docker_client: TestClient) -> None:
    body = docker_client.get("/healthz").json()
    assert body["sandbox"]["kind"] == "docker" and body["sandbox"]["isolation"] == "docker"
    assert "python" in body["sandbox"]["languages"]
    assert body["status"] == "ok" and body["sandbox"]["status"] == "ok"
    assert body["sandbox"]["toolchains"]["python"].startswith("Python 3.11")  # recorded at image build


def test_local_sandbox_is_flagged_as_weaker_in_healthz() -> None:
    settings = Settings(cpu_workers=1, sandbox="local")
    with TestClient(create_app(settings)) as client:
        sandbox = client.get("/healthz").json()["sandbox"]
        result = score_code(client, fenced("def add(a, b):\n    return a + b"), HUMANEVAL)
    assert sandbox["kind"] == "local" and "weaker" in sandbox["warning"]
    assert "memory" in sandbox["enforced"] and isinstance(sandbox["not_enforced"], list)
    assert sandbox["toolchains"]["python"].startswith("Python 3.")
    assert result["scores"]["accuracy"] == 1.0


def test_limits_dataclass_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="time limits"):
        Limits(time_limit_s=0)


@pytest.mark.docker
@pytest.mark.slow
def test_cpp_judge_task_through_score(docker_client: TestClient) -> None:
    require_images(["cpp"])
    code = "#include <iostream>\nint main(){long a,b; std::cin>>a>>b; std::cout<<a*b<<std::endl;}"
    body = {
        "items": [
            {
                "completion": fenced(code, "cpp"),
                "task": {
                    "type": "code",
                    "language": "cpp",
                    "tests": [
                        {"stdin": "6 7", "expected_stdout": "42"},
                        {"stdin": "2 2", "expected_stdout": "5"},
                    ],
                },
            },
            {
                "completion": fenced("int main( {", "cpp"),
                "task": {"type": "code", "language": "c++", "tests": [{"expected_stdout": ""}]},
            },
        ]
    }
    response = docker_client.post("/v1/score", json=body)
    assert response.status_code == 200, response.text
    judged, broken = response.json()["results"]
    assert judged["details"]["accuracy"]["verdicts"] == ["accepted", "wrong_answer"]
    assert broken["details"]["accuracy"]["verdicts"] == ["compile_error"]
    assert "error" in broken["details"]["accuracy"]["compile_output"]


@pytest.mark.docker
@pytest.mark.parametrize(
    "escape",
    [
        "import sys\nsys.exit(0)",
        "import os\nos._exit(0)",
        "exit()",
        "raise SystemExit",
        "import os\nos.kill(os.getpid(), 9)",
    ],
)
def test_exiting_before_the_tests_run_does_not_pass(docker_client: TestClient, escape: str) -> None:
    code = f"def add(a, b):\n    return a - b\n\n{escape}"
    result = score_code(docker_client, fenced(code), HUMANEVAL)
    assert result["scores"]["accuracy"] == 0.0, result


# ---- choosing the sandbox --------------------------------------------------------------------


def test_cli_flags_pick_the_sandbox() -> None:
    from reward_server.cli import build_parser, settings_from_args

    args = build_parser().parse_args(["serve", "--sandbox", "local", "--sandbox-pool-size", "3"])
    settings = settings_from_args(args)
    assert settings.sandbox == "local" and settings.sandbox_pool_size == 3
    assert Settings().sandbox == "auto"


async def test_auto_falls_back_to_local_loudly_when_docker_does_not_answer(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from reward_server.sandboxing import create_sandbox

    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    sandbox = await create_sandbox(Settings(sandbox="auto"))
    try:
        assert isinstance(sandbox, LocalSandbox)
        assert "falling back to the local sandbox" in caplog.text
        assert "LOCAL sandbox" in caplog.text and "weaker" in caplog.text
    finally:
        assert sandbox is not None
        await sandbox.close()


async def test_explicit_docker_refuses_to_start_without_a_daemon(monkeypatch: pytest.MonkeyPatch) -> None:
    from reward_server.sandboxing import create_sandbox
    from sandboxes import SandboxError

    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    with pytest.raises(SandboxError, match="--sandbox docker"):
        await create_sandbox(Settings(sandbox="docker"))
    assert await create_sandbox(Settings(sandbox="none")) is None
