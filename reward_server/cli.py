"""The `reward-server` command: serve, worker (and, as it lands, eval)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError


def _weights(text: str) -> dict[str, float]:
    """`accuracy=1,format=0.5` or a JSON object."""
    text = text.strip()
    if text.startswith("{"):
        value = json.loads(text)
        return {str(k): float(v) for k, v in value.items()}
    weights: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, weight = part.partition("=")
        weights[name.strip()] = float(weight) if weight else 1.0
    return weights


def _reward_model(text: str) -> Any:
    """`[NAME=]PATH[,key=value...]` → RewardModelSpec, with the reason in argparse's message."""
    from reward_server.reward_model.spec import RewardModelSpecError, parse_reward_model_spec

    try:
        return parse_reward_model_spec(text)
    except RewardModelSpecError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="reward-server", description="A reward service for RL training.")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the HTTP service")
    serve.add_argument("--host", help="interface to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to bind (default 8000)")
    serve.add_argument("--cpu-workers", type=int, dest="cpu_workers", help="processes for CPU-bound checks")
    serve.add_argument(
        "--rewards", type=_weights, dest="default_rewards", help="default weights, e.g. accuracy=1,format=1"
    )
    serve.add_argument("--math-timeout-s", type=float, dest="math_timeout_s")
    serve.add_argument(
        "--sandbox",
        choices=["auto", "docker", "local", "none"],
        help="where code runs: docker (isolated), local (bubblewrap/rlimits, weaker), auto (default)",
    )
    serve.add_argument(
        "--sandbox-pool-size", type=int, dest="sandbox_pool_size", help="warm containers per image"
    )
    serve.add_argument(
        "--reward-model",
        type=_reward_model,
        action="append",
        dest="reward_models",
        metavar="[NAME=]PATH[,OPTION=VALUE...]",
        help="load a reward model (repeatable): e.g. helpful=/models/rm,view=answer,max_length=4096",
    )
    serve.add_argument("--log-level", dest="log_level")
    serve.add_argument(
        "--redis-url", dest="redis_url", help="redis://HOST:PORT/DB: score through `reward-server worker`s"
    )
    serve.add_argument("--queue-prefix", dest="queue_prefix", help="prefix of the queue's Redis keys")
    _add_worker_parser(commands)
    return parser


def _add_worker_parser(commands: Any) -> None:
    worker = commands.add_parser("worker", help="score chunks of queued jobs from Redis")
    worker.add_argument("--redis-url", dest="redis_url", required=True, help="redis://HOST:PORT/DB")
    worker.add_argument("--queue-prefix", dest="queue_prefix", help="prefix of the queue's Redis keys")
    worker.add_argument("--cpu-workers", type=int, dest="cpu_workers", help="processes for CPU-bound checks")
    worker.add_argument(
        "--concurrency", type=int, dest="worker_concurrency", help="chunks scored at once (default 2)"
    )
    worker.add_argument(
        "--reclaim-after-s",
        type=float,
        dest="queue_reclaim_after_s",
        help="take over a chunk whose worker went silent this long ago (default 30)",
    )
    worker.add_argument("--math-timeout-s", type=float, dest="math_timeout_s")
    # What a worker can score is what its own Services load: code sandboxes and reward models live here.
    worker.add_argument(
        "--sandbox",
        choices=["auto", "docker", "local", "none"],
        help="where code runs: docker (isolated), local (bubblewrap/rlimits, weaker), auto (default)",
    )
    worker.add_argument(
        "--sandbox-pool-size", type=int, dest="sandbox_pool_size", help="warm containers per image"
    )
    worker.add_argument(
        "--reward-model",
        type=_reward_model,
        action="append",
        dest="reward_models",
        metavar="[NAME=]PATH[,OPTION=VALUE...]",
        help="load a reward model (repeatable), as `serve --reward-model`",
    )
    worker.add_argument("--log-level", dest="log_level")


def settings_from_args(args: argparse.Namespace) -> Any:
    from reward_server.config import Settings

    overrides = {k: v for k, v in vars(args).items() if k != "command" and v is not None}
    return Settings(**overrides)


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from reward_server.app import create_app

    settings = settings_from_args(args)
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level=settings.log_level)
    return 0


def _worker(args: argparse.Namespace) -> int:
    import asyncio

    from reward_server.queue.worker import run_worker

    settings = settings_from_args(args)
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    asyncio.run(run_worker(settings))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "serve":
            return _serve(args)
        if args.command == "worker":
            return _worker(args)
    except ValidationError as exc:
        print(f"reward-server: invalid settings:\n{exc}", file=sys.stderr)
        return 2
    return 2
