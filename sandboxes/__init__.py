"""Run untrusted programs under hard isolation: Docker pools in production, bubblewrap locally.

sandbox = DockerSandbox()            # or LocalSandbox()
await sandbox.start()
execution = await sandbox.execute("python", "print(input())", ["hi"])
execution.runs[0].status, execution.runs[0].stdout   # (Verdict.OK, "hi\\n")
"""

from __future__ import annotations

from sandboxes.base import Sandbox, StopRule
from sandboxes.docker import DockerConfig, DockerSandbox
from sandboxes.languages import LANGUAGES, Language, resolve_language
from sandboxes.local import LocalConfig, LocalSandbox
from sandboxes.models import Execution, Limits, RunResult, SandboxError, UnsafeFileName, UnsupportedLanguage
from sandboxes.verdicts import Verdict

__all__ = [
    "LANGUAGES",
    "DockerConfig",
    "DockerSandbox",
    "Execution",
    "Language",
    "Limits",
    "LocalConfig",
    "LocalSandbox",
    "RunResult",
    "Sandbox",
    "SandboxError",
    "UnsafeFileName",
    "StopRule",
    "UnsupportedLanguage",
    "Verdict",
    "resolve_language",
]
