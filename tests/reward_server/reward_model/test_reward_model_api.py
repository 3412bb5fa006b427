"""The `model` / `model:NAME` components through /v1/score, settings and the CLI."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from reward_server.app import create_app
from reward_server.cli import build_parser, settings_from_args
from reward_server.config import Settings
from reward_server.reward_model import RewardInput, RewardModelSpec
from reward_server.reward_model.engine import load_reward_model
from reward_server.rewards.base import ComponentScore
from tests.support.serve_process import serve_process
from tests.support.tiny_reward_models import build_bert_reward_model, build_llama_reward_model

PROMPT = "What is two plus two?"
REASONED = "<think>Two and two make four; let me double check.</think><answer>4</answer>"


@pytest.fixture(scope="module")
def model_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("api-reward-models")
    return {"llama": build_llama_reward_model(root / "llama"), "bert": build_bert_reward_model(root / "bert")}


@pytest.fixture(scope="module")
def rm_client(model_dirs: dict[str, Path]) -> Iterator[TestClient]:
    settings = Settings(
        cpu_workers=1,
        reward_models=[
            RewardModelSpec(name="helpful", path=str(model_dirs["llama"]), view="answer", device="cpu"),
            RewardModelSpec(name="harmless", path=str(model_dirs["bert"]), max_length=12, device="cpu"),
        ],
    )
    with TestClient(create_app(settings)) as client:
        yield client


def expected_score(path: Path, prompt: str | None, completion: str, **options: Any) -> float:
    """The same checkpoint loaded and scored on its own, outside the service."""

    async def run() -> float:
        model = load_reward_model(RewardModelSpec(path=str(path), device="cpu", **options))
        try:
            [result] = await model.score([RewardInput(prompt, completion)])
        finally:
            await model.aclose()
        assert isinstance(result, ComponentScore)
        return result.score

    return asyncio.run(run())


def post_score(client: TestClient, body: dict[str, Any], status: int = 200) -> dict[str, Any]:
    response = client.post("/v1/score", json=body)
    assert response.status_code == status, response.text
    return response.json()


def test_model_scores_are_raw_and_match_the_model_alone(
    rm_client: TestClient, model_dirs: dict[str, Path]
) -> None:
    completions = [
        REASONED,
        "<think>hmm</think>The answer is 5.",
        "<think>so</think>I cannot help with that.",
    ]
    body = {"items": [{"prompt": PROMPT, "completion": c} for c in completions], "rewards": {"model": 1.0}}
    results = post_score(rm_client, body)["results"]
    for completion, result in zip(completions, results, strict=True):
        assert result["error"] is None
        expected = expected_score(model_dirs["llama"], PROMPT, completion, view="answer")
        assert result["scores"]["model"] == pytest.approx(expected, abs=1e-4)
        assert result["reward"] == result["scores"]["model"]
        assert result["details"]["model"]["model"] == "helpful"
        assert result["details"]["model"]["view"] == "answer"
    raw = [r["scores"]["model"] for r in results]
    assert any(s < 0 or s > 1 for s in raw)  # not clipped to [0, 1]


def test_two_models_by_name_and_weighted(rm_client: TestClient, model_dirs: dict[str, Path]) -> None:
    body = {
        "items": [{"prompt": PROMPT, "completion": REASONED}],
        "rewards": {"model:helpful": 0.5, "model:harmless": 2.0},
    }
    [result] = post_score(rm_client, body)["results"]
    helpful, harmless = result["scores"]["model:helpful"], result["scores"]["model:harmless"]
    assert helpful == pytest.approx(
        expected_score(model_dirs["llama"], PROMPT, REASONED, view="answer"), abs=1e-4
    )
    assert harmless == pytest.approx(
        expected_score(model_dirs["bert"], PROMPT, REASONED, max_length=12), abs=1e-4
    )
    assert result["reward"] == pytest.approx(0.5 * helpful + 2.0 * harmless)
    # harmless sees the whole response, cut to 12 tokens, and says so
    assert result["details"]["model:harmless"]["truncated"] is True
    assert result["details"]["model:harmless"]["tokens"] == 12
    assert result["details"]["model:helpful"]["truncated"] is False


def test_get_reward_scores_openrlhf_text_as_sent_without_a_second_template(
    rm_client: TestClient, model_dirs: dict[str, Path]
) -> None:
    # What OpenRLHF posts: the policy's chat template applied, EOS padding on both sides.
    prompt = "<s><|user|>" + PROMPT + "</s><|assistant|>"
    query = "</s></s>" + prompt + "4</s></s>"
    body = {"query": [query], "prompts": [prompt], "labels": ["4"], "rewards": {"model:helpful": 1.0}}
    # The same conversation as messages through the model's own template: the same tokens.
    expected = expected_score(model_dirs["llama"], PROMPT, "4", view="answer")
    templated_twice = expected_score(model_dirs["llama"], [{"role": "user", "content": prompt}], "4")
    assert expected != pytest.approx(templated_twice, abs=1e-3)
    for request in (body, {**body, "prompts": None}):
        answer = rm_client.post("/get_reward", json=request)
        assert answer.status_code == 200, answer.text
        [reward] = answer.json()["rewards"]
        assert reward == pytest.approx(expected, abs=1e-4)


def test_model_and_rule_rewards_mix(rm_client: TestClient) -> None:
    body = {
        "items": [{"prompt": PROMPT, "completion": REASONED, "task": {"type": "math", "answer": "4"}}],
        "rewards": {"accuracy": 1.0, "model:helpful": 0.1},
    }
    [result] = post_score(rm_client, body)["results"]
    assert result["scores"]["accuracy"] == 1.0
    assert result["reward"] == pytest.approx(1.0 + 0.1 * result["scores"]["model:helpful"])


def test_unknown_model_name_is_a_422_listing_the_loaded_ones(rm_client: TestClient) -> None:
    body = {"items": [{"completion": "4"}], "rewards": {"model:honest": 1.0}}
    [error] = post_score(rm_client, body, status=422)["detail"]
    assert error["loc"] == ["body", "rewards", "model:honest"]
    assert "model:harmless" in error["msg"] and "model:helpful" in error["msg"]


def test_without_a_loaded_model_the_model_reward_says_how_to_load_one(client: TestClient) -> None:
    [error] = post_score(client, {"items": [{"completion": "4"}], "rewards": {"model": 1}}, 422)["detail"]
    assert error["loc"] == ["body", "rewards", "model"]
    assert "--reward-model" in error["msg"]


def test_health_lists_the_loaded_models(rm_client: TestClient) -> None:
    body = rm_client.get("/healthz").json()
    text = str(body)
    assert "helpful" in text and "harmless" in text and "float32" in text


def test_settings_read_models_from_cli_and_json_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()  # the flag refuses a local path that is not a directory
    args = build_parser().parse_args(
        [
            "serve",
            "--reward-model",
            f"{tmp_path}/a",
            "--reward-model",
            f"b={tmp_path}/b,view=answer,mean=1,std=2",
        ]
    )
    settings = settings_from_args(args)
    assert [(m.name, m.path, m.view, m.mean) for m in settings.reward_models] == [
        ("default", f"{tmp_path}/a", "full", None),
        ("b", f"{tmp_path}/b", "answer", 1.0),
    ]
    monkeypatch.setenv("REWARD_SERVER_REWARD_MODELS", '[{"name": "rm", "path": "/m/rm", "max_length": 64}]')
    [spec] = Settings().reward_models
    assert (spec.name, spec.max_length) == ("rm", 64)


def test_repeated_model_names_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REWARD_SERVER_REWARD_MODELS", '[{"path": "/a"}, {"path": "/b"}]')
    with pytest.raises(ValueError, match="repeated: default"):
        Settings()


def test_a_bad_reward_model_flag_exits_with_the_reason(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        build_parser().parse_args(["serve", "--reward-model", "rm=/m,view=summary"])
    assert info.value.code == 2
    assert "view" in capsys.readouterr().err


def test_serve_with_a_reward_model_end_to_end(model_dirs: dict[str, Path], tmp_path: Path) -> None:
    args = ["--reward-model", f"helpful={model_dirs['llama']},view=answer,device=cpu"]
    with serve_process(tmp_path / "serve.log", args, {"HF_HUB_OFFLINE": "1"}, start_timeout_s=90) as server:
        body = {"items": [{"prompt": PROMPT, "completion": REASONED}], "rewards": {"model:helpful": 1}}
        [result] = httpx.post(f"{server.url}/v1/score", json=body, timeout=30).json()["results"]
        expected = expected_score(model_dirs["llama"], PROMPT, REASONED, view="answer")
        assert result["scores"]["model:helpful"] == pytest.approx(expected, abs=1e-4)


def test_a_model_that_cannot_load_stops_the_server_naming_it(tmp_path: Path) -> None:
    settings = Settings(
        cpu_workers=1, reward_models=[RewardModelSpec(name="ghost", path=str(tmp_path / "no"))]
    )
    with pytest.raises(Exception, match="'ghost'"), TestClient(create_app(settings)):
        pass


def test_the_service_runs_without_torch_when_no_model_is_configured() -> None:
    script = """
import sys
sys.modules["torch"] = None  # any import of torch or transformers now fails
sys.modules["transformers"] = None
from fastapi.testclient import TestClient
from reward_server.app import create_app
from reward_server.config import Settings
with TestClient(create_app(Settings(cpu_workers=1))) as client:
    body = {"items": [{"completion": "<think>a</think><answer>1</answer>"}], "rewards": {"format": 1}}
    assert client.post("/v1/score", json=body).json()["results"][0]["reward"] == 1.0
    assert client.post("/v1/rank", json={"groups": [{"completions": ["a"]}]}).status_code == 422
print("ok")
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
