"""The in-sandbox runner: executes one program at a time under limits and reports what happened.

This file is standard-library only and is shipped into every container as the command line of its
PID 1 (`python3 -I -S -c <this source> serve`), so images carry toolchains only and the runner
always matches the host library. The local backend imports `execute` from here directly.

Protocol (container mode): one JSON request per line on stdin, one JSON answer per line on stdout.
  {"id": 1, "op": "run", "files": {"main.py": "<b64>"}, "steps": [STEP, ...], "reset": true,
   "fetch": ["out.txt"], "fetch_limit_bytes": 4194304}
  STEP = {"argv": [...], "stdin": "<b64>", "time_limit_s": 2.0 (CPU), "wall_limit_s": 8.0,
          "output_limit_bytes": 1048576, "stop_on_failure": false, "env": {...}}
  -> {"id": 1, "ok": true, "results": [RESULT, ...], "files": {...}, "clean": true,
      "tampered": null | "what changed in the runner's own state"}
  RESULT = {"exit_code", "signal", "timed_out", "oom_killed", "output_limited", "stdout": "<b64>",
            "stderr": "<b64>", "wall_time_s", "cpu_time_s", "spawn_error"}
  {"op": "ping"} -> {"separate_uid", "oom_visible", "cpu_visible", "tampered", "leftovers"}
  {"op": "configure", "seccomp": "<b64 BPF>"} -> {"seccomp": true}: programs get this filter too
A program never sees the runner's pipes and gets its stdin as a regular file; after every step
everything but PID 1 is killed, and after every request with "reset" the writable places, System V
IPC objects and POSIX message queues are removed.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import math
import os
import resource
import selectors
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any, TypedDict

WORKSPACE = "/workspace"
WIPED_DIRS = ("/workspace", "/tmp", "/dev/shm", "/dev/mqueue")
_OOM_FILES = ("/sys/fs/cgroup/memory/memory.oom_control", "/sys/fs/cgroup/memory.events")
_CHUNK = 65536


def oom_kill_count() -> int | None:
    """How many times the kernel OOM-killed a process of this cgroup (None when not visible)."""
    for path in _OOM_FILES:
        try:
            with open(path) as f:
                for line in f:
                    key, _, value = line.partition(" ")
                    if key == "oom_kill":
                        return int(value)
        except OSError:
            continue
    return None


def wall_limit_for(time_limit_s: float) -> float:
    """The wall-clock cap of a run whose CPU time is limited to `time_limit_s`: well above it, so
    that a busy host never turns an accepted program into a time-limit one, yet a program that
    sleeps or blocks still ends."""
    return 3 * time_limit_s + 2


def _limit_child(
    cpu_limit_s: int,
    address_space_mb: int | None,
    new_session: bool,
    max_processes: int | None = None,
    run_as: int | None = None,
    before_exec: Callable[[], None] | None = None,
    seccomp_filter: bytes | None = None,
) -> Callable[[], None]:
    loader = _SeccompLoader.for_program(seccomp_filter) if seccomp_filter else None

    def apply() -> None:
        if before_exec is not None:
            before_exec()
        if new_session:
            os.setsid()
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_limit_s, cpu_limit_s + 1))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        # Judges' stacks: limited only by memory (a recursive DFS 10^6 deep needs ~100 MB).
        resource.setrlimit(resource.RLIMIT_STACK, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        if max_processes:  # counts every process of the real uid: only meaningful for a per-run uid
            resource.setrlimit(resource.RLIMIT_NPROC, (max_processes, max_processes))
        if address_space_mb:
            size = address_space_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (size, size))
        try:  # make the program, not the runner, the OOM killer's first choice
            with open("/proc/self/oom_score_adj", "w") as f:
                f.write("1000")
        except OSError:
            pass
        if run_as is not None:
            _drop_to(run_as)
        if loader is not None:
            loader.load()

    return apply


class _SeccompLoader:
    """A seccomp BPF program (an array of `struct sock_filter`, as libseccomp exports it) made ready
    in the parent, so that the forked child only makes two prctl calls before exec."""

    _cache: dict[bytes, _SeccompLoader] = {}

    def __init__(self, program: bytes) -> None:
        import ctypes

        class SockFprog(ctypes.Structure):
            _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

        self._buffer = ctypes.create_string_buffer(program, len(program))
        self._fprog = SockFprog(len(program) // 8, ctypes.cast(self._buffer, ctypes.c_void_p))
        self._pointer = ctypes.byref(self._fprog)
        self._libc = ctypes.CDLL(None, use_errno=True)
        self._get_errno = ctypes.get_errno

    @classmethod
    def for_program(cls, program: bytes) -> _SeccompLoader:
        loader = cls._cache.get(program)
        if loader is None:
            loader = cls._cache[program] = cls(program)
        return loader

    def load(self) -> None:
        """Load the filter on the calling thread (it stacks on any filter already there: Docker's)."""
        pr_set_no_new_privs, pr_set_seccomp, seccomp_mode_filter = 38, 22, 2
        if self._libc.prctl(pr_set_no_new_privs, 1, 0, 0, 0) != 0:
            raise OSError(self._get_errno(), "PR_SET_NO_NEW_PRIVS failed")
        if self._libc.prctl(pr_set_seccomp, seccomp_mode_filter, self._pointer, 0, 0) != 0:
            err = self._get_errno()
            raise OSError(err, f"could not load the seccomp filter: {os.strerror(err)}")


def _drop_to(uid: int) -> None:
    """Become `uid` (group `uid`, no supplementary groups) for good: every capability goes with it."""
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)


def stdin_file(data: bytes) -> int:
    """A read-only, sealed, anonymous regular file holding `data`, at offset 0: what judges give a
    program as stdin (`os.fstat(0).st_size` is the input's size, one `read` gets it whole)."""
    fd = os.memfd_create("stdin", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        seals = fcntl.F_SEAL_SEAL | fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_WRITE
        fcntl.fcntl(fd, fcntl.F_ADD_SEALS, seals)
        # Hand out a read-only descriptor of the same file (its own offset, 0).
        readonly = os.open(f"/proc/self/fd/{fd}", os.O_RDONLY | os.O_CLOEXEC)
    finally:
        os.close(fd)
    return readonly


class _Outcome(TypedDict):
    exit_code: int | None  # None when a signal ended the program, or it never started
    signal: int | None
    timed_out: bool  # stopped at the wall-clock limit
    oom_killed: bool  # the kernel OOM-killed a process where the program runs
    output_limited: bool  # stdout + stderr passed the output limit (both are cut to it)
    wall_time_s: float
    cpu_time_s: float
    spawn_error: str | None  # why the program could not be started


class ExecResult(_Outcome):
    """One program run, as `execute` returns it: stdout and stderr as bytes."""

    stdout: bytes
    stderr: bytes


class WireResult(_Outcome):
    """An `ExecResult` on the container protocol (RESULT above): stdout and stderr in base64."""

    stdout: str
    stderr: str


class RunStep(TypedDict):
    """One STEP of a "run" request (see the protocol above); stdin in base64."""

    argv: list[str]
    stdin: str
    time_limit_s: float  # CPU seconds
    wall_limit_s: float  # the runner also takes null: wall_limit_for(time_limit_s)
    output_limit_bytes: int
    env: dict[str, str]
    stop_on_failure: bool


def encode_result(result: ExecResult) -> WireResult:
    """The JSON-ready form of a run's result (the runner's side of the protocol)."""
    return {
        "exit_code": result["exit_code"],
        "signal": result["signal"],
        "timed_out": result["timed_out"],
        "oom_killed": result["oom_killed"],
        "output_limited": result["output_limited"],
        "stdout": base64.b64encode(result["stdout"]).decode(),
        "stderr": base64.b64encode(result["stderr"]).decode(),
        "wall_time_s": result["wall_time_s"],
        "cpu_time_s": result["cpu_time_s"],
        "spawn_error": result["spawn_error"],
    }


def decode_result(wire: WireResult) -> ExecResult:
    """A result read back from the protocol (the host's side). Raises KeyError on a missing field."""
    return {
        "exit_code": wire["exit_code"],
        "signal": wire["signal"],
        "timed_out": wire["timed_out"],
        "oom_killed": wire["oom_killed"],
        "output_limited": wire["output_limited"],
        "stdout": base64.b64decode(wire["stdout"]),
        "stderr": base64.b64decode(wire["stderr"]),
        "wall_time_s": wire["wall_time_s"],
        "cpu_time_s": wire["cpu_time_s"],
        "spawn_error": wire["spawn_error"],
    }


def execute(
    argv: Sequence[str],
    stdin: bytes = b"",
    *,
    cwd: str,
    env: dict[str, str],
    time_limit_s: float,
    output_limit_bytes: int,
    kill_tree: Callable[[int], None],
    address_space_mb: int | None = None,
    new_session: bool = True,
    max_processes: int | None = None,
    wall_limit_s: float | None = None,
    run_as: int | None = None,
    cpu_usage: Callable[[], float | None] | None = None,
    oom_kills: Callable[[], int | None] = oom_kill_count,
    before_exec: Callable[[], None] | None = None,
    pass_fds: Sequence[int] = (),
    seccomp_filter: bytes | None = None,
) -> ExecResult:
    """Run `argv` to completion or to a limit; stdout/stderr are read while it runs and capped.

    `time_limit_s` limits CPU time (RLIMIT_CPU, and the measured time afterwards); `wall_limit_s`
    (default `wall_limit_for(time_limit_s)`) caps the wall clock. stdin is a regular file.
    `run_as` is the uid (and gid) the program runs as. `cpu_usage()` returns the CPU seconds used so
    far by everything the program may start (a cgroup counter), when the caller has one: the
    program's CPU time is then the larger of that difference and the direct child's rusage.
    `oom_kills()` counts the kernel's OOM kills where the program runs (default: this container's
    cgroup). `before_exec` runs in the child before anything else (e.g. to enter a cgroup);
    `pass_fds` stay open in the program. `seccomp_filter` (a BPF program) is loaded in the child
    just before it execs the program.

    `kill_tree(pid)` must kill the program and everything it started; it is called once the
    direct child has ended (or must be stopped), so detached children never outlive a step.
    """
    oom_before = oom_kills()
    cpu_before = cpu_usage() if cpu_usage else None
    start = time.monotonic()
    prepare = _limit_child(
        max(1, math.ceil(time_limit_s)),
        address_space_mb,
        new_session,
        max_processes,
        run_as,
        before_exec,
        seccomp_filter,
    )
    proc = _spawn(argv, stdin, cwd=cwd, env=env, pass_fds=pass_fds, prepare=prepare)
    if isinstance(proc, str):
        return _not_started(proc)
    deadline = start + (wall_limit_s if wall_limit_s is not None else wall_limit_for(time_limit_s))
    capture = _Capture(proc)
    capture.watch(deadline, output_limit_bytes)
    _, code, usage = capture.stop()
    end = time.monotonic()
    cpu_after = cpu_usage() if cpu_usage and cpu_before is not None else None
    kill_tree(proc.pid)
    capture.drain(output_limit_bytes)  # every writer is gone now
    capture.close()
    proc.returncode = -os.WTERMSIG(code) if os.WIFSIGNALED(code) else os.WEXITSTATUS(code)  # reaped by us
    stdout, stderr = capture.output(output_limit_bytes)
    cpu = usage.ru_utime + usage.ru_stime
    if cpu_before is not None and cpu_after is not None:
        cpu = max(cpu, cpu_after - cpu_before)
    oom_after = oom_kills()
    signaled = os.WIFSIGNALED(code)
    return {
        "exit_code": None if signaled else os.WEXITSTATUS(code),
        "signal": os.WTERMSIG(code) if signaled else None,
        "timed_out": capture.timed_out,
        "oom_killed": oom_before is not None and oom_after is not None and oom_after > oom_before,
        "output_limited": capture.total > output_limit_bytes,
        "stdout": stdout,
        "stderr": stderr,
        "wall_time_s": round(end - start, 6),
        "cpu_time_s": round(max(cpu, 0.0), 6),
        "spawn_error": None,
    }


def _not_started(spawn_error: str) -> ExecResult:
    return {
        "exit_code": None,
        "signal": None,
        "timed_out": False,
        "oom_killed": False,
        "output_limited": False,
        "stdout": b"",
        "stderr": b"",
        "wall_time_s": 0.0,
        "cpu_time_s": 0.0,
        "spawn_error": spawn_error,
    }


def _spawn(
    argv: Sequence[str],
    stdin: bytes,
    *,
    cwd: str,
    env: dict[str, str],
    pass_fds: Sequence[int],
    prepare: Callable[[], None],
) -> subprocess.Popen[bytes] | str:
    """The started program (stdout and stderr piped, stdin a sealed file), or why it did not start."""
    stdin_fd = stdin_file(stdin)
    try:
        return subprocess.Popen(
            list(argv),
            stdin=stdin_fd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd,
            env=env,
            close_fds=True,
            pass_fds=tuple(pass_fds),
            preexec_fn=prepare,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return f"{type(exc).__name__}: {exc}"
    finally:
        os.close(stdin_fd)


class _Capture:
    """A running program's stdout and stderr, read as they come, and its exit status once reaped
    (woken by a pidfd where the kernel has them, else by polling every 50 ms)."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdout is not None and proc.stderr is not None
        self.proc = proc
        self.streams = (proc.stdout, proc.stderr)
        self.out_fd, self.err_fd = proc.stdout.fileno(), proc.stderr.fileno()
        self.outputs = {self.out_fd: bytearray(), self.err_fd: bytearray()}
        self.total = 0
        self.timed_out = False
        self.status: tuple[int, int, resource.struct_rusage] | None = None
        self.sel = selectors.DefaultSelector()
        for fd in self.outputs:
            os.set_blocking(fd, False)
            self.sel.register(fd, selectors.EVENT_READ)
        self.pidfd = -1
        try:
            self.pidfd = os.pidfd_open(proc.pid)
            self.sel.register(self.pidfd, selectors.EVENT_READ)
        except (AttributeError, OSError):
            self.pidfd = -1

    def reap(self, block: bool) -> None:
        if self.status is None:
            pid, code, usage = os.wait4(self.proc.pid, 0 if block else os.WNOHANG)
            if pid:
                self.status = (pid, code, usage)

    def _read(self, fd: int) -> None:
        chunk = os.read(fd, _CHUNK)
        if not chunk:
            self.sel.unregister(fd)
            return
        self.outputs[fd] += chunk
        self.total += len(chunk)

    def watch(self, deadline: float, limit_bytes: int) -> None:
        """Read output until the program ends, the deadline passes (`timed_out`) or the output
        passes `limit_bytes`."""
        while self.status is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.timed_out = True
                return
            for key, _ in self.sel.select(min(remaining, 0.05 if self.pidfd < 0 else remaining)):
                if key.fd == self.pidfd:
                    self.reap(block=False)
                elif key.fd in self.outputs:
                    self._read(key.fd)
            if self.total > limit_bytes:
                return
            if self.pidfd < 0:
                self.reap(block=False)

    def stop(self) -> tuple[int, int, resource.struct_rusage]:
        """Kill the program if it still runs; its reaped status (pid, wait status, rusage)."""
        if self.status is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, signal.SIGKILL)
            self.reap(block=True)
        assert self.status is not None
        return self.status

    def drain(self, limit_bytes: int) -> None:
        """Take what is left in the pipes, still capped, for at most 0.5 s."""
        for key in list(self.sel.get_map().values()):  # the pidfd would wake select() forever
            if key.fd not in self.outputs:
                self.sel.unregister(key.fd)
        drain_deadline = time.monotonic() + 0.5
        while self.total <= limit_bytes and time.monotonic() < drain_deadline:
            if not any(k.fd in self.outputs for k in self.sel.get_map().values()):
                break
            for key, _ in self.sel.select(max(0.0, drain_deadline - time.monotonic())):
                if key.fd in self.outputs:
                    self._read(key.fd)

    def close(self) -> None:
        self.sel.close()
        for stream in self.streams:
            with contextlib.suppress(OSError):
                stream.close()
        if self.pidfd >= 0:
            os.close(self.pidfd)

    def output(self, limit_bytes: int) -> tuple[bytes, bytes]:
        """stdout and stderr; past the limit, exactly the first `limit_bytes` of the two together."""
        stdout, stderr = bytes(self.outputs[self.out_fd]), bytes(self.outputs[self.err_fd])
        if self.total > limit_bytes:
            stdout = stdout[:limit_bytes]
            stderr = stderr[: max(0, limit_bytes - len(stdout))]
        return stdout, stderr


# ---- workspace files --------------------------------------------------------------------------


def open_beneath(root: str, name: str) -> int | None:
    """Open `root/name` read-only without following a symlink anywhere below `root` (each path
    component is opened relative to the one above with O_NOFOLLOW), or None. Race-free: a program
    that swaps a directory for a link while we walk makes the open fail, never escape."""
    parts = [part for part in name.split("/") if part not in ("", ".")]
    if not parts or ".." in parts or "\0" in name:
        return None
    try:
        dirfd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        for part in parts[:-1]:
            child = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dirfd)
            os.close(dirfd)
            dirfd = child
        return os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=dirfd)
    except OSError:
        return None
    finally:
        os.close(dirfd)


def fetch_files(names: list[str], limit_bytes: int, root: str = WORKSPACE) -> dict[str, str]:
    """Read back files the program left in the workspace (regular files only, never through a
    link at any depth), base64-encoded."""
    found: dict[str, str] = {}
    for name in names:
        fd = open_beneath(root, name)
        if fd is None:
            continue
        try:
            if stat.S_ISREG(os.fstat(fd).st_mode):
                data = bytearray()
                while len(data) < limit_bytes:
                    chunk = os.read(fd, min(_CHUNK, limit_bytes - len(data)))
                    if not chunk:
                        break
                    data += chunk
                found[name] = base64.b64encode(bytes(data)).decode()
        finally:
            os.close(fd)
    return found


def _wipe(path: str) -> bool:
    """Empty a directory, whatever permissions the program left on what it made."""
    clean = True
    try:
        names = os.listdir(path)
    except OSError:
        return False
    for name in names:
        full = os.path.join(path, name)
        try:
            info = os.lstat(full)
            if stat.S_ISDIR(info.st_mode):
                os.chmod(full, 0o700)
                clean = _wipe(full) and clean
                os.rmdir(full)
            else:
                os.unlink(full)
        except OSError:
            clean = False
    return clean


# ---- container mode: this process is PID 1 of a throwaway PID namespace -------------------------
#
# The runner is root in the container with only CAP_SETUID, CAP_SETGID and CAP_KILL; programs (and
# everything done with the files they touched) run as PROGRAM_UID with no capabilities. A program therefore
# cannot signal, ptrace or prlimit the runner, and the runner checks after every request that its
# own state (uid, limits) is what it started with; the host replaces a container that says otherwise.

PROGRAM_UID = 65534
_SYSV_KINDS = ("shm", "msg", "sem")
_RLIMITS = {
    name: getattr(resource, name)
    for name in (
        "RLIMIT_AS",
        "RLIMIT_CPU",
        "RLIMIT_NPROC",
        "RLIMIT_NOFILE",
        "RLIMIT_STACK",
        "RLIMIT_FSIZE",
        "RLIMIT_DATA",
        "RLIMIT_MEMLOCK",
        "RLIMIT_CORE",
    )
    if hasattr(resource, name)
}
_CPU_FILES = (
    "/sys/fs/cgroup/cpuacct/cpuacct.usage",
    "/sys/fs/cgroup/cpu,cpuacct/cpuacct.usage",
    "/sys/fs/cgroup/cpu.stat",
)


def _separate_uid() -> bool:
    return os.getuid() == 0


def cgroup_cpu_seconds() -> float | None:
    """CPU seconds used so far by this container's cgroup (None when not visible)."""
    for path in _CPU_FILES:
        try:
            with open(path) as f:
                text = f.read()
        except OSError:
            continue
        if path.endswith("cpu.stat"):
            for line in text.splitlines():
                key, _, value = line.partition(" ")
                if key == "usage_usec":
                    return int(value) / 1e6
            continue
        return int(text.strip()) / 1e9
    return None


def _program_cpu_seconds() -> float | None:
    """The container's CPU time less this runner's own (the rest is the program's)."""
    total = cgroup_cpu_seconds()
    if total is None:
        return None
    own = resource.getrusage(resource.RUSAGE_SELF)
    return total - own.ru_utime - own.ru_stime


def _runner_state() -> dict[str, Any]:
    return {
        "uids": list(os.getresuid()),
        "gids": list(os.getresgid()),
        "rlimits": {name: list(resource.getrlimit(res)) for name, res in _RLIMITS.items()},
    }


_STARTING_STATE: dict[str, Any] = {}
_PROGRAM_FILTER: list[bytes] = []  # the host's seccomp filter for programs (op "configure")


def tampering() -> str | None:
    """How this runner's state differs from what it started with (None when it does not)."""
    now = _runner_state()
    changed = [key for key in now if now[key] != _STARTING_STATE.get(key)]
    changed += [
        f"{name} {_STARTING_STATE['rlimits'].get(name)} -> {value}"
        for name, value in now["rlimits"].items()
        if value != _STARTING_STATE.get("rlimits", {}).get(name)
    ]
    return ", ".join(changed) or None


def _as_program(work: Callable[[], bool]) -> bool:
    """Run `work()` in a child that is the program's uid (so it can undo whatever programs did, and
    nothing more); True when it returned True. In-process when the runner is not root."""
    if not _separate_uid():
        return work()
    pid = os.fork()
    if pid == 0:  # child: never returns
        code = 1
        try:
            _drop_to(PROGRAM_UID)
            code = 0 if work() else 1
        except BaseException:  # noqa: BLE001 - the exit status says it failed
            code = 1
        finally:
            os._exit(code)
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except InterruptedError:
            continue
    return os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


def _live_processes() -> list[int]:
    """Processes of this namespace but ourselves that are not zombies."""
    found = []
    me = os.getpid()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) in (1, me):
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state not in ("Z", "X"):
            found.append(int(entry))
    return found


def _kill_visible() -> bool:
    """Kill every process this uid may signal (PID 1 never counts), until none is left alive."""
    for _ in range(1000):
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            return True
        if not _live_processes():
            return True
        time.sleep(0.001)
    return not _live_processes()


def kill_everything_else(_pid: int = 0) -> None:
    """Kill every process in the namespace but ourselves, and reap them (we are their reaper)."""
    for _ in range(1000):
        try:
            os.kill(-1, signal.SIGKILL)  # as root: needs CAP_KILL to reach the program uid
        except ProcessLookupError:
            break
        _reap_all()
    _reap_all()


def _reap_all() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _sysv_ids(kind: str) -> list[int]:
    """Ids of the System V IPC objects of one kind ("shm", "msg", "sem") in this IPC namespace."""
    try:
        with open(f"/proc/sysvipc/{kind}") as f:
            lines = f.read().splitlines()[1:]
    except OSError:
        return []
    return [int(line.split()[1]) for line in lines if len(line.split()) > 1]


def _remove_sysv_ipc() -> bool:
    """Remove every System V shared memory segment, message queue and semaphore set we may (the
    creator may, whatever owner it set); a leftover one would hold memory or carry a message."""
    if not any(_sysv_ids(kind) for kind in _SYSV_KINDS):
        return True
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    ipc_rmid = 0
    removers: dict[str, Callable[[int], int]] = {
        "shm": lambda ident: libc.shmctl(ident, ipc_rmid, None),
        "msg": lambda ident: libc.msgctl(ident, ipc_rmid, None),
        "sem": lambda ident: libc.semctl(ident, 0, ipc_rmid),
    }
    ok = True
    for kind, remove in removers.items():
        for ident in _sysv_ids(kind):
            if remove(ident) != 0:
                ok = False
    return ok


def _clean_up() -> bool:
    killed = _kill_visible()
    wiped = all([_wipe(d) for d in WIPED_DIRS if os.path.isdir(d)])
    return _remove_sysv_ipc() and wiped and killed


def leftovers() -> list[str]:
    """What a wipe left behind: live processes, files in the writable places, IPC objects."""
    found = [f"process {pid}" for pid in _live_processes()]
    for directory in WIPED_DIRS:
        with contextlib.suppress(OSError):
            found += [f"{directory}/{name}" for name in os.listdir(directory)]
    found += [f"sysv {kind} {ident}" for kind in _SYSV_KINDS for ident in _sysv_ids(kind)]
    return found


def _owned_by_program(directory: str) -> bool:
    """Whether anything under `directory` belongs to the program's uid (looking into our own folders
    only: a folder of the program's is enough to say yes)."""
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return True
    for entry in entries:
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            return True
        if info.st_uid == PROGRAM_UID:
            return True
        if stat.S_ISDIR(info.st_mode) and _owned_by_program(entry.path):
            return True
    return False


def reset() -> list[str]:
    """Return the container to a clean state; what could not be removed (empty when clean)."""
    program_left = (
        not _separate_uid()
        or _live_processes()
        or any(_sysv_ids(kind) for kind in _SYSV_KINDS)
        or any(_owned_by_program(d) for d in WIPED_DIRS if os.path.isdir(d))
    )
    if program_left:  # what the program made, removed as its uid (a fork: only when needed)
        _as_program(_clean_up)
    _reap_all()
    if _separate_uid():  # then the request's own files, root's
        for directory in WIPED_DIRS:
            if os.path.isdir(directory):
                _wipe(directory)
    return leftovers()


def _write_files(files: dict[str, str]) -> None:
    """Write the request's files, world-writable (0666, folders 0777), as this process. A root
    runner's files stay root's: the program may change them but not delete them (the workspace is
    sticky), and `reset` removes them after the program's own."""
    for name, data in files.items():
        path = os.path.normpath(os.path.join(WORKSPACE, name))
        if not path.startswith(WORKSPACE + "/"):
            raise ValueError(f"file name {name!r} leaves the workspace")
        parent = os.path.dirname(path)
        if not os.path.isdir(parent):
            os.makedirs(parent, exist_ok=True)
            folder = parent
            while folder != WORKSPACE:
                os.chmod(folder, 0o777)
                folder = os.path.dirname(folder)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666)
        try:
            os.fchmod(fd, 0o666)
            view = memoryview(base64.b64decode(data))
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)


def _failed(result: ExecResult) -> bool:
    return bool(
        result["spawn_error"]
        or result["timed_out"]
        or result["oom_killed"]
        or result["output_limited"]
        or result["exit_code"] != 0
    )


def handle(request: dict[str, Any]) -> dict[str, Any]:
    """Answer one protocol request."""
    op = request.get("op")
    answer: dict[str, Any] = {"id": request.get("id"), "ok": True}
    if op == "ping":
        answer["oom_visible"] = oom_kill_count() is not None
        answer["cpu_visible"] = cgroup_cpu_seconds() is not None
        answer["separate_uid"] = _separate_uid()
        answer["tampered"] = tampering()
        answer["leftovers"] = leftovers()[:20]
        return answer
    if op == "configure":
        program = base64.b64decode(request.get("seccomp") or "")
        if program:
            if len(program) % 8:
                return {"id": request.get("id"), "ok": False, "error": "a BPF program is 8-byte instructions"}
            _PROGRAM_FILTER[:] = [program]
        answer["seccomp"] = bool(_PROGRAM_FILTER)
        return answer
    if op not in ("run", "reset"):
        return {"id": request.get("id"), "ok": False, "error": f"unknown op {op!r}"}
    changed = tampering()
    if changed:  # never run a program under a changed runner: the host replaces this container
        return {"id": request.get("id"), "ok": False, "error": f"runner state changed: {changed}"}
    run_as = PROGRAM_UID if _separate_uid() else None
    cpu_usage = _program_cpu_seconds if cgroup_cpu_seconds() is not None else None
    if op == "run":
        _write_files(request.get("files") or {})
        results: list[WireResult] = []
        for step in request.get("steps") or []:
            env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": WORKSPACE, "LANG": "C.UTF-8"}
            env.update(step.get("env") or {})
            wall = step.get("wall_limit_s")
            result = execute(
                step["argv"],
                base64.b64decode(step.get("stdin") or ""),
                cwd=WORKSPACE,
                env=env,
                time_limit_s=float(step["time_limit_s"]),
                output_limit_bytes=int(step["output_limit_bytes"]),
                kill_tree=kill_everything_else,
                new_session=False,
                wall_limit_s=float(wall) if wall is not None else None,
                run_as=run_as,
                cpu_usage=cpu_usage,
                seccomp_filter=_PROGRAM_FILTER[0] if _PROGRAM_FILTER else None,
            )
            failed = _failed(result)
            results.append(encode_result(result))
            if failed and step.get("stop_on_failure"):
                break
        answer["results"] = results
        answer["files"] = fetch_files(request.get("fetch") or [], int(request.get("fetch_limit_bytes") or 0))
    if op == "reset" or request.get("reset"):
        left = reset()
        answer["clean"] = not left
        if left:
            answer["leftovers"] = left[:20]
    answer["tampered"] = tampering()
    return answer


def _become_undumpable() -> None:
    # A non-dumpable PID 1 cannot be ptraced nor have /proc/1/fd or /proc/1/mem opened by the
    # program, even where it runs as the same uid (a runner that is not root).
    try:
        import ctypes

        ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 4
    except Exception:  # noqa: BLE001 - best effort on images without ctypes
        pass


def serve() -> None:
    """Container main loop: one request per stdin line until EOF (the host went away)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # PID 1 ignores default-action signals
    _become_undumpable()
    _STARTING_STATE.update(_runner_state())
    os.makedirs(WORKSPACE, exist_ok=True)
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    for line in stdin:
        if not line.strip():
            continue
        try:
            request = json.loads(line)
            answer = handle(request)
        except Exception as exc:  # noqa: BLE001 - the host decides what to do with a broken runner
            answer = {"id": None, "ok": False, "error": f"{type(exc).__name__}: {exc}"}
            with contextlib.suppress(Exception):
                answer["id"] = json.loads(line).get("id")
        stdout.write(json.dumps(answer, separators=(",", ":")).encode() + b"\n")
        stdout.flush()


if __name__ == "__main__" and sys.argv[1:] == ["serve"]:
    serve()
