"""Direct code execution: POST /v1/sandbox/run, and POST /run_code in SandboxFusion's shape.

`/run_code` lets verl users point `sandbox_fusion_url` at reward-server unchanged: it takes
SandboxFusion's request (`code`, `language`, `stdin`, `compile_timeout`, `run_timeout`,
`memory_limit_MB`, `files` as base64) and answers with its `status` / `compile_result` /
`run_result` shape.

Requests wait in the sandbox's line (`reward_server.sandbox_gate`): a client that disconnects
leaves it, and one still waiting after `sandbox_queue_timeout_s` gets a 504, which verl retries.
"""

from __future__ import annotations

import base64
import binascii
import signal
from dataclasses import replace
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field, field_validator

from reward_server.disconnect import cancel_on_disconnect
from reward_server.errors import RequestError, ServiceUnavailable
from reward_server.routes.deps import get_services
from reward_server.sandbox_gate import SandboxGate
from reward_server.services import Services
from sandboxes import Execution, Limits, RunResult, UnsupportedLanguage, Verdict

router = APIRouter(tags=["sandbox"])

TimeLimit = Annotated[float, Field(gt=0, le=600)]
MemoryLimit = Annotated[int, Field(ge=16, le=65536)]


class SandboxRunRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    language: Annotated[str, Field(min_length=1, max_length=32, examples=["python"])]
    code: str
    stdin: str = ""
    files: dict[str, str] = Field(
        default_factory=dict, description="Extra files (name → text) in the workspace."
    )
    time_limit_s: TimeLimit | None = None
    memory_limit_mb: MemoryLimit | None = None


class SandboxRunResponse(BaseModel):
    status: Annotated[str, Field(description="`ok` or a verdict: " + ", ".join(v.value for v in Verdict))]
    exit_code: int | None
    stdout: str
    stderr: str
    wall_time_s: float
    cpu_time_s: float
    truncated: bool


class RunCodeRequest(BaseModel):
    """SandboxFusion's request; unknown fields are ignored as SandboxFusion does."""

    model_config = ConfigDict(extra="ignore")

    code: str
    language: Annotated[str, Field(min_length=1, max_length=32)]
    stdin: str | None = ""
    compile_timeout: TimeLimit = 10.0
    run_timeout: TimeLimit = 10.0
    memory_limit_MB: int = Field(  # noqa: N815
        default=-1, le=65536, description="-1 (or any value ≤ 0) for the server's default; else 16–65536"
    )
    files: dict[str, str | None] = Field(default_factory=dict, description="name → base64 content")
    fetch_files: list[str] = Field(default_factory=list, description="workspace files to send back (base64)")

    @field_validator("memory_limit_MB")
    @classmethod
    def _memory_in_range(cls, value: int) -> int:
        if 0 < value < 16:
            raise ValueError("memory_limit_MB must be at least 16 (or -1 for the server's default)")
        return value


class CommandResult(BaseModel):
    status: Literal["Finished", "Error", "TimeLimitExceeded"]
    execution_time: float | None
    return_code: int | None
    stdout: str
    stderr: str


class RunCodeResponse(BaseModel):
    status: Literal["Success", "Failed", "SandboxError"]
    message: str = ""
    compile_result: CommandResult | None = None
    run_result: CommandResult | None = None
    executor_pod_name: str | None = None
    files: dict[str, str] = Field(default_factory=dict)


def _sandbox(services: Services) -> SandboxGate:
    gate: SandboxGate | None = getattr(services, "sandbox_gate", None)
    if gate is None:
        raise ServiceUnavailable("code execution is not enabled on this server (start it with --sandbox)")
    return gate


def _limits(services: Services, time_limit_s: float | None, memory_limit_mb: int | None) -> Limits:
    limits = services.sandbox_limits
    if time_limit_s is not None:
        limits = replace(limits, time_limit_s=time_limit_s)
    if memory_limit_mb is not None:
        limits = replace(limits, memory_limit_mb=memory_limit_mb)
    return limits


async def _execute(
    http: Request,
    services: Services,
    language: str,
    code: str,
    stdin: str,
    files: dict[str, str | bytes],
    limits: Limits,
    fetch_files: list[str] | None = None,
) -> Execution:
    """Run through the sandbox's line: a disconnected client leaves it (499, nothing runs), and one
    that waited longer than `sandbox_queue_timeout_s` gets a 504 to retry, not a late answer."""
    gate = _sandbox(services)
    try:
        return await cancel_on_disconnect(
            http,
            gate.execute(
                language,
                code,
                [stdin],
                files=files,
                limits=limits,
                fetch_files=fetch_files or (),
                queue_timeout_s=services.settings.sandbox_queue_timeout_s,
            ),
        )
    except UnsupportedLanguage as exc:
        raise RequestError(["body", "language"], str(exc)) from exc
    except ValueError as exc:  # a file name that leaves the workspace
        raise RequestError(["body", "files"], str(exc)) from exc


@router.post("/v1/sandbox/run", response_model=SandboxRunResponse)
async def run_code_directly(
    request: SandboxRunRequest, http: Request, services: Annotated[Services, Depends(get_services)]
) -> SandboxRunResponse:
    """Compile (if needed) and run one program on one stdin; the answer says how it ended."""
    limits = _limits(services, request.time_limit_s, request.memory_limit_mb)
    files: dict[str, str | bytes] = dict(request.files)
    execution = await _execute(http, services, request.language, request.code, request.stdin, files, limits)
    result = execution.runs[0] if execution.runs else execution.compile
    assert result is not None
    if execution.compile is not None and not execution.runs:
        result = replace(result, status=Verdict.COMPILE_ERROR)
    return SandboxRunResponse(
        status=result.status.value,
        exit_code=result.exit_code,
        stdout=result.stdout,
        stderr=result.stderr,
        wall_time_s=result.wall_time_s,
        cpu_time_s=result.cpu_time_s,
        truncated=result.truncated,
    )


def _command_result(result: RunResult) -> CommandResult:
    # A compile stopped by compile_timeout is a compile_error whose `killed_by` is time_limit;
    # SandboxFusion (and verl, which reads it) calls both TimeLimitExceeded.
    if result.status is Verdict.TIME_LIMIT or result.killed_by is Verdict.TIME_LIMIT:
        status: Literal["Finished", "Error", "TimeLimitExceeded"] = "TimeLimitExceeded"
    elif result.status is Verdict.SANDBOX_ERROR:
        status = "Error"
    else:
        status = "Finished"
    return_code = result.exit_code if result.signal is None else -result.signal
    stderr = result.stderr
    if result.status is Verdict.MEMORY_LIMIT:
        stderr += f"\n[reward-server] killed: memory limit exceeded (signal {signal.SIGKILL.value})"
    elif result.status is Verdict.OUTPUT_LIMIT:
        stderr += "\n[reward-server] killed: output limit exceeded"
    return CommandResult(
        status=status,
        execution_time=result.wall_time_s,
        return_code=return_code,
        stdout=result.stdout,
        stderr=stderr,
    )


@router.post("/run_code", response_model=RunCodeResponse)
async def run_code_sandbox_fusion(
    request: RunCodeRequest, http: Request, services: Annotated[Services, Depends(get_services)]
) -> RunCodeResponse:
    """SandboxFusion-compatible execution, for verl's `sandbox_fusion_url`."""
    files: dict[str, str | bytes] = {}
    for name, content in request.files.items():
        try:
            files[name] = base64.b64decode(content or "", validate=True)
        except (binascii.Error, ValueError) as exc:
            raise RequestError(["body", "files", name], "file content must be base64") from exc
    limits = replace(
        _limits(
            services, request.run_timeout, request.memory_limit_MB if request.memory_limit_MB > 0 else None
        ),
        compile_time_limit_s=request.compile_timeout,
    )
    stdin = request.stdin or ""
    execution = await _execute(
        http, services, request.language, request.code, stdin, files, limits, request.fetch_files
    )
    if execution.sandbox_error is not None:
        return RunCodeResponse(status="SandboxError", message=execution.sandbox_error)
    compile_result = _command_result(execution.compile) if execution.compile is not None else None
    run_result = _command_result(execution.runs[0]) if execution.runs else None
    ok = (compile_result is None or compile_result.return_code == 0) and (
        run_result is not None and run_result.status == "Finished" and run_result.return_code == 0
    )
    if ok and execution.runs[0].status is not Verdict.OK:
        ok = False  # killed for memory or output although the code looked like 0
    return RunCodeResponse(
        status="Success" if ok else "Failed",
        compile_result=compile_result,
        run_result=run_result,
        files={name: base64.b64encode(data).decode() for name, data in execution.files.items()},
    )
