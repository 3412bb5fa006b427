"""The Docker backend: warm pools of locked-down containers, each running the in-container runner.

A program never gets its own `docker run` (≈0.6 s) nor a `docker exec` (≈70 ms): every container
runs `sandboxes/runner.py` as PID 1 and takes requests over its attached stdin/stdout, so a run
costs one round trip plus the program's own fork/exec. Containers have no network, a read-only
root, tmpfs workspaces, a cgroup memory limit, a pids limit, no capabilities, no-new-privileges,
a non-root uid and a whitelisted environment. A container that breaks protocol, overruns its
deadline or cannot clean up is removed and replaced, never reused.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import logging
import socket
import struct
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sandboxes.base import Sandbox, StopRule
from sandboxes.languages import LANGUAGES, Language
from sandboxes.models import Execution, Limits, RunResult, SandboxError, classify
from sandboxes.verdicts import Verdict

log = logging.getLogger(__name__)

RUNNER_SOURCE = (Path(__file__).parent / "runner.py").read_text()
IMAGE_PREFIX = "reward-sandbox/"
CONTAINER_LABEL = "reward-sandbox.pool"
# The runner (≈10 MB) and the workspace files share the container's cgroup with the program.
RUNNER_HEADROOM_MB = 24
_REQUEST_MARGIN_S = 5.0


@dataclass(frozen=True, slots=True)
class DockerConfig:
    """How the pool's containers are made. Pool sizes are per image (several languages may share one)."""

    pool_size: int = 2
    pool_sizes: dict[str, int] = field(default_factory=dict)
    prewarm: tuple[str, ...] = ("python",)
    images: dict[str, str] = field(default_factory=dict)
    workspace_mb: int = 64
    pids_limit: int = 128
    cpus: float = 1.0
    base_url: str | None = None
    # Python programs run in a fork of the in-container runner's interpreter (same interpreter,
    # `-I` semantics) instead of a fresh `python3` process: ~10 ms less per run.
    inline_python: bool = True

    def image_tag(self, image: str) -> str:
        return self.images.get(image, f"{IMAGE_PREFIX}{image}:latest")


class _Broken(Exception):
    """The container can no longer be trusted to run the next program."""


class _Container:
    """One pre-started container and the runner talking on its attached stdin/stdout."""

    def __init__(
        self, container: Any, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, memory_mb: int
    ):
        self.container = container
        self.reader = reader
        self.writer = writer
        self.memory_mb = memory_mb
        self._ids = itertools.count(1)
        self._buffer = bytearray()

    async def request(self, payload: dict[str, Any], timeout_s: float) -> dict[str, Any]:
        payload = {**payload, "id": next(self._ids)}
        self.writer.write(json.dumps(payload, separators=(",", ":")).encode() + b"\n")
        try:
            await self.writer.drain()
            answer = await asyncio.wait_for(self._read_answer(), timeout_s)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
            raise _Broken(f"runner did not answer: {type(exc).__name__}: {exc}") from exc
        if answer.get("id") != payload["id"] or not answer.get("ok"):
            raise _Broken(f"runner failed: {answer.get('error', 'answer out of order')}")
        return answer

    async def _read_answer(self) -> dict[str, Any]:
        # Attached output is multiplexed: 8-byte frames (stream, 0, 0, 0, big-endian length).
        while b"\n" not in self._buffer:
            header = await self.reader.readexactly(8)
            stream, length = header[0], struct.unpack(">I", header[4:])[0]
            data = await self.reader.readexactly(length)
            if stream == 1:
                self._buffer += data
            else:
                log.debug("sandbox runner stderr: %s", data.decode("utf-8", "replace").rstrip())
        line, _, rest = bytes(self._buffer).partition(b"\n")
        self._buffer = bytearray(rest)
        return json.loads(line)  # type: ignore[no-any-return]

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.writer.close()


class _Pool:
    """Idle containers of one image; a broken one is replaced in the background."""

    def __init__(self, sandbox: DockerSandbox, image: str, size: int) -> None:
        self.sandbox = sandbox
        self.image = image
        self.size = size
        self.idle: asyncio.Queue[_Container] = asyncio.Queue()
        self.count = 0  # alive or being created
        self.last_error: str | None = None
        self.replaced = 0
        self._tasks: set[asyncio.Task[None]] = set()

    async def fill(self) -> None:
        await asyncio.gather(*(self._add() for _ in range(self.size - self.count)))

    async def _add(self) -> None:
        self.count += 1
        try:
            container = await self.sandbox._create(self.image)
        except asyncio.CancelledError:
            self.count -= 1
            raise
        except Exception as exc:  # noqa: BLE001 - kept for the next acquire and /healthz
            self.count -= 1
            self.last_error = f"{type(exc).__name__}: {exc}"
            log.error("could not start a %s sandbox container: %s", self.image, self.last_error)
            return
        self.last_error = None
        if self.sandbox.closed:
            self.count -= 1
            self.sandbox._discard(container)
        else:
            self.idle.put_nowait(container)

    def _add_later(self) -> None:
        task = asyncio.get_running_loop().create_task(self._add())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def acquire(self) -> _Container:
        while True:
            if self.count < self.size and self.idle.empty():
                await self._add()
            if self.count == 0:
                raise SandboxError(f"no {self.image} sandbox container could be started: {self.last_error}")
            try:
                # Wake up now and then: a replacement that failed never puts anything in the queue.
                return await asyncio.wait_for(self.idle.get(), timeout=1.0)
            except TimeoutError:
                continue

    def release(self, container: _Container, healthy: bool) -> None:
        if healthy and not self.sandbox.closed:
            self.idle.put_nowait(container)
            return
        self.count -= 1
        self.replaced += 1
        self.sandbox._discard(container)
        if not self.sandbox.closed:
            self._add_later()

    async def close(self) -> None:
        # Let containers being created finish, so that they are removed rather than leaked.
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        while not self.idle.empty():
            self.sandbox._discard(self.idle.get_nowait())


class DockerSandbox(Sandbox):
    """Production backend: programs run inside pooled, locked-down Docker containers."""

    kind = "docker"

    def __init__(self, config: DockerConfig | None = None, client: Any | None = None) -> None:
        self.config = config or DockerConfig()
        self._client = client
        self._pools: dict[str, _Pool] = {}
        self._available: list[str] = []
        self._removals: set[asyncio.Task[None]] = set()
        self.closed = False

    @property
    def isolation(self) -> str:
        return "docker"

    @property
    def client(self) -> Any:
        if self._client is None:
            import docker

            self._client = (
                docker.DockerClient(base_url=self.config.base_url)
                if self.config.base_url
                else docker.from_env()
            )
        return self._client

    async def start(self) -> None:
        """Check the daemon, find which language images exist and warm the prewarm pools."""
        try:
            await asyncio.to_thread(self.client.ping)
        except Exception as exc:
            raise SandboxError(f"Docker daemon not reachable: {exc}") from exc
        images = {lang.image for lang in LANGUAGES.values()}
        present = await asyncio.gather(*(asyncio.to_thread(self._image_exists, image) for image in images))
        have = {image for image, ok in zip(images, present, strict=True) if ok}
        self._available = sorted(name for name, lang in LANGUAGES.items() if lang.image in have)
        if not self._available:
            raise SandboxError(
                "no sandbox images found; build them with `python -m sandboxes.build_images python cpp`"
            )
        warm = {LANGUAGES[name].image for name in self.config.prewarm if name in self._available}
        await asyncio.gather(*(self._pool(image).fill() for image in warm))
        log.info("docker sandbox ready: languages %s, warm pools %s", self._available, sorted(warm))

    def _image_exists(self, image: str) -> bool:
        import docker.errors

        try:
            self.client.images.get(self.config.image_tag(image))
            return True
        except docker.errors.ImageNotFound:
            return False

    async def close(self) -> None:
        self.closed = True
        await asyncio.gather(*(pool.close() for pool in self._pools.values()))
        if self._removals:
            await asyncio.gather(*self._removals, return_exceptions=True)

    def languages(self) -> list[str]:
        return list(self._available)

    def health(self) -> dict[str, Any]:
        pools = {
            image: {"size": p.size, "alive": p.count, "idle": p.idle.qsize(), "replaced": p.replaced}
            | ({"last_error": p.last_error} if p.last_error else {})
            for image, p in self._pools.items()
        }
        return super().health() | {"pools": pools}

    def _pool(self, image: str) -> _Pool:
        pool = self._pools.get(image)
        if pool is None:
            size = self.config.pool_sizes.get(image, self.config.pool_size)
            pool = self._pools[image] = _Pool(self, image, size)
        return pool

    # ---- containers ------------------------------------------------------------------------

    async def _create(self, image: str) -> _Container:
        memory_mb = Limits().memory_limit_mb
        container, sock = await asyncio.to_thread(self._create_sync, image, memory_mb)
        try:
            reader, writer = await asyncio.open_connection(sock=sock)
            worker = _Container(container, reader, writer, memory_mb)
            await worker.request({"op": "ping"}, timeout_s=30)
        except BaseException:
            self._discard_sync(container)
            raise
        return worker

    def _create_sync(self, image: str, memory_mb: int) -> tuple[Any, socket.socket]:
        from docker.types import LogConfig, Ulimit

        cfg = self.config
        container = self.client.containers.create(
            cfg.image_tag(image),
            command=["python3", "-I", "-c", RUNNER_SOURCE, "serve"],
            stdin_open=True,
            tty=False,
            network_mode="none",
            read_only=True,
            tmpfs={
                "/workspace": f"rw,exec,nosuid,nodev,size={cfg.workspace_mb}m,mode=1777",
                "/tmp": f"rw,exec,nosuid,nodev,size={cfg.workspace_mb}m,mode=1777",
            },
            shm_size=f"{cfg.workspace_mb}m",
            mem_limit=f"{memory_mb + RUNNER_HEADROOM_MB}m",
            memswap_limit=f"{memory_mb + RUNNER_HEADROOM_MB}m",
            pids_limit=cfg.pids_limit,
            nano_cpus=int(cfg.cpus * 1e9),
            cap_drop=["ALL"],
            security_opt=["no-new-privileges"],
            user="65534:65534",
            environment={"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/workspace", "LANG": "C.UTF-8"},
            ipc_mode="private",
            ulimits=[Ulimit(name="nofile", soft=1024, hard=1024), Ulimit(name="core", soft=0, hard=0)],
            log_config=LogConfig(type="none"),
            labels={CONTAINER_LABEL: image},
            auto_remove=True,
        )
        try:
            sockio = container.attach_socket(params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1})
            raw = getattr(sockio, "_sock", sockio)
            sock = raw.dup()
            sockio.close()
            raw.close()
            container.start()
        except BaseException:
            self._discard_sync(container)
            raise
        sock.setblocking(False)
        return container, sock

    def _discard(self, worker: _Container) -> None:
        worker.close()
        task = asyncio.get_running_loop().create_task(asyncio.to_thread(self._discard_sync, worker.container))
        self._removals.add(task)
        task.add_done_callback(self._removals.discard)

    @staticmethod
    def _discard_sync(container: Any) -> None:
        with contextlib.suppress(Exception):
            container.remove(force=True)

    async def _set_memory(self, worker: _Container, memory_mb: int) -> None:
        if worker.memory_mb == memory_mb:
            return
        limit = (memory_mb + RUNNER_HEADROOM_MB) * 1024 * 1024
        try:
            await asyncio.to_thread(
                self.client.api.update_container, worker.container.id, mem_limit=limit, memswap_limit=limit
            )
        except Exception as exc:
            raise _Broken(f"could not set the memory limit: {exc}") from exc
        worker.memory_mb = memory_mb

    # ---- running -----------------------------------------------------------------------------

    async def _execute(
        self,
        lang: Language,
        files: dict[str, bytes],
        stdins: list[bytes],
        limits: Limits,
        should_stop: StopRule | None,
    ) -> Execution:
        pool = self._pool(lang.image)
        try:
            worker = await pool.acquire()
        except SandboxError as exc:
            return Execution(runs=[RunResult.sandbox_error(str(exc))])
        healthy = False
        try:
            execution = await self._run_on(worker, lang, files, stdins, limits, should_stop)
            healthy = True
            return execution
        except _Broken as exc:
            log.warning("replacing a broken %s sandbox container: %s", lang.image, exc)
            return Execution(runs=[RunResult.sandbox_error(f"sandbox container failed: {exc}")])
        finally:
            pool.release(worker, healthy)

    async def _run_on(
        self,
        worker: _Container,
        lang: Language,
        files: dict[str, bytes],
        stdins: list[bytes],
        limits: Limits,
        should_stop: StopRule | None,
    ) -> Execution:
        encoded = {name: base64.b64encode(data).decode() for name, data in files.items()}
        compiled: RunResult | None = None
        if lang.compile:
            await self._set_memory(worker, limits.compile_memory_limit_mb)
            step = self._step(lang, lang.compile, b"", limits.compile_time_limit_s, limits, inline=False)
            answer = await self._send(worker, {"op": "run", "files": encoded, "steps": [step]}, [step])
            encoded = {}
            compiled = classify(answer["results"][0], time_limit_s=limits.compile_time_limit_s)
            if compiled.status is not Verdict.OK:
                # A compiler out of time or memory is still the program's fault: compile_error.
                await self._reset(worker)
                return Execution(compile=replace(compiled, status=Verdict.COMPILE_ERROR), runs=[])
        await self._set_memory(worker, limits.memory_limit_mb)
        inline = self.config.inline_python and lang.name == "python"
        steps = [self._step(lang, lang.run, s, limits.time_limit_s, limits, inline=inline) for s in stdins]
        runs: list[RunResult] = []
        # Without a stop rule every run goes in one request, which also wipes the workspace.
        batches = [steps] if should_stop is None else [[s] for s in steps]
        for number, batch in enumerate(batches):
            last = number == len(batches) - 1
            payload = {"op": "run", "files": encoded, "steps": batch, "reset": last}
            answer = await self._send(worker, payload, batch)
            encoded = {}
            runs.extend(classify(raw, time_limit_s=limits.time_limit_s) for raw in answer["results"])
            if last and not answer.get("clean"):
                raise _Broken("workspace could not be wiped")
            if not last and should_stop is not None and should_stop(len(runs) - 1, runs[-1]):
                await self._reset(worker)
                break
        return Execution(compile=compiled, runs=runs)

    @staticmethod
    async def _reset(worker: _Container) -> None:
        answer = await worker.request({"op": "reset"}, timeout_s=_REQUEST_MARGIN_S)
        if not answer.get("clean"):
            raise _Broken("workspace could not be wiped")

    @staticmethod
    def _step(
        lang: Language,
        argv: tuple[str, ...],
        stdin: bytes,
        time_limit_s: float,
        limits: Limits,
        *,
        inline: bool,
    ) -> dict[str, Any]:
        return {
            "argv": list(argv),
            "stdin": base64.b64encode(stdin).decode(),
            "time_limit_s": time_limit_s,
            "output_limit_bytes": limits.output_limit_bytes,
            "env": lang.env,
            "stop_on_failure": False,
            "inline_python": inline,
        }

    @staticmethod
    async def _send(
        worker: _Container, payload: dict[str, Any], steps: list[dict[str, Any]]
    ) -> dict[str, Any]:
        timeout = sum(s["time_limit_s"] + 1.0 for s in steps) + _REQUEST_MARGIN_S
        answer = await worker.request(payload, timeout_s=timeout)
        results = answer.get("results")
        if not isinstance(results, list) or len(results) != len(steps):
            raise _Broken("runner answered with the wrong number of results")
        for raw in results:
            raw["stdout"] = base64.b64decode(raw["stdout"])
            raw["stderr"] = base64.b64decode(raw["stderr"])
        return answer
