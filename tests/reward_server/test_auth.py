"""API keys: every scoring route needs `Authorization: Bearer KEY`; probes and scrapes stay open."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from reward_server.app import create_app
from reward_server.auth import ApiKeys, bearer_token
from reward_server.config import Settings

KEY_A = "a" * 24 + "-first"
KEY_B = "b" * 24 + "-second"
BODY = {"items": [{"completion": "<think>t</think><answer>1</answer>"}], "rewards": {"format": 1}}


@pytest.fixture(scope="module")
def keyed() -> Iterator[TestClient]:
    settings = Settings(cpu_workers=1, sandbox="none", api_keys=[KEY_A, KEY_B])
    with TestClient(create_app(settings)) as client:
        yield client


def test_missing_key_is_401_naming_the_header(keyed: TestClient) -> None:
    response = keyed.post("/v1/score", json=BODY)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    [error] = response.json()["detail"]
    assert error["loc"] == ["header", "authorization"]
    assert "missing API key" in error["msg"] and "Authorization: Bearer" in error["msg"]


@pytest.mark.parametrize("header", [f"Bearer {KEY_A}x", "Bearer " + "a" * 24, f"Basic {KEY_A}", "Bearer"])
def test_wrong_key_or_scheme_is_401(keyed: TestClient, header: str) -> None:
    response = keyed.post("/v1/score", json=BODY, headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json()["detail"][0]["type"] == "unauthorized"


@pytest.mark.parametrize("header", [f"Bearer {KEY_A}", f"bearer {KEY_B}", f"Bearer  {KEY_B} "])
def test_any_configured_key_scores(keyed: TestClient, header: str) -> None:
    response = keyed.post("/v1/score", json=BODY, headers={"Authorization": header})
    assert response.status_code == 200
    assert response.json()["results"][0]["reward"] == 1.0


def test_the_key_is_checked_before_the_body_is_read(keyed: TestClient) -> None:
    response = keyed.post("/v1/score", content=b"{not json")
    assert response.status_code == 401


@pytest.mark.parametrize("path", ["/healthz", "/metrics", "/openapi.json"])
def test_probes_and_scrapes_stay_open(keyed: TestClient, path: str) -> None:
    assert keyed.get(path).status_code == 200


def test_unknown_paths_do_not_reveal_themselves_without_a_key(keyed: TestClient) -> None:
    assert keyed.get("/v1/nothing-here").status_code == 401


def test_no_keys_configured_leaves_the_api_open(client: TestClient) -> None:
    assert client.post("/v1/score", json=BODY).status_code == 200


def test_environment_takes_a_comma_separated_list_or_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REWARD_SERVER_API_KEYS", f"{KEY_A}, {KEY_B}")
    assert [k.get_secret_value() for k in Settings().api_keys] == [KEY_A, KEY_B]
    monkeypatch.setenv("REWARD_SERVER_API_KEYS", f'["{KEY_B}"]')
    assert [k.get_secret_value() for k in Settings().api_keys] == [KEY_B]


def test_keys_never_appear_in_reprs() -> None:
    settings = Settings(api_keys=[KEY_A])
    assert KEY_A not in repr(settings) and KEY_A not in str(settings.model_dump())


@pytest.mark.parametrize("key", ["short", "has space in the middle", "comma,separated,inside"])
def test_weak_or_malformed_keys_are_refused(key: str) -> None:
    with pytest.raises(ValidationError, match="api_keys"):
        Settings(api_keys=[key])


def test_matching_is_exact() -> None:
    keys = ApiKeys(Settings(api_keys=[KEY_A]).api_keys)
    assert keys.accepts(KEY_A.encode())
    assert not keys.accepts(KEY_A[:-1].encode())
    assert not keys.accepts(KEY_A.upper().encode())
    assert bearer_token(b"Bearer abc") == b"abc"
    assert bearer_token(b"Token abc") is None
    assert bearer_token(None) is None
