"""Checks before a process starts scoring, so a mistake on the command line costs one line, not a traceback.

Each check mirrors what `Services.start` would trip over later (a Docker daemon that does not
answer, reward models without the `model` extra or with a path that is not there) and says what
to do instead.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from reward_server.config import Settings

MODEL_EXTRA_HINT = (
    "pip install 'reward-server[model]' (on a machine without a GPU, add "
    "--extra-index-url https://download.pytorch.org/whl/cpu)"
)


def missing_model_modules() -> list[str]:
    """The modules of the `model` extra that are not installed."""
    missing = []
    for name in ("torch", "transformers"):
        try:
            found = importlib.util.find_spec(name) is not None
        except ValueError:  # in sys.modules as None: blocked, as good as absent
            found = False
        if not found:
            missing.append(name)
    return missing


def reward_model_path_problem(path: str) -> str | None:
    """A local-looking path (absolute, ./, ../, ~) that is not a directory; hub ids are not checked."""
    if not path.startswith(("/", "./", "../", "~")):
        return None
    local = Path(path).expanduser()
    if local.is_dir():
        return None
    what = "a file, not a directory" if local.exists() else "no such directory"
    return f"{path}: {what} (give a save_pretrained directory of a sequence-classification model)"


def startup_problems(settings: Settings) -> list[str]:
    """What would stop this process from starting, one line each with the fix."""
    problems = []
    if settings.reward_models:
        if missing := missing_model_modules():
            problems.append(
                f"--reward-model needs the 'model' extra (missing: {', '.join(missing)}): {MODEL_EXTRA_HINT}"
            )
        for spec in settings.reward_models:
            if (problem := reward_model_path_problem(spec.path)) is not None:
                problems.append(f"--reward-model {spec.name}: {problem}")
    if settings.sandbox == "docker":
        from sandboxes.docker import docker_daemon_error

        if (error := docker_daemon_error()) is not None:
            problems.append(
                f"--sandbox docker: the Docker daemon does not answer ({error}); start it "
                "(sudo systemctl start docker), or use --sandbox auto or --sandbox local (weaker isolation)"
            )
    return problems
