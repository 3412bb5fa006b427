"""SandboxFusion's client package (sandbox-fusion 0.3.7) runs code on reward-server's /run_code."""

from __future__ import annotations

import pytest

from tests.peers.harness import run_driver

pytestmark = [pytest.mark.peers, pytest.mark.slow, pytest.mark.timeout(900)]


def test_sandbox_fusion_client_reads_our_answers(reward_server_url: str) -> None:
    result = run_driver("sandbox-fusion", "sandbox_fusion_client.py", reward_server_url)
    assert result["version"] == "0.3.7"
    r = result["results"]
    assert r["echo"] == {
        "status": "Success",
        "run_status": "Finished",
        "return_code": 0,
        "stdout": "cba\n",
        "compile_status": None,
    }
    assert (r["exit3"]["status"], r["exit3"]["return_code"]) == ("Failed", 3)
    assert (r["timeout"]["status"], r["timeout"]["run_status"]) == ("Failed", "TimeLimitExceeded")
    assert (r["cpp"]["status"], r["cpp"]["stdout"]) == ("Success", "hi\n")
    assert r["compile_error"]["status"] == "Failed" and r["compile_error"]["run_status"] is None
    assert r["files"]["stdout"] == "from a file\n"
    assert [a["stdout"] for a in result["async"]] == [f"{n * n}\n" for n in range(6)]
