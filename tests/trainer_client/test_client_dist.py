"""The client-only distribution (clients/trainer-client): all of trainer_client, httpx as its only need."""

from __future__ import annotations

import email
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.support.paths import REPO_ROOT

ROOT = REPO_ROOT


def test_client_wheel_holds_the_whole_client_and_depends_only_on_httpx(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT / "clients" / "trainer-client"),
        ],  # fmt: skip
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("reward_server_client-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata_name = next(n for n in names if n.endswith(".dist-info/METADATA"))
        metadata = email.message_from_bytes(archive.read(metadata_name))
    sources = {
        str(path.relative_to(ROOT))
        for path in (ROOT / "trainer_client").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert sources <= names, sorted(sources - names)
    assert not any(n.startswith(("reward_server/", "sandboxes/")) for n in names)
    requires = metadata.get_all("Requires-Dist") or []
    assert [r for r in requires if "extra ==" not in r] == ["httpx>=0.27"]
    assert all(
        r.split(">=")[0] in {"torch", "transformers", "tokenizers", "safetensors"} for r in requires[1:]
    )
