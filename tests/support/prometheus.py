"""Reading samples out of a `/metrics` scrape, parsed by prometheus_client's own text parser."""

from __future__ import annotations

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

Labels = frozenset[tuple[str, str]]


def samples(client: TestClient, name: str) -> dict[Labels, float]:
    """Every sample named `name` (``reward_server_item_errors_total``, a histogram's ``…_count``) in
    one scrape, keyed by its label set."""
    found: dict[Labels, float] = {}
    for family in text_string_to_metric_families(client.get("/metrics").text):
        for parsed in family.samples:
            if parsed.name == name:
                found[frozenset(parsed.labels.items())] = parsed.value
    return found


def sample(client: TestClient, name: str, **labels: str) -> float:
    """The value of the sample `name` with exactly `labels`, 0 when absent."""
    return samples(client, name).get(frozenset(labels.items()), 0.0)


def increase(before: dict[Labels, float], after: dict[Labels, float]) -> dict[Labels, float]:
    """The samples that grew between two scrapes, and by how much."""
    return {
        labels: value - before.get(labels, 0.0)
        for labels, value in after.items()
        if value != before.get(labels)
    }


def labels(**values: str) -> Labels:
    return frozenset(values.items())
