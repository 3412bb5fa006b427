"""Per-run uids leased host-wide: one lock file per uid, held with flock while a run uses it.

Every process on the machine that runs local sandboxes (an API server, several queue workers) takes
its run uids from the same lock directory, so no two runs anywhere share a uid, and killing "every
process of the run's uid" never touches another process's run. A lease dies with its process (the
kernel drops the lock), so a crashed worker's uids come back by themselves; whoever leases one next
first kills what the dead run may have left.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

UID_BASE = 61000
UID_COUNT = 1000
LOCK_DIR = Path("/run/reward-sandbox/uids")


class NoFreeUid(Exception):
    """Every uid of the range is leased."""


class UidLease:
    """One uid held for one run; `release()` (or process exit) frees it."""

    def __init__(self, uid: int, fd: int) -> None:
        self.uid = uid
        self._fd = fd

    def release(self) -> None:
        if self._fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = -1


def lock_dir() -> Path:
    """The machine-wide lock directory (root-only: a program cannot take or hold a lease)."""
    LOCK_DIR.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(LOCK_DIR, 0o700)
    return LOCK_DIR


def lease_uid(start_hint: int = 0, base: int = UID_BASE, count: int = UID_COUNT) -> UidLease:
    """Lease a free uid of [base, base + count), trying from `base + start_hint` on."""
    directory = lock_dir()
    for i in range(count):
        uid = base + (start_hint + i) % count
        fd = os.open(directory / str(uid), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        except OSError:
            os.close(fd)
            raise
        return UidLease(uid, fd)
    raise NoFreeUid(f"all {count} sandbox uids from {base} are in use")
