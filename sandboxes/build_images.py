"""Build the sandbox images on a machine without registry access.

    python -m sandboxes.build_images python cpp          # build (or reuse) these images
    python -m sandboxes.build_images --all --force       # rebuild everything

The production Dockerfiles under `sandboxes/images/<name>/` start `FROM debian:trixie-slim` (Debian 13:
gcc 14, Go 1.24, rustc 1.85, Node 20, OpenJDK 21), except Python's, which stays on `debian:bookworm-slim`
(CPython 3.11, see IMAGE_SUITES). Here that base is made locally instead: `debootstrap` builds a minimal
Debian root (with python3 for the runner), `tar | docker import` turns it into
`reward-sandbox/base:<suite>`, and each Dockerfile is built with `--build-arg BASE=` pointing at it
(toolchains still come from the Debian mirror). `deploy/build_images.py` uses the same builder for its
bookworm base (`build_base()` without a suite).

After a build, the image's toolchain versions (each language's `version_command`, run in the image) are
stored in the `reward-sandbox.toolchain` label, which the Docker backend reports in `/healthz`.

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
from typing import Any

from sandboxes.languages import IMAGE_PREFIX as PREFIX
from sandboxes.languages import TOOLCHAIN_LABEL, first_version_line, image_tag

IMAGES_DIR = Path(__file__).parent / "images"
HASH_LABEL = "reward-sandbox.definition"
DEFAULT_MIRROR = "http://deb.debian.org/debian"
DEFAULT_SUITE = "bookworm"  # the deploy images' base (the service runs on Debian 12's Python 3.11)
SANDBOX_SUITE = "trixie"  # the sandbox images' base: current toolchains (see the module docstring)
# Python stays on Debian 12's CPython 3.11: from 3.12 on, a C-level recursion counter (not the
# stack) stops recursion through C code such as functools.lru_cache near 10^4 calls, whatever
# sys.setrecursionlimit says; judges' Python (and the local backend's) recurses as deep as the stack.
IMAGE_SUITES = {"python": "bookworm"}


def suite_for(image: str) -> str:
    """The Debian suite an image is built on."""
    return IMAGE_SUITES.get(image, SANDBOX_SUITE)


def base_definition(suite: str = DEFAULT_SUITE) -> dict[str, Any]:
    return {
        "suite": suite,
        "variant": "minbase",
        "include": ["python3"],
        "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8"],
    }


def base_tag(suite: str = DEFAULT_SUITE) -> str:
    return f"{PREFIX}base:{suite}"


class BuildError(Exception):
    """An image could not be built; the message carries the failing command's output."""


def available_images() -> list[str]:
    """Names of the image definitions (directories holding a Dockerfile)."""
    return sorted(p.parent.name for p in IMAGES_DIR.glob("*/Dockerfile"))


def base_hash(suite: str = DEFAULT_SUITE) -> str:
    return hashlib.sha256(json.dumps(base_definition(suite), sort_keys=True).encode()).hexdigest()[:16]


def definition_hash(image: str) -> str:
    """Hash of an image's definition folder (Dockerfile and the files it copies), of the base it is
    built on and of the toolchain probes."""
    folder = IMAGES_DIR / image
    dockerfile = (folder / "Dockerfile").read_bytes()
    for extra in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != "Dockerfile"):
        dockerfile += b"\0" + extra.relative_to(folder).as_posix().encode() + b"\0" + extra.read_bytes()
    probes = json.dumps(_version_commands(image), sort_keys=True).encode()
    return hashlib.sha256(
        base_hash(suite_for(image)).encode() + b"\0" + dockerfile + b"\0" + probes
    ).hexdigest()[:16]


def _version_commands(image: str) -> dict[str, list[str]]:
    from sandboxes.languages import LANGUAGES

    return {
        name: list(lang.version_command)
        for name, lang in LANGUAGES.items()
        if lang.image == image and lang.version_command
    }


def pinned_tag(image: str) -> str:
    """The tag of this exact definition (`:def-<hash>`): every build also gets it, and the Docker
    backend prefers it to `:latest`, so checkouts with different definitions on one Docker daemon
    each run their own images instead of rebuilding `:latest` under each other."""
    return f"{PREFIX}{image}:def-{definition_hash(image)}"


def _label(tag: str, label: str = HASH_LABEL) -> str | None:
    proc = subprocess.run(
        ["docker", "image", "inspect", "--format", "{{json .Config.Labels}}", tag],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        return None
    labels = json.loads(proc.stdout or "null") or {}
    return labels.get(label)


def _probe_versions(image: str, tag: str, log: Callable[[str], None]) -> dict[str, str]:
    versions = {}
    for name, argv in _version_commands(image).items():
        log(f"$ docker run --rm --network none {tag} {' '.join(argv)}")
        proc = subprocess.run(
            ["docker", "run", "--rm", "--network", "none", tag, *argv], capture_output=True, text=True
        )
        if proc.returncode != 0:
            raise BuildError(f"{' '.join(argv)} failed in {tag}:\n{(proc.stdout + proc.stderr)[-2000:]}")
        versions[name] = first_version_line(proc.stdout + proc.stderr)
    return versions


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
    *,
    mirror: str = DEFAULT_MIRROR,
    force: bool = False,
    log: Callable[[str], None] = print,
    suite: str = DEFAULT_SUITE,
) -> str:
    """The debootstrap base image of a Debian `suite`, built unless an identical one exists."""
    definition, tag = base_definition(suite), base_tag(suite)
    wanted = base_hash(suite)
    if not force and _label(tag) == wanted:
        return tag
    if not shutil.which("debootstrap"):
        raise BuildError("debootstrap is not installed (apt-get install debootstrap)")
    started = time.monotonic()
    root = Path(tempfile.mkdtemp(prefix="reward-sandbox-root-"))
    try:
        include = ",".join(definition["include"])
        _run(
            _as_root(
                [
                    "debootstrap",
                    f"--variant={definition['variant']}",
                    f"--include={include}",
                    str(definition["suite"]),
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
        for env in definition["env"]:
            changes += ["--change", f"ENV {env}"]
        changes += ["--change", f"LABEL {HASH_LABEL}={wanted}"]
        log(f"$ tar -C {root} -c . | docker import ... {tag}")
        tar = subprocess.Popen(_as_root(["tar", "-C", str(root), "-c", "."]), stdout=subprocess.PIPE)
        assert tar.stdout is not None
        imported = subprocess.run(
            ["docker", "import", *changes, "-", tag], stdin=tar.stdout, capture_output=True, text=True
        )
        tar.stdout.close()
        if tar.wait() != 0 or imported.returncode != 0:
            raise BuildError(f"docker import failed: {imported.stderr[-4000:]}")
    finally:
        subprocess.run(_as_root(["rm", "-rf", str(root)]), check=False)
    log(f"built {tag} in {time.monotonic() - started:.0f} s")
    return tag


def build_image(
    image: str, *, mirror: str = DEFAULT_MIRROR, force: bool = False, log: Callable[[str], None] = print
) -> str:
    """One language image on the local base, built unless an identical one exists; returns its
    pinned tag (`pinned_tag`; a build also moves `:latest` to it)."""
    if image not in available_images():
        raise BuildError(f"no image definition {image!r}; known: {', '.join(available_images())}")
    latest, wanted = image_tag(image), definition_hash(image)
    tag = pinned_tag(image)
    if not force and _label(tag) == wanted:
        log(f"{tag} is up to date")
        return tag
    base = build_base(mirror=mirror, force=False, log=log, suite=suite_for(image))
    started = time.monotonic()
    env = {**os.environ, "DOCKER_BUILDKIT": "0"}
    staging = f"{PREFIX}{image}:staging-{wanted}"
    _run(
        ["docker", "build", "--build-arg", f"BASE={base}", "-t", staging, str(IMAGES_DIR / image)],
        log,
        env=env,
    )
    versions = _probe_versions(image, staging, log)
    # The labels go on last, in a layer of their own, so that the hash label marks a finished image.
    labels = f"LABEL {HASH_LABEL}={json.dumps(wanted)} {TOOLCHAIN_LABEL}={json.dumps(json.dumps(versions))}\n"
    log(f"$ docker build -t {tag} - <<< FROM {staging} + labels")
    proc = subprocess.run(
        ["docker", "build", "-t", tag, "-t", latest, "-"],
        input=f"FROM {staging}\n{labels}",
        capture_output=True,
        text=True,
        env=env,
    )
    subprocess.run(["docker", "rmi", staging], capture_output=True)
    if proc.returncode != 0:
        raise BuildError(f"docker build (labels) failed:\n{(proc.stdout + proc.stderr)[-4000:]}")
    log(f"built {tag} in {time.monotonic() - started:.0f} s: {versions}")
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
