"""The local backend: same contract as Docker, on this machine's processes (bubblewrap or rlimits)."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest

from sandboxes import Limits, LocalConfig, LocalSandbox, Verdict, local, uids
from tests.support.paths import REPO_ROOT
from tests.support.sandbox_helpers import live_processes_of, require_bwrap

LIMITS = Limits(time_limit_s=2.0, memory_limit_mb=256, output_limit_bytes=64 * 1024)


@pytest.fixture
def bwrap_sandbox() -> LocalSandbox:
    require_bwrap()
    return LocalSandbox(LocalConfig(use_bubblewrap=True))


@pytest.fixture
def plain_sandbox() -> LocalSandbox:
    return LocalSandbox(LocalConfig(use_bubblewrap=False))


def _alive_with(marker: str) -> list[str]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            if marker.encode() in cmdline:
                found.append(entry)
    return found


async def test_isolation_is_reported_honestly(
    bwrap_sandbox: LocalSandbox, plain_sandbox: LocalSandbox
) -> None:
    assert bwrap_sandbox.isolation == "bubblewrap" and plain_sandbox.isolation == "rlimits"
    for box in (bwrap_sandbox, plain_sandbox):
        assert "weaker" in box.health()["warning"]
        assert "python" in box.languages()


@pytest.mark.parametrize("fixture", ["bwrap_sandbox", "plain_sandbox"])
async def test_runs_per_stdin_with_a_whitelisted_environment(
    fixture: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REWARD_SERVER_API_KEY", "s3cr3t-key")
    box: LocalSandbox = request.getfixturevalue(fixture)
    code = (
        "import os\nprint(input(), sorted(k for k in os.environ if k != 'PWD'), 's3cr3t' in str(os.environ))"
    )
    execution = await box.execute("python", code, ["a", "b"], limits=LIMITS)
    assert [r.stdout for r in execution.runs] == [
        "a ['HOME', 'LANG', 'PATH'] False\n",
        "b ['HOME', 'LANG', 'PATH'] False\n",
    ]


@pytest.mark.parametrize("fixture", ["bwrap_sandbox", "plain_sandbox"])
async def test_limits_give_their_verdicts(fixture: str, request: pytest.FixtureRequest) -> None:
    box: LocalSandbox = request.getfixturevalue(fixture)
    spin = await box.execute("python", "while True:\n    pass", limits=Limits(time_limit_s=1.0))
    hog = await box.execute("python", "x = bytearray(1 << 30)", limits=Limits(memory_limit_mb=128))
    flood = await box.execute("python", "while True:\n    print('x' * 1000)", limits=LIMITS)
    # The program's own CPU time (not bubblewrap's): RLIMIT_CPU stops it near the 1 s limit.
    assert spin.runs[0].status is Verdict.TIME_LIMIT and spin.runs[0].cpu_time_s > 0.5
    assert hog.runs[0].status is Verdict.MEMORY_LIMIT
    assert flood.runs[0].status is Verdict.OUTPUT_LIMIT and len(flood.runs[0].stdout) == 64 * 1024


@pytest.mark.parametrize("fixture", ["bwrap_sandbox", "plain_sandbox"])
async def test_detached_children_are_killed(fixture: str, request: pytest.FixtureRequest) -> None:
    if fixture == "plain_sandbox" and os.geteuid() != 0:
        pytest.skip("without root the rlimits fallback cannot give runs their own uid to sweep (documented)")
    box: LocalSandbox = request.getfixturevalue(fixture)
    marker = uuid.uuid4().hex
    code = (
        f"import subprocess\nsubprocess.Popen(['sh', '-c', 'sleep 300; : {marker}'], start_new_session=True)"
    )
    execution = await box.execute("python", code, limits=LIMITS)
    assert execution.runs[0].status is Verdict.OK
    assert _alive_with(marker) == []


async def test_bubblewrap_blocks_network_and_writes_outside(bwrap_sandbox: LocalSandbox) -> None:
    code = """
import socket
try:
    socket.create_connection(("1.1.1.1", 53), timeout=1)
    print("reached")
except OSError:
    print("blocked")
for path in ("/usr/evil", "/etc/evil", "/evil"):
    try:
        open(path, "w")
        print("wrote", path)
    except OSError:
        print("refused")
import os
print(os.path.exists("/work"), os.path.exists("/etc/passwd"), os.path.exists("/var"))
"""
    execution = await bwrap_sandbox.execute("python", code, limits=LIMITS)
    assert execution.runs[0].stdout == "blocked\nrefused\nrefused\nrefused\nFalse False False\n"


async def test_bubblewrap_compiles_cpp_when_gxx_is_installed(bwrap_sandbox: LocalSandbox) -> None:
    if "cpp" not in bwrap_sandbox.languages():
        pytest.skip("g++ is not installed on this machine")
    code = '#include <cstdio>\nint main(){int a,b; scanf("%d %d",&a,&b); printf("%d\\n", a+b);}'
    execution = await bwrap_sandbox.execute("cpp", code, ["1 2", "40 2"], limits=LIMITS)
    assert [r.stdout for r in execution.runs] == ["3\n", "42\n"]
    broken = await bwrap_sandbox.execute("cpp", "int main( {", limits=LIMITS)
    assert broken.compile is not None and broken.compile.status is Verdict.COMPILE_ERROR


async def test_fetch_files_from_the_local_workspace(bwrap_sandbox: LocalSandbox) -> None:
    code = "import os\nopen('out.txt', 'w').write('local')\nos.symlink('/etc/hostname', 'link')"
    execution = await bwrap_sandbox.execute("python", code, fetch_files=["out.txt", "link"], limits=LIMITS)
    assert execution.files == {"out.txt": b"local"}


@pytest.mark.parametrize("fixture", ["bwrap_sandbox", "plain_sandbox"])
async def test_fork_bomb_is_bounded_by_the_runs_own_uid(
    fixture: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    box: LocalSandbox = request.getfixturevalue(fixture)
    if box.enforcement()[0]["uids"] == "one shared uid":
        pytest.skip(
            "only a root server gives runs their own uid (and so an RLIMIT_NPROC that means something)"
        )
    leased: list[int] = []

    def recording_lease(*args: object, **kwargs: object) -> uids.UidLease:
        lease = uids.lease_uid(*args, **kwargs)  # type: ignore[arg-type]
        leased.append(lease.uid)
        return lease

    monkeypatch.setattr(local, "lease_uid", recording_lease)
    code = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
    execution = await box.execute("python", code, limits=Limits(time_limit_s=1.0))
    assert execution.runs[0].status is Verdict.TIME_LIMIT
    assert len(leased) == 1 and live_processes_of(leased[0]) == []  # zombies aside
    after = await box.execute("python", "print('fine')", limits=LIMITS)
    assert after.runs[0].stdout == "fine\n"


def test_health_says_what_is_enforced_and_what_is_not(bwrap_sandbox: LocalSandbox) -> None:
    health = bwrap_sandbox.health()
    assert set(health["enforced"]) >= {"memory", "cpu_time", "uids"}
    assert isinstance(health["not_enforced"], list)
    assert health["toolchains"]["python"].startswith("Python 3.")
    if health["enforced"]["memory"].startswith("RLIMIT_AS"):  # no cgroups: JVM, Go and Node runs lack one
        assert any(item.startswith("memory limit for") for item in health["not_enforced"])
    else:
        assert not any("memory" in item for item in health["not_enforced"])


async def test_memory_limit_holds_for_runtimes_without_an_address_space_limit(
    bwrap_sandbox: LocalSandbox,
) -> None:
    if (
        "cgroup" not in bwrap_sandbox.enforcement()[0]["memory"]
        or "javascript" not in bwrap_sandbox.languages()
    ):
        pytest.skip("needs a root server with writable cgroups and node installed (else /healthz says so)")
    hog = "const held = []; for (;;) held.push(Buffer.alloc(16 << 20, 1));"
    execution = await bwrap_sandbox.execute("javascript", hog, limits=Limits(memory_limit_mb=256))
    assert execution.runs[0].status is Verdict.MEMORY_LIMIT, execution.runs[0]
    fine = await bwrap_sandbox.execute(
        "javascript", "console.log(Buffer.alloc(64 << 20, 1).length)", limits=LIMITS
    )
    assert fine.runs[0].stdout == f"{64 << 20}\n", fine.runs[0]


async def test_workspace_tmp_and_shm_are_size_capped() -> None:
    require_bwrap()
    box = LocalSandbox(LocalConfig(use_bubblewrap=True, workspace_mb=16))
    if "workspace" not in box.enforcement()[0]:
        pytest.skip("a non-root server cannot mount the workspace tmpfs (its /healthz says so)")
    code = """
import os
for directory in (".", "/tmp", "/dev/shm"):
    written = 0
    try:
        with open(os.path.join(directory, "fill"), "wb") as f:
            while written < 64 << 20:
                f.write(b"0" * (1 << 20))
                f.flush()
                written += 1 << 20
    except OSError:
        pass
    print(directory, written >> 20)
"""
    execution = await box.execute("python", code, limits=Limits(time_limit_s=10.0))
    sizes = [int(line.split()[1]) for line in execution.runs[0].stdout.splitlines()]
    assert len(sizes) == 3 and all(size <= 16 for size in sizes), execution.runs[0]


async def test_seccomp_refuses_namespaces_io_uring_and_the_keyring(bwrap_sandbox: LocalSandbox) -> None:
    enforced, missing = bwrap_sandbox.enforcement()
    if "seccomp" not in enforced:
        pytest.skip("; ".join(missing))
    code = """
import ctypes, subprocess
libc = ctypes.CDLL(None, use_errno=True)
ring = libc.syscall(425, 1, ctypes.create_string_buffer(120))
print(libc.unshare(0x10000000), ring, libc.syscall(250, 0, 0, 0, 0))
print(subprocess.run(["unshare", "-U", "true"], capture_output=True).returncode != 0)
"""
    execution = await bwrap_sandbox.execute("python", code, limits=LIMITS)
    assert execution.runs[0].stdout == "-1 -1 -1\nTrue\n", execution.runs[0]


async def test_stale_workspaces_of_dead_workers_are_swept_at_start(tmp_path: Path) -> None:
    import subprocess
    import tempfile

    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = Path(tempfile.gettempdir(), f"reward-sandbox-{dead.pid}-stale")
    mine = Path(tempfile.gettempdir(), f"reward-sandbox-{os.getpid()}-mine")
    for path in (stale, mine):
        (path / "sub").mkdir(parents=True, exist_ok=True)
        (path / "sub" / "file").write_text("left")
    try:
        await LocalSandbox(LocalConfig(use_bubblewrap=False)).start()
        assert not stale.exists() and mine.exists()  # only the dead process's workspace goes
    finally:
        shutil.rmtree(stale, ignore_errors=True)
        shutil.rmtree(mine, ignore_errors=True)


def test_uid_leases_are_exclusive_across_processes() -> None:
    if os.geteuid() != 0:
        pytest.skip("uids are leased only by a root server")
    import subprocess
    import sys

    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\nfrom sandboxes.uids import lease_uid\n"
            "print(lease_uid().uid, flush=True)\ntime.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO_ROOT,
    )
    try:
        assert holder.stdout is not None
        held = int(holder.stdout.readline())
        mine = [uids.lease_uid() for _ in range(3)]
        assert held not in {lease.uid for lease in mine} and len({lease.uid for lease in mine}) == 3
        for lease in mine:
            lease.release()
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()
    again = uids.lease_uid()  # the dead holder's lock went with it
    try:
        assert again.uid == held
    finally:
        again.release()


WORKER = """
import asyncio, sys
from sandboxes import Limits, LocalConfig, LocalSandbox
async def main():
    box = LocalSandbox(LocalConfig(use_bubblewrap={bwrap}, max_concurrency=2))
    await box.start()
    code = "import time\\nn = int(input())\\ntime.sleep(n / 10)\\nprint(n * n)"
    results = await asyncio.gather(*(box.execute("python", code, [str(n)], limits=Limits(time_limit_s=5))
                                     for n in range(1, 9)))
    right = [r.runs[0].stdout == f"{{n * n}}\\n" for n, r in enumerate(results, 1)]
    ok = sum(right)
    print(ok, [r.runs[0].status.value for r in results])
asyncio.run(main())
"""


@pytest.mark.parametrize("bwrap", [True, False])
def test_several_processes_running_local_sandboxes_do_not_kill_each_others_programs(bwrap: bool) -> None:
    """Two workers and an API on one host: every program of each gets its own verdict."""
    if bwrap:
        require_bwrap()
    import subprocess
    import sys

    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER.format(bwrap=bwrap)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO_ROOT,
        )
        for _ in range(3)
    ]
    outputs = [worker.communicate(timeout=300) for worker in workers]
    for out, err in outputs:
        assert out.startswith("8 "), (out, err[-2000:])
