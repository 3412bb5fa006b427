"""Python linting with ruff, on the host.

Why the host and not the sandbox: ruff is a parser written in Rust that never runs, imports or
includes anything the code names, and the Python sandbox image does not carry it. It still gets
hard limits: CPU time (RLIMIT_CPU) and the wall clock (killed past 3 × the limit + 2 s, as the
sandbox caps runs), address space (RLIMIT_AS), no file it may write (RLIMIT_FSIZE 0), an empty
temporary directory as its working directory, a bare environment, the code on stdin, and
`--isolated` so that no configuration file anywhere is read.

Rules (`RULES`): ruff's defaults (E4, E7, E9, F: pyflakes and the pycodestyle errors that are not
about layout) plus B (bugbear: likely bugs), SIM (simplifiable code) and C901 (functions over
McCabe complexity 10), S307 (`eval`) and S102 (`exec`). Code run from a string hides it from the
linter, so the lint reward scores it 0: S102 and the wider rule in `dynamic`. `--ignore-noqa`: a
`# noqa` comment does not hide a finding.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import sys
import tempfile
import weakref
from dataclasses import dataclass
from typing import Any

from ruff.__main__ import find_ruff_bin

from reward_server.rewards.lint import dynamic
from reward_server.rewards.lint.findings import Finding

__all__ = [
    "EXEC_RULE",
    "RULES",
    "RuffFailed",
    "RuffReport",
    "run_hidden_code_check",
    "ruff_version",
    "run_ruff",
]

RULES = ("E4", "E7", "E9", "F", "B", "SIM", "C901", "S102", "S307")
EXEC_RULE = "S102"  # exec(): code in a string, which no linter sees


OUTPUT_LIMIT_BYTES = 8 << 20
_SYNTAX_CODES = (None, "invalid-syntax", "E999")
# One bound on concurrent ruff processes per event loop (a semaphore belongs to the loop it first waits in).
_slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = weakref.WeakKeyDictionary()


class RuffFailed(Exception):
    """ruff did not lint the code: it ran out of time or memory, or crashed."""


@dataclass(frozen=True, slots=True)
class RuffReport:
    """ruff's findings; `truncated` when its report passed `OUTPUT_LIMIT_BYTES` (far more
    findings than it takes to score 0) and only those read before were kept."""

    findings: list[Finding]
    truncated: bool = False


def _findings(report: list[dict[str, Any]]) -> list[Finding]:
    findings = []
    for entry in report:
        code, message = entry.get("code"), str(entry.get("message", ""))
        error = code in _SYNTAX_CODES or message.startswith("SyntaxError")
        line = (entry.get("location") or {}).get("row")
        findings.append(Finding(str(code or "invalid-syntax"), message, line, error=error))
    return findings


def _partial_findings(raw: bytes) -> list[Finding]:
    """The complete entries at the start of a cut-off JSON array."""
    decoder, text, found = json.JSONDecoder(), raw.decode("utf-8", "replace"), []
    position = text.find("{")
    while position != -1:
        try:
            entry, end = decoder.raw_decode(text, position)
        except json.JSONDecodeError:
            break
        found.append(entry)
        position = text.find("{", end)
    return _findings(found)


def ruff_version() -> str:
    """`ruff x.y.z` of the binary the ruff package ships (no process is started)."""
    from importlib.metadata import version

    return f"ruff {version('ruff')}"


async def run_ruff(code: str, *, time_limit_s: float, memory_limit_mb: int) -> RuffReport:
    """Lint `code` as `main.py` with `RULES`. Raises `RuffFailed` when ruff gives no report."""
    argv = [find_ruff_bin(), "check", "--isolated", "--no-cache", "--ignore-noqa", "--exit-zero"]
    argv += ["--select", ",".join(RULES), "--output-format", "json", "--stdin-filename", "main.py", "-"]
    stdout, truncated = await _run_limited("ruff", argv, code, time_limit_s, memory_limit_mb)
    if truncated:
        return RuffReport(_partial_findings(stdout), truncated=True)
    try:
        report = json.loads(stdout)
    except json.JSONDecodeError as exc:
        raise RuffFailed(f"ruff's report is not JSON: {exc}") from None
    return RuffReport(_findings(report))


async def run_hidden_code_check(code: str, *, time_limit_s: float, memory_limit_mb: int) -> str | None:
    """`dynamic.hidden_code(code)` in a child Python under the same limits as ruff (Python's AST of a
    large program takes far more memory and time than the server should spend in its event loop).
    Raises `RuffFailed` when the check does not finish."""
    argv = [sys.executable, "-I", "-S", dynamic.__file__]
    stdout, truncated = await _run_limited("the hidden-code check", argv, code, time_limit_s, memory_limit_mb)
    try:
        verdict = json.loads(stdout) if not truncated else None
    except json.JSONDecodeError:
        verdict = None
    if not isinstance(verdict, dict) or not isinstance(verdict.get("hidden"), str | None):
        raise RuffFailed(f"the hidden-code check gave no verdict: {stdout[:200]!r}")
    hidden: str | None = verdict["hidden"]
    return hidden


async def _run_limited(
    tool: str, argv: list[str], code: str, time_limit_s: float, memory_limit_mb: int
) -> tuple[bytes, bool]:
    """Run `argv` with `code` on stdin under the limits (module docstring): its stdout, and whether
    that passed `OUTPUT_LIMIT_BYTES`. Raises `RuffFailed` on a time-out or a failed exit."""
    loop = asyncio.get_running_loop()
    slots = _slots.get(loop)
    if slots is None:
        slots = _slots[loop] = asyncio.Semaphore(os.cpu_count() or 1)
    cpu_s = max(1, int(time_limit_s + 0.999))

    def limit() -> None:  # in the child, before exec: plain system calls only
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s))
        resource.setrlimit(resource.RLIMIT_AS, (memory_limit_mb << 20, memory_limit_mb << 20))
        resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))

    async with slots:
        with tempfile.TemporaryDirectory(prefix="reward-lint-") as workdir:
            process = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                cwd=workdir,
                env={"PATH": "/usr/bin:/bin", "HOME": workdir, "RUFF_NO_CACHE": "true"},
                preexec_fn=limit,
                start_new_session=True,
            )
            try:
                stdout, truncated, stderr = await asyncio.wait_for(
                    _communicate(process, code.encode("utf-8", "surrogatepass")), 3 * time_limit_s + 2
                )
            except TimeoutError:
                raise RuffFailed(f"{tool} took longer than {3 * time_limit_s + 2:g} s") from None
            finally:
                if process.returncode is None:
                    process.kill()
                    await process.wait()
    if not truncated and process.returncode != 0:
        reason = stderr.decode("utf-8", "replace").strip()[-500:] or f"exit status {process.returncode}"
        raise RuffFailed(f"{tool} failed ({reason}); time limit {cpu_s} s CPU, memory {memory_limit_mb} MB")
    return stdout, truncated


async def _communicate(process: asyncio.subprocess.Process, data: bytes) -> tuple[bytes, bool, bytes]:
    """Write `data` to stdin, read stdout up to `OUTPUT_LIMIT_BYTES` (then kill), and stderr."""
    assert process.stdin and process.stdout and process.stderr

    async def feed() -> None:
        try:
            process.stdin.write(data)  # type: ignore[union-attr]
            await process.stdin.drain()  # type: ignore[union-attr]
            process.stdin.close()  # type: ignore[union-attr]
        except (BrokenPipeError, ConnectionResetError):
            pass  # ruff died; its exit status says why

    async def read_out() -> tuple[bytes, bool]:
        chunks, size = [], 0
        while chunk := await process.stdout.read(1 << 16):  # type: ignore[union-attr]
            chunks.append(chunk)
            size += len(chunk)
            if size > OUTPUT_LIMIT_BYTES:
                process.kill()
                return b"".join(chunks), True
        return b"".join(chunks), False

    async def read_err() -> bytes:
        tail = b""
        while chunk := await process.stderr.read(1 << 16):  # type: ignore[union-attr]
            tail = (tail + chunk)[-(1 << 16) :]
        return tail

    _, (out, truncated), err = await asyncio.gather(feed(), read_out(), read_err())
    await process.wait()
    return out, truncated, err
