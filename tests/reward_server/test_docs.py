"""/docs and /redoc render without internet access, and show an Authorize button when keys are on."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from reward_server.app import create_app
from reward_server.config import Settings

KEY = "docs-test-" + "k" * 22


@pytest.fixture(scope="module")
def keyed() -> Iterator[TestClient]:
    settings = Settings(cpu_workers=1, sandbox="none", api_keys=[KEY])
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.mark.parametrize(("page", "assets"), [("/docs", 2), ("/redoc", 1)])
def test_docs_pages_load_every_asset_from_this_server(keyed: TestClient, page: str, assets: int) -> None:
    response = keyed.get(page)  # open without a key, like the OpenAPI document
    assert response.status_code == 200
    html = response.text
    assert "cdn.jsdelivr.net" not in html and "fonts.googleapis.com" not in html
    urls = re.findall(r"""(?:src|href)=["']([^"']+\.(?:js|css))["']""", html)
    assert len(urls) == assets, urls
    for url in urls:
        assert url.startswith("/docs-static/"), url
        asset = keyed.get(url)
        assert asset.status_code == 200 and len(asset.content) > 100_000, url


def test_openapi_declares_the_bearer_scheme_when_keys_are_on(keyed: TestClient) -> None:
    schema = keyed.get("/openapi.json").json()
    assert schema["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key of the server: `Authorization: Bearer KEY`.",
    }
    assert schema["paths"]["/v1/score"]["post"]["security"] == [{"bearer": []}]
    assert schema["paths"]["/run_code"]["post"]["security"] == [{"bearer": []}]
    assert "security" not in schema["paths"]["/healthz"]["get"]
    assert "security" not in schema["paths"]["/livez"]["get"]


def test_openapi_has_no_security_scheme_on_an_open_server(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert "securitySchemes" not in schema.get("components", {})
