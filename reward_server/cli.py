"""The `reward-server` command: serve, worker and eval."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError


def _k_values(text: str) -> list[int]:
    """`1,8,64`: the k values of pass@k, each a positive integer."""
    try:
        ks = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        ks = []
    if not ks or ks[0] < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: give positive integers separated by commas, e.g. 1,8,64")
    return ks


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
    serve.add_argument(
        "--rewards", type=_weights, dest="default_rewards", help="default weights, e.g. accuracy=1,format=1"
    )
    _add_scoring_options(serve)
    serve.add_argument(
        "--redis-url", dest="redis_url", help="redis://HOST:PORT/DB: score through `reward-server worker`s"
    )
    serve.add_argument("--queue-prefix", dest="queue_prefix", help="prefix of the queue's Redis keys")
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
    _add_worker_parser(commands)
    _add_eval(commands)
    return parser


def _add_scoring_options(parser: argparse.ArgumentParser) -> None:
    """What any scoring process (API or worker) can be told about its own scoring resources."""
    parser.add_argument("--cpu-workers", type=int, dest="cpu_workers", help="processes for CPU-bound checks")
    parser.add_argument("--math-timeout-s", type=float, dest="math_timeout_s")
    parser.add_argument(
        "--sandbox",
        choices=["auto", "docker", "local", "none"],
        help="where code runs: docker (isolated), local (bubblewrap/rlimits, weaker), auto (default)",
    )
    parser.add_argument(
        "--sandbox-pool-size", type=int, dest="sandbox_pool_size", help="warm containers per image"
    )
    parser.add_argument(
        "--reward-model",
        type=_reward_model,
        action="append",
        dest="reward_models",
        metavar="[NAME=]PATH[,OPTION=VALUE...]",
        help="load a reward model (repeatable): e.g. helpful=/models/rm,view=answer,max_length=4096",
    )
    parser.add_argument("--log-level", dest="log_level")


def _add_worker_parser(commands: Any) -> None:
    worker = commands.add_parser("worker", help="score chunks of queued jobs from Redis")
    worker.add_argument("--redis-url", dest="redis_url", required=True, help="redis://HOST:PORT/DB")
    worker.add_argument("--queue-prefix", dest="queue_prefix", help="prefix of the queue's Redis keys")
    worker.add_argument(
        "--concurrency", type=int, dest="worker_concurrency", help="chunks scored at once (default 2)"
    )
    worker.add_argument(
        "--reclaim-after-s",
        type=float,
        dest="queue_reclaim_after_s",
        help="take over a chunk whose worker went silent this long ago (default 30)",
    )
    # What a worker can score is what its own Services load: code sandboxes and reward models live here.
    _add_scoring_options(worker)


def _add_eval(commands: Any) -> None:
    ev = commands.add_parser(
        "eval",
        help="score a JSONL file offline (resumable) and summarize it",
        description="Each INPUT line is a /v1/score item plus an optional 'group' (the prompt the sample "
        "belongs to). Rows already in OUTPUT (matched by id, or by line number for rows without one) are "
        "skipped, so an interrupted run continues where it stopped.",
    )
    ev.add_argument("input", type=Path, metavar="INPUT.jsonl")
    ev.add_argument("--output", "-o", type=Path, required=True, metavar="OUTPUT.jsonl")
    ev.add_argument("--url", help="score through a running service instead of in this process")
    ev.add_argument("--rewards", type=_weights, help="weights for every row, e.g. accuracy=1,format=0")
    ev.add_argument("--report", type=Path, metavar="FILE.html", help="also write a self-contained HTML page")
    ev.add_argument(
        "--summary",
        type=Path,
        metavar="FILE.json",
        help="summary path (default OUTPUT.summary.json)",
    )
    ev.add_argument(
        "--api-key", help="bearer key for --url (default: $REWARD_SERVER_API_KEY, which `ps` does not show)"
    )
    ev.add_argument(
        "--k",
        type=_k_values,
        dest="ks",
        metavar="K[,K...]",
        help="pass@k for these k, e.g. 1,8,64 (default: 1, 2, 4, ... and each group's size); "
        "each averages the groups with at least k samples",
    )
    ev.add_argument("--batch-size", type=int, default=64, help="rows per request (default 64)")
    ev.add_argument("--concurrency", type=int, default=4, help="requests in flight with --url (default 4)")
    ev.add_argument("--timeout-s", type=float, default=600.0, help="per-request timeout with --url")
    ev.add_argument("--no-progress", action="store_true", help="no progress bar")
    ev.add_argument("--cpu-workers", type=int, dest="cpu_workers", help="in-process: processes for checks")
    ev.add_argument("--math-timeout-s", type=float, dest="math_timeout_s", help="in-process: math budget")


def _eval(args: argparse.Namespace) -> int:
    import asyncio
    import os

    from reward_server.eval_metrics import format_table
    from reward_server.evaluation import EvalError, EvalOptions, evaluate

    if args.batch_size < 1 or args.concurrency < 1:
        print("reward-server eval: --batch-size and --concurrency must be at least 1", file=sys.stderr)
        return 2
    overrides = {
        k: getattr(args, k) for k in ("cpu_workers", "math_timeout_s") if getattr(args, k) is not None
    }
    if args.rewards is not None:
        from reward_server.schemas import ScoreRequest

        try:
            ScoreRequest(items=[], rewards=args.rewards)
        except ValidationError as exc:
            print(f"reward-server eval: --rewards: {exc.errors()[0]['msg']}", file=sys.stderr)
            return 2
    options = EvalOptions(
        input=args.input,
        output=args.output,
        url=args.url,
        rewards=args.rewards,
        report=args.report,
        summary=args.summary,
        api_key=args.api_key or os.environ.get("REWARD_SERVER_API_KEY"),
        batch_size=args.batch_size,
        concurrency=args.concurrency,
        timeout_s=args.timeout_s,
        progress=not args.no_progress,
        settings_overrides=overrides,
        ks=args.ks,
    )
    if not args.input.is_file():
        print(f"reward-server eval: {args.input}: no such file", file=sys.stderr)
        return 2
    try:
        summary = asyncio.run(evaluate(options))
    except EvalError as exc:
        print(f"reward-server eval: {exc}", file=sys.stderr)
        return 2
    print(format_table(summary))
    print(f"\nsummary: {options.summary_path}" + (f"   report: {args.report}" if args.report else ""))
    return 0


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


def _worker(args: argparse.Namespace) -> int:
    import asyncio

    from reward_server.logs import configure_logging
    from reward_server.queue.worker import run_worker

    settings = settings_from_args(args)
    configure_logging(settings.log_level, settings.log_format)
    asyncio.run(run_worker(settings))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "serve":
            return _serve(args)
        if args.command == "worker":
            return _worker(args)
        if args.command == "eval":
            return _eval(args)
    except ValidationError as exc:
        print(f"reward-server: invalid settings:\n{exc}", file=sys.stderr)
        return 2
    return 2
