"""A real redis-server per test session (and fresh ones for restart tests), and worker subprocesses."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis

from tests.support.services import free_port, require_service

REDIS_SERVER = shutil.which("redis-server")


class RedisServer:
    """One `redis-server` process on a free port; `restart()` kills it hard and starts it on the same port."""

    def __init__(self, directory: Path, *, persistent: bool) -> None:
        self.port = free_port()
        self.directory = directory
        self.persistent = persistent
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert REDIS_SERVER is not None
        # Persistence, when asked for, is an append-only file fsynced on every write: nothing acked is lost.
        persistence = (
            ["--appendonly", "yes", "--appendfsync", "always"] if self.persistent else ["--appendonly", "no"]
        )
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--dir",
                str(self.directory),
            ]
            + persistence,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_timeout=1)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except (redis.ConnectionError, redis.BusyLoadingError):
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError(f"redis-server did not start on port {self.port}") from None
                time.sleep(0.02)
            finally:
                client.close()

    def kill(self) -> None:
        """SIGKILL: a crash, not a shutdown (no final save)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def restart(self) -> None:
        self.kill()
        self.start()

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, decode_responses=True)


def _require_redis() -> None:
    require_service(
        REDIS_SERVER is not None,
        "redis-server",
        "install it (apt-get install redis-server) to run queue tests",
    )


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """The session's shared Redis; tests isolate themselves with a key prefix, not a flush."""
    _require_redis()
    server = RedisServer(tmp_path_factory.mktemp("redis"), persistent=False)
    server.start()
    yield server
    server.kill()


@pytest.fixture
def make_redis(tmp_path: Path) -> Iterator[Callable[..., RedisServer]]:
    """Start a dedicated redis-server (for tests that kill it); all are stopped afterwards."""
    _require_redis()
    servers: list[RedisServer] = []

    def make(*, persistent: bool = False) -> RedisServer:
        server = RedisServer(tmp_path / f"redis{len(servers)}", persistent=persistent)
        server.directory.mkdir()
        server.start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.kill()


def unique_prefix() -> str:
    return f"test-{uuid.uuid4().hex[:8]}"


WORKER_ENV = {
    "REWARD_SERVER_CPU_WORKERS": "1",
    "REWARD_SERVER_QUEUE_RECLAIM_AFTER_S": "1.0",
    "REWARD_SERVER_REDIS_TIMEOUT_S": "1.0",
    "REWARD_SERVER_WORKER_CONCURRENCY": "1",
    "REWARD_SERVER_LOG_LEVEL": "warning",
    "REWARD_SERVER_SANDBOX": "none",  # no warm containers per test worker
    # A cold pool process imports math-verify for seconds on a busy box; tests check verdicts, not budgets.
    "REWARD_SERVER_MATH_TIMEOUT_S": "60",
}


def live_workers(client: redis.Redis, prefix: str) -> int:
    now = int(client.time()[0])
    return int(client.zcount(f"{prefix}:workers", now, "+inf"))


@contextmanager
def worker_processes() -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    """Start `python -m reward_server worker` processes; each is stopped (SIGTERM, then SIGKILL) after."""
    procs: list[subprocess.Popen[bytes]] = []

    def spawn(url: str, prefix: str, **env: str) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            [sys.executable, "-m", "reward_server", "worker", "--redis-url", url, "--queue-prefix", prefix],
            env={**os.environ, **WORKER_ENV, **env},
            stdout=subprocess.DEVNULL,
        )
        procs.append(proc)
        return proc

    try:
        yield spawn
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture
def spawn_worker() -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    with worker_processes() as spawn:
        yield spawn


def wait_for_workers(client: redis.Redis, prefix: str, count: int, timeout_s: float = 60) -> None:
    """Block until `count` workers under `prefix` have sent their first heartbeat (ready to score)."""
    deadline = time.monotonic() + timeout_s
    while live_workers(client, prefix) < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{count} workers did not come up within {timeout_s} s")
        time.sleep(0.05)
