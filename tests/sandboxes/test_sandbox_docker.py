"""The Docker backend's contract: warm locked-down containers, compile once, run per stdin."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from sandboxes import DockerConfig, DockerSandbox, Limits, RunResult, UnsupportedLanguage, Verdict
from tests.support.sandbox_helpers import require_images

pytestmark = [pytest.mark.docker, pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(600)]

ECHO_DOUBLE_CPP = """
#include <iostream>
int main() { long x; while (std::cin >> x) std::cout << 2 * x << "\\n"; }
"""


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def sandbox() -> AsyncIterator[DockerSandbox]:
    require_images(["python"])
    box = DockerSandbox(DockerConfig(pool_size=2, prewarm=("python",)))
    await box.start()
    yield box
    await box.close()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def cpp_sandbox() -> AsyncIterator[DockerSandbox]:
    require_images(["python", "cpp"])
    box = DockerSandbox(DockerConfig(pool_size=1, prewarm=("cpp",)))
    await box.start()
    yield box
    await box.close()


async def test_containers_are_locked_down(sandbox: DockerSandbox) -> None:
    pool = sandbox._pools["python"]
    worker = await pool.acquire()
    try:
        attrs = await asyncio.to_thread(lambda: (worker.container.reload(), worker.container.attrs)[1])
    finally:
        pool.release(worker, healthy=True)
    host, config = attrs["HostConfig"], attrs["Config"]
    assert host["NetworkMode"] == "none"
    assert host["ReadonlyRootfs"] is True
    # The runner is root with three capabilities, only to start programs as another uid and kill them.
    assert host["CapDrop"] == ["ALL"] and sorted(host["CapAdd"]) == ["KILL", "SETGID", "SETUID"]
    assert "no-new-privileges" in host["SecurityOpt"]
    assert host["Privileged"] is False
    assert host["PidsLimit"] == 128
    assert host["Memory"] > 0 and host["MemorySwap"] == host["Memory"]
    assert host["NanoCpus"] == 1_000_000_000
    assert config["User"] == "0:0"
    assert sorted(e.split("=")[0] for e in config["Env"]) == ["HOME", "LANG", "PATH"]
    assert not any("docker.sock" in str(m) for m in attrs["Mounts"])
    assert set(host["Tmpfs"]) == {"/workspace", "/tmp"}


async def test_runs_once_per_stdin_and_reports_times(sandbox: DockerSandbox) -> None:
    execution = await sandbox.execute("python", "print(int(input()) * 2)", ["1", "20", "300"])
    assert [r.stdout for r in execution.runs] == ["2\n", "40\n", "600\n"]
    assert all(r.status is Verdict.OK and r.exit_code == 0 for r in execution.runs)
    assert all(0 < r.wall_time_s < 5 and r.cpu_time_s >= 0 for r in execution.runs)


async def test_nonzero_exit_is_a_runtime_error_with_its_output(sandbox: DockerSandbox) -> None:
    execution = await sandbox.execute("py", "import sys\nprint('partial')\nsys.exit(3)")
    run = execution.runs[0]
    assert run.status is Verdict.RUNTIME_ERROR and run.exit_code == 3 and run.stdout == "partial\n"


async def test_extra_files_are_in_the_workspace(sandbox: DockerSandbox) -> None:
    execution = await sandbox.execute(
        "python", "print(open('data/in.txt').read())", files={"data/in.txt": "hello"}
    )
    assert execution.runs[0].stdout == "hello\n"


async def test_stop_rule_skips_the_remaining_runs(sandbox: DockerSandbox) -> None:
    def stop_after_failure(index: int, result: RunResult) -> bool:
        return result.stdout.strip() != "ok"

    execution = await sandbox.execute(
        "python",
        "x = input()\nprint('ok' if x == 'a' else 'bad')",
        ["a", "b", "a"],
        should_stop=stop_after_failure,
    )
    assert [r.stdout for r in execution.runs] == ["ok\n", "bad\n"]


async def test_memory_limit_follows_each_request(sandbox: DockerSandbox) -> None:
    code = "x = bytearray(100 * 1024 * 1024)\nprint('allocated')"
    small = await sandbox.execute("python", code, limits=Limits(memory_limit_mb=64))
    large = await sandbox.execute("python", code, limits=Limits(memory_limit_mb=256))
    assert small.runs[0].status is Verdict.MEMORY_LIMIT
    assert large.runs[0].status is Verdict.OK and large.runs[0].stdout == "allocated\n"


async def test_unknown_or_missing_language_is_refused(sandbox: DockerSandbox) -> None:
    with pytest.raises(UnsupportedLanguage, match="cobol"):
        await sandbox.execute("cobol", "DISPLAY 'HI'.")


async def test_concurrent_runs_share_the_pool(sandbox: DockerSandbox) -> None:
    programs = [f"import time\ntime.sleep(0.2)\nprint({i})" for i in range(8)]
    executions = await asyncio.gather(*(sandbox.execute("python", p) for p in programs))
    assert [e.runs[0].stdout for e in executions] == [f"{i}\n" for i in range(8)]
    assert sandbox.health()["pools"]["python"]["alive"] == 2


@pytest.mark.slow
async def test_cpp_compiles_once_and_runs_every_stdin(cpp_sandbox: DockerSandbox) -> None:
    execution = await cpp_sandbox.execute("cpp", ECHO_DOUBLE_CPP, ["1 2", "21"])
    assert execution.compile is not None and execution.compile.status is Verdict.OK
    assert [r.stdout for r in execution.runs] == ["2\n4\n", "42\n"]


@pytest.mark.slow
async def test_cpp_compile_error_and_crash(cpp_sandbox: DockerSandbox) -> None:
    broken = await cpp_sandbox.execute("c++", "int main() { return undefined_name; }", ["", ""])
    assert broken.compile is not None and broken.compile.status is Verdict.COMPILE_ERROR
    assert "undefined_name" in broken.compile.stderr and broken.runs == []
    crash = await cpp_sandbox.execute("cpp", "int main() { volatile int *p = nullptr; return *p; }")
    assert crash.runs[0].status is Verdict.RUNTIME_ERROR and crash.runs[0].signal == 11


@pytest.mark.slow
async def test_cpp_memory_and_time_limits(cpp_sandbox: DockerSandbox) -> None:
    hog = "#include <vector>\nint main(){std::vector<char> v(400u<<20, 1); return v[12345] - 1;}"
    spin = "int main(){ volatile unsigned long i = 0; for(;;) ++i; }"
    limits = Limits(time_limit_s=1.0, memory_limit_mb=128)
    hogged, spun = (
        await cpp_sandbox.execute("cpp", hog, limits=limits),
        await cpp_sandbox.execute("cpp", spin, limits=limits),
    )
    assert hogged.runs[0].status is Verdict.MEMORY_LIMIT
    assert spun.runs[0].status is Verdict.TIME_LIMIT


async def test_programs_run_as_another_uid_than_the_runner(sandbox: DockerSandbox) -> None:
    code = (
        "import os\nuid = lambda pid: open(f'/proc/{pid}/status').read().split('Uid:')[1].split()[0]\n"
        "print(os.getuid(), os.getgid(), os.getgroups(), uid(1), uid('self'))"
    )
    result = (await sandbox.execute("python", code)).runs[0]
    assert result.stdout == "65534 65534 [] 0 65534\n", result


async def test_fetch_files_come_back_even_after_an_early_stop(sandbox: DockerSandbox) -> None:
    code = "n = input()\nopen(f'out{n}.txt', 'w').write(n * 3)\nprint('stop' if n == '2' else 'go')"
    execution = await sandbox.execute(
        "python",
        code,
        ["1", "2", "3"],
        fetch_files=["out1.txt", "out2.txt", "out3.txt"],
        should_stop=lambda index, result: result.stdout == "stop\n",
    )
    assert len(execution.runs) == 2
    assert execution.files == {"out1.txt": b"111", "out2.txt": b"222"}
    with pytest.raises(ValueError, match="inside the workspace"):
        await sandbox.execute("python", "pass", fetch_files=["../etc/passwd"])
