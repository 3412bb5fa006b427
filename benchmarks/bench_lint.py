"""Cost per item of the lint reward, per language, against the accuracy component on the same items
in the same run (baseline: `CodeChecker`, which compiles and runs each program on 2 tests in the
same sandbox). Each program is an a+b solution with one linter finding, so both components do
their whole work (accuracy 1.0, lint 0.9 expected, and checked).

    PYTHONPATH=$PWD python benchmarks/bench_lint.py [--backend docker|local] [--items 8]
        [--languages python,c,cpp,java,rust,go] [--pool-size 2]

Prints, per language: items, wall seconds per item for lint and for accuracy (the batch's wall
time / items, both batches run with the same concurrency), and the ratio lint / accuracy.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from typing import Any

from reward_server.rewards.code import CodeChecker
from reward_server.rewards.lint import LintComponent
from reward_server.schemas import CodeTask, ScoreItem
from sandboxes import DockerConfig, DockerSandbox, LocalSandbox, Sandbox

TESTS = [{"stdin": "1 2\n", "expected_stdout": "3\n"}, {"stdin": "20 22\n", "expected_stdout": "42\n"}]

PROGRAMS = {
    "python": "import os\n\na, b = map(int, input().split())\nprint(a + b)\n",  # F401
    "c": "#include <stdio.h>\nint main(void) {\n    long a, b, c;\n"
    '    if (scanf("%ld %ld", &a, &b) != 2) return 1;\n    printf("%ld\\n", a + b);\n    return 0;\n}\n',
    "cpp": "#include <iostream>\nint main() {\n    long a, b, c;\n    std::cin >> a >> b;\n"
    '    std::cout << a + b << "\\n";\n}\n',
    "java": "import java.util.*;\npublic class Main {\n    public static void main(String[] x) {\n"
    "        Scanner s = new Scanner(System.in);\n        long a = (long) s.nextLong(), b = s.nextLong();\n"
    "        System.out.println(a + b);\n    }\n}\n",  # redundant cast
    "rust": "use std::io::Read;\nfn main() {\n    let mut s = String::new();\n    let mut unused = 0;\n"
    "    std::io::stdin().read_to_string(&mut s).unwrap();\n"
    "    let v: Vec<i64> = s.split_whitespace().map(|t| t.parse().unwrap()).collect();\n"
    '    println!("{}", v[0] + v[1]);\n}\n',  # unused_variables, unused_mut: 2 findings
    "go": 'package main\n\nimport "fmt"\n\nfunc main() {\n\tvar a, b int\n\tfmt.Scan(&a, &b)\n\ta = a\n'
    "\tfmt.Println(a + b)\n}\n",  # assign: self-assignment
}
EXPECTED_LINT = {"rust": 0.8}


def items(language: str, count: int) -> list[ScoreItem]:
    task = CodeTask.model_validate({"type": "code", "language": language, "tests": TESTS})
    # A comment that differs per item keeps any cache (Go's build cache, the JVM's) honest.
    comment = "#" if language == "python" else "//"
    return [
        ScoreItem(completion=f"```{language}\n{comment} item {i}\n{PROGRAMS[language]}```", task=task)
        for i in range(count)
    ]


async def timed(component: Any, batch: list[ScoreItem]) -> tuple[float, list[Any]]:
    start = time.perf_counter()
    outcomes = await component.score(batch)
    return time.perf_counter() - start, outcomes


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("docker", "local"), default="docker")
    parser.add_argument("--items", type=int, default=8)
    parser.add_argument("--languages", default=",".join(PROGRAMS))
    parser.add_argument("--pool-size", type=int, default=2)
    args = parser.parse_args()
    sandbox: Sandbox
    if args.backend == "docker":
        sandbox = DockerSandbox(DockerConfig(pool_size=args.pool_size, prewarm=()))
    else:
        from sandboxes import LocalConfig

        sandbox = LocalSandbox(LocalConfig(max_concurrency=args.pool_size))
    await sandbox.start()
    lint, accuracy = LintComponent(sandbox), CodeChecker(sandbox)
    print(f"backend {args.backend}, pool size {args.pool_size}, {args.items} items per language, "
          f"load average {os.getloadavg()[0]:.1f} at start")  # fmt: skip
    print(f"{'language':10} {'lint s/item':>12} {'accuracy s/item':>16} {'lint/accuracy':>14}")
    try:
        for language in args.languages.split(","):
            batch = items(language, args.items)
            await lint.score(batch[:1])  # warm: the first container of the image starts here
            await accuracy.score(batch[:1])
            lint_s, lint_out = await timed(lint, batch)
            accuracy_s, accuracy_out = await timed(accuracy, batch)
            want = EXPECTED_LINT.get(language, 0.9)
            assert all(getattr(o, "score", None) == want for o in lint_out), (language, lint_out[0])
            assert all(getattr(o, "score", None) == 1.0 for o in accuracy_out), (language, accuracy_out[0])
            n = len(batch)
            print(f"{language:10} {lint_s / n:12.3f} {accuracy_s / n:16.3f} {lint_s / accuracy_s:14.2f}")
    finally:
        await sandbox.close()
        print(f"load average {os.getloadavg()[0]:.1f} at end")


if __name__ == "__main__":
    asyncio.run(main())
