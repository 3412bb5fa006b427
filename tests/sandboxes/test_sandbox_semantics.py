"""Programs run the way judges run them, on both backends: stdin is a regular file, the stack is
limited only by memory, Python is plain `python3 main.py`, and time limits are on CPU time."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio

from sandboxes import DockerConfig, DockerSandbox, Limits, LocalConfig, LocalSandbox, Sandbox, Verdict
from tests.support.sandbox_helpers import require_bwrap, require_images

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(600)]

LIMITS = Limits(time_limit_s=5.0, memory_limit_mb=512)
BIG_INPUT = "".join(f"{i} " for i in range(40_000)) + "\n"  # ~200 KB


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=["docker", "local"])
async def sandbox(request: pytest.FixtureRequest) -> AsyncIterator[Sandbox]:
    box: Sandbox
    if request.param == "docker":
        require_images(["python"])
        box = DockerSandbox(DockerConfig(pool_size=1, prewarm=("python",)))
    else:
        require_bwrap()
        box = LocalSandbox(LocalConfig(use_bubblewrap=True))
    await box.start()
    yield box
    await box.close()


async def run_python(box: Sandbox, code: str, stdin: str = "", limits: Limits = LIMITS) -> str:
    execution = await box.execute("python", code, [stdin], limits=limits)
    result = execution.runs[0]
    assert result.status is Verdict.OK, result
    return result.stdout


async def test_stdin_is_a_regular_file_read_whole_in_one_read(sandbox: Sandbox) -> None:
    code = (
        "import os, stat\n"
        "info = os.fstat(0)\n"
        "data = os.read(0, info.st_size)\n"
        "print(stat.S_ISREG(info.st_mode), info.st_size, len(data), data.split()[-1].decode())"
    )
    out = await run_python(sandbox, code, BIG_INPUT)
    assert out == f"True {len(BIG_INPUT)} {len(BIG_INPUT)} 39999\n"


async def test_stdin_bytes_reach_the_program_unchanged(sandbox: Sandbox) -> None:
    code = "import sys\nprint(repr(sys.stdin.read()), repr(sys.stdin.buffer.read()))"
    assert await run_python(sandbox, code, "a\r\nb\r\n") == "'a\\r\\nb\\r\\n' b''\n"
    assert await run_python(sandbox, "print(repr(input()))", "x y\r\n") == "'x y\\r'\n"


async def test_python_is_plain_python3_main_py(sandbox: Sandbox) -> None:
    code = (
        "import sys\n"
        "print(__name__, __file__, sys.argv, sys.flags.isolated, sys.path[0])\n"
        "try:\n"
        "    def f(x: Undefined) -> int: ...\n"  # no inherited `from __future__ import annotations`
        "    print('annotations deferred')\n"
        "except NameError:\n"
        "    print('annotations evaluated')\n"
        "def depth(n):\n"
        "    return 0 if n == 0 else 1 + depth(n - 1)\n"
        "print(depth(995), sys.getrecursionlimit())\n"
        "exit(3)\n"  # site's exit() exists
    )
    execution = await sandbox.execute("python", code, limits=LIMITS)
    result = execution.runs[0]
    assert result.exit_code == 3, result
    assert result.stdout == (
        "__main__ /workspace/main.py ['main.py'] 0 /workspace\nannotations evaluated\n995 1000\n"
    )


async def test_python_imports_a_helper_file_next_to_main(sandbox: Sandbox) -> None:
    execution = await sandbox.execute(
        "python", "import helper\nprint(helper.VALUE)", files={"helper.py": "VALUE = 42"}, limits=LIMITS
    )
    assert execution.runs[0].stdout == "42\n", execution.runs[0]


async def test_deep_recursion_through_lru_cache_fits_the_stack(sandbox: Sandbox) -> None:
    code = (
        "import sys, functools\n"
        "sys.setrecursionlimit(10**6)\n"
        "@functools.lru_cache(maxsize=None)\n"
        "def f(n):\n"
        "    return 0 if n == 0 else 1 + f(n - 1)\n"
        "print(f(100_000))"
    )
    assert (
        await run_python(sandbox, code, limits=Limits(time_limit_s=10.0, memory_limit_mb=512)) == "100000\n"
    )


DFS_CPP = """
#include <bits/stdc++.h>
using namespace std;
vector<vector<int>> g; vector<int> depth_of;
void dfs(int v, int d) { depth_of[v] = d; for (int u : g[v]) dfs(u, d + 1); }
int main() {
    int n; scanf("%d", &n); g.resize(n); depth_of.resize(n);
    for (int i = 1; i < n; i++) g[i - 1].push_back(i);  // a path: recursion n deep
    dfs(0, 0); printf("%d\\n", depth_of[n - 1]);
}
"""


async def test_recursive_cpp_dfs_a_million_deep_passes(sandbox: Sandbox) -> None:
    if "cpp" not in sandbox.languages():
        pytest.skip("no C++ toolchain for this backend here")
    if isinstance(sandbox, DockerSandbox):
        require_images(["cpp"])
    execution = await sandbox.execute(
        "cpp", DFS_CPP, ["1000000"], limits=Limits(time_limit_s=10.0, memory_limit_mb=512)
    )
    assert execution.runs[0].status is Verdict.OK, execution
    assert execution.runs[0].stdout == "999999\n"


@pytest.fixture
def two_busy_loops() -> Iterator[None]:
    """Two processes spinning on this machine for the length of the test."""
    loops = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    try:
        yield
    finally:
        for loop in loops:
            loop.kill()
            loop.wait()


async def test_time_limit_counts_cpu_time_not_a_busy_host(sandbox: Sandbox, two_busy_loops: None) -> None:
    # ~0.6 s of CPU under a 1 s limit: accepted however long the busy host makes it take.
    code = (
        "import time\nstart = time.process_time()\n"
        "while time.process_time() - start < 0.6:\n    pass\nprint('done')"
    )
    for _ in range(3):
        execution = await sandbox.execute("python", code, limits=Limits(time_limit_s=1.0))
        result = execution.runs[0]
        assert result.status is Verdict.OK and result.stdout == "done\n", result
        assert 0.55 <= result.cpu_time_s < 1.0, result  # the program's own CPU time


async def test_cpu_time_over_the_limit_is_a_time_limit(sandbox: Sandbox) -> None:
    code = "import time\nstart = time.process_time()\nwhile time.process_time() - start < 1.4:\n    pass"
    execution = await sandbox.execute("python", code, limits=Limits(time_limit_s=1.2))
    assert execution.runs[0].status is Verdict.TIME_LIMIT, execution.runs[0]
