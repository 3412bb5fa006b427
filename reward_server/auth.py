"""API keys: `Authorization: Bearer KEY` on every path except the open ones (health, metrics, docs)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

from pydantic import SecretStr
from starlette.types import ASGIApp, Receive, Scope, Send

from reward_server.errors import send_error

# Probes and scrapers run inside the cluster without credentials; none of these reveal data or cost work.
OPEN_PATHS = frozenset(
    {"/healthz", "/livez", "/metrics", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"}
)


# The docs pages' own scripts and styles (reward_server.docs.DOCS_STATIC_URL).
_OPEN_PREFIXES = ("/docs-static/",)


def _is_open(path: str) -> bool:
    return path in OPEN_PATHS or path.startswith(_OPEN_PREFIXES)


def _digest(key: str | bytes) -> bytes:
    # Comparing fixed-length digests keeps the comparison time independent of the keys' lengths too.
    return hashlib.sha256(key.encode() if isinstance(key, str) else key).digest()


class ApiKeys:
    """The accepted keys, held as digests; `accepts` takes the same time whichever key (if any) matches."""

    def __init__(self, keys: Iterable[SecretStr]) -> None:
        self._digests = [_digest(key.get_secret_value()) for key in keys]

    def __bool__(self) -> bool:
        return bool(self._digests)

    def accepts(self, presented: bytes) -> bool:
        candidate = _digest(presented)
        matched = False
        for digest in self._digests:  # no early exit: every key is compared every time
            matched |= hmac.compare_digest(candidate, digest)
        return matched


def bearer_token(authorization: bytes | None) -> bytes | None:
    """The KEY of `Bearer KEY` (scheme case-insensitive), or None."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(b" ")
    if scheme.lower() != b"bearer" or not token.strip():
        return None
    return token.strip()


class ApiKeyMiddleware:
    """Answers 401 before the request reaches a route when its key is missing or not accepted."""

    def __init__(self, app: ASGIApp, keys: ApiKeys) -> None:
        self.app = app
        self.keys = keys

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.keys or _is_open(scope["path"]):
            await self.app(scope, receive, send)
            return
        authorization = dict(scope.get("headers", [])).get(b"authorization")
        token = bearer_token(authorization)
        if token is None:
            message = "missing API key: send the header 'Authorization: Bearer <key>'"
        elif not self.keys.accepts(token):
            message = "invalid API key: this server does not accept the key sent in 'Authorization: Bearer'"
        else:
            await self.app(scope, receive, send)
            return
        await send_error(
            send,
            401,
            ["header", "authorization"],
            message,
            "unauthorized",
            headers=[(b"www-authenticate", b'Bearer realm="reward-server"')],
        )
