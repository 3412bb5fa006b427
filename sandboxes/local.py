"""The local backend: programs run as processes of this machine, for when Docker is absent.

With bubblewrap installed each run gets fresh user, PID, network, IPC and mount namespaces: only
/usr (and the interpreter's own prefix) is visible, read-only; there is no network; `/tmp` and
`/dev/shm` are size-capped tmpfs; a seccomp filter (`sandboxes.seccomp_filter`) refuses new
namespaces, io_uring and the keyring; and killing the namespace's init takes every process of the
run with it. When the server is root, each run also gets its own uid leased host-wide
(`sandboxes.uids`), its workspace is a size-capped tmpfs, and (where the machine lets us make
cgroups, `sandboxes.cgroups`) its own control group: a memory limit for every language, the CPU
time of the program's whole process tree, and a clean kill. Without bubblewrap only rlimits, a
fresh session and a temp dir separate the program from the server: isolation is much weaker, and
`isolation` says so. `health()["not_enforced"]` lists what this machine could not enforce.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sandboxes.base import FETCH_LIMIT_BYTES, Sandbox, StopRule
from sandboxes.cgroups import CgroupRoot, RunCgroup
from sandboxes.languages import LANGUAGES, Language, first_version_line
from sandboxes.models import Execution, Limits, RunResult, as_compile_error, classify
from sandboxes.runner import execute
from sandboxes.runner import fetch_files as fetch_back
from sandboxes.seccomp_filter import SeccompUnavailable, seccomp_fd, seccomp_program
from sandboxes.uids import UID_BASE, lease_uid
from sandboxes.verdicts import Verdict

_NOBODY = 65534
_SLOT_UID_BASE = UID_BASE
_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/workspace", "LANG": "C.UTF-8"}
_WORKSPACE_PREFIX = "reward-sandbox-"
_MNT_DETACH = 2


@dataclass(frozen=True, slots=True)
class LocalConfig:
    """`use_bubblewrap=None` uses it when installed; `max_concurrency` bounds simultaneous runs.
    `workspace_mb` caps the workspace, `/tmp` and `/dev/shm` of a run (each a tmpfs)."""

    use_bubblewrap: bool | None = None
    max_concurrency: int = os.cpu_count() or 2
    max_processes: int = 256  # RLIMIT_NPROC / pids.max of a run that has its own uid (server is root)
    workspace_mb: int = 64


class LocalSandbox(Sandbox):
    """Embedded backend: bubblewrap namespaces when available, else rlimits only."""

    kind = "local"

    def __init__(self, config: LocalConfig | None = None) -> None:
        self.config = config or LocalConfig()
        bwrap = shutil.which("bwrap")
        if self.config.use_bubblewrap is None:
            self._bwrap = bwrap if bwrap and _bwrap_works(bwrap) else None
        elif self.config.use_bubblewrap:
            if not bwrap:
                raise RuntimeError("use_bubblewrap=True but bwrap is not installed")
            self._bwrap = bwrap
        else:
            self._bwrap = None
        # The system interpreter when there is one: no server packages on its path, fast start-up.
        system_python = "/usr/bin/python3"
        self._python = (
            system_python if os.access(system_python, os.X_OK) else os.path.realpath(sys.executable)
        )
        self._roots = ["/usr"]
        prefix = os.path.realpath(os.path.dirname(os.path.dirname(self._python)))
        if not prefix.startswith("/usr"):
            self._roots.append(prefix)
        # A root server gives each concurrent run its own throwaway uid: RLIMIT_NPROC then bounds a
        # fork bomb, and "every process of that uid" is exactly the run's tree, detached or not.
        self._own_uids = (
            os.geteuid() == 0 and shutil.which("setpriv") is not None and _world_usable(self._python)
        )
        if self._own_uids and self._bwrap:
            self._own_uids = self._roots == ["/usr"] and _bwrap_works(self._bwrap, as_uid=_SLOT_UID_BASE)
        self._tools: dict[str, str] = {}
        self._available = [name for name, lang in LANGUAGES.items() if self._resolve_tools(lang)]
        self._semaphore: asyncio.Semaphore | None = None
        self._cgroups = CgroupRoot.detect() if self._own_uids else None
        self._seccomp_error: str | None = None
        if self._bwrap:
            try:
                seccomp_program()
            except SeccompUnavailable as exc:
                self._seccomp_error = str(exc)
        self._tmpfs_workspace = os.geteuid() == 0 and _mount_tmpfs_works()
        self._bwrap_size = self._bwrap is not None and _bwrap_has_option(self._bwrap, "--size")
        self._toolchains: dict[str, str] | None = None

    @property
    def isolation(self) -> str:
        return "bubblewrap" if self._bwrap else "rlimits"

    async def start(self) -> None:
        self._semaphore = asyncio.Semaphore(self.config.max_concurrency)
        await asyncio.to_thread(self.sweep)

    def sweep(self) -> None:
        """Remove workspaces and run cgroups left by sandbox processes that died mid-run."""
        alive_pids = {int(e) for e in os.listdir("/proc") if e.isdigit()}
        root = Path(tempfile.gettempdir())
        for path in root.glob(f"{_WORKSPACE_PREFIX}*"):
            owner = path.name[len(_WORKSPACE_PREFIX) :].split("-", 1)[0]
            if owner.isdigit() and int(owner) not in alive_pids and path.is_dir():
                _remove_workspace(str(path))
        if self._cgroups is not None:
            groups = {
                name
                for parent in (self._cgroups.memory, self._cgroups.cpu)
                for name in _child_names(parent)
                if name.split("-", 1)[0].isdigit() and int(name.split("-", 1)[0]) in alive_pids
            }
            self._cgroups.sweep(groups)

    async def close(self) -> None:
        return None

    def languages(self) -> list[str]:
        return list(self._available)

    def capacity(self, language: str) -> tuple[str, int]:
        """One set of slots for every language: `max_concurrency` runs at once."""
        return "local", self.config.max_concurrency

    def enforcement(self) -> tuple[dict[str, str], list[str]]:
        """How each limit is enforced on this machine, and what is not enforced at all."""
        how: dict[str, str] = {}
        missing: list[str] = []
        if self._cgroups:
            how["memory"] = f"{self._cgroups.describe()} memory limit, every language"
            how["cpu_time"] = f"{self._cgroups.describe()} CPU time of the whole process tree"
        else:
            as_limited = sorted(n for n in self._available if LANGUAGES[n].address_space_limit)
            how["memory"] = f"RLIMIT_AS for {', '.join(as_limited)}"
            missing.append("memory limit for " + ", ".join(sorted(set(self._available) - set(as_limited))))
            how["cpu_time"] = "RLIMIT_CPU per process"
            if self._bwrap:
                missing.append("cpu_time_s reports bubblewrap's own time, not the program's")
        if self._bwrap:
            if self._bwrap_size:
                how["tmp"] = f"tmpfs /tmp and /dev/shm of {self.config.workspace_mb} MB"
            else:
                missing.append("size cap on /tmp and /dev/shm (bubblewrap older than 0.5 has no --size)")
            if self._seccomp_error:
                missing.append(self._seccomp_error)
            else:
                how["seccomp"] = "no new namespaces, io_uring, keyring, bpf, mounts, modules"
        else:
            missing += ["namespaces (bubblewrap is not installed)", "size cap on /tmp and /dev/shm"]
            missing.append("seccomp filter (needs bubblewrap)")
        if self._tmpfs_workspace:
            how["workspace"] = f"tmpfs of {self.config.workspace_mb} MB"
        else:
            missing.append("workspace size cap (needs root to mount a tmpfs)")
        how["uids"] = "a uid per run, leased host-wide" if self._own_uids else "one shared uid"
        if not self._own_uids:
            missing.append("per-run uid (needs root and setpriv)")
        return how, missing

    def health(self) -> dict[str, Any]:
        weaker = "programs share this machine's kernel without a container"
        if not self._bwrap:
            weaker += "; bubblewrap is not installed, so only rlimits and a separate session apply"
        how, missing = self.enforcement()
        return super().health() | {
            "warning": f"isolation is weaker than docker: {weaker}",
            "enforced": how,
            "not_enforced": missing,
            "toolchains": self.toolchains(),
        }

    def toolchains(self) -> dict[str, str]:
        """Language → the version line of the toolchain this machine runs it with (asked once)."""
        if self._toolchains is None:
            import subprocess

            versions = {}
            for name in self._available:
                argv = LANGUAGES[name].version_command
                if not argv:
                    continue
                tool = self._tools.get(argv[0]) or shutil.which(argv[0]) or argv[0]
                try:
                    proc = subprocess.run([tool, *argv[1:]], capture_output=True, text=True, timeout=20)
                    versions[name] = first_version_line(proc.stdout + proc.stderr)
                except (OSError, subprocess.SubprocessError) as exc:
                    versions[name] = f"unknown ({type(exc).__name__})"
            self._toolchains = versions
        return self._toolchains

    def _resolve_tools(self, lang: Language) -> bool:
        for argv in (lang.compile, lang.run, lang.version_command):
            if not argv or argv[0].startswith("./"):
                continue
            tool = self._python if argv[0] == "python3" else shutil.which(argv[0])
            if tool is None:
                return False
            real = os.path.realpath(tool)
            if self._bwrap and not any(real.startswith(root + "/") for root in self._roots):
                return False  # not visible inside the sandbox
            if self._own_uids and not _world_usable(real):
                return False  # not usable by the run's own uid (e.g. under /root)
            self._tools[argv[0]] = tool
        return True

    async def _execute(
        self,
        lang: Language,
        files: dict[str, bytes],
        stdins: list[bytes],
        limits: Limits,
        should_stop: StopRule | None,
        fetch_files: list[str],
    ) -> Execution:
        if self._semaphore is None:
            await self.start()
        assert self._semaphore is not None
        async with self._semaphore:
            return await asyncio.to_thread(
                self._execute_leased, lang, files, stdins, limits, should_stop, fetch_files
            )

    def _execute_leased(
        self,
        lang: Language,
        files: dict[str, bytes],
        stdins: list[bytes],
        limits: Limits,
        should_stop: StopRule | None,
        fetch_files: list[str],
    ) -> Execution:
        if not self._own_uids:
            return self._execute_sync(lang, files, stdins, limits, should_stop, fetch_files)
        lease = lease_uid(start_hint=os.getpid() % 997)
        try:
            _kill_uid(lease.uid, 0)  # whatever a run that died with this lease left behind
            return self._execute_sync(lang, files, stdins, limits, should_stop, fetch_files, lease.uid)
        finally:
            lease.release()

    def _execute_sync(
        self,
        lang: Language,
        files: dict[str, bytes],
        stdins: list[bytes],
        limits: Limits,
        should_stop: StopRule | None,
        fetch_files: list[str],
        uid: int = _NOBODY,
    ) -> Execution:
        workspace = tempfile.mkdtemp(prefix=f"{_WORKSPACE_PREFIX}{os.getpid()}-")
        try:
            if self._tmpfs_workspace:
                _mount_tmpfs(workspace, self.config.workspace_mb)
            os.chmod(workspace, 0o777)
            for name, data in files.items():
                path = Path(workspace, name).resolve()
                if not path.is_relative_to(Path(workspace).resolve()):
                    return Execution(
                        runs=[RunResult(status=Verdict.RUNTIME_ERROR, stderr=f"bad file name {name!r}")]
                    )
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
                path.chmod(0o666)
            compiled: RunResult | None = None
            if lang.compile:
                compiled = self._run(lang, lang.compile, b"", workspace, limits, compiling=True, uid=uid)
                if compiled.status is Verdict.SANDBOX_ERROR:
                    return Execution(compile=compiled, runs=[])
                if compiled.status is not Verdict.OK:
                    return Execution(compile=as_compile_error(compiled), runs=[])
            runs: list[RunResult] = []
            for stdin in stdins:
                runs.append(self._run(lang, lang.run, stdin, workspace, limits, compiling=False, uid=uid))
                if should_stop is not None and should_stop(len(runs) - 1, runs[-1]):
                    break
            fetched = fetch_back(fetch_files, FETCH_LIMIT_BYTES, root=workspace)
            files_back = {name: base64.b64decode(data) for name, data in fetched.items()}
            return Execution(compile=compiled, runs=runs, files=files_back)
        finally:
            _remove_workspace(workspace)

    def _run(
        self,
        lang: Language,
        argv: tuple[str, ...],
        stdin: bytes,
        workspace: str,
        limits: Limits,
        *,
        compiling: bool,
        uid: int = _NOBODY,
    ) -> RunResult:
        """`_run_once`, retried while bubblewrap itself cannot set the run up for want of a kernel
        resource (EAGAIN): the program never started, so that is no verdict about it. Seen after a
        fork bomb on a host whose PID 1 reaps orphaned zombies only every few seconds; still
        failing after `_SETUP_RETRY_S` it is a `sandbox_error` (the code reward retries those)."""
        deadline = time.monotonic() + _SETUP_RETRY_S
        while True:
            result = self._run_once(lang, argv, stdin, workspace, limits, compiling=compiling, uid=uid)
            if not (self._bwrap and _bwrap_setup_failed(result)):
                return result
            if time.monotonic() > deadline:
                return RunResult.sandbox_error(
                    f"bubblewrap could not set the run up: {result.stderr.strip()}"
                )
            time.sleep(0.25)

    def _run_once(
        self,
        lang: Language,
        argv: tuple[str, ...],
        stdin: bytes,
        workspace: str,
        limits: Limits,
        *,
        compiling: bool,
        uid: int = _NOBODY,
    ) -> RunResult:
        time_limit_s = limits.compile_time_limit_s if compiling else limits.time_limit_s
        memory_mb = limits.compile_memory_limit_mb if compiling else limits.memory_limit_mb
        command = [self._tools.get(argv[0], argv[0]), *argv[1:]]
        env = {**_ENV, **lang.env}
        kill_tree: Callable[[int], None]
        filter_fd = -1
        if self._bwrap:
            if not self._seccomp_error:
                filter_fd = seccomp_fd()
            command = self._bwrap_argv(workspace, env, filter_fd) + command
            kill_tree = _kill_process
        else:
            env["HOME"] = workspace
            kill_tree = _kill_session
        group: RunCgroup | None = None
        if self._own_uids:
            command = _drop_privileges(command, uid)
            kill_tree = functools.partial(_kill_uid, uid)
            if self._cgroups is not None:
                try:
                    group = self._cgroups.create(f"{os.getpid()}-{uid}", memory_mb, self.config.max_processes)
                except OSError as exc:  # the machine's fault, not the program's: worth a retry
                    if filter_fd >= 0:
                        os.close(filter_fd)
                    return RunResult.sandbox_error(f"could not make the run's cgroup: {exc}")
                kill_tree = functools.partial(_kill_group_and_uid, group, uid)
        try:
            raw = execute(
                command,
                stdin,
                cwd=workspace,
                env=env,
                time_limit_s=time_limit_s,
                output_limit_bytes=limits.output_limit_bytes,
                kill_tree=kill_tree,
                address_space_mb=memory_mb if lang.address_space_limit else None,
                new_session=True,
                max_processes=self.config.max_processes if self._own_uids else None,
                wall_limit_s=limits.compile_wall_time_limit_s if compiling else limits.wall_time_limit_s,
                cpu_usage=group.cpu_seconds if group else None,
                oom_kills=group.oom_kills if group else _no_oom_counter,
                before_exec=group.enter if group else None,
                pass_fds=[filter_fd] if filter_fd >= 0 else [],
            )
        finally:
            if filter_fd >= 0:
                os.close(filter_fd)
            if group is not None:
                group.remove()
        if self._bwrap and raw["exit_code"] is not None and int(raw["exit_code"]) > 128:
            # bwrap reports a program killed by signal N as exit status 128 + N.
            raw["signal"], raw["exit_code"] = int(raw["exit_code"]) - 128, None
        return classify(raw, time_limit_s=time_limit_s, memory_hint_from_stderr=True)

    def _bwrap_argv(self, workspace: str, env: dict[str, str], filter_fd: int = -1) -> list[str]:
        assert self._bwrap is not None
        argv = [self._bwrap, "--unshare-all", "--die-with-parent", "--new-session"]
        if filter_fd >= 0:
            argv += ["--seccomp", str(filter_fd)]
        for root in self._roots:
            argv += ["--ro-bind", root, root]
        for top in ("bin", "lib", "lib64", "sbin"):
            path = f"/{top}"
            if os.path.islink(path):
                argv += ["--symlink", os.readlink(path), path]
            elif os.path.isdir(path):
                argv += ["--ro-bind", path, path]
        for etc in ("/etc/alternatives", "/etc/ld.so.cache", "/etc/java-17-openjdk"):
            argv += ["--ro-bind-try", etc, etc]
        size = ["--size", str(self.config.workspace_mb * 1024 * 1024)] if self._bwrap_size else []
        argv += ["--proc", "/proc", "--dev", "/dev", *size, "--tmpfs", "/tmp"]
        argv += [*size, "--tmpfs", "/dev/shm", "--bind", workspace, "/workspace"]
        argv += ["--chdir", "/workspace", "--uid", str(_NOBODY), "--gid", str(_NOBODY), "--clearenv"]
        for key, value in env.items():
            argv += ["--setenv", key, value]
        return [*argv, "--remount-ro", "/", "--"]


def _no_oom_counter() -> int | None:
    return None  # without a cgroup of its own a run's OOM kills cannot be told from others'


def _kill_group_and_uid(group: RunCgroup, uid: int, pid: int) -> None:
    group.kill()
    _kill_uid(uid, pid)


def _libc() -> Any:
    import ctypes

    return ctypes.CDLL(None, use_errno=True)


def _mount_tmpfs(path: str, size_mb: int) -> None:
    options = f"size={size_mb}m,mode=0777,nr_inodes=65536".encode()
    flags = 0x2 | 0x4  # MS_NOSUID | MS_NODEV
    if _libc().mount(b"tmpfs", path.encode(), b"tmpfs", flags, options) != 0:
        import ctypes

        err = ctypes.get_errno()
        raise OSError(err, f"mount tmpfs on {path}: {os.strerror(err)}")


def _mount_tmpfs_works() -> bool:
    probe = tempfile.mkdtemp(prefix=f"{_WORKSPACE_PREFIX}{os.getpid()}-probe-")
    try:
        _mount_tmpfs(probe, 1)
    except OSError:
        return False
    finally:
        _remove_workspace(probe)
    return True


def _remove_workspace(path: str) -> None:
    """Unmount (if it is a tmpfs of ours) and delete a workspace."""
    if os.path.ismount(path):
        _libc().umount2(path.encode(), _MNT_DETACH)
    shutil.rmtree(path, ignore_errors=True)


def _child_names(parent: Path) -> list[str]:
    try:
        return [
            p.name[len(_WORKSPACE_PREFIX) :] for p in parent.iterdir() if p.name.startswith(_WORKSPACE_PREFIX)
        ]
    except OSError:
        return []


def _kill_process(pid: int) -> None:
    # bwrap's outer process: its death kills the namespace init (--die-with-parent), and the
    # kernel then kills every process left in the PID namespace.
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def _kill_session(pid: int) -> None:
    """Kill the run's process group and anything still in its session (best effort without namespaces)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, ProcessLookupError):
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[3]) == pid:  # session id
                os.kill(int(entry), signal.SIGKILL)


def _drop_privileges(command: list[str], uid: int) -> list[str]:
    # setpriv (util-linux, always on Debian) drops root before exec; rlimits still apply.
    return ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--", *command]


_SETUP_RETRY_S = 5.0


def _bwrap_setup_failed(result: RunResult) -> bool:
    """bubblewrap's own set-up failed for a passing lack of a resource, before the program ran."""
    return (
        result.exit_code == 1
        and result.stderr.startswith("bwrap: ")
        and "Resource temporarily unavailable" in result.stderr
        and "\n" not in result.stderr.strip()
    )


def _kill_uid(uid: int, pid: int) -> None:
    """Kill every process running as `uid` (the run's own throwaway uid) and wait, up to a second,
    until only zombies (already dead, waiting for their reaper) are left."""
    if pid > 0:
        _kill_process(pid)
    deadline = time.monotonic() + 1.0
    while True:
        alive = _processes_of(uid)
        for process in alive:
            with contextlib.suppress(ProcessLookupError):
                os.kill(process, signal.SIGKILL)
        if not alive or time.monotonic() > deadline:
            return
        time.sleep(0.002)


def _processes_of(uid: int) -> list[int]:
    """Live (non-zombie) processes whose real uid is `uid`."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            status = Path(f"/proc/{entry}/status").read_text()
            state = status.split("\nState:", 1)[1].split()[0]
            if int(status.split("\nUid:", 1)[1].split()[0]) == uid and state not in ("Z", "X"):
                found.append(int(entry))
    return found


def _world_usable(path: str) -> bool:
    """Whether any uid may reach and run `path` (every directory above it searchable by others)."""
    real = os.path.realpath(path)
    directory = os.path.dirname(real)
    while True:
        try:
            if not os.stat(directory).st_mode & 0o001:
                return False
        except OSError:
            return False
        if directory == "/":
            break
        directory = os.path.dirname(directory)
    try:
        return bool(os.stat(real).st_mode & 0o001)
    except OSError:
        return False


def _bwrap_has_option(bwrap: str, option: str) -> bool:
    import subprocess

    try:
        proc = subprocess.run([bwrap, "--help"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return False
    return option in proc.stdout + proc.stderr


def _bwrap_works(bwrap: str, as_uid: int | None = None) -> bool:
    """bwrap is installed but may be unusable (no user namespaces); try it once."""
    import subprocess

    argv = [bwrap, "--unshare-all", "--ro-bind", "/", "/", "--", "/usr/bin/true"]
    try:
        proc = subprocess.run(
            _drop_privileges(argv, as_uid) if as_uid is not None else argv,
            capture_output=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return proc.returncode == 0
