"""Structured logs: one JSON object per line, each carrying the id of the request it belongs to."""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from contextvars import ContextVar
from typing import Any

# Set by the request middleware for the duration of one request (and the tasks it spawns).
request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

# LogRecord attributes that are not caller-supplied `extra=` fields.
# uvicorn's `color_message` duplicates `msg` with terminal escapes.
_RESERVED = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "color_message",
}


class RequestIdFilter(logging.Filter):
    """Stamps every record with the current request id (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    """`{"ts", "level", "logger", "msg", "request_id", ...extra}`; exceptions as a `exc` string."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _RESERVED and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class StartupTracebackFilter(logging.Filter):
    """A failed start is one line: uvicorn logs Starlette's formatted traceback; keep its last line.

    Configuration mistakes are caught before the start (`reward_server.preflight`); this covers
    whatever else stops the services from starting, so the log still says why in one line.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("uvicorn") and isinstance(record.msg, str):
            text = record.msg.strip()
            if text.startswith("Traceback (most recent call last)"):
                record.msg = "cannot start: " + _final_exception(text)
                record.args = ()
        return True


def _final_exception(traceback_text: str) -> str:
    """The last exception of a formatted traceback ("Type: message", joined onto one line)."""
    lines = traceback_text.splitlines()
    last_frame = max((i for i, line in enumerate(lines) if line[:1].isspace()), default=-1)
    return " ".join(line.strip() for line in lines[last_frame + 1 :] if line.strip())


def resolve_format(fmt: str) -> str:
    """`auto` → text when stderr is a terminal (a person is reading), JSON otherwise (a collector is)."""
    if fmt == "auto":
        return "text" if sys.stderr.isatty() else "json"
    return fmt


def quiet_progress_bars() -> None:
    """No tqdm bars from huggingface_hub / transformers: they would break one-JSON-object-per-line logs.

    Set before transformers is imported (it reads the variable then); `route_library_logs` covers an
    already-imported transformers.
    """
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


def route_library_logs() -> None:
    """transformers logs through its own stderr handler; send its records through ours instead."""
    import transformers.utils.logging as transformers_logging

    transformers_logging.disable_progress_bar()
    transformers_logging.disable_default_handler()
    transformers_logging.enable_propagation()


def configure_logging(level: str = "info", fmt: str = "auto") -> None:
    """Route every logger (uvicorn's included) through one stderr handler in the chosen format.

    `fmt`: ``json``, ``text`` or ``auto`` (text on a terminal, JSON otherwise).
    """
    fmt = resolve_format(fmt)
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.addFilter(StartupTracebackFilter())
    quiet_progress_bars()
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
        )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers[:] = []
        uvicorn_logger.propagate = True
    # Our access middleware logs each request with its id; uvicorn's access line would duplicate it.
    logging.getLogger("uvicorn.access").disabled = True
