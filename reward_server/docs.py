"""The interactive API docs: /docs (Swagger UI) and /redoc, working offline, with an Authorize button.

The pages' scripts and styles are served from the `fastapi-offline` package (the Swagger UI and
ReDoc bundles, shipped inside its wheel) under `DOCS_STATIC_URL`, not from a public CDN, so they
render on a cluster without internet access. When API keys are configured the OpenAPI document
declares the bearer scheme, so Swagger UI shows its Authorize button and sends the key.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi_offline import FastAPIOffline

DOCS_STATIC_URL = "/docs-static"
BEARER_SCHEME = "bearer"


def create_documented_app(
    *, title: str, version: str, keyed: bool, open_paths: frozenset[str], **kwargs: Any
) -> FastAPI:
    """A FastAPI app whose /docs and /redoc load their assets from this server.

    `keyed`: the API needs a bearer key; every operation outside `open_paths` then requires the
    `bearer` security scheme in the OpenAPI document.
    """
    app = FastAPIOffline(title=title, version=version, static_url=DOCS_STATIC_URL, **kwargs)
    if keyed:

        def openapi() -> dict[str, Any]:
            if app.openapi_schema is None:
                schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
                components = schema.setdefault("components", {})
                components.setdefault("securitySchemes", {})[BEARER_SCHEME] = {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API key of the server: `Authorization: Bearer KEY`.",
                }
                for path, operations in schema.get("paths", {}).items():
                    if path in open_paths:
                        continue
                    for operation in operations.values():
                        operation["security"] = [{BEARER_SCHEME: []}]
                app.openapi_schema = schema
            return app.openapi_schema

        app.openapi = openapi  # type: ignore[method-assign]
    return app
