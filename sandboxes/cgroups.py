"""Per-run control groups for the local backend: a memory limit that holds for every language, the
CPU time of the whole process tree, an OOM-kill counter and a way to kill everything a run started.

cgroup v2 (one unified hierarchy with the memory, cpu and pids controllers enabled for our own
group) is used where the machine has it; otherwise cgroup v1 with writable `memory`, `cpuacct` and
(optionally) `pids` hierarchies. Each run gets a child group of the group this process is in, so any
limit placed on the server still holds above it. Without either, `CgroupRoot.detect()` returns None
and the backend says in `/healthz` what is then not enforced.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

_MOUNT = Path("/sys/fs/cgroup")
_PREFIX = "reward-sandbox-"


def _own_path(controller: str) -> str | None:
    """This process's group in a v1 hierarchy (`controller`) or the v2 one (`""`)."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controller in controllers.split(",") if controller else controllers == "":
            return path
    return None


def _writable_dir(path: Path) -> bool:
    probe = path / f"{_PREFIX}probe-{os.getpid()}"
    try:
        probe.mkdir()
    except OSError:
        return False
    with contextlib.suppress(OSError):
        probe.rmdir()
    return True


@dataclass(frozen=True, slots=True)
class CgroupRoot:
    """Where per-run groups are made: `version` 1 or 2, and the parent directory per controller."""

    version: int
    memory: Path
    cpu: Path
    pids: Path | None

    @classmethod
    def detect(cls) -> CgroupRoot | None:
        """The usable cgroup setup of this machine, or None (not root, or nothing writable)."""
        if os.geteuid() != 0:
            return None
        own = _own_path("")
        unified = _MOUNT / "cgroup.controllers"
        if own is not None and unified.exists():
            parent = _MOUNT / own.lstrip("/")
            try:
                enabled = (parent / "cgroup.subtree_control").read_text().split()
            except OSError:
                enabled = []
            if {"memory", "cpu"} <= set(enabled) and _writable_dir(parent):
                return cls(2, parent, parent, parent if "pids" in enabled else None)
        dirs: dict[str, Path] = {}
        for controller in ("memory", "cpuacct", "pids"):
            path = _own_path(controller)
            for mount in (_MOUNT / controller, _MOUNT / "cpu,cpuacct"):
                if path is not None and (mount / "cgroup.procs").exists():
                    dirs[controller] = mount / path.lstrip("/")
                    break
        if "memory" in dirs and "cpuacct" in dirs and all(_writable_dir(d) for d in dirs.values()):
            return cls(1, dirs["memory"], dirs["cpuacct"], dirs.get("pids"))
        return None

    def describe(self) -> str:
        return f"cgroup v{self.version}"

    def create(self, name: str, memory_mb: int, max_processes: int) -> RunCgroup:
        """A fresh group for one run (a leftover of the same name is emptied and replaced)."""
        dirs = {self.memory, self.cpu, *([self.pids] if self.pids else [])}
        paths = [d / f"{_PREFIX}{name}" for d in sorted(dirs)]
        group = RunCgroup(
            self.version, paths, self.memory / f"{_PREFIX}{name}", self.cpu / f"{_PREFIX}{name}"
        )
        group.remove()
        for path in paths:
            path.mkdir()
        limit = str(memory_mb * 1024 * 1024)
        if self.version == 2:
            (group.memory / "memory.max").write_text(limit)
            with contextlib.suppress(OSError):
                (group.memory / "memory.swap.max").write_text("0")
            if self.pids:
                (group.memory / "pids.max").write_text(str(max_processes))
        else:
            (group.memory / "memory.limit_in_bytes").write_text(limit)
            with contextlib.suppress(OSError):  # absent without swap accounting
                (group.memory / "memory.memsw.limit_in_bytes").write_text(limit)
            if self.pids:
                (self.pids / f"{_PREFIX}{name}" / "pids.max").write_text(str(max_processes))
        return group

    def sweep(self, alive: set[str]) -> None:
        """Remove run groups left by processes that died (names not in `alive`)."""
        for parent in {self.memory, self.cpu, *([self.pids] if self.pids else [])}:
            with contextlib.suppress(OSError):
                for child in parent.iterdir():
                    if child.name.startswith(_PREFIX) and child.name[len(_PREFIX) :] not in alive:
                        RunCgroup(self.version, [child], child, child).remove()


@dataclass(frozen=True, slots=True)
class RunCgroup:
    """One run's group (one directory per hierarchy in v1, one in v2)."""

    version: int
    paths: list[Path]
    memory: Path
    cpu: Path

    def enter(self) -> None:
        """Move the calling process into this group (called in the child before it execs)."""
        for path in self.paths:
            with open(path / "cgroup.procs", "w") as f:
                f.write("0")

    def cpu_seconds(self) -> float | None:
        """CPU time used so far by every process that was ever in the group."""
        try:
            if self.version == 2:
                for line in (self.cpu / "cpu.stat").read_text().splitlines():
                    key, _, value = line.partition(" ")
                    if key == "usage_usec":
                        return int(value) / 1e6
                return None
            return int((self.cpu / "cpuacct.usage").read_text()) / 1e9
        except (OSError, ValueError):
            return None

    def oom_kills(self) -> int:
        """How many processes of the group the kernel killed for memory (v1: times the limit was hit
        and the OOM killer ran)."""
        try:
            name = "memory.events" if self.version == 2 else "memory.oom_control"
            for line in (self.memory / name).read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    return int(value)
        except (OSError, ValueError):
            pass
        return 0

    def kill(self) -> None:
        """Kill every process in the group and wait (up to a second) until it is empty."""
        if self.version == 2:
            with contextlib.suppress(OSError):
                (self.memory / "cgroup.kill").write_text("1")
        deadline = time.monotonic() + 1.0
        while True:
            pids = self._pids()
            if not pids or time.monotonic() > deadline:
                return
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.002)

    def _pids(self) -> list[int]:
        found: set[int] = set()
        for path in self.paths:
            with contextlib.suppress(OSError, ValueError):
                found.update(int(p) for p in (path / "cgroup.procs").read_text().split())
        return sorted(found)

    def remove(self) -> None:
        if any(path.exists() for path in self.paths):
            self.kill()
        for path in self.paths:
            with contextlib.suppress(FileNotFoundError):
                for attempt in range(50):  # rmdir fails while the last processes are being reaped
                    try:
                        path.rmdir()
                        break
                    except FileNotFoundError:
                        raise
                    except OSError:
                        time.sleep(0.002 * (attempt + 1))
