"""The Docker backend: warm pools of locked-down containers, each running the in-container runner.

A program never gets its own `docker run` (≈0.6 s) nor a `docker exec` (≈70 ms): every container
runs `sandboxes/runner.py` as PID 1 and takes requests over its attached stdin/stdout, so a run
costs one round trip plus the program's own fork/exec. Containers have no network, a read-only
root, tmpfs workspaces, a cgroup memory limit, a pids limit, no-new-privileges and a whitelisted
environment. The runner is root in the container with only CAP_SETUID, CAP_SETGID and CAP_KILL, and programs
run as another uid (65534) with no capabilities, so a program cannot signal, ptrace or prlimit the
runner. A container that breaks protocol, overruns its deadline, cannot clean up (files, processes,
System V and POSIX IPC objects) or whose runner reports a changed state is removed and replaced,
never reused.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import os
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sandboxes.base import FETCH_LIMIT_BYTES, Sandbox, StopRule
from sandboxes.docker_pool import BrokenContainer, ContainerPool, RunnerChannel
from sandboxes.languages import LANGUAGES, TOOLCHAIN_LABEL, Language, image_tag, resolve_language
from sandboxes.models import Execution, Limits, RunResult, SandboxError, as_compile_error, classify
from sandboxes.runner import RunStep, decode_result
from sandboxes.seccomp_filter import SeccompUnavailable, seccomp_program
from sandboxes.verdicts import Verdict

log = logging.getLogger(__name__)

RUNNER_SOURCE = (Path(__file__).parent / "runner.py").read_text()
CONTAINER_LABEL = "reward-sandbox.pool"
OWNER_LABEL = "reward-sandbox.owner-pid"  # which server process a container belongs to
# The runner (≈10 MB) and the workspace files share the container's cgroup with the program.
RUNNER_HEADROOM_MB = 24
_REQUEST_MARGIN_S = 5.0
_API_VERSION = "1.40"
_DEFAULT_HOST = "unix:///var/run/docker.sock"


@dataclass(frozen=True, slots=True)
class DockerConfig:
    """How the pool's containers are made. Pool sizes are per image (several languages may share one)."""

    pool_size: int = 2
    pool_sizes: dict[str, int] = field(default_factory=dict)
    prewarm: tuple[str, ...] = ("python",)
    images: dict[str, str] = field(default_factory=dict)
    workspace_mb: int = 128  # each of /workspace, /tmp, /dev/shm (Go compiles seed a ~40 MB cache in /tmp)
    pids_limit: int = 128
    cpus: float = 1.0
    base_url: str | None = None
    # Containers start with this run memory limit (the usual one saves a `docker update` per run).
    memory_limit_mb: int = Limits().memory_limit_mb

    def image_tag(self, image: str) -> str:
        return self.images.get(image, image_tag(image))


class DockerSandbox(Sandbox):
    """Production backend: programs run inside pooled, locked-down Docker containers."""

    kind = "docker"

    def __init__(self, config: DockerConfig | None = None, client: Any | None = None) -> None:
        self.config = config or DockerConfig()
        self._client = client
        self._owns_client = client is None
        self._pools: dict[str, ContainerPool] = {}
        self._available: list[str] = []
        self._removals: set[asyncio.Task[None]] = set()
        self._toolchains: dict[str, str] = {}
        self._tags: dict[str, str] = {}  # image -> the tag found at start (pinned, else configured)
        # Stacked on Docker's own profile (which, before Docker 25, lets io_uring through).
        self._seccomp: bytes | None = None
        self._seccomp_error: str | None = None
        try:
            self._seccomp = seccomp_program()
        except SeccompUnavailable as exc:
            self._seccomp_error = str(exc)
        self.tampered = 0  # containers replaced because a program changed their runner
        self.closed = False

    @property
    def isolation(self) -> str:
        return "docker"

    @property
    def client(self) -> Any:
        if self._client is None:
            import docker

            # A fixed API version (every daemon since 19.03 speaks it) spares docker-py a version
            # request in its constructor, which leaks its socket when the daemon is not there.
            if self.config.base_url:
                self._client = docker.DockerClient(base_url=self.config.base_url, version=_API_VERSION)
            else:
                self._client = docker.from_env(version=_API_VERSION)
        return self._client

    def _close_client(self) -> None:
        if self._owns_client and self._client is not None:
            self._client.close()  # its HTTP connection pool holds sockets to the daemon
            self._client = None

    async def start(self) -> None:
        """Check the daemon, find which language images exist and warm the prewarm pools."""
        try:
            _check_unix_socket(self.config.base_url or os.environ.get("DOCKER_HOST") or _DEFAULT_HOST)
            await asyncio.to_thread(self.client.ping)
        except Exception as exc:
            self._close_client()
            raise SandboxError(f"Docker daemon not reachable: {exc}") from exc
        images = sorted({lang.image for lang in LANGUAGES.values()})
        present = await asyncio.gather(*(asyncio.to_thread(self._image_labels, image) for image in images))
        have = set()
        for image, labels in zip(images, present, strict=True):
            if labels is not None:
                have.add(image)
                self._toolchains.update(_toolchain_label(labels))
        self._available = sorted(name for name, lang in LANGUAGES.items() if lang.image in have)
        if not self._available:
            raise SandboxError(
                "no sandbox images found; build them with `python -m sandboxes.build_images python cpp`"
            )
        warm = {LANGUAGES[name].image for name in self.config.prewarm if name in self._available}
        await asyncio.gather(*(self._pool(image).fill() for image in warm))
        log.info("docker sandbox ready: languages %s, warm pools %s", self._available, sorted(warm))

    def _image_labels(self, image: str) -> dict[str, str] | None:
        """The labels of the image this backend will run (the tag of this checkout's definition when
        built here, else the configured tag), or None when neither exists."""
        import docker.errors

        from sandboxes.build_images import pinned_tag  # not at the top: `python -m` runs that module

        candidates = [self.config.image_tag(image)]
        if image not in self.config.images:
            with contextlib.suppress(OSError):
                candidates.insert(0, pinned_tag(image))
        for tag in candidates:
            try:
                found = self.client.images.get(tag)
            except docker.errors.ImageNotFound:
                continue
            self._tags[image] = tag
            return dict(found.labels or {})
        return None

    async def close(self) -> None:
        self.closed = True
        await asyncio.gather(*(pool.close() for pool in self._pools.values()))
        if self._removals:
            await asyncio.gather(*self._removals, return_exceptions=True)
        self._close_client()

    def languages(self) -> list[str]:
        return list(self._available)

    def capacity(self, language: str) -> tuple[str, int]:
        """One pool per image, as many programs at once as it has containers."""
        lang = resolve_language(language)
        if lang is None:
            return super().capacity(language)
        return lang.image, self.config.pool_sizes.get(lang.image, self.config.pool_size)

    def health(self) -> dict[str, Any]:
        """Pools, toolchains and `status`: "unavailable" when a pool has no container and could not
        start one (its `last_error` says why), else "ok"."""
        pools = {
            image: {"size": p.size, "alive": p.count, "idle": p.idle.qsize(), "replaced": p.replaced}
            | ({"last_error": p.last_error} if p.last_error else {})
            for image, p in self._pools.items()
        }
        broken = any(p.count == 0 and p.last_error for p in self._pools.values())
        return super().health() | {
            "status": "unavailable" if broken or self.closed else "ok",
            "pools": pools,
            "replaced_after_tampering": self.tampered,
            "seccomp": "Docker's profile + "
            + (
                "ours (no new namespaces, io_uring, keyring)"
                if self._seccomp
                else f"nothing: {self._seccomp_error}"
            ),
            "toolchains": {
                name: self._toolchains[name] for name in self._available if name in self._toolchains
            },
        }

    def _pool(self, image: str) -> ContainerPool:
        pool = self._pools.get(image)
        if pool is None:
            size = self.config.pool_sizes.get(image, self.config.pool_size)
            pool = self._pools[image] = ContainerPool(
                image, size, self._create, self._discard, lambda: self.closed
            )
        return pool

    # ---- containers ------------------------------------------------------------------------

    async def _create(self, image: str) -> RunnerChannel:
        memory_mb = self.config.memory_limit_mb
        container, sock = await asyncio.to_thread(self._create_sync, image, memory_mb)
        try:
            reader, writer = await asyncio.open_connection(sock=sock)
            worker = RunnerChannel(container, reader, writer, memory_mb)
            answer = await worker.request({"op": "ping"}, timeout_s=30)
            if self._seccomp is not None:
                encoded = base64.b64encode(self._seccomp).decode()
                await worker.request({"op": "configure", "seccomp": encoded}, timeout_s=30)
            if not answer.get("separate_uid"):
                raise SandboxError(
                    "the sandbox runner is not root in its container: programs would share its uid"
                )
        except BaseException:
            self._discard_sync(container)
            raise
        return worker

    def _create_sync(self, image: str, memory_mb: int) -> tuple[Any, socket.socket]:
        from docker.types import LogConfig, Ulimit

        cfg = self.config
        container = self.client.containers.create(
            self._tags.get(image, cfg.image_tag(image)),
            command=["python3", "-I", "-S", "-c", RUNNER_SOURCE, "serve"],
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
            # Root with three capabilities, only to start programs as PROGRAM_UID and to kill them.
            cap_drop=["ALL"],
            cap_add=["SETUID", "SETGID", "KILL"],
            security_opt=["no-new-privileges"],
            user="0:0",
            environment={"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/workspace", "LANG": "C.UTF-8"},
            ipc_mode="private",
            ulimits=[Ulimit(name="nofile", soft=1024, hard=1024), Ulimit(name="core", soft=0, hard=0)],
            log_config=LogConfig(type="none"),
            labels={CONTAINER_LABEL: image, OWNER_LABEL: str(os.getpid())},
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

    def _discard(self, worker: RunnerChannel) -> None:
        worker.close()
        task = asyncio.get_running_loop().create_task(asyncio.to_thread(self._discard_sync, worker.container))
        self._removals.add(task)
        task.add_done_callback(self._removals.discard)

    @staticmethod
    def _discard_sync(container: Any) -> None:
        with contextlib.suppress(Exception):
            container.remove(force=True)

    async def _set_memory(self, worker: RunnerChannel, memory_mb: int) -> None:
        if worker.memory_mb == memory_mb:
            return
        limit = (memory_mb + RUNNER_HEADROOM_MB) * 1024 * 1024
        try:
            await asyncio.to_thread(
                self.client.api.update_container, worker.container.id, mem_limit=limit, memswap_limit=limit
            )
        except Exception as exc:
            raise BrokenContainer(f"could not set the memory limit: {exc}") from exc
        worker.memory_mb = memory_mb

    # ---- running -----------------------------------------------------------------------------

    async def _execute(
        self,
        lang: Language,
        files: dict[str, bytes],
        stdins: list[bytes],
        limits: Limits,
        should_stop: StopRule | None,
        fetch_files: list[str],
    ) -> Execution:
        pool = self._pool(lang.image)
        try:
            worker = await pool.acquire()
        except SandboxError as exc:
            return Execution(runs=[RunResult.sandbox_error(str(exc))])
        healthy = False
        try:
            execution = await self._run_on(worker, lang, files, stdins, limits, should_stop, fetch_files)
            if worker.tampered:
                # The verdicts stand (a program cannot change its own limits from outside); the
                # container goes, so that no later program runs under a changed runner.
                self.tampered += 1
                log.warning(
                    "replacing a %s sandbox container whose runner changed: %s", lang.image, worker.tampered
                )
            else:
                healthy = True
            return execution
        except BrokenContainer as exc:
            if worker.tampered:
                self.tampered += 1
            log.warning("replacing a broken %s sandbox container: %s", lang.image, exc)
            return Execution(runs=[RunResult.sandbox_error(f"sandbox container failed: {exc}")])
        finally:
            pool.release(worker, healthy)

    async def _run_on(
        self,
        worker: RunnerChannel,
        lang: Language,
        files: dict[str, bytes],
        stdins: list[bytes],
        limits: Limits,
        should_stop: StopRule | None,
        fetch_files: list[str],
    ) -> Execution:
        encoded = {name: base64.b64encode(data).decode() for name, data in files.items()}
        compiled: RunResult | None = None
        if lang.compile:
            await self._set_memory(worker, limits.compile_memory_limit_mb)
            step = self._step(
                lang, lang.compile, b"", limits.compile_time_limit_s, limits.compile_wall_time_limit_s, limits
            )
            answer = await self._send(worker, {"op": "run", "files": encoded, "steps": [step]}, [step])
            encoded = {}
            compiled = classify(answer["results"][0], time_limit_s=limits.compile_time_limit_s)
            if compiled.status is not Verdict.OK:
                # A compiler out of time or memory is still the program's fault: compile_error.
                await self._reset(worker)
                return Execution(compile=as_compile_error(compiled), runs=[])
        # stdin is a file in the container's memory: a big input gets room beyond the program's limit.
        largest = max((len(s) for s in stdins), default=0)
        extra_mb = -(-largest // (1 << 20)) if largest > 1 << 20 else 0
        await self._set_memory(worker, limits.memory_limit_mb + extra_mb)
        steps = [
            self._step(lang, lang.run, s, limits.time_limit_s, limits.wall_time_limit_s, limits)
            for s in stdins
        ]
        runs: list[RunResult] = []
        # Without a stop rule every run goes in one request, which also wipes the workspace.
        batches = [steps] if should_stop is None else [[s] for s in steps]
        fetch = {"fetch": fetch_files, "fetch_limit_bytes": FETCH_LIMIT_BYTES}
        fetched: dict[str, str] = {}
        for number, batch in enumerate(batches):
            last = number == len(batches) - 1
            payload = {
                "op": "run",
                "files": encoded,
                "steps": batch,
                "reset": last,
                **(fetch if last else {}),
            }
            answer = await self._send(worker, payload, batch)
            encoded = {}
            runs.extend(classify(raw, time_limit_s=limits.time_limit_s) for raw in answer["results"])
            if last:
                if not answer.get("clean"):
                    raise BrokenContainer(f"workspace could not be wiped: {answer.get('leftovers')}")
                fetched = answer.get("files") or {}
            elif should_stop is not None and should_stop(len(runs) - 1, runs[-1]):
                answer = await self._send(worker, {"op": "run", "steps": [], "reset": True, **fetch}, [])
                if not answer.get("clean"):
                    raise BrokenContainer(f"workspace could not be wiped: {answer.get('leftovers')}")
                fetched = answer.get("files") or {}
                break
        files_back = {name: base64.b64decode(data) for name, data in fetched.items()}
        return Execution(compile=compiled, runs=runs, files=files_back)

    @staticmethod
    async def _reset(worker: RunnerChannel) -> None:
        answer = await worker.request({"op": "reset"}, timeout_s=_REQUEST_MARGIN_S)
        if not answer.get("clean"):
            raise BrokenContainer(f"workspace could not be wiped: {answer.get('leftovers')}")

    @staticmethod
    def _step(
        lang: Language,
        argv: tuple[str, ...],
        stdin: bytes,
        time_limit_s: float,
        wall_limit_s: float,
        limits: Limits,
    ) -> RunStep:
        return {
            "argv": list(argv),
            "stdin": base64.b64encode(stdin).decode(),
            "time_limit_s": time_limit_s,
            "wall_limit_s": wall_limit_s,
            "output_limit_bytes": limits.output_limit_bytes,
            "env": lang.env,
            "stop_on_failure": False,
        }

    @staticmethod
    async def _send(worker: RunnerChannel, payload: dict[str, Any], steps: list[RunStep]) -> dict[str, Any]:
        timeout = sum(s["wall_limit_s"] + 1.0 for s in steps) + _REQUEST_MARGIN_S
        answer = await worker.request(payload, timeout_s=timeout)
        results = answer.get("results")
        if not isinstance(results, list) or len(results) != len(steps):
            raise BrokenContainer("runner answered with the wrong number of results")
        answer["results"] = [decode_result(raw) for raw in results]
        return answer


def _toolchain_label(labels: dict[str, str]) -> dict[str, str]:
    try:
        versions = json.loads(labels.get(TOOLCHAIN_LABEL) or "{}")
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in versions.items()} if isinstance(versions, dict) else {}


def _check_unix_socket(url: str) -> None:
    """Fail fast (and without docker-py, which leaks the socket of a failed connect) when a unix
    socket daemon address does not answer."""
    if not url.startswith("unix://"):
        return
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(5)
        probe.connect(url[len("unix://") :])


def docker_daemon_error(base_url: str | None = None) -> str | None:
    """Why the Docker daemon at `base_url` (default: $DOCKER_HOST, else the local socket) does not
    answer, or None when it does."""
    try:
        import docker

        _check_unix_socket(base_url or os.environ.get("DOCKER_HOST") or _DEFAULT_HOST)
        client = (
            docker.DockerClient(base_url=base_url, version=_API_VERSION, timeout=5)
            if base_url
            else docker.from_env(version=_API_VERSION, timeout=5)
        )
        try:
            client.ping()
        finally:
            client.close()
    except Exception as exc:  # noqa: BLE001 - any failure means no usable daemon
        return f"{type(exc).__name__}: {exc}"
    return None
