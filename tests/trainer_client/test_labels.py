"""One label → task rule (`trainer_client.labels`) for the trainer adapters and the protocol routes."""

from __future__ import annotations

from typing import Any

import pytest

from reward_server.protocols import samples
from trainer_client import labels
from trainer_client._items import task_from_label

VERL_CODE = {"inputs": ["1 2\n"], "outputs": ["3\n"]}
CODE_TASK = {
    "type": "code",
    "language": "python",
    "tests": [{"stdin": "1 2\n", "expected_stdout": "3\n"}],
}

AGREED: list[tuple[Any, dict[str, Any]]] = [
    ("4", {"type": "math", "answer": "4"}),
    (" x^2 ", {"type": "math", "answer": " x^2 "}),  # the answer as given; the checker normalises
    (4, {"type": "math", "answer": "4"}),
    (42.0, {"type": "math", "answer": "42"}),  # a float column's whole number is that integer
    (0.25, {"type": "math", "answer": "0.25"}),
    ("{1, 2}", {"type": "math", "answer": "{1, 2}"}),  # a LaTeX set, not JSON
    ('{"a": 1}', {"type": "math", "answer": '{"a": 1}'}),  # JSON that names no task stays an answer
    (None, {"type": "none"}),
    ("", {"type": "none"}),
    ("  ", {"type": "none"}),
    ({"type": "none"}, {"type": "none"}),
    ('{"type": "math", "answer": "5"}', {"type": "math", "answer": "5"}),
    (VERL_CODE, CODE_TASK),  # the dict without `type` on which server and client used to differ
    ('{"inputs": ["1 2\\n"], "outputs": ["3\\n"]}', CODE_TASK),
    (["7"], {"type": "math", "answer": "7"}),
]

REFUSED: list[Any] = [
    True,
    float("nan"),
    float("inf"),
    [],
    {"answer": "4"},  # neither a task nor verl's code ground truth
    {"inputs": ["1"], "outputs": []},  # verl's fields, unreadable
    [{"type": "none"}],  # a list holds gold answers, not tasks
    object(),
]


def test_the_server_routes_and_the_client_share_the_one_rule() -> None:
    assert samples.label_tasks is labels.label_tasks
    assert samples.LabelError is labels.LabelError


@pytest.mark.parametrize(("label", "task"), AGREED)
def test_server_and_client_read_a_label_as_the_same_task(label: Any, task: dict[str, Any]) -> None:
    assert samples.label_tasks(label) == [task]
    assert task_from_label(label) == task


@pytest.mark.parametrize("label", REFUSED)
def test_server_and_client_refuse_the_same_labels(label: Any) -> None:
    with pytest.raises(labels.LabelError):
        samples.label_tasks(label)
    with pytest.raises(ValueError, match="label|answer|task|verl"):
        task_from_label(label)


def test_several_gold_answers_are_several_tasks_for_the_routes_and_refused_by_the_client() -> None:
    assert samples.label_tasks(["4", 4.5]) == [
        {"type": "math", "answer": "4"},
        {"type": "math", "answer": "4.5"},
    ]
    with pytest.raises(labels.LabelError, match="2 gold answers"):
        task_from_label(["4", 4.5])  # one /v1/score item holds one task: never str(list) as an answer
