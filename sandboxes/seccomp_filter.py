"""The local backend's seccomp filter, compiled to the BPF program `bwrap --seccomp FD` loads.

It refuses (EPERM) what Docker's default profile refuses to an unprivileged container and a judged
program never needs: new namespaces (`unshare`, `setns`, `clone` with a CLONE_NEW* flag; `clone3`
answers ENOSYS so that libc falls back to `clone`, whose flags can be checked), io_uring, the kernel
keyring, ptrace and cross-process memory access, BPF, perf events, userfaultfd, mounts, modules,
kexec, reboot, swap, accounting, clock setting, handle-based opens and the kernel log. Built with
libseccomp (through `pyseccomp`).
"""

from __future__ import annotations

import errno
import functools
import os
import tempfile

# Every CLONE_NEW* flag (NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET), as Docker masks them.
CLONE_NAMESPACE_FLAGS = 0x7E020000

DENIED = (
    "unshare",
    "setns",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "keyctl",
    "add_key",
    "request_key",
    "bpf",
    "perf_event_open",
    "userfaultfd",
    "mount",
    "umount2",
    "pivot_root",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    "move_mount",
    "open_tree",
    "mount_setattr",
    "init_module",
    "finit_module",
    "delete_module",
    "kexec_load",
    "kexec_file_load",
    "reboot",
    "swapon",
    "swapoff",
    "acct",
    "settimeofday",
    "clock_settime",
    "clock_adjtime",
    "adjtimex",
    "open_by_handle_at",
    "name_to_handle_at",
    "syslog",
    "quotactl",
    "lookup_dcookie",
    "fanotify_init",
    "personality",
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
)


class SeccompUnavailable(Exception):
    """libseccomp (or its Python binding) is missing; the message says what to install."""


@functools.cache
def seccomp_program() -> bytes:
    """The filter as a BPF program (bytes). Raises `SeccompUnavailable`."""
    try:
        import pyseccomp as sc
    except Exception as exc:  # ImportError, or OSError when libseccomp.so.2 is missing
        raise SeccompUnavailable(
            f"no seccomp filter: {exc} (pip install pyseccomp; apt-get install libseccomp2)"
        ) from exc
    flt = sc.SyscallFilter(sc.ALLOW)
    deny = sc.ERRNO(errno.EPERM)
    for name in DENIED:
        try:
            flt.add_rule(deny, name)
        except (OSError, ValueError, RuntimeError):
            continue  # not a syscall on this architecture
    flt.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")
    flt.add_rule(deny, "clone", sc.Arg(0, sc.MASKED_EQ, CLONE_NAMESPACE_FLAGS, CLONE_NAMESPACE_FLAGS))
    # A mask test cannot say "any of these bits": one rule per flag.
    for bit in range(32):
        flag = 1 << bit
        if CLONE_NAMESPACE_FLAGS & flag:
            flt.add_rule(deny, "clone", sc.Arg(0, sc.MASKED_EQ, flag, flag))
    with tempfile.TemporaryFile() as out:
        flt.export_bpf(out)
        out.seek(0)
        return out.read()


def seccomp_fd() -> int:
    """A read-only descriptor of the BPF program, at offset 0, for `bwrap --seccomp FD` (which
    reads it once). Not inheritable by default: pass it with `pass_fds`."""
    program = seccomp_program()
    fd = os.memfd_create("seccomp", os.MFD_CLOEXEC)
    try:
        os.write(fd, program)
        os.lseek(fd, 0, os.SEEK_SET)
    except OSError:
        os.close(fd)
        raise
    return fd
