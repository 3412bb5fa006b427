"""CPU time one sandbox request costs inside a container, by what it runs (a load-independent figure).

    PYTHONPATH=$PWD python benchmarks/bench_sandbox_cpu_cost.py [--requests 30]

Starts one container the way `DockerSandbox` does (runner as PID 1, root with SETUID/SETGID/KILL, our
seccomp filter configured), sends `--requests` identical requests per variant and divides the
container cgroup's CPU time (cpuacct) by their number. Variants: the real Python run (`python3 main.py`
on `pass`), the same interpreter with `-I -S` (what the start-up of `site` costs), `/bin/true` (what
starting any program costs: fork, limits, seccomp, exec, reaping) and no program at all (writing the
files, wiping the workspace and IPC objects, the runner's own checks). Wall-clock figures on a shared
machine follow its load; these do not, much.
"""

from __future__ import annotations

import argparse
import base64
import json
import subprocess
import time
from typing import Any, cast

from sandboxes.build_images import ensure_images
from sandboxes.docker import RUNNER_SOURCE
from sandboxes.seccomp_filter import seccomp_program

CGROUP_CPU = "/sys/fs/cgroup/cpuacct/cpuacct.usage"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    tag = ensure_images(["python"], log=lambda _line: None)["python"]
    name = f"bench-cpu-cost-{int(time.time())}"
    tmpfs = "rw,exec,nosuid,nodev,size=64m,mode=1777"
    container = subprocess.Popen(
        ["docker", "run", "--name", name, "--rm", "-i", "--network", "none", "--read-only"]
        + ["--tmpfs", f"/workspace:{tmpfs}", "--tmpfs", f"/tmp:{tmpfs}", "--cap-drop", "ALL"]
        + ["--cap-add", "SETUID", "--cap-add", "SETGID", "--cap-add", "KILL", "--cpus", "1"]
        + ["--security-opt", "no-new-privileges", "--user", "0:0", tag]
        + ["python3", "-I", "-S", "-c", RUNNER_SOURCE, "serve"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert container.stdin is not None and container.stdout is not None
    ids = iter(range(1, 1 << 30))

    def request(payload: dict[str, object]) -> dict[str, object]:
        assert container.stdin is not None and container.stdout is not None
        container.stdin.write(json.dumps({"id": next(ids), **payload}) + "\n")
        container.stdin.flush()
        return json.loads(container.stdout.readline())  # type: ignore[no-any-return]

    def cpu_s() -> float:
        cat = subprocess.run(["docker", "exec", name, "cat", CGROUP_CPU], capture_output=True, text=True)
        return int(cat.stdout) / 1e9

    try:
        request({"op": "ping"})
        request({"op": "configure", "seccomp": base64.b64encode(seccomp_program()).decode()})
        files = {"main.py": base64.b64encode(b"pass\n").decode()}

        def step(argv: list[str]) -> dict[str, object]:
            return {
                "argv": argv,
                "stdin": "",
                "time_limit_s": 5,
                "wall_limit_s": 17,
                "output_limit_bytes": 1 << 16,
            }

        variants = {
            "python3 main.py (what runs)": [step(["python3", "main.py"])],
            "python3 -I -S main.py": [step(["python3", "-I", "-S", "main.py"])],
            "/bin/true": [step(["true"])],
            "no program (files + wipe)": [],
        }
        print(f"CPU time per request, mean of {args.requests}, inside the container ({tag})")
        for label, steps in variants.items():
            request({"op": "run", "files": files, "steps": steps, "reset": True})  # warm-up
            before = cpu_s()
            for _ in range(args.requests):
                answer = request({"op": "run", "files": files, "steps": steps, "reset": True})
                assert answer.get("ok") and answer.get("clean"), answer
                for result in cast(list[dict[str, Any]], answer["results"]):
                    assert result["exit_code"] == 0 and not result["spawn_error"], result
            spent = cpu_s() - before
            print(f"  {label:30s}: {spent / args.requests * 1e3:6.1f} ms")
    finally:
        container.stdin.close()
        container.wait(timeout=30)


if __name__ == "__main__":
    main()
