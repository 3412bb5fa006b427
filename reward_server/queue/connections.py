"""Connecting to Redis, for both sides of the queue: the client, the consumer group, outages, redaction.

The API side (`client.py`) and the worker (`worker.py`) both import from here; neither imports the other.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from reward_server.queue.keys import GROUP, Keys

__all__ = ["OUTAGE_ERRORS", "connect", "ensure_group", "redacted"]

# What a Redis outage raises (after the client's own retries): callers back off or answer 503 on these.
OUTAGE_ERRORS = (RedisConnectionError, RedisTimeoutError)


def redacted(url: str) -> str:
    """The Redis URL without its password, for messages and logs."""
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def connect(url: str, *, timeout_s: float) -> aioredis.Redis:
    """A client whose every call gives up after about `timeout_s`, retrying a dropped connection."""
    return aioredis.Redis.from_url(
        url,
        decode_responses=True,
        socket_timeout=timeout_s,
        socket_connect_timeout=timeout_s,
        retry=Retry(ExponentialBackoff(cap=timeout_s / 4, base=0.05), retries=3),
        retry_on_error=[RedisConnectionError, RedisTimeoutError],
    )


async def ensure_group(redis: aioredis.Redis, keys: Keys) -> None:
    """Create the consumer group (and stream); from id 0, so chunks enqueued before it are delivered too.

    Workers call this when Redis answers NOGROUP: on first start, and after a restart that lost the data.
    """
    try:
        await redis.xgroup_create(keys.chunks, GROUP, id="0", mkstream=True)
    except ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise
