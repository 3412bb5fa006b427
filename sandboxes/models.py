"""Small value types shared by every backend: limits, results, errors."""

from __future__ import annotations

import dataclasses
import signal as _signal
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sandboxes.verdicts import Verdict

if TYPE_CHECKING:
    from sandboxes.runner import ExecResult


@dataclass(frozen=True, slots=True)
class Limits:
    """Per-run limits. `time_limit_s` bounds the CPU time of each run, as judges do; the wall clock
    is capped well above it (`wall_time_limit_s`), so that a busy host does not turn an accepted
    program into a time-limit one while a program that sleeps still ends. `memory_limit_mb` bounds
    memory, the stack included (the stack has no limit of its own). `output_limit_bytes` caps
    stdout and stderr together (the run is stopped when it is exceeded); compiles get their own
    time (CPU, with the same kind of wall-clock cap) and memory limits."""

    time_limit_s: float = 10.0
    memory_limit_mb: int = 512
    output_limit_bytes: int = 1 << 20
    compile_time_limit_s: float = 30.0
    compile_memory_limit_mb: int = 1024

    @property
    def wall_time_limit_s(self) -> float:
        """The wall-clock cap of each run: 3 × `time_limit_s` + 2 s."""
        return 3 * self.time_limit_s + 2

    @property
    def compile_wall_time_limit_s(self) -> float:
        """The wall-clock cap of a compile: 3 × `compile_time_limit_s` + 2 s (CPU time is the limit)."""
        return 3 * self.compile_time_limit_s + 2

    def __post_init__(self) -> None:
        if not 0 < self.time_limit_s <= 600 or not 0 < self.compile_time_limit_s <= 600:
            raise ValueError("time limits must be in (0, 600] seconds")
        if not 16 <= self.memory_limit_mb <= 65536 or not 16 <= self.compile_memory_limit_mb <= 65536:
            raise ValueError("memory limits must be in [16, 65536] MB")
        if not 0 < self.output_limit_bytes <= 64 << 20:
            raise ValueError("output_limit_bytes must be in (0, 64 MiB]")


@dataclass(frozen=True, slots=True)
class RunResult:
    """What one program run did. `status` is `ok` or the reason it was not."""

    status: Verdict
    exit_code: int | None = None
    signal: int | None = None
    stdout: str = ""
    stderr: str = ""
    wall_time_s: float = 0.0
    cpu_time_s: float = 0.0
    truncated: bool = False
    # Which limit stopped the process (time_limit, memory_limit, output_limit), if one did; kept
    # when a compile's status becomes compile_error, so that a compile timeout can be told apart.
    killed_by: Verdict | None = None

    @classmethod
    def sandbox_error(cls, message: str) -> RunResult:
        return cls(status=Verdict.SANDBOX_ERROR, stderr=message)


@dataclass(frozen=True, slots=True)
class Execution:
    """A program compiled (when its language compiles) and run once per stdin."""

    compile: RunResult | None = None
    runs: list[RunResult] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)  # the requested `fetch_files` that existed

    @property
    def sandbox_error(self) -> str | None:
        """The infrastructure failure, if any part of this execution hit one."""
        for result in ([self.compile] if self.compile else []) + self.runs:
            if result.status is Verdict.SANDBOX_ERROR:
                return result.stderr or "sandbox error"
        return None


class SandboxError(Exception):
    """The sandbox itself failed or was asked for something it cannot do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UnsupportedLanguage(SandboxError):
    def __init__(self, language: str, available: list[str]) -> None:
        super().__init__(
            f"language {language!r} is not available; available: {', '.join(available) or 'none'}"
        )
        self.language = language
        self.available = available


class UnsafeFileName(SandboxError, ValueError):
    """File `name` (of the request's `part`: ``files`` or ``fetch_files``) is not a relative path
    inside the workspace."""

    def __init__(self, name: str, part: str = "files") -> None:
        super().__init__(f"file name {name!r} must be a relative path inside the workspace")
        self.name, self.part = name, part


_MEMORY_MESSAGES = ("MemoryError", "std::bad_alloc", "Cannot allocate memory", "out of memory")


def classify(raw: ExecResult, *, time_limit_s: float, memory_hint_from_stderr: bool = False) -> RunResult:
    """Turn a runner result (see `sandboxes.runner.execute`) into a `RunResult` with its verdict.

    `memory_hint_from_stderr` is for backends without a cgroup OOM counter (the local one
    enforces memory with RLIMIT_AS, so a memory bomb dies with an allocation error instead).
    """
    stdout = raw["stdout"].decode("utf-8", "replace")
    stderr = raw["stderr"].decode("utf-8", "replace")
    exit_code = raw["exit_code"]
    sig = raw["signal"]
    cpu = float(raw["cpu_time_s"])
    if raw["spawn_error"]:
        status = Verdict.RUNTIME_ERROR
        stderr = f"{stderr}{raw['spawn_error']}"
    elif raw["output_limited"]:
        status = Verdict.OUTPUT_LIMIT
    elif raw["oom_killed"]:
        status = Verdict.MEMORY_LIMIT
    elif raw["timed_out"] or sig == _signal.SIGXCPU or cpu > time_limit_s:
        status = Verdict.TIME_LIMIT
    elif exit_code == 0:
        status = Verdict.OK
    elif memory_hint_from_stderr and any(m in stderr[-2000:] for m in _MEMORY_MESSAGES):
        status = Verdict.MEMORY_LIMIT
    else:
        status = Verdict.RUNTIME_ERROR
    limited = (Verdict.TIME_LIMIT, Verdict.MEMORY_LIMIT, Verdict.OUTPUT_LIMIT)
    return RunResult(
        status=status,
        exit_code=exit_code,
        signal=sig,
        stdout=stdout,
        stderr=stderr,
        wall_time_s=float(raw["wall_time_s"]),
        cpu_time_s=cpu,
        truncated=bool(raw["output_limited"]),
        killed_by=status if status in limited else None,
    )


def as_compile_error(result: RunResult) -> RunResult:
    """A failed compile's result: status compile_error (the program's fault, whatever stopped the
    compiler); `killed_by` still says which limit did, if one did."""
    return dataclasses.replace(result, status=Verdict.COMPILE_ERROR)
