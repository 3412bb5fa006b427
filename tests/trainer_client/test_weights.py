"""`--rewards`: one parser (`trainer_client.weights`) behind `reward-server serve|eval` and the GRPO CLI."""

from __future__ import annotations

from typing import Any

import pytest

from reward_server.cli import build_parser
from trainer_client.grpo.config import parse_args as parse_grpo_args
from trainer_client.weights import parse_weights

GRPO_REQUIRED = ["--model", "m", "--prompts", "p", "--reward-url", "u", "--log", "l"]

SPELLINGS: list[tuple[str, dict[str, float]]] = [
    ("accuracy=1,format=0.2", {"accuracy": 1.0, "format": 0.2}),
    (" accuracy = 1 , language ", {"accuracy": 1.0, "language": 1.0}),  # a bare name weighs 1
    ('{"accuracy": 1, "format": 0}', {"accuracy": 1.0, "format": 0.0}),
    ("model:helpful=0.5", {"model:helpful": 0.5}),
]

MISTAKES = [
    "accuracy=high",
    "accuracy=nan",
    "format=inf",
    "=1",
    ",",
    "{not json",
    "[1]",
    '{"accuracy": true}',
]


def parsed_by_every_cli(text: str) -> list[Any]:
    serve = build_parser().parse_args(["serve", "--rewards", text]).default_rewards
    evaluate = build_parser().parse_args(["eval", "in.jsonl", "-o", "out.jsonl", "--rewards", text]).rewards
    grpo = parse_grpo_args([*GRPO_REQUIRED, "--rewards", text]).rewards
    return [serve, evaluate, grpo]


@pytest.mark.parametrize(("text", "weights"), SPELLINGS)
def test_both_command_lines_read_rewards_alike(text: str, weights: dict[str, float]) -> None:
    assert parse_weights(text) == weights
    assert parsed_by_every_cli(text) == [weights, weights, weights]


@pytest.mark.parametrize("text", MISTAKES)
def test_both_command_lines_refuse_a_mistake_with_one_line(
    text: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(ValueError):
        parse_weights(text)
    for parse in (
        lambda: build_parser().parse_args(["serve", "--rewards", text]),
        lambda: parse_grpo_args([*GRPO_REQUIRED, "--rewards", text]),
    ):
        with pytest.raises(SystemExit) as exited:
            parse()
        assert exited.value.code == 2
        err = capsys.readouterr().err
        assert "--rewards" in err and "Traceback" not in err
        assert "weight" in err or "reward" in err or "JSON" in err, err
