"""The `sandbox-fusion` 0.3.7 client (sync and async) against reward-server's /run_code (its venv).

    python sandbox_fusion_client.py URL

Prints one JSON line: each case's status, run status, return code and stdout as the client parsed them.
"""

from __future__ import annotations

import asyncio
import base64
import importlib.metadata
import json
import sys
from typing import Any

from sandbox_fusion import RunCodeRequest, RunCodeResponse, run_code, set_endpoint
from sandbox_fusion.async_client import run_code as run_code_async

CASES = {
    "echo": RunCodeRequest(code="print(input()[::-1])", language="python", stdin="abc"),
    "exit3": RunCodeRequest(code="import sys\nsys.exit(3)", language="python"),
    "timeout": RunCodeRequest(code="while True: pass", language="python", run_timeout=1),
    "cpp": RunCodeRequest(code='#include <cstdio>\nint main(){puts("hi");}', language="cpp"),
    "compile_error": RunCodeRequest(code="int main( {", language="cpp"),
    "files": RunCodeRequest(
        code="print(open('data.txt').read())",
        language="python",
        files={"data.txt": base64.b64encode(b"from a file").decode()},
    ),
}


def summary(response: RunCodeResponse) -> dict[str, Any]:
    run = response.run_result
    return {
        "status": response.status.value,
        "run_status": run.status.value if run else None,
        "return_code": run.return_code if run else None,
        "stdout": run.stdout if run else None,
        "compile_status": response.compile_result.status.value if response.compile_result else None,
    }


async def concurrently(url: str) -> list[dict[str, Any]]:
    requests = [RunCodeRequest(code=f"print({n} * {n})", language="python") for n in range(6)]
    answers = await asyncio.gather(*(run_code_async(r, endpoint=url) for r in requests))
    return [summary(a) for a in answers]


def main() -> None:
    url = sys.argv[1]
    set_endpoint(url)
    results = {name: summary(run_code(request, max_attempts=1)) for name, request in CASES.items()}
    print(
        json.dumps(
            {
                "version": importlib.metadata.version("sandbox-fusion"),
                "results": results,
                "async": asyncio.run(concurrently(url)),
            }
        )
    )


if __name__ == "__main__":
    main()
