"""The in-sandbox runner: executes one program at a time under limits and reports what happened.

This file is standard-library only and is shipped into every container as the command line of its
PID 1 (`python3 -I -S -c <this source> serve`), so images carry toolchains only and the runner
always matches the host library. The local backend imports `execute` from here directly.

Protocol (container mode): one JSON request per line on stdin, one JSON answer per line on stdout.
  {"id": 1, "op": "run", "files": {"main.py": "<b64>"}, "steps": [STEP, ...], "reset": true}
  STEP = {"argv": [...], "stdin": "<b64>", "time_limit_s": 2.0, "output_limit_bytes": 1048576,
          "stop_on_failure": false, "env": {...}}
  -> {"id": 1, "ok": true, "results": [RESULT, ...], "clean": true}
  RESULT = {"exit_code", "signal", "timed_out", "oom_killed", "output_limited", "stdout": "<b64>",
            "stderr": "<b64>", "wall_time_s", "cpu_time_s", "spawn_error"}
A program never sees the runner's pipes; after every step everything but PID 1 is killed, and
after every request with "reset" the writable places are wiped.
"""

from __future__ import annotations

import atexit
import base64
import builtins
import contextlib
import io
import json
import math
import os
import resource
import selectors
import signal
import stat
import subprocess
import sys
import threading
import time
import traceback
import types
from collections.abc import Callable, Sequence
from typing import Any

WORKSPACE = "/workspace"
WIPED_DIRS = ("/workspace", "/tmp", "/dev/shm")
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


def _limit_child(
    cpu_limit_s: int, address_space_mb: int | None, new_session: bool, max_processes: int | None = None
) -> Callable[[], None]:
    def apply() -> None:
        if new_session:
            os.setsid()
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_limit_s, cpu_limit_s + 1))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
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

    return apply


class _Forked:
    """The parts of `subprocess.Popen` that `execute` uses, for a child made by `_fork_python`."""

    def __init__(self, pid: int, stdin_fd: int, stdout_fd: int, stderr_fd: int) -> None:
        self.pid = pid
        self.stdin = os.fdopen(stdin_fd, "wb", buffering=0)
        self.stdout = os.fdopen(stdout_fd, "rb", buffering=0)
        self.stderr = os.fdopen(stderr_fd, "rb", buffering=0)
        self.returncode: int | None = None


def _fork_python(script: str, cwd: str, env: dict[str, str], prepare: Callable[[], None]) -> _Forked:
    """Run a Python script in a fork of this (already started) interpreter: `python3 -I script`
    without paying interpreter start-up (~10 ms) for every program."""
    pipes = [os.pipe() for _ in range(3)]
    pid = os.fork()
    if pid == 0:  # child: never returns
        status = 1
        try:
            for target, fd in enumerate((pipes[0][0], pipes[1][1], pipes[2][1])):
                os.dup2(fd, target)  # also closes the protocol channel (our fds 0 and 1)
            os.closerange(3, 65536)
            signal.signal(signal.SIGINT, signal.default_int_handler)
            os.chdir(cwd)
            os.environ.clear()
            os.environ.update(env)
            prepare()
            status = _run_main(os.path.join(cwd, script), script)
        finally:
            os._exit(status)
    os.close(pipes[0][0])
    os.close(pipes[1][1])
    os.close(pipes[2][1])
    return _Forked(pid, pipes[0][1], pipes[1][0], pipes[2][0])


# `_run_main` runs in forked children: everything it needs is imported above, once, in the parent.
def _run_main(path: str, argv0: str) -> int:
    """What the interpreter does with a script: run it as __main__, then shut down; the exit status."""
    # Fresh standard streams on the pipes, buffered as the interpreter buffers them for pipes.
    sys.stdin = io.TextIOWrapper(io.BufferedReader(io.FileIO(0, "r", closefd=False)))
    sys.stdout = io.TextIOWrapper(io.BufferedWriter(io.FileIO(1, "w", closefd=False)))
    sys.stderr = io.TextIOWrapper(
        io.BufferedWriter(io.FileIO(2, "w", closefd=False)), errors="backslashreplace", line_buffering=True
    )
    for name in ("stdin", "stdout", "stderr"):
        setattr(sys, f"__{name}__", getattr(sys, name))
    sys.argv = [argv0]
    module = types.ModuleType("__main__")
    module.__file__ = path
    module.__builtins__ = builtins  # type: ignore[attr-defined]
    sys.modules["__main__"] = module
    status = 0
    try:
        with open(path, "rb") as f:
            source = f.read()
        exec(compile(source, path, "exec"), module.__dict__)
    except SystemExit as exc:
        status = _exit_status(exc)
    except BaseException as exc:  # noqa: BLE001 - printed as the interpreter would
        tb = exc.__traceback__.tb_next if exc.__traceback__ else None
        traceback.print_exception(type(exc), exc, tb)
        status = 1
    try:
        threading._shutdown()  # type: ignore[attr-defined]  # wait for non-daemon threads
        atexit._run_exitfuncs()
    except BaseException:  # noqa: BLE001
        status = status or 1
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    return status


def _exit_status(exc: SystemExit) -> int:
    code = exc.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    with contextlib.suppress(Exception):
        print(code, file=sys.stderr)
    return 1


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
    inline_python: bool = False,
    max_processes: int | None = None,
) -> dict[str, Any]:
    """Run `argv` to completion or to a limit; stdout/stderr are read while it runs and capped.

    With `inline_python`, argv is `python3 ... script` and the script runs in a fork of this
    interpreter instead (see `_fork_python`).

    `kill_tree(pid)` must kill the program and everything it started; it is called once the
    direct child has ended (or must be stopped), so detached children never outlive a step.
    """
    result: dict[str, Any] = {
        "exit_code": None,
        "signal": None,
        "timed_out": False,
        "oom_killed": False,
        "output_limited": False,
        "stdout": b"",
        "stderr": b"",
        "wall_time_s": 0.0,
        "cpu_time_s": 0.0,
        "spawn_error": None,
    }
    oom_before = oom_kill_count()
    start = time.monotonic()
    prepare = _limit_child(max(1, math.ceil(time_limit_s)), address_space_mb, new_session, max_processes)
    proc: subprocess.Popen[bytes] | _Forked
    try:
        if inline_python:
            proc = _fork_python(argv[-1], cwd, env, prepare)
        else:
            proc = subprocess.Popen(
                list(argv),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd=cwd,
                env=env,
                close_fds=True,
                preexec_fn=prepare,
            )
    except OSError as exc:
        result["spawn_error"] = f"{type(exc).__name__}: {exc}"
        return result
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    deadline = start + time_limit_s
    out_fd, err_fd = proc.stdout.fileno(), proc.stderr.fileno()
    outputs = {out_fd: bytearray(), err_fd: bytearray()}
    sel = selectors.DefaultSelector()
    for fd in outputs:
        os.set_blocking(fd, False)
        sel.register(fd, selectors.EVENT_READ)
    pending = memoryview(stdin)
    if pending:
        os.set_blocking(proc.stdin.fileno(), False)
        sel.register(proc.stdin.fileno(), selectors.EVENT_WRITE)
    else:
        proc.stdin.close()
    pidfd = -1
    try:
        pidfd = os.pidfd_open(proc.pid)
        sel.register(pidfd, selectors.EVENT_READ)
    except (AttributeError, OSError):
        pidfd = -1
    total = 0
    status: tuple[int, int, resource.struct_rusage] | None = None

    def reap(block: bool) -> None:
        nonlocal status
        if status is None:
            pid, code, usage = os.wait4(proc.pid, 0 if block else os.WNOHANG)
            if pid:
                status = (pid, code, usage)

    while status is None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            result["timed_out"] = True
            break
        events = sel.select(min(remaining, 0.05 if pidfd < 0 else remaining))
        for key, _ in events:
            fd = key.fd
            if fd == pidfd:
                reap(block=False)
            elif fd in outputs:
                chunk = os.read(fd, _CHUNK)
                if not chunk:
                    sel.unregister(fd)
                    continue
                outputs[fd] += chunk
                total += len(chunk)
            else:
                try:
                    written = os.write(fd, pending[:_CHUNK])
                    pending = pending[written:]
                except (BrokenPipeError, OSError):
                    pending = pending[:0]
                if not pending:
                    sel.unregister(fd)
                    proc.stdin.close()
        if total > output_limit_bytes:
            result["output_limited"] = True
            break
        if pidfd < 0:
            reap(block=False)
    if status is None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGKILL)
        reap(block=True)
    end = time.monotonic()
    kill_tree(proc.pid)
    for key in list(sel.get_map().values()):  # the pidfd and stdin would wake select() forever
        if key.fd not in outputs:
            sel.unregister(key.fd)
    # Every writer is gone now; take what is left in the pipes, still capped.
    drain_deadline = time.monotonic() + 0.5
    while total <= output_limit_bytes and time.monotonic() < drain_deadline:
        live = [k.fd for k in sel.get_map().values() if k.fd in outputs]
        if not live:
            break
        for key, _ in sel.select(max(0.0, drain_deadline - time.monotonic())):
            if key.fd in outputs:
                chunk = os.read(key.fd, _CHUNK)
                if not chunk:
                    sel.unregister(key.fd)
                else:
                    outputs[key.fd] += chunk
                    total += len(chunk)
    if total > output_limit_bytes:
        result["output_limited"] = True
    sel.close()
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        with contextlib.suppress(OSError):
            stream.close()
    if pidfd >= 0:
        os.close(pidfd)
    assert status is not None
    _, code, usage = status
    proc.returncode = -os.WTERMSIG(code) if os.WIFSIGNALED(code) else os.WEXITSTATUS(code)  # reaped by us
    stdout, stderr = bytes(outputs[out_fd]), bytes(outputs[err_fd])
    if result["output_limited"]:  # keep exactly the first `output_limit_bytes` of the combined output
        stdout = stdout[:output_limit_bytes]
        stderr = stderr[: max(0, output_limit_bytes - len(stdout))]
    result.update(
        stdout=stdout,
        stderr=stderr,
        wall_time_s=round(end - start, 6),
        cpu_time_s=round(usage.ru_utime + usage.ru_stime, 6),
    )
    if os.WIFSIGNALED(code):
        result["signal"] = os.WTERMSIG(code)
    else:
        result["exit_code"] = os.WEXITSTATUS(code)
    oom_after = oom_kill_count()
    if oom_before is not None and oom_after is not None and oom_after > oom_before:
        result["oom_killed"] = True
    return result


# ---- container mode: this process is PID 1 of a throwaway PID namespace -------------------------


def kill_everything_else(_pid: int = 0) -> None:
    """Kill every process in the namespace but ourselves, and reap them (we are their reaper)."""
    for _ in range(1000):
        try:
            os.kill(-1, signal.SIGKILL)
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


def _write_files(files: dict[str, str]) -> None:
    for name, data in files.items():
        path = os.path.normpath(os.path.join(WORKSPACE, name))
        if not path.startswith(WORKSPACE + "/"):
            raise ValueError(f"file name {name!r} leaves the workspace")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))


def fetch_files(names: list[str], limit_bytes: int, root: str = WORKSPACE) -> dict[str, str]:
    """Read back files the program left in the workspace (regular files only, never through links),
    base64-encoded."""
    found: dict[str, str] = {}
    for name in names:
        path = os.path.normpath(os.path.join(root, name))
        if not path.startswith(root.rstrip("/") + "/"):
            continue
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            continue
        try:
            if stat.S_ISREG(os.fstat(fd).st_mode):
                found[name] = base64.b64encode(os.read(fd, limit_bytes)).decode()
        finally:
            os.close(fd)
    return found


def _encode(result: dict[str, Any]) -> dict[str, Any]:
    for key in ("stdout", "stderr"):
        result[key] = base64.b64encode(result[key]).decode()
    return result


def _failed(result: dict[str, Any]) -> bool:
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
        return answer
    if op not in ("run", "reset"):
        return {"id": request.get("id"), "ok": False, "error": f"unknown op {op!r}"}
    if op == "run":
        _write_files(request.get("files") or {})
        results = []
        for step in request.get("steps") or []:
            env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": WORKSPACE, "LANG": "C.UTF-8"}
            env.update(step.get("env") or {})
            result = execute(
                step["argv"],
                base64.b64decode(step.get("stdin") or ""),
                cwd=WORKSPACE,
                env=env,
                time_limit_s=float(step["time_limit_s"]),
                output_limit_bytes=int(step["output_limit_bytes"]),
                kill_tree=kill_everything_else,
                new_session=False,
                inline_python=bool(step.get("inline_python")),
            )
            failed = _failed(result)
            results.append(_encode(result))
            if failed and step.get("stop_on_failure"):
                break
        answer["results"] = results
        answer["files"] = fetch_files(request.get("fetch") or [], int(request.get("fetch_limit_bytes") or 0))
    if op == "reset" or request.get("reset"):
        kill_everything_else()
        answer["clean"] = all([_wipe(d) for d in WIPED_DIRS if os.path.isdir(d)])
    return answer


def _become_undumpable() -> None:
    # A non-dumpable PID 1 cannot be ptraced nor have /proc/1/fd or /proc/1/mem opened by the
    # program (same uid), so it cannot forge answers on our stdout or read our requests.
    try:
        import ctypes

        ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 4
    except Exception:  # noqa: BLE001 - best effort on images without ctypes
        pass


def serve() -> None:
    """Container main loop: one request per stdin line until EOF (the host went away)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # PID 1 ignores default-action signals
    _become_undumpable()
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
