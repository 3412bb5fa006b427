"""Build every image compose.yaml needs on a machine without registry access.

    python deploy/build_images.py                 # service, redis, gateway and python sandbox images
    python deploy/build_images.py --sandboxes python cpp

On a cluster, `docker compose build` builds the same Dockerfiles FROM the public python image instead. Here:

1. the Debian base comes from `debootstrap` + `docker import` (the sandbox images' builder,
   `sandboxes/build_images.py`, makes and caches it as `reward-sandbox/base:bookworm`);
2. the Python packages are downloaded on this host into `deploy/wheels/` (pip reaches PyPI here; the build
   containers may not) and installed in the image with `--no-index`;
3. redis and the nginx gateway are Debian's packages on the same base (the Debian mirror is reachable
   from build containers, as the sandbox toolchains already require).

Prints the environment compose needs to use these tags (`KEY=value` lines, for an .env file).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sandboxes.build_images import BuildError, build_base, ensure_images  # noqa: E402
from sandboxes.languages import image_tag  # noqa: E402

DEPLOY = ROOT / "deploy"
WHEELS = DEPLOY / "wheels"
SERVICE_TAG = "reward-server:latest"
PYTHON_BASE_TAG = "reward-server/debian-python:bookworm"
REDIS_TAG = "reward-server/redis:bookworm"
GATEWAY_TAG = "reward-server/nginx:bookworm"
EXTRAS = ""  # the core install already holds the queue client and the Docker SDK


def _run(argv: Sequence[str], log: Callable[[str], None], cwd: Path = ROOT) -> None:
    log("$ " + " ".join(argv))
    # The classic builder: BuildKit may try to resolve the base image's metadata from a registry.
    env = {**os.environ, "DOCKER_BUILDKIT": "0"}
    proc = subprocess.run(list(argv), cwd=cwd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise BuildError(
            f"{argv[0]} {argv[1]} failed ({proc.returncode}):\n{(proc.stdout + proc.stderr)[-4000:]}"
        )


def download_wheels(log: Callable[[str], None]) -> None:
    """Every wheel the service image installs, plus what pip needs to build the project itself."""
    WHEELS.mkdir(exist_ok=True)
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--dest",
            str(WHEELS),
            f".[{EXTRAS}]" if EXTRAS else ".",
            "setuptools>=68",
            "wheel",
            # Markers are evaluated for this host's Python, not the image's Debian 3.11.2: redis needs this
            # one below 3.11.3.
            "async-timeout>=4.0.3",
        ],
        log,
    )
    # pip download also leaves an archive of this project; the image installs from /src instead.
    for stale in WHEELS.glob("reward_server-*"):
        stale.unlink()


def docker_build(tag: str, dockerfile: Path, context: Path, log: Callable[[str], None], **args: str) -> str:
    started = time.monotonic()
    build_args = [item for key, value in args.items() for item in ("--build-arg", f"{key}={value}")]
    _run(["docker", "build", "-f", str(dockerfile), *build_args, "-t", tag, str(context)], log)
    log(f"built {tag} in {time.monotonic() - started:.0f} s")
    return tag


def build_all(sandboxes: Sequence[str], log: Callable[[str], None] = print) -> dict[str, str]:
    """Build (layers cached by Docker) every image; returns the compose environment that selects them."""
    base = build_base(log=log)
    sandbox_tags = ensure_images(sandboxes, log=log)
    python_base = docker_build(PYTHON_BASE_TAG, DEPLOY / "debian-python.Dockerfile", DEPLOY, log, BASE=base)
    download_wheels(log)
    docker_build(
        SERVICE_TAG,
        DEPLOY / "Dockerfile",
        ROOT,
        log,
        BASE=python_base,
        EXTRAS=EXTRAS,
        PIP_INSTALL_ARGS="--no-index --find-links /wheels",
    )
    docker_build(REDIS_TAG, DEPLOY / "redis.Dockerfile", DEPLOY, log, BASE=base)
    docker_build(GATEWAY_TAG, DEPLOY / "nginx.Dockerfile", DEPLOY, log, BASE=base)
    return {
        "REWARD_SERVER_IMAGE": SERVICE_TAG,
        "REDIS_IMAGE": REDIS_TAG,
        "GATEWAY_IMAGE": GATEWAY_TAG,
        "SANDBOX_PYTHON_IMAGE": sandbox_tags.get("python", image_tag("python")),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="deploy/build_images.py", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--sandboxes", nargs="*", default=["python"], help="sandbox images to build (default: python)"
    )
    args = parser.parse_args(argv)
    try:
        env = build_all(args.sandboxes, log=lambda line: print(line, file=sys.stderr))
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for key, value in env.items():
        print(f"{key}={value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
