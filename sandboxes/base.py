"""The interface every sandbox backend implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import PurePosixPath
from typing import Any, ClassVar

from sandboxes.languages import Language, resolve_language
from sandboxes.models import Execution, Limits, RunResult, UnsafeFileName, UnsupportedLanguage

StopRule = Callable[[int, RunResult], bool]
"""Called after run `index` with its result; returning True skips the remaining stdins."""


class Sandbox(ABC):
    """Runs untrusted programs under limits.

    `execute` compiles once (for compiled languages) and runs the program once per stdin, each run
    in the same fresh workspace; nothing the program did survives the call.
    """

    kind: ClassVar[str]

    @property
    @abstractmethod
    def isolation(self) -> str:
        """How strongly programs are isolated: "docker", "bubblewrap" or "rlimits"."""

    @abstractmethod
    async def start(self) -> None: ...

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    def languages(self) -> list[str]:
        """The languages this sandbox can run now."""

    def capacity(self, language: str) -> tuple[str, int]:
        """Which pool runs `language` and how many of its programs run at once: a caller that must
        not queue inside the backend (`reward_server.sandbox_gate`) waits in one line per pool.

        The default is one pool without a bound; backends with fixed slots override it.
        """
        return "all", 1 << 16

    def health(self) -> dict[str, Any]:
        """A JSON-able summary for `/healthz`."""
        return {"kind": self.kind, "isolation": self.isolation, "languages": self.languages()}

    async def execute(
        self,
        language: str,
        code: str,
        stdins: Sequence[str | bytes] = ("",),
        *,
        files: Mapping[str, str | bytes] | None = None,
        limits: Limits | None = None,
        should_stop: StopRule | None = None,
        fetch_files: Sequence[str] = (),
        command: Sequence[str] | None = None,
    ) -> Execution:
        """Compile `code` if needed, then run it once per entry of `stdins`.

        With `command`, that argv runs instead of the compile and the program (once per stdin,
        under the run limits, in the language's image and workspace): a tool over the source,
        such as a linter, that must not run the code. `{source}` in it becomes the source's file
        name (`Main.java`, or the public class's name for Java).

        `fetch_files` are read back from the workspace after the last run (`Execution.files`).
        Raises `UnsupportedLanguage` for a language this sandbox cannot run and `ValueError` for a
        file name outside the workspace. Infrastructure
        failures do not raise: they come back as `sandbox_error` results (worth a retry).
        """
        lang = resolve_language(language)
        if lang is None or lang.name not in self.languages():
            raise UnsupportedLanguage(language, self.languages())
        lang = lang.for_source(code)  # Java: the file and class named after the public class
        if command is not None:
            argv = tuple(arg.replace("{source}", lang.source_file) for arg in command)
            lang = replace(lang, compile=None, run=argv)
        all_files: dict[str, bytes] = {}
        for name, data in (files or {}).items():
            _check_name(name, "files")
            all_files[name] = data.encode() if isinstance(data, str) else data
        for name in fetch_files:
            _check_name(name, "fetch_files")
        all_files[lang.source_file] = code.encode()
        inputs = [s.encode() if isinstance(s, str) else s for s in stdins]
        execution = await self._execute(
            lang, all_files, inputs, limits or Limits(), should_stop, list(fetch_files)
        )
        return execution

    @abstractmethod
    async def _execute(
        self,
        lang: Language,
        files: dict[str, bytes],
        stdins: list[bytes],
        limits: Limits,
        should_stop: StopRule | None,
        fetch_files: list[str],
    ) -> Execution: ...


FETCH_LIMIT_BYTES = 4 << 20
"""At most this much of each fetched file comes back."""


def _check_name(name: str, part: str) -> None:
    parts = PurePosixPath(name).parts
    if not parts or name.startswith("/") or ".." in parts or "\0" in name:
        raise UnsafeFileName(name, part)
