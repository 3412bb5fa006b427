"""Reading one sample out of a `/metrics` scrape."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient


def sample(client: TestClient, name: str, **labels: str) -> float:
    """The value of one sample in the scraped text, 0 when absent."""
    text = client.get("/metrics").text
    label_text = ",".join(f'{k}="{v}"' for k, v in labels.items())
    pattern = re.escape(name + (f"{{{label_text}}}" if labels else "")) + r" ([0-9.e+-]+)\n"
    match = re.search(pattern, text)
    return float(match.group(1)) if match else 0.0
