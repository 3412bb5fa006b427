"""The `reward-server` command: serve (and, as they land, worker and eval)."""

from __future__ import annotations

import argparse
import json
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
    serve.add_argument("--log-level", dest="log_level")
    serve.add_argument(
        "--api-key",
        action="append",
        dest="api_keys",
        metavar="KEY",
        help="accept this bearer key on /v1/* (repeatable); prefer REWARD_SERVER_API_KEYS, "
        "which `ps` does not show",
    )
    serve.add_argument("--log-format", choices=["json", "text"], dest="log_format")
    serve.add_argument(
        "--shutdown-timeout-s",
        type=float,
        dest="shutdown_timeout_s",
        help="on SIGTERM, how long in-flight requests may finish (default 30)",
    )
    return parser


def settings_from_args(args: argparse.Namespace) -> Any:
    from reward_server.config import Settings

    overrides = {k: v for k, v in vars(args).items() if k != "command" and v is not None}
    return Settings(**overrides)


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from reward_server.app import create_app
    from reward_server.logs import configure_logging

    settings = settings_from_args(args)
    configure_logging(settings.log_level, settings.log_format)
    # SIGTERM: uvicorn stops accepting, lets in-flight requests finish for up to the shutdown timeout,
    # then the lifespan closes the services.
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=settings.shutdown_timeout_s,
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "serve":
            return _serve(args)
    except ValidationError as exc:
        print(f"reward-server: invalid settings:\n{exc}", file=sys.stderr)
        return 2
    return 2
