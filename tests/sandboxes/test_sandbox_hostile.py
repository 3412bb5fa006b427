"""Hostile programs in the sandboxes: each is contained, gets the right verdict within its limits, and
the next ordinary program on the same (single) container, or the same local backend, still passes.
The first part runs on Docker; the isolation scenarios at the end run on both backends."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from sandboxes import (
    DockerConfig,
    DockerSandbox,
    Execution,
    Limits,
    LocalConfig,
    LocalSandbox,
    RunResult,
    Sandbox,
    Verdict,
)
from tests.support.sandbox_helpers import require_bwrap, require_images

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
    # Bounded, not timed: killing and reaping 64 forking processes on a loaded host takes seconds.
    assert result.wall_time_s < LIMITS.wall_time_limit_s + 3 * SLACK_S, result
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
    # Stopped at 1 s of CPU time, or by the wall-clock cap when a busy host starves it.
    assert result.cpu_time_s >= 0.8 or result.wall_time_s >= Limits(time_limit_s=1.0).wall_time_limit_s
    assert result.wall_time_s < Limits(time_limit_s=1.0).wall_time_limit_s + SLACK_S
    await assert_next_program_passes(sandbox)


async def test_sleeping_program_gets_time_limit_by_wall_clock(sandbox: DockerSandbox) -> None:
    result = await run(sandbox, "import time\ntime.sleep(60)", Limits(time_limit_s=1.0))
    assert result.status is Verdict.TIME_LIMIT
    assert result.wall_time_s < Limits(time_limit_s=1.0).wall_time_limit_s + SLACK_S


async def test_ignoring_sigterm_does_not_help(sandbox: DockerSandbox) -> None:
    code = (
        "import signal\nfor s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGXCPU):\n"
        "    signal.signal(s, signal.SIG_IGN)\nwhile True:\n    pass\n"
    )
    result = await run(sandbox, code, Limits(time_limit_s=1.0))
    assert result.status is Verdict.TIME_LIMIT
    assert result.wall_time_s < Limits(time_limit_s=1.0).wall_time_limit_s + SLACK_S
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
    assert result.wall_time_s < 5.0  # stopped at the cap, not at the 10 s time limit
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
    for pid in (os.getppid(), 1):
        try:
            os.kill(pid, sig)
            print("signalled", pid)
        except PermissionError:
            pass  # the runner is another uid
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
    assert result.wall_time_s < Limits(time_limit_s=1.5).wall_time_limit_s + SLACK_S, result
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


async def test_a_runner_whose_limits_changed_is_replaced_and_healthz_says_so(sandbox: DockerSandbox) -> None:
    """Programs cannot reach the runner (see test_lowering_the_runners_limits_is_refused); this does
    it from outside, as root in the container, to check the runner notices and the container goes."""
    pool = sandbox._pools["python"]
    worker = await pool.acquire()
    pool.release(worker, healthy=True)
    tamper = "import resource; resource.prlimit(1, resource.RLIMIT_NPROC, (4, 4))"
    exit_code, output = await asyncio.to_thread(
        worker.container.exec_run, ["python3", "-c", tamper], user="0:0"
    )
    assert exit_code == 0, output
    before = sandbox.health()
    first = await sandbox.execute("python", "print('scored')")
    # Refused before it runs (the runner checks itself first): a sandbox_error, which callers retry.
    assert first.sandbox_error is not None and "changed" in first.sandbox_error, first
    after = sandbox.health()
    assert after["replaced_after_tampering"] == before["replaced_after_tampering"] + 1
    assert after["pools"]["python"]["replaced"] == before["pools"]["python"]["replaced"] + 1
    for _ in range(100):
        if pool.idle.qsize():
            break
        await asyncio.sleep(0.1)
    assert sandbox.health()["status"] == "ok"
    await assert_next_program_passes(sandbox)


def _host_ip() -> str:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))
            return str(probe.getsockname()[0])
        except OSError:
            return "127.0.0.1"


# ---- isolation scenarios on both backends (SandboxEval-style probes, Piston's exploits, issue 12) ----
# Each is followed by an ordinary program that must still pass on the same container / backend.


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=["docker", "local"])
async def either(request: pytest.FixtureRequest) -> AsyncIterator[Sandbox]:
    box: Sandbox
    if request.param == "docker":
        require_images(["python"])
        box = DockerSandbox(DockerConfig(pool_size=1, prewarm=("python",), pids_limit=64))
    else:
        require_bwrap()
        box = LocalSandbox(LocalConfig(use_bubblewrap=True))
    await box.start()
    yield box
    await box.close()


async def run_on(box: Sandbox, code: str, limits: Limits = LIMITS, **kwargs: Any) -> Execution:
    execution = await box.execute("python", code, limits=limits, **kwargs)
    assert execution.sandbox_error is None, execution.sandbox_error
    return execution


async def assert_innocent_program_passes(box: Sandbox) -> None:
    code = "import os, sys\nx = bytearray(64 << 20)\nprint('fine', sorted(os.listdir('.')), sys.stdin.read())"
    execution = await box.execute("python", code, ["input"], limits=LIMITS)
    assert execution.runs[0].status is Verdict.OK, execution.runs[0]
    assert execution.runs[0].stdout == "fine ['main.py'] input\n"


async def test_lowering_the_runners_limits_is_refused(either: Sandbox) -> None:
    code = """
import os, resource
for pid in (1, os.getppid()):
    for name in ("RLIMIT_NPROC", "RLIMIT_AS", "RLIMIT_NOFILE", "RLIMIT_CPU"):
        try:
            resource.prlimit(pid, getattr(resource, name), (1, 1))
            print("changed", pid, name)
        except OSError:
            print("refused", pid, name)
"""
    result = (await run_on(either, code)).runs[0]
    if isinstance(either, DockerSandbox):  # PID 1 is the runner: it must be out of reach
        assert "changed" not in result.stdout, result.stdout
    # (bubblewrap's init is the run's own throwaway process: changing it harms only that run)
    await assert_innocent_program_passes(either)
    await assert_innocent_program_passes(either)


async def test_ipc_objects_do_not_survive_into_the_next_run(either: Sandbox) -> None:
    leave = """
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
shm = libc.shmget(0x5EC7E7, 4096, 0o1666)
libc.shmat.restype = ctypes.c_void_p
ctypes.memmove(libc.shmat(shm, None, 0), b"marker", 6)
msq = libc.msgget(0x5EC7E8, 0o1666)
class Msg(ctypes.Structure):
    _fields_ = [("mtype", ctypes.c_long), ("mtext", ctypes.c_char * 16)]
libc.msgsnd(msq, ctypes.byref(Msg(1, b"marker")), 16, 0)
sem = libc.semget(0x5EC7E9, 1, 0o1666)
fd = os.open("/dev/mqueue/marker", os.O_CREAT | os.O_RDWR, 0o666) if os.path.isdir("/dev/mqueue") else -1
print(shm >= 0, msq >= 0, sem >= 0)
"""
    assert (await run_on(either, leave)).runs[0].stdout == "True True True\n"
    look = """
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
print(libc.shmget(0x5EC7E7, 0, 0), libc.msgget(0x5EC7E8, 0), libc.semget(0x5EC7E9, 0, 0),
      os.path.exists("/dev/mqueue/marker"), open("/proc/sysvipc/shm").read().count("\\n"))
"""
    assert (await run_on(either, look)).runs[0].stdout == "-1 -1 -1 False 1\n"
    await assert_innocent_program_passes(either)


async def test_leftover_shared_memory_does_not_count_against_the_next_program(either: Sandbox) -> None:
    hog = """
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
size = 300 << 20
shm = libc.shmget(0x5EC700, size, 0o1666)
ctypes.memset(libc.shmat(shm, None, 0), 1, size)  # touched: 300 MB held by the segment
print(shm >= 0)
"""
    limits = Limits(time_limit_s=10.0, memory_limit_mb=512)
    assert (await run_on(either, hog, limits)).runs[0].stdout == "True\n"
    innocent = "x = bytearray(350 << 20)\nx[::4096] = b'1' * len(x[::4096])\nprint(len(x) >> 20)"
    result = (await run_on(either, innocent, limits)).runs[0]
    assert result.status is Verdict.OK and result.stdout == "350\n", result
    await assert_innocent_program_passes(either)


@pytest.mark.parametrize("depth", [0, 1, 2, 3])
async def test_fetch_files_never_follows_a_link_at_any_depth(either: Sandbox, depth: int) -> None:
    # Real folders a/b/c; the link replaces the component at `depth` and points out of the workspace.
    parts = ["a", "b", "c", "secret.txt"]
    real = "/".join(parts[:depth])
    code = f"""
import os
os.makedirs({real!r} or ".", exist_ok=True)
os.symlink("/etc" if {depth} < 3 else "/etc/passwd", os.path.join({real!r}, {parts[depth]!r}))
os.symlink("..", "up")
open("plain.txt", "w").write("mine")
"""
    wanted = ["/".join(parts), "up/etc/passwd", "a/up/passwd", "up/up/etc/hostname", "plain.txt"]
    execution = await run_on(either, code, fetch_files=wanted)
    assert execution.runs[0].status is Verdict.OK, execution.runs[0]
    assert execution.files == {"plain.txt": b"mine"}
    await assert_innocent_program_passes(either)


async def test_disk_fill_is_capped_everywhere_and_wiped(either: Sandbox) -> None:
    code = """
import os
for directory in (".", "/tmp", "/dev/shm"):
    try:
        with open(os.path.join(directory, "fill"), "wb") as f:
            for _ in range(1024):  # up to 1 GiB each
                f.write(b"0" * (1 << 20))
                f.flush()
        print("wrote 1 GiB", directory)
    except OSError as exc:
        print("full", directory)
"""
    result = (await run_on(either, code, Limits(time_limit_s=20.0, memory_limit_mb=512))).runs[0]
    assert result.stdout.count("full") == 3, result
    await assert_innocent_program_passes(either)


SANDBOX_PROBES = """
import ctypes, os, socket
libc = ctypes.CDLL(None, use_errno=True)

def attempt(name, action):
    try:
        outcome = action()
    except Exception:
        print("denied", name)
        return
    refused = outcome is False or (isinstance(outcome, int) and outcome < 0)
    print(("denied " if refused else "ALLOWED ") + name)

def read(path):
    with open(path, "rb") as f:
        return f.read(16) is None

def write(path, data=b"x"):
    with open(path, "wb") as f:
        f.write(data)

attempt("read /etc/shadow", lambda: read("/etc/shadow"))
attempt("read PID 1's environment", lambda: read("/proc/1/environ"))
attempt("read PID 1's memory", lambda: read("/proc/1/mem"))
attempt("read /proc/kcore", lambda: read("/proc/kcore"))
attempt("write /proc/sysrq-trigger", lambda: write("/proc/sysrq-trigger", b"h"))
attempt("write /proc/sys", lambda: write("/proc/sys/kernel/hostname", b"pwned"))
attempt("write /sys", lambda: write("/sys/kernel/mm/transparent_hugepage/enabled", b"never"))
attempt("write /etc", lambda: write("/etc/pwned"))
attempt("write /usr/bin", lambda: write("/usr/bin/pwned"))
attempt("setuid 0", lambda: os.setuid(0))
attempt("chroot", lambda: os.chroot("/tmp"))
attempt("mknod", lambda: os.mknod("/tmp/sda", 0o600 | 0o060000, os.makedev(8, 0)))
attempt("mount", lambda: libc.mount(b"none", b"/tmp", b"tmpfs", 0, None))
attempt("new user namespace", lambda: libc.unshare(0x10000000))
attempt("new mount namespace", lambda: libc.unshare(0x00020000))
attempt("io_uring", lambda: libc.syscall(425, 1, ctypes.create_string_buffer(120)))
attempt("keyctl", lambda: libc.syscall(250, 0, 0, 0, 0))
attempt("bpf", lambda: libc.syscall(321, 0, 0, 0))
attempt("ptrace PID 1", lambda: libc.ptrace(16, 1, None, None))
attempt("kill PID 1", lambda: os.kill(1, 9) or os.kill(1, 0) or False)
attempt("raw socket", lambda: socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP))
attempt("connect out", lambda: socket.create_connection(("1.1.1.1", 53), timeout=1))
"""


async def test_sandbox_escape_probes_are_all_denied(either: Sandbox) -> None:
    result = (await run_on(either, SANDBOX_PROBES)).runs[0]
    assert result.status is Verdict.OK, result
    assert "ALLOWED" not in result.stdout, result.stdout
    assert result.stdout.count("denied") == 22, result.stdout
    await assert_innocent_program_passes(either)
