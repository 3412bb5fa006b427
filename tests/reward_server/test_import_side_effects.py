"""Importing any of our modules changes no global state of another library: no logger level, no
warnings filter, no math-verify switch. Those belong to whoever runs a process (`logs.configure_logging`,
the cpu pool's initializer `rewards.math.setup.warm_up`), never to an import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = r"""
import importlib, logging, pkgutil, sys, warnings

# Third-party libraries first: what they do to themselves on import is theirs, not ours.
for name in ("math_verify", "math_verify.parser", "math_verify.grader", "latex2sympy2_extended", "sympy",
             "lingua", "httpx", "fastapi", "redis", "docker", "pebble", "prometheus_client", "torch",
             "transformers", "numpy", "scipy", "scipy.special", "scipy.sparse", "scipy.stats"):
    try:
        importlib.import_module(name)
    except ImportError:
        pass
import math_verify.grader, math_verify.parser

def state():
    levels = {name: logger.level for name, logger in logging.root.manager.loggerDict.items()
              if isinstance(logger, logging.Logger)}
    flags = (getattr(math_verify.parser, "TIMEOUT_WARNING_SHOWN", None),
             getattr(math_verify.grader, "TIMEOUT_WARNING_SHOWN", None))
    return levels, list(warnings.filters), flags, logging.root.level, list(logging.root.handlers)

before_levels, before_filters, before_flags, before_root, before_handlers = state()
imported = 0
for package in ("reward_server", "sandboxes", "trainer_client"):
    module = importlib.import_module(package)
    for info in pkgutil.walk_packages(module.__path__, package + "."):
        if info.name.endswith("__main__"):
            continue
        importlib.import_module(info.name)
        imported += 1
after_levels, after_filters, after_flags, after_root, after_handlers = state()

# A logger new since the snapshot counts when it is ours or one of the libraries above that is not
# torch's (torch's lazily imported submodules set their own loggers' levels).
WATCHED = {"reward_server", "sandboxes", "trainer_client", "math_verify", "latex2sympy2_extended", "sympy",
           "lingua", "httpx", "httpcore", "fastapi", "uvicorn", "redis", "docker", "pebble", "urllib3"}
changed = {name: level for name, level in after_levels.items()
           if (name in before_levels and level != before_levels[name])
           or (name not in before_levels and name.split(".")[0] in WATCHED and level != logging.NOTSET)}
assert not changed, f"logger levels set at import: {changed}"
added = after_filters[: len(after_filters) - len(before_filters)]
assert after_filters == before_filters, f"warnings filters added at import: {added}"
assert after_flags == before_flags, f"math-verify switches flipped at import: {before_flags} -> {after_flags}"
assert (after_root, after_handlers) == (before_root, before_handlers), "the root logger changed at import"
print("imported", imported)
"""


def test_importing_every_module_changes_no_other_librarys_state() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert int(result.stdout.split()[-1]) > 100  # every module, not an empty walk
