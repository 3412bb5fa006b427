"""Build the sandbox images on a machine without registry access.

    python -m sandboxes.build_images python cpp          # build (or reuse) these images
    python -m sandboxes.build_images --all --force       # rebuild everything

The production Dockerfiles under `sandboxes/images/<name>/` start `FROM debian:bookworm-slim`. Here
that base is made locally instead: `debootstrap` builds a minimal Debian root (with python3 for the
runner), `tar | docker import` turns it into `reward-sandbox/base:bookworm`, and each Dockerfile is
built with `--build-arg BASE=` pointing at it (toolchains still come from the Debian mirror).

Every image is labelled with the hash of its definition (and of its base); an image whose tag
already carries the same hash is not rebuilt, so tests can call `ensure_images` cheaply.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

IMAGES_DIR = Path(__file__).parent / "images"
PREFIX = "reward-sandbox/"
BASE_TAG = f"{PREFIX}base:bookworm"
HASH_LABEL = "reward-sandbox.definition"
DEFAULT_MIRROR = "http://deb.debian.org/debian"
BASE_DEFINITION = {
    "suite": "bookworm",
    "variant": "minbase",
    "include": ["python3"],
    "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8"],
}


class BuildError(Exception):
    """An image could not be built; the message carries the failing command's output."""


def available_images() -> list[str]:
    """Names of the image definitions (directories holding a Dockerfile)."""
    return sorted(p.parent.name for p in IMAGES_DIR.glob("*/Dockerfile"))


def base_hash() -> str:
    return hashlib.sha256(json.dumps(BASE_DEFINITION, sort_keys=True).encode()).hexdigest()[:16]


def definition_hash(image: str) -> str:
    """Hash of an image's Dockerfile and of the base it is built on."""
    dockerfile = (IMAGES_DIR / image / "Dockerfile").read_bytes()
    return hashlib.sha256(base_hash().encode() + b"\0" + dockerfile).hexdigest()[:16]


def image_tag(image: str) -> str:
    return f"{PREFIX}{image}:latest"


def _label(tag: str) -> str | None:
    proc = subprocess.run(
        ["docker", "image", "inspect", "--format", "{{json .Config.Labels}}", tag],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        return None
    labels = json.loads(proc.stdout or "null") or {}
    return labels.get(HASH_LABEL)  # type: ignore[no-any-return]


def _run(argv: Sequence[str], log: Callable[[str], None], **kwargs: object) -> None:
    log("$ " + " ".join(argv))
    proc = subprocess.run(list(argv), capture_output=True, text=True, **kwargs)  # type: ignore[call-overload]
    if proc.returncode != 0:
        raise BuildError(f"{argv[0]} failed ({proc.returncode}):\n{(proc.stdout + proc.stderr)[-4000:]}")


def _as_root(argv: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return argv
    if shutil.which("sudo"):
        return ["sudo", "-n", *argv]
    raise BuildError("debootstrap needs root (or passwordless sudo)")


def build_base(
    *, mirror: str = DEFAULT_MIRROR, force: bool = False, log: Callable[[str], None] = print
) -> str:
    """The debootstrap base image, built unless an identical one exists."""
    wanted = base_hash()
    if not force and _label(BASE_TAG) == wanted:
        return BASE_TAG
    if not shutil.which("debootstrap"):
        raise BuildError("debootstrap is not installed (apt-get install debootstrap)")
    started = time.monotonic()
    root = Path(tempfile.mkdtemp(prefix="reward-sandbox-root-"))
    try:
        include = ",".join(BASE_DEFINITION["include"])
        _run(
            _as_root(
                [
                    "debootstrap",
                    f"--variant={BASE_DEFINITION['variant']}",
                    f"--include={include}",
                    str(BASE_DEFINITION["suite"]),
                    str(root),
                    mirror,
                ]
            ),
            log,
        )
        # Keep the image small: package caches and docs are not needed at run time.
        for junk in ("var/cache/apt/archives", "var/lib/apt/lists", "usr/share/doc", "usr/share/man"):
            subprocess.run(_as_root(["sh", "-c", f"rm -rf {root / junk}/*"]), check=False)
        changes: list[str] = []
        for env in BASE_DEFINITION["env"]:
            changes += ["--change", f"ENV {env}"]
        changes += ["--change", f"LABEL {HASH_LABEL}={wanted}"]
        log(f"$ tar -C {root} -c . | docker import ... {BASE_TAG}")
        tar = subprocess.Popen(_as_root(["tar", "-C", str(root), "-c", "."]), stdout=subprocess.PIPE)
        assert tar.stdout is not None
        imported = subprocess.run(
            ["docker", "import", *changes, "-", BASE_TAG], stdin=tar.stdout, capture_output=True, text=True
        )
        tar.stdout.close()
        if tar.wait() != 0 or imported.returncode != 0:
            raise BuildError(f"docker import failed: {imported.stderr[-4000:]}")
    finally:
        subprocess.run(_as_root(["rm", "-rf", str(root)]), check=False)
    log(f"built {BASE_TAG} in {time.monotonic() - started:.0f} s")
    return BASE_TAG


def build_image(
    image: str, *, mirror: str = DEFAULT_MIRROR, force: bool = False, log: Callable[[str], None] = print
) -> str:
    """One language image on the local base, built unless an identical one exists; returns its tag."""
    if image not in available_images():
        raise BuildError(f"no image definition {image!r}; known: {', '.join(available_images())}")
    tag, wanted = image_tag(image), definition_hash(image)
    if not force and _label(tag) == wanted:
        log(f"{tag} is up to date")
        return tag
    base = build_base(mirror=mirror, force=False, log=log)
    started = time.monotonic()
    _run(
        [
            "docker",
            "build",
            "--build-arg",
            f"BASE={base}",
            "--label",
            f"{HASH_LABEL}={wanted}",
            "-t",
            tag,
            str(IMAGES_DIR / image),
        ],
        log,
        env={**os.environ, "DOCKER_BUILDKIT": "0"},
    )
    log(f"built {tag} in {time.monotonic() - started:.0f} s")
    return tag


def ensure_images(
    images: Sequence[str],
    *,
    mirror: str = DEFAULT_MIRROR,
    force: bool = False,
    log: Callable[[str], None] = print,
) -> dict[str, str]:
    """Build (or reuse) each named image; returns image name → tag."""
    return {image: build_image(image, mirror=mirror, force=force, log=log) for image in images}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sandboxes.build_images", description=__doc__.split("\n")[0]
    )
    parser.add_argument("images", nargs="*", help=f"images to build: {', '.join(available_images())}")
    parser.add_argument("--all", action="store_true", help="build every image definition")
    parser.add_argument("--force", action="store_true", help="rebuild even when the definition hash matches")
    parser.add_argument("--mirror", default=DEFAULT_MIRROR, help="Debian mirror for debootstrap")
    args = parser.parse_args(argv)
    images = available_images() if args.all else args.images
    if not images:
        parser.error("name at least one image, or --all")
    try:
        ensure_images(images, mirror=args.mirror, force=args.force)
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
