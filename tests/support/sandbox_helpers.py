"""What the sandbox tests share: finding Docker and the images, or saying why not."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Sequence
from pathlib import Path

from tests.support.services import unavailable


def require_docker() -> None:
    from sandboxes.docker import docker_daemon_error

    problem = docker_daemon_error()
    if problem is not None:
        unavailable(f"Docker daemon not reachable ({problem}); start it with `dockerd &`")


def require_images(images: Sequence[str]) -> None:
    """Build (or reuse, by definition hash) the named images through the offline build script."""
    from sandboxes.build_images import BuildError, ensure_images

    require_docker()
    try:
        ensure_images(images, log=lambda _line: None)
    except BuildError as exc:
        unavailable(f"could not build sandbox images {list(images)}: {exc}")


def require_bwrap() -> None:
    if not shutil.which("bwrap"):
        unavailable("bubblewrap is not installed (apt-get install bubblewrap)")


def live_processes_of(uid: int) -> list[int]:
    """Pids of this machine's live (not zombie, not dead) processes whose real uid is `uid`, from /proc."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            status = Path(f"/proc/{entry}/status").read_text()
            state = status.split("\nState:", 1)[1].split()[0]
            if int(status.split("\nUid:", 1)[1].split()[0]) == uid and state not in ("Z", "X"):
                found.append(int(entry))
    return found
