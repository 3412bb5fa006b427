"""The local backend: programs run as processes of this machine, for when Docker is absent.

With bubblewrap installed each run gets fresh user, PID, network, IPC and mount namespaces: only
/usr (and the interpreter's own prefix) is visible, read-only; the workspace is a private temp dir;
there is no network; and killing the namespace's init takes every process of the run with it.
Without bubblewrap only rlimits, a fresh session, a temp dir and (when we are root) the `nobody`
uid separate the program from the server: isolation is much weaker, and `isolation` says so.
Memory is limited with RLIMIT_AS for languages where that is meaningful (C, C++, Rust, Python);
JVM, Go and Node runs get no memory limit here.
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
from sandboxes.languages import LANGUAGES, Language
from sandboxes.models import Execution, Limits, RunResult, classify
from sandboxes.runner import execute
from sandboxes.runner import fetch_files as fetch_back
from sandboxes.verdicts import Verdict

_NOBODY = 65534
_SLOT_UID_BASE = 61000
_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/workspace", "LANG": "C.UTF-8"}


@dataclass(frozen=True, slots=True)
class LocalConfig:
    """`use_bubblewrap=None` uses it when installed; `max_concurrency` bounds simultaneous runs."""

    use_bubblewrap: bool | None = None
    max_concurrency: int = os.cpu_count() or 2
    max_processes: int = 256  # RLIMIT_NPROC of a run that has its own uid (when the server is root)


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
        self._free_uids = [_SLOT_UID_BASE + i for i in range(self.config.max_concurrency)]

    @property
    def isolation(self) -> str:
        return "bubblewrap" if self._bwrap else "rlimits"

    async def start(self) -> None:
        self._semaphore = asyncio.Semaphore(self.config.max_concurrency)

    async def close(self) -> None:
        return None

    def languages(self) -> list[str]:
        return list(self._available)

    def health(self) -> dict[str, Any]:
        weaker = "programs share this machine's kernel without a container"
        if not self._bwrap:
            weaker += "; bubblewrap is not installed, so only rlimits and a separate session apply"
        return super().health() | {"warning": f"isolation is weaker than docker: {weaker}"}

    def _resolve_tools(self, lang: Language) -> bool:
        for argv in (lang.compile, lang.run):
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
            uid = self._free_uids.pop()
            try:
                return await asyncio.to_thread(
                    self._execute_sync, lang, files, stdins, limits, should_stop, fetch_files, uid
                )
            finally:
                self._free_uids.append(uid)

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
        workspace = tempfile.mkdtemp(prefix="reward-sandbox-")
        try:
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
                if compiled.status is not Verdict.OK:
                    return Execution(compile=_as_compile_error(compiled), runs=[])
            runs: list[RunResult] = []
            for stdin in stdins:
                runs.append(self._run(lang, lang.run, stdin, workspace, limits, compiling=False, uid=uid))
                if should_stop is not None and should_stop(len(runs) - 1, runs[-1]):
                    break
            fetched = fetch_back(fetch_files, FETCH_LIMIT_BYTES, root=workspace)
            files_back = {name: base64.b64decode(data) for name, data in fetched.items()}
            return Execution(compile=compiled, runs=runs, files=files_back)
        finally:
            shutil.rmtree(workspace, ignore_errors=True)

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
        time_limit_s = limits.compile_time_limit_s if compiling else limits.time_limit_s
        memory_mb = limits.compile_memory_limit_mb if compiling else limits.memory_limit_mb
        command = [self._tools.get(argv[0], argv[0]), *argv[1:]]
        env = {**_ENV, **lang.env}
        kill_tree: Callable[[int], None]
        if self._bwrap:
            command = self._bwrap_argv(workspace, env) + command
            kill_tree = _kill_process
        else:
            env["HOME"] = workspace
            kill_tree = _kill_session
        if self._own_uids:
            command = _drop_privileges(command, uid)
            kill_tree = functools.partial(_kill_uid, uid)
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
        )
        if self._bwrap and raw["exit_code"] is not None and int(raw["exit_code"]) > 128:
            # bwrap reports a program killed by signal N as exit status 128 + N.
            raw["signal"], raw["exit_code"] = int(raw["exit_code"]) - 128, None
        return classify(raw, time_limit_s=time_limit_s, memory_hint_from_stderr=True)

    def _bwrap_argv(self, workspace: str, env: dict[str, str]) -> list[str]:
        assert self._bwrap is not None
        argv = [self._bwrap, "--unshare-all", "--die-with-parent", "--new-session"]
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
        argv += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--bind", workspace, "/workspace"]
        argv += ["--chdir", "/workspace", "--uid", str(_NOBODY), "--gid", str(_NOBODY), "--clearenv"]
        for key, value in env.items():
            argv += ["--setenv", key, value]
        return [*argv, "--remount-ro", "/", "--"]


def _as_compile_error(result: RunResult) -> RunResult:
    from dataclasses import replace

    return replace(result, status=Verdict.COMPILE_ERROR)


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


def _kill_uid(uid: int, pid: int) -> None:
    """Kill every process running as `uid` (the run's own throwaway uid) and wait, up to a second,
    until only zombies (already dead, waiting for their reaper) are left."""
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
