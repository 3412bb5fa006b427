"""`Sandbox.execute(command=...)`: a tool runs over the source instead of the program, in the same
workspace and limits (what the lint reward uses)."""

from __future__ import annotations

from sandboxes import Limits, LocalSandbox, Verdict
from tests.support.sandbox_helpers import require_bwrap


async def test_the_command_runs_instead_of_compiling_and_running_the_program() -> None:
    require_bwrap()
    sandbox = LocalSandbox()
    await sandbox.start()
    try:
        program = "public class Solution {\n    public static void main(String[] a) {}\n}\n"
        execution = await sandbox.execute("java", program, [""], command=("sh", "-c", "ls; cat {source}"))
        [run] = execution.runs
        assert execution.compile is None and run.status is Verdict.OK
        assert run.stdout == "Solution.java\n" + program  # nothing compiled, nothing ran
        spin = ("sh", "-c", "while :; do :; done")
        slow = await sandbox.execute("python", "print(1)", [""], limits=Limits(time_limit_s=1), command=spin)
        assert slow.runs[0].status is Verdict.TIME_LIMIT
    finally:
        await sandbox.close()
