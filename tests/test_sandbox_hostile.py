"""Hostile programs in the Docker sandbox: each is contained, gets the right verdict within its
limits, and the next ordinary program on the same (single) container still passes."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from sandboxes import DockerConfig, DockerSandbox, Execution, Limits, RunResult, Verdict
from tests.sandbox_helpers import require_images

pytestmark = [pytest.mark.docker, pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(600)]

LIMITS = Limits(time_limit_s=2.0, memory_limit_mb=128, output_limit_bytes=64 * 1024)
SLACK_S = 3.0  # wall time allowed beyond the limit: kill, reap, clean-up, round trip, a loaded machine


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def sandbox() -> AsyncIterator[DockerSandbox]:
    require_images(["python"])
    # One container, so "the next program" really runs where the hostile one did.
    box = DockerSandbox(DockerConfig(pool_size=1, prewarm=("python",), pids_limit=64))
    await box.start()
    yield box
    await box.close()


async def run(sandbox: DockerSandbox, code: str, limits: Limits = LIMITS) -> RunResult:
    execution: Execution = await sandbox.execute("python", code, limits=limits)
    assert execution.sandbox_error is None, execution.sandbox_error
    return execution.runs[0]


async def assert_next_program_passes(sandbox: DockerSandbox) -> None:
    result = await run(sandbox, "import os\nprint('fine', sorted(os.listdir('.')))")
    assert result.status is Verdict.OK, result
    assert result.stdout == "fine ['main.py']\n"


async def test_fork_bomb_is_stopped_by_the_pids_limit_and_the_clock(sandbox: DockerSandbox) -> None:
    code = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
    result = await run(sandbox, code)
    assert result.status is Verdict.TIME_LIMIT, result
    assert result.wall_time_s < LIMITS.time_limit_s + SLACK_S, result
    await assert_next_program_passes(sandbox)


async def test_memory_bomb_gets_memory_limit(sandbox: DockerSandbox) -> None:
    code = "chunks = []\nwhile True:\n    chunks.append(bytearray(16 * 1024 * 1024))\n"
    result = await run(sandbox, code)
    assert result.status is Verdict.MEMORY_LIMIT, result
    await assert_next_program_passes(sandbox)


async def test_memory_within_the_limit_is_fine(sandbox: DockerSandbox) -> None:
    result = await run(sandbox, "x = bytearray(80 * 1024 * 1024)\nprint(len(x))")
    assert result.status is Verdict.OK and result.stdout == f"{80 * 1024 * 1024}\n"


async def test_infinite_loop_gets_time_limit_on_time(sandbox: DockerSandbox) -> None:
    result = await run(sandbox, "while True:\n    pass\n", Limits(time_limit_s=1.0))
    assert result.status is Verdict.TIME_LIMIT, result
    assert 0.9 <= result.wall_time_s < 1.0 + SLACK_S
    await assert_next_program_passes(sandbox)


async def test_sleeping_program_gets_time_limit_by_wall_clock(sandbox: DockerSandbox) -> None:
    result = await run(sandbox, "import time\ntime.sleep(60)", Limits(time_limit_s=1.0))
    assert result.status is Verdict.TIME_LIMIT and result.wall_time_s < 1.0 + SLACK_S


async def test_ignoring_sigterm_does_not_help(sandbox: DockerSandbox) -> None:
    code = (
        "import signal\nfor s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGXCPU):\n"
        "    signal.signal(s, signal.SIG_IGN)\nwhile True:\n    pass\n"
    )
    result = await run(sandbox, code, Limits(time_limit_s=1.0))
    assert result.status is Verdict.TIME_LIMIT and result.wall_time_s < 1.0 + SLACK_S
    await assert_next_program_passes(sandbox)


async def test_network_is_unreachable(sandbox: DockerSandbox) -> None:
    # A real listener on the host (all interfaces), and the host's Redis port, must both be out of reach.
    server = await asyncio.start_server(lambda r, w: w.close(), host="0.0.0.0", port=0)
    port = server.sockets[0].getsockname()[1]
    try:
        code = f"""
import socket
targets = [("1.1.1.1", 53), ("8.8.8.8", 443), ("172.17.0.1", {port}), ("172.17.0.1", 6379),
           ("127.0.0.1", 6379), ("{_host_ip()}", {port})]
for host, port in targets:
    try:
        socket.create_connection((host, port), timeout=1).close()
        print("reached", host, port)
    except OSError as exc:
        print("blocked", host, port)
try:
    socket.getaddrinfo("deb.debian.org", 80)
    print("resolved")
except OSError:
    print("no dns")
print("interfaces", sorted(line.split(":")[0].strip() for line in open("/proc/net/dev").readlines()[2:]))
"""
        result = await run(sandbox, code, Limits(time_limit_s=8.0))
    finally:
        server.close()
        await server.wait_closed()
    assert result.status is Verdict.OK, result
    assert "reached" not in result.stdout and "resolved" not in result.stdout
    assert result.stdout.count("blocked") == 6
    assert "interfaces ['lo']" in result.stdout  # no route anywhere, not merely a closed port


async def test_writes_outside_the_workspace_fail(sandbox: DockerSandbox) -> None:
    code = """
import os
paths = ("/etc/passwd", "/usr/bin/python3", "/evil", "/root/x", "/var/tmp/x", "/proc/sys/kernel/hostname")
for path in paths:
    try:
        with open(path, "a") as f:
            f.write("x")
        print("wrote", path)
    except OSError:
        print("refused", path)
"""
    result = await run(sandbox, code)
    assert result.status is Verdict.OK, result
    assert "wrote" not in result.stdout and result.stdout.count("refused") == 6


async def test_server_environment_is_not_visible(
    sandbox: DockerSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REWARD_SERVER_API_KEY", "s3cr3t-key")
    code = """
import os
print(sorted(os.environ))
for pid in os.listdir("/proc"):
    if pid.isdigit():
        try:
            print(open(f"/proc/{pid}/environ", "rb").read())
        except OSError as exc:
            print("cannot read", pid)
"""
    result = await run(sandbox, code)
    assert result.status is Verdict.OK, result
    assert "s3cr3t" not in result.stdout
    assert result.stdout.splitlines()[0] == "['HOME', 'LANG', 'PATH']"
    assert "cannot read 1" in result.stdout  # the runner (PID 1) is not dumpable


async def test_huge_stdout_is_cut_while_streaming(sandbox: DockerSandbox) -> None:
    code = "import sys\nwhile True:\n    sys.stdout.write('x' * 65536)\n"
    result = await run(sandbox, code, Limits(time_limit_s=10.0, output_limit_bytes=64 * 1024))
    assert result.status is Verdict.OUTPUT_LIMIT and result.truncated
    assert len(result.stdout) + len(result.stderr) == 64 * 1024
    assert result.wall_time_s < 2.0  # stopped at the cap, not at the time limit
    await assert_next_program_passes(sandbox)


async def test_large_output_under_the_cap_arrives_whole(sandbox: DockerSandbox) -> None:
    # A known peer hangs at ~200 KB of stdout because it reads pipes only after exit.
    code = "import sys\nsys.stdout.write('y' * 600_000)\nsys.stderr.write('z' * 100_000)\n"
    result = await run(sandbox, code, Limits(output_limit_bytes=1 << 20))
    assert result.status is Verdict.OK, result
    assert result.stdout == "y" * 600_000 and result.stderr == "z" * 100_000


async def test_disk_fill_hits_the_workspace_cap_and_is_wiped(sandbox: DockerSandbox) -> None:
    code = """
import os
for directory in (".", "/tmp", "/dev/shm"):
    try:
        with open(os.path.join(directory, "fill"), "wb") as f:
            while True:
                f.write(b"0" * (1 << 20))
                f.flush()
    except OSError as exc:
        print("full", directory, exc.errno)
"""
    result = await run(sandbox, code, Limits(time_limit_s=10.0, memory_limit_mb=512))
    assert result.status is Verdict.OK, result
    assert result.stdout.count("full") == 3
    after = await run(
        sandbox, "import os\nprint(os.listdir('.'), os.listdir('/tmp'), os.listdir('/dev/shm'))"
    )
    assert after.stdout == "['main.py'] [] []\n"


async def test_detached_children_do_not_survive_the_run(sandbox: DockerSandbox) -> None:
    code = """
import os, subprocess
subprocess.Popen(["sleep", "300"], start_new_session=True)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        import time
        while True:
            time.sleep(1)
    os._exit(0)
print("spawned")
"""
    result = await run(sandbox, code)
    assert result.status is Verdict.OK and result.stdout == "spawned\n"
    survivors = await run(
        sandbox, "import os\nprint(sorted(int(p) for p in os.listdir('/proc') if p.isdigit()))"
    )
    pids = eval(survivors.stdout)  # noqa: S307 - a list of ints printed by our own probe
    assert len(pids) == 2  # the runner (PID 1) and the probe itself
    assert 1 in pids


async def test_files_left_behind_are_gone_for_the_next_run(sandbox: DockerSandbox) -> None:
    code = """
for path in ("leftover", "/tmp/leftover", "/dev/shm/leftover"):
    open(path, "w").write("secret")
import os
os.makedirs("locked/inner")
os.chmod("locked", 0)
"""
    assert (await run(sandbox, code)).status is Verdict.OK
    probe = (
        "import os\n"
        "print([os.path.exists(p) for p in ('leftover', '/tmp/leftover', '/dev/shm/leftover', 'locked')])"
    )
    assert (await run(sandbox, probe)).stdout == "[False, False, False, False]\n"


async def test_killing_its_parent_does_not_break_the_sandbox(sandbox: DockerSandbox) -> None:
    replaced_before = sandbox.health()["pools"]["python"]["replaced"]
    code = """
import os, signal
for sig in (signal.SIGKILL, signal.SIGTERM, signal.SIGINT):
    os.kill(os.getppid(), sig)
    os.kill(1, sig)
print('tried')
"""
    result = await run(sandbox, code)
    assert result.status is Verdict.OK and result.stdout == "tried\n"
    await assert_next_program_passes(sandbox)
    assert sandbox.health()["pools"]["python"]["replaced"] == replaced_before


async def test_forging_the_runners_answer_is_impossible(sandbox: DockerSandbox) -> None:
    code = """
for fd in (0, 1, 2):
    try:
        open(f"/proc/1/fd/{fd}", "wb").write(b'{"id": 99, "ok": true, "results": []}\\n')
        print("opened", fd)
    except OSError:
        print("denied", fd)
"""
    result = await run(sandbox, code)
    assert result.status is Verdict.OK and result.stdout.count("denied") == 3
    await assert_next_program_passes(sandbox)


async def test_sixty_four_spinning_threads_get_time_limit(sandbox: DockerSandbox) -> None:
    code = """
import threading
def spin():
    while True:
        pass
for _ in range(64):
    threading.Thread(target=spin).start()
"""
    result = await run(sandbox, code, Limits(time_limit_s=1.5))
    assert result.status is Verdict.TIME_LIMIT, result
    assert result.wall_time_s < 1.5 + SLACK_S, result
    await assert_next_program_passes(sandbox)


async def test_a_container_killed_from_outside_is_replaced(sandbox: DockerSandbox) -> None:
    pool = sandbox._pools["python"]
    worker = await pool.acquire()
    pool.release(worker, healthy=True)
    await asyncio.to_thread(worker.container.kill)
    first = await sandbox.execute("python", "print(1)")
    assert first.sandbox_error is not None  # only sandbox_error: the caller retries it
    for _ in range(50):
        if pool.idle.qsize():
            break
        await asyncio.sleep(0.1)
    await assert_next_program_passes(sandbox)


def _host_ip() -> str:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))
            return str(probe.getsockname()[0])
        except OSError:
            return "127.0.0.1"
