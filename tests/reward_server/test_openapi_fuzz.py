"""Schemathesis against our own OpenAPI schema: no input makes the service answer 5xx."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings

from reward_server.app import create_app
from reward_server.config import Settings

app = create_app(Settings(cpu_workers=1, math_timeout_s=2.0, max_batch_items=16))
schema = schemathesis.openapi.from_asgi("/openapi.json", app)


@schema.parametrize()
@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case: schemathesis.Case) -> None:
    # A batch of 16 math items on one CPU worker can take more than schemathesis' 10 s default on
    # a loaded host; the claim is "never a 5xx", so the timeout only has to be generous.
    response = case.call(timeout=120)
    assert response.status_code < 500, response.text
