"""The local backend: same contract as Docker, on this machine's processes (bubblewrap or rlimits)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from sandboxes import Limits, LocalConfig, LocalSandbox, Verdict, local, uids
from sandboxes.local import _processes_of
from tests.sandbox_helpers import require_bwrap

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
    if not box._own_uids:
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
    assert len(leased) == 1 and _processes_of(leased[0]) == []  # zombies aside
    after = await box.execute("python", "print('fine')", limits=LIMITS)
    assert after.runs[0].stdout == "fine\n"
