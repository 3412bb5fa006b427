"""`reward-server eval`: score a JSONL file of completions offline, resumably, and summarize it.

Each input line is a `/v1/score` item plus an optional `group` (the prompt the sample belongs to). Rows are
keyed for resuming by their `id`, or by their 1-based line number when they have none; OUTPUT rows carry
`id`, `line`, `group`, `reward`, `scores`, `details` and `error`, and rows already in OUTPUT are not scored
again.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from pydantic import ValidationError

from reward_server.errors import RewardServerError
from reward_server.reward_names import Weights
from reward_server.schemas import ScoreItem, ScoreRequest, ScoreResult

ScoreBatch = Callable[[list[ScoreItem]], Awaitable[list[ScoreResult]]]


class EvalError(RewardServerError):
    """The evaluation cannot proceed: bad input, a refused request, an unreachable server."""


class EvalRow(ScoreItem):
    """One input line: a score item and the prompt group it belongs to."""

    group: str | int | None = None


@dataclass(frozen=True)
class InputRow:
    line: int
    row: EvalRow

    @property
    def key(self) -> str:
        return row_key(self.row.id, self.line)


def row_key(item_id: str | int | None, line: int) -> str:
    # ids and line numbers live in separate key spaces, so an id "7" never collides with line 7.
    return f"id:{json.dumps(item_id)}" if item_id is not None else f"line:{line}"


def read_input(path: Path) -> list[InputRow]:
    """Parse and validate every row before anything is scored; errors name the line and the field."""
    rows: list[InputRow] = []
    seen: dict[str, int] = {}
    with path.open(encoding="utf-8") as handle:
        for line_no, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            try:
                row = EvalRow.model_validate_json(text)
            except ValidationError as exc:
                first = exc.errors()[0]
                field = ".".join(map(str, first["loc"])) or "(row)"
                raise EvalError(f"{path}:{line_no}: {field}: {first['msg']}") from None
            entry = InputRow(line_no, row)
            if entry.key in seen:
                raise EvalError(
                    f"{path}:{line_no}: id {row.id!r} repeats line {seen[entry.key]}; ids must be unique "
                    "so a resumed run knows which rows are done"
                )
            seen[entry.key] = line_no
            rows.append(entry)
    return rows


def read_done(path: Path) -> dict[str, dict[str, Any]]:
    """Rows already in OUTPUT, by key. A torn last line (the previous run was killed mid-write) is dropped."""
    done: dict[str, dict[str, Any]] = {}
    if not path.exists():
        return done
    with path.open(encoding="utf-8") as handle:
        for text in handle:
            try:
                row = json.loads(text)
            except json.JSONDecodeError:
                continue
            if isinstance(row, dict) and "line" in row:
                done[row_key(row.get("id"), row["line"])] = row
    return done


def output_row(entry: InputRow, result: ScoreResult) -> dict[str, Any]:
    return {
        "id": entry.row.id,
        "line": entry.line,
        "group": entry.row.group,
        "reward": result.reward,
        "scores": result.scores,
        "details": result.details,
        "error": result.error,
    }


def _item(row: EvalRow) -> ScoreItem:
    return ScoreItem.model_validate(row.model_dump(exclude={"group"}, exclude_unset=True))


@asynccontextmanager
async def in_process_scorer(settings: Any, rewards: Weights | None) -> AsyncIterator[ScoreBatch]:
    """Scores with this process's own services, exactly as the API's in-process backend does."""
    from reward_server.errors import RequestError, UnknownReward, http_error
    from reward_server.services import start_services

    services = await start_services(settings)
    try:

        async def score(items: list[ScoreItem]) -> list[ScoreResult]:
            try:
                return await services.backend.score(ScoreRequest(items=items, rewards=rewards))
            except (RequestError, UnknownReward) as exc:
                raise EvalError(f"refused: {http_error(exc)}") from exc

        yield score
    finally:
        await services.close()


@asynccontextmanager
async def http_scorer(
    url: str, rewards: Weights | None, api_key: str | None, timeout_s: float, retries: int = 5
) -> AsyncIterator[ScoreBatch]:
    """Scores through a running service; 503/429 and dropped connections are retried with backoff."""
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    async with httpx.AsyncClient(base_url=url.rstrip("/"), headers=headers, timeout=timeout_s) as client:

        async def score(items: list[ScoreItem]) -> list[ScoreResult]:
            body = ScoreRequest(items=items, rewards=rewards).model_dump(mode="json", exclude_none=True)
            for attempt in range(retries + 1):
                try:
                    response = await client.post("/v1/score", json=body)
                except httpx.TransportError as exc:
                    if attempt == retries:
                        raise EvalError(f"{url}: {type(exc).__name__}: {exc}") from exc
                    await asyncio.sleep(min(2**attempt, 30))
                    continue
                if response.status_code in (429, 503) and attempt < retries:
                    await asyncio.sleep(float(response.headers.get("retry-after", 2**attempt)))
                    continue
                if response.status_code != 200:
                    raise EvalError(f"{url}/v1/score answered {response.status_code}: {_detail(response)}")
                return [ScoreResult.model_validate(r) for r in response.json()["results"]]
            raise AssertionError("unreachable")

        yield score


_ROUTES = ("/v1/score", "/v1/jobs", "/v1/rank", "/get_reward", "/run_code", "/healthz", "/v1")


def base_url_problem(url: str) -> str | None:
    """Why `url` is not a service's base URL (a route pasted in, no scheme), or None."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "not an http(s) URL; pass the base URL, e.g. http://host:8000"
    path = parts.path.rstrip("/")
    for route in _ROUTES:
        if path.endswith(route):
            base = url.strip().rstrip("/")[: -len(route)]
            return f"ends with the route {route}; pass the base URL ({base}): eval adds /v1/score itself"
    return None


def _detail(response: httpx.Response) -> str:
    if response.status_code == 404:
        return "no such route: is --url the base URL of a reward-server (e.g. http://host:8000)?"
    try:
        detail = response.json()["detail"]
        if isinstance(detail, str):
            return detail
        return "; ".join(f"{'.'.join(map(str, d.get('loc', [])))}: {d.get('msg')}" for d in detail)
    except (ValueError, KeyError, TypeError, AttributeError):
        return response.text[:500]


async def score_rows(
    pending: Sequence[InputRow],
    score: ScoreBatch,
    output: Path,
    *,
    batch_size: int,
    concurrency: int,
    on_progress: Callable[[int], None],
) -> None:
    """Score `pending` in batches, `concurrency` at a time, appending each finished batch to OUTPUT."""
    batches = [pending[i : i + batch_size] for i in range(0, len(pending), batch_size)]
    queue: asyncio.Queue[Sequence[InputRow]] = asyncio.Queue()
    for batch in batches:
        queue.put_nowait(batch)
    drop_torn_tail(output)
    with output.open("a", encoding="utf-8") as sink:

        async def worker() -> None:
            while not queue.empty():
                batch = queue.get_nowait()
                results = await score([_item(entry.row) for entry in batch])
                lines = "".join(
                    json.dumps(output_row(e, r), ensure_ascii=False) + "\n"
                    for e, r in zip(batch, results, strict=True)
                )
                # One write per batch, flushed and synced: a kill leaves whole batches (and at most one
                # torn line, which the next run drops and redoes).
                sink.write(lines)
                sink.flush()
                os.fsync(sink.fileno())
                on_progress(len(batch))

        # A TaskGroup cancels the other workers when one fails, before the file is closed under them.
        try:
            async with asyncio.TaskGroup() as group:
                for _ in range(max(1, min(concurrency, len(batches)))):
                    group.create_task(worker())
        except ExceptionGroup as failures:
            # Report the first failure as itself (a refused request, an unreachable server), not as a group.
            raise failures.exceptions[0] from None


def drop_torn_tail(path: Path) -> None:
    """Cut a last line without its newline (a run killed mid-write), so appended rows start clean."""
    if not path.exists() or path.stat().st_size == 0:
        return
    with path.open("rb+") as handle:
        data = handle.read()
        if not data.endswith(b"\n"):
            handle.truncate(data.rfind(b"\n") + 1)


def _weights_used(options: EvalOptions) -> Weights | None:
    """The weights every row was scored with: --rewards, else the in-process defaults (None: a service's)."""
    if options.rewards is not None or options.url:
        return options.rewards
    from reward_server.config import Settings

    return Settings(**options.settings_overrides).default_rewards


@dataclass
class EvalOptions:
    input: Path
    output: Path
    url: str | None = None
    rewards: Weights | None = None
    report: Path | None = None
    summary: Path | None = None
    api_key: str | None = None
    batch_size: int = 64
    concurrency: int = 4
    timeout_s: float = 600.0
    progress: bool = True
    settings_overrides: dict[str, Any] = field(default_factory=dict)
    ks: list[int] | None = None  # pass@k values; None: eval_metrics.default_ks of the group sizes

    @property
    def summary_path(self) -> Path:
        return self.summary or self.output.with_name(self.output.stem + ".summary.json")


async def evaluate(options: EvalOptions) -> dict[str, Any]:
    """Score what OUTPUT lacks, then summarize every input row from OUTPUT. Returns the summary."""
    from tqdm import tqdm

    from reward_server.eval_metrics import summarize
    from reward_server.eval_review import run_info, uniform_groups

    rows = read_input(options.input)
    done = read_done(options.output)
    pending = [entry for entry in rows if entry.key not in done]
    if pending:
        if options.url:
            scorer = http_scorer(options.url, options.rewards, options.api_key, options.timeout_s)
            concurrency = options.concurrency
        else:
            from reward_server.config import Settings

            scorer = in_process_scorer(Settings(**options.settings_overrides), options.rewards)
            concurrency = 1  # the process pool is the limit in-process; one batch at a time fills it
        with tqdm(
            total=len(rows), initial=len(rows) - len(pending), unit="row", disable=not options.progress
        ) as bar:
            async with scorer as score:
                await score_rows(
                    pending,
                    score,
                    options.output,
                    batch_size=options.batch_size,
                    concurrency=concurrency,
                    on_progress=bar.update,
                )
    finished = read_done(options.output)
    # The input decides which rows and groups the summary covers; OUTPUT may hold rows of an older input.
    summary_rows = [
        {**finished[entry.key], "group": entry.row.group} for entry in rows if entry.key in finished
    ]
    summary = summarize(summary_rows, options.ks)
    summary["uniform_groups"] = uniform_groups(summary_rows)
    summary["run"] = run_info(_weights_used(options), options.url or "in process")
    summary["input"], summary["output"] = str(options.input), str(options.output)
    summary["scored_now"], summary["resumed"] = len(pending), len(rows) - len(pending)
    options.summary_path.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    if options.report:
        from reward_server.report import write_report

        write_report(options.report, summary, summary_rows)
    return summary
