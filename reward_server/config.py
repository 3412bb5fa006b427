"""The one place the service's settings live: CLI flags and REWARD_SERVER_* environment variables."""

from __future__ import annotations

import json
import os
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from reward_server.reward_model.spec import RewardModelSpec
from reward_server.reward_names import validate_weights


def _default_workers() -> int:
    return max(1, os.cpu_count() or 1)


class Settings(BaseSettings):
    """Everything the service can be told. Defaults run on one machine with nothing else installed."""

    model_config = SettingsConfigDict(env_prefix="REWARD_SERVER_", extra="ignore")

    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=0, le=65535)] = 8000
    log_level: str = "info"

    # Scoring
    default_rewards: dict[str, float] = Field(
        default_factory=lambda: {"accuracy": 1.0, "format": 1.0},
        description="Component weights used when neither the batch nor the item names any.",
    )
    cpu_workers: Annotated[int, Field(ge=1)] = Field(default_factory=_default_workers)
    math_timeout_s: Annotated[float, Field(gt=0)] = 5.0
    language_timeout_s: Annotated[float, Field(gt=0)] = 5.0
    lint_timeout_s: Annotated[float, Field(gt=0, le=600)] = Field(
        default=10.0, description="CPU seconds the lint reward's linter may take on one program."
    )
    lint_memory_limit_mb: Annotated[int, Field(ge=64, le=65536)] = Field(
        default=2048,
        description="Memory of the lint reward's linter (ruff needs ~75 bytes per byte of source).",
    )
    instruction_timeout_s: Annotated[float, Field(gt=0)] = 10.0  # per pool chunk of instruction checks
    think_tag: str = "think"
    answer_tag: str = "answer"

    # Code sandbox
    sandbox: Literal["auto", "docker", "local", "none"] = Field(
        default="auto", description="auto: docker when a daemon answers and images exist, else local."
    )
    sandbox_pool_size: Annotated[int, Field(ge=1, le=256)] = Field(default_factory=_default_workers)
    sandbox_prewarm: list[str] = Field(
        default_factory=lambda: ["python"], description="Pools started at boot."
    )
    sandbox_time_limit_s: Annotated[float, Field(gt=0, le=600)] = 10.0
    sandbox_memory_limit_mb: Annotated[int, Field(ge=16, le=65536)] = 512
    sandbox_output_limit_bytes: Annotated[int, Field(gt=0, le=64 << 20)] = 1 << 20
    sandbox_queue_timeout_s: Annotated[float, Field(gt=0, le=3600)] = Field(
        default=10.0,
        description=(
            "How long /run_code and /v1/sandbox/run wait for a free sandbox before answering 504 "
            "(which verl retries); verl waits compile_timeout + run_timeout + 10 s for an answer."
        ),
    )

    # Reward models: `model:NAME` components (`--reward-model [NAME=]PATH[,key=value...]`, or JSON here)
    reward_models: list[RewardModelSpec] = Field(
        default_factory=list, description="Sequence-classification reward models to load at start."
    )

    # Request limits
    max_batch_items: Annotated[int, Field(ge=1)] = 8192
    max_body_bytes: Annotated[int, Field(ge=1024)] = 64 * 1024 * 1024

    # Job queue (Redis). Without redis_url the service scores in-process and none of these apply.
    redis_url: str | None = Field(
        default=None, description="redis://host:port/db: score through Redis and `reward-server worker`s."
    )
    queue_prefix: str = Field(default="reward-server", description="Prefix of the queue's Redis keys.")
    queue_chunk_items: Annotated[int, Field(ge=1)] = Field(
        default=64,
        description="Items per chunk: batches are split into chunks that workers score in parallel.",
    )
    queue_max_items: Annotated[int, Field(ge=1)] = Field(
        default=100_000, description="Items queued or in progress beyond which new work answers 429."
    )
    queue_retry_after_s: Annotated[float, Field(gt=0)] = 2.0
    queue_reclaim_after_s: Annotated[float, Field(gt=0)] = Field(
        default=30.0,
        description="A chunk whose worker went silent this long ago is redelivered to another worker.",
    )
    queue_max_deliveries: Annotated[int, Field(ge=1)] = Field(
        default=3, description="A chunk delivered this many times without a result fails its job (poison)."
    )
    job_result_ttl_s: Annotated[float, Field(gt=0)] = Field(
        default=3600.0, description="How long a finished job and its results stay readable."
    )
    job_max_age_s: Annotated[float, Field(gt=0)] = Field(
        default=86400.0, description="An unfinished job's keys expire after this long, whatever happens."
    )
    job_wait_timeout_s: Annotated[float, Field(gt=0)] = Field(
        default=600.0, description="How long /v1/score waits for its job before answering 503."
    )
    redis_timeout_s: Annotated[float, Field(gt=0)] = Field(
        default=5.0, description="Timeout of one Redis call; an outage longer than this fails calls."
    )
    worker_concurrency: Annotated[int, Field(ge=1)] = Field(
        default=2, description="Chunks one worker scores at once (they share its cpu pool)."
    )

    # Operations
    api_keys: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=list,
        description="Bearer keys accepted on /v1/*; empty leaves the API open (development only). "
        "REWARD_SERVER_API_KEYS takes a comma-separated list or a JSON array.",
    )
    log_format: Literal["auto", "json", "text"] = Field(
        default="auto", description="auto: text when stderr is a terminal, JSON otherwise."
    )
    shutdown_timeout_s: Annotated[float, Field(ge=0)] = Field(
        default=30.0, description="On SIGTERM, how long in-flight requests may run before they are cut off."
    )

    @field_validator("default_rewards")
    @classmethod
    def _known_rewards(cls, value: dict[str, float]) -> dict[str, float]:
        return validate_weights(value)

    @field_validator("api_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: object) -> object:
        # Environment variables carry one string: accept "k1,k2" as well as a JSON array.
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @field_validator("api_keys")
    @classmethod
    def _usable_keys(cls, value: list[SecretStr]) -> list[SecretStr]:
        for key in value:
            secret = key.get_secret_value()
            if len(secret) < 16:
                raise ValueError(
                    "an API key must be at least 16 characters (generate one with `openssl rand -hex 32`)"
                )
            if any(c.isspace() or c == "," for c in secret):
                raise ValueError("an API key cannot contain whitespace or commas")
        return value

    @field_validator("reward_models")
    @classmethod
    def _unique_model_names(cls, value: list[RewardModelSpec]) -> list[RewardModelSpec]:
        names = [spec.name for spec in value]
        if duplicates := sorted({n for n in names if names.count(n) > 1}):
            raise ValueError(f"reward model names must be unique; repeated: {', '.join(duplicates)}")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        if not value:
            return None  # "" (compose's way of saying none) is no queue
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(
                f"{value!r} has no scheme: write redis://{value.split('://')[-1]}/0 "
                "(rediss:// for TLS, unix:///path/to/redis.sock for a socket)"
            )
        return value

    @field_validator("think_tag", "answer_tag")
    @classmethod
    def _tag_name(cls, value: str) -> str:
        if not value or not value.replace("_", "").replace("-", "").isalnum():
            raise ValueError("a tag name is letters, digits, '-' or '_' (for example 'think')")
        return value
