"""The `reward-server` command: serve, worker and eval."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from pydantic import ValidationError

from trainer_client.weights import weights_argument


def _k_values(text: str) -> list[int]:
    """`1,8,64`: the k values of pass@k, each a positive integer."""
    try:
        ks = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        ks = []
    if not ks or ks[0] < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: give positive integers separated by commas, e.g. 1,8,64")
    return ks


def _reward_model(text: str) -> Any:
    """`[NAME=]PATH[,key=value...]` → RewardModelSpec, with the reason in argparse's message."""
    from reward_server.preflight import MODEL_EXTRA_HINT, missing_model_modules, reward_model_path_problem
    from reward_server.reward_model.spec import RewardModelSpecError, parse_reward_model_spec

    try:
        spec = parse_reward_model_spec(text)
    except RewardModelSpecError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if (problem := reward_model_path_problem(spec.path)) is not None:
        raise argparse.ArgumentTypeError(problem)
    if missing := missing_model_modules():
        raise argparse.ArgumentTypeError(
            f"needs the 'model' extra (missing: {', '.join(missing)}): {MODEL_EXTRA_HINT}"
        )
    return spec


class _Parser(argparse.ArgumentParser):
    """argparse, but a mistake is one line naming the fix (no usage block above it)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _default(name: str) -> str:
    """The default of setting `name`, as --help shows it: one source, the Settings field."""
    from pydantic_core import PydanticUndefined

    from reward_server.config import Settings

    field = Settings.model_fields[name]
    if field.default_factory is not None:
        if name in ("cpu_workers", "sandbox_pool_size"):
            return "one per CPU core"
        value = field.default_factory()  # type: ignore[call-arg]
    else:
        value = field.default
    if value is PydanticUndefined or value is None:
        return "unset"
    if isinstance(value, dict):
        return ",".join(f"{k}={v:g}" for k, v in value.items())
    if isinstance(value, list):
        return json.dumps(value) if value else "none"
    return str(value)


def _help(name: str, text: str) -> str:
    """Help text ending with the setting's default and its environment variable."""
    return f"{text} (default: {_default(name)}; env REWARD_SERVER_{name.upper()})"


# Settings with a command-line flag; the others are listed in the epilog of serve and worker.
_FLAG_SETTINGS = frozenset(
    {
        "host", "port", "default_rewards", "cpu_workers", "math_timeout_s", "sandbox", "sandbox_pool_size",
        "reward_models", "log_level", "redis_url", "queue_prefix", "api_keys", "log_format",
        "shutdown_timeout_s", "worker_concurrency", "queue_reclaim_after_s",
    }
)  # fmt: skip


def _environment_only_settings() -> str:
    from reward_server.config import Settings

    lines = ["settings without a flag (set them as environment variables):"]
    for name, field in Settings.model_fields.items():
        if name in _FLAG_SETTINGS:
            continue
        about = f" — {field.description}" if field.description else ""
        lines.append(f"  REWARD_SERVER_{name.upper()} (default: {_default(name)}){about}")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    from reward_server import __version__

    parser = _Parser(prog="reward-server", description="A reward service for RL training.")
    parser.add_argument("--version", action="version", version=f"reward-server {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    serve = commands.add_parser(
        "serve",
        help="run the HTTP service",
        description="Run the HTTP service. Every flag is also a REWARD_SERVER_* environment variable.",
        epilog=_environment_only_settings(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    serve.add_argument("--host", help=_help("host", "interface to bind"))
    serve.add_argument("--port", type=int, help=_help("port", "port to bind"))
    serve.add_argument(
        "--rewards",
        type=weights_argument,
        dest="default_rewards",
        help=_help("default_rewards", "default weights, e.g. accuracy=1,format=1"),
    )
    _add_scoring_options(serve)
    serve.add_argument(
        "--redis-url",
        dest="redis_url",
        help=_help("redis_url", "redis://HOST:PORT/DB: score through `reward-server worker`s"),
    )
    serve.add_argument(
        "--queue-prefix", dest="queue_prefix", help=_help("queue_prefix", "prefix of the queue's Redis keys")
    )
    serve.add_argument(
        "--api-key",
        action="append",
        dest="api_keys",
        metavar="KEY",
        help="accept this bearer key on /v1/* (repeatable; default: none, the API is open); prefer "
        "REWARD_SERVER_API_KEYS, which `ps` does not show",
    )
    serve.add_argument(
        "--log-format",
        choices=["json", "text"],
        dest="log_format",
        help="log lines as JSON objects or text (default: text on a terminal, JSON otherwise; "
        "env REWARD_SERVER_LOG_FORMAT)",
    )
    serve.add_argument(
        "--shutdown-timeout-s",
        type=float,
        dest="shutdown_timeout_s",
        help=_help("shutdown_timeout_s", "on SIGTERM, how long in-flight requests may finish"),
    )
    _add_worker_parser(commands)
    _add_eval(commands)
    return parser


def _add_scoring_options(parser: argparse.ArgumentParser) -> None:
    """What any scoring process (API or worker) can be told about its own scoring resources."""
    parser.add_argument(
        "--cpu-workers",
        type=int,
        dest="cpu_workers",
        help=_help("cpu_workers", "processes for CPU-bound checks"),
    )
    parser.add_argument(
        "--math-timeout-s",
        type=float,
        dest="math_timeout_s",
        help=_help("math_timeout_s", "seconds one math check may take before the item gets an error"),
    )
    parser.add_argument(
        "--sandbox",
        choices=["auto", "docker", "local", "none"],
        help=_help(
            "sandbox",
            "where code runs: docker (isolated), local (bubblewrap/rlimits, weaker), auto (docker when a "
            "daemon answers and the images exist, else local), none",
        ),
    )
    parser.add_argument(
        "--sandbox-pool-size",
        type=int,
        dest="sandbox_pool_size",
        help=_help("sandbox_pool_size", "warm containers per image"),
    )
    parser.add_argument(
        "--reward-model",
        type=_reward_model,
        action="append",
        dest="reward_models",
        metavar="[NAME=]PATH[,OPTION=VALUE...]",
        help="load a reward model (repeatable; needs the 'model' extra): e.g. "
        f"helpful=/models/rm,view=answer,max_length=4096 (default: {_default('reward_models')}; "
        "env REWARD_SERVER_REWARD_MODELS "
        "as a JSON list)",
    )
    parser.add_argument(
        "--log-level",
        dest="log_level",
        choices=["critical", "error", "warning", "info", "debug"],
        help=_help("log_level", "lowest level logged"),
    )


def _add_worker_parser(commands: Any) -> None:
    worker = commands.add_parser(
        "worker",
        help="score chunks of queued jobs from Redis",
        description="Score chunks of the jobs that `reward-server serve --redis-url` queues.",
        epilog=_environment_only_settings(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    worker.add_argument("--redis-url", dest="redis_url", required=True, help="redis://HOST:PORT/DB")
    worker.add_argument(
        "--queue-prefix", dest="queue_prefix", help=_help("queue_prefix", "prefix of the queue's Redis keys")
    )
    worker.add_argument(
        "--concurrency",
        type=int,
        dest="worker_concurrency",
        help=_help("worker_concurrency", "chunks scored at once"),
    )
    worker.add_argument(
        "--reclaim-after-s",
        type=float,
        dest="queue_reclaim_after_s",
        help=_help("queue_reclaim_after_s", "take over a chunk whose worker went silent this long ago"),
    )
    worker.add_argument(
        "--log-format",
        choices=["json", "text"],
        dest="log_format",
        help="log lines as JSON objects or text (default: text on a terminal, JSON otherwise; "
        "env REWARD_SERVER_LOG_FORMAT)",
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
    ev.add_argument("input", type=Path, metavar="INPUT.jsonl", nargs="?")
    ev.add_argument(
        "--output", "-o", type=Path, metavar="OUTPUT.jsonl", help="scored rows (required to score)"
    )
    ev.add_argument(
        "--compare",
        nargs=2,
        type=Path,
        metavar=("A", "B"),
        help="print two runs side by side (each a summary JSON, or the OUTPUT.jsonl it was written for) "
        "instead of scoring",
    )
    ev.add_argument(
        "--url",
        help="base URL of a running service to score through, e.g. http://host:8000 (default: score in "
        "this process)",
    )
    ev.add_argument(
        "--rewards",
        type=weights_argument,
        help="weights for every row, e.g. accuracy=1,format=0 (default: the service's, "
        f"{_default('default_rewards')})",
    )
    ev.add_argument(
        "--report",
        type=Path,
        metavar="FILE.html",
        help="also write a self-contained HTML page (default: none)",
    )
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
    ev.add_argument(
        "--timeout-s", type=float, default=600.0, help="per-request timeout with --url (default 600)"
    )
    ev.add_argument("--no-progress", action="store_true", help="no progress bar")
    ev.add_argument(
        "--cpu-workers",
        type=int,
        dest="cpu_workers",
        help=_help("cpu_workers", "in-process: processes for checks"),
    )
    ev.add_argument(
        "--math-timeout-s",
        type=float,
        dest="math_timeout_s",
        help=_help("math_timeout_s", "in-process: seconds per math check"),
    )


def _eval(args: argparse.Namespace) -> int:
    import asyncio
    import os

    from reward_server.eval_metrics import format_table
    from reward_server.evaluation import EvalError, EvalOptions, evaluate

    if args.compare:
        return _compare(args.compare)
    if args.input is None or args.output is None:
        print(
            "reward-server eval: error: give INPUT.jsonl and --output OUTPUT.jsonl to score, "
            "or --compare A B (see reward-server eval --help)",
            file=sys.stderr,
        )
        return 2
    if args.url:
        from reward_server.evaluation import base_url_problem

        if (problem := base_url_problem(args.url)) is not None:
            print(f"reward-server eval: --url {args.url}: {problem}", file=sys.stderr)
            return 2
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


def _compare(paths: Sequence[Path]) -> int:
    from reward_server.eval_review import compare_summaries

    summaries = []
    for path in paths:
        summary_path = path.with_name(path.stem + ".summary.json") if path.suffix == ".jsonl" else path
        try:
            summaries.append(json.loads(summary_path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            print(f"reward-server eval: --compare: {summary_path}: no such file", file=sys.stderr)
            return 2
        except ValueError as exc:
            print(f"reward-server eval: --compare: {summary_path} is not JSON: {exc}", file=sys.stderr)
            return 2
    print(compare_summaries(summaries[0], summaries[1], (str(paths[0]), str(paths[1]))))
    return 0


def settings_from_args(args: argparse.Namespace) -> Any:
    from reward_server.config import Settings

    overrides = {k: v for k, v in vars(args).items() if k != "command" and v is not None}
    return Settings(**overrides)


class _StartupRefused(Exception):
    """Problems found before starting; each is one line with the fix."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def _checked_settings(args: argparse.Namespace) -> Any:
    from reward_server.preflight import startup_problems

    settings = settings_from_args(args)
    if problems := startup_problems(settings):
        raise _StartupRefused(problems)
    return settings


def _setting_errors(exc: ValidationError, args: argparse.Namespace) -> list[str]:
    """One line per invalid setting, named as the user set it: the flag, or the environment variable."""
    parser_flags = {
        action.dest: action.option_strings[-1]
        for sub in _subparsers(build_parser()).values()
        for action in sub._actions
        if action.option_strings
    }
    given = {k for k, v in vars(args).items() if v is not None}
    lines = []
    for error in exc.errors():
        name = str(error["loc"][0]) if error["loc"] else ""
        where = parser_flags.get(name, name) if name in given else f"REWARD_SERVER_{name.upper()}"
        message = str(error["msg"]).removeprefix("Value error, ")
        lines.append(f"{where}: {message}")
    return lines


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from reward_server.app import create_app
    from reward_server.logs import configure_logging

    settings = _checked_settings(args)
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
    from reward_server.services import run_worker

    settings = _checked_settings(args)
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
        for line in _setting_errors(exc, args):
            print(f"reward-server {args.command}: error: {line}", file=sys.stderr)
        return 2
    except _StartupRefused as exc:
        for line in exc.problems:
            print(f"reward-server {args.command}: error: {line}", file=sys.stderr)
        return 2
    return 2
