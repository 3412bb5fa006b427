"""Instruction-following tasks as a new user sends them: real dataset rows, missing or wrong
arguments, and what the error says (found by trying to break the feature after it landed)."""

from __future__ import annotations

import random
from typing import Any

import pytest
from fastapi.testclient import TestClient

from reward_server.rewards.instructions.check import InstructionRequest, check_instructions
from reward_server.schemas import ScoreItem
from reward_server.tasks.instruction_ids import INSTRUCTION_KWARGS, required_kwargs

# Every argument name of every IFEval instruction: `datasets` gives each row's kwargs all of them.
IFEVAL_ARGUMENTS = sorted({name for ids in INSTRUCTION_KWARGS.values() for name in ids})


def ifeval_row() -> dict[str, Any]:
    """A google/IFEval row as `datasets.load_dataset("google/IFEval")` yields it (key 1000)."""

    def filled(**given: Any) -> dict[str, Any]:
        return {name: given.get(name) for name in IFEVAL_ARGUMENTS}

    return {
        "key": 1000,
        "prompt": "Write a short summary without any commas and end it with the phrase 'That is all.'",
        "instruction_id_list": ["punctuation:no_comma", "startend:end_checker"],
        "kwargs": [filled(), filled(end_phrase="That is all.")],
    }


def post(client: TestClient, task: dict[str, Any], completion: str) -> Any:
    return client.post(
        "/v1/score", json={"items": [{"completion": completion, "task": task}], "rewards": {"accuracy": 1.0}}
    )


def test_a_dataset_row_with_its_key_column_is_taken_as_is(client: TestClient) -> None:
    response = post(
        client, {"type": "ifeval", **ifeval_row()}, "<think>a, b</think>Short and plain. That is all."
    )
    assert response.status_code == 200, response.text
    [result] = response.json()["results"]
    assert result["scores"]["accuracy"] == 1.0


@pytest.mark.parametrize(
    ("instruction_id", "given", "missing"),
    [
        ("keywords:existence", {}, "keywords"),
        ("length_constraints:number_words", {"num_words": 300}, "relation"),
        ("startend:end_checker", {}, "end_phrase"),
        ("count:word_count_range", {"min_words": 10}, "max_words"),
        ("combination:repeat_prompt", {}, "prompt_to_repeat"),
    ],
)
def test_a_missing_argument_is_refused_not_drawn_at_random(
    client: TestClient, instruction_id: str, given: dict[str, Any], missing: str
) -> None:
    # Without the argument the checker draws one at random (keywords, a relation, an end phrase):
    # the verdict would be a coin toss. The request is refused, naming the argument.
    task = {"type": "instruction_following", "instruction_id_list": [instruction_id], "kwargs": [given]}
    response = post(client, task, "Hello world.")
    assert response.status_code == 422, response.text
    assert f"kwargs[0]: {instruction_id} needs {missing!r}" in response.text
    no_kwargs = {"type": "instruction_following", "instruction_id_list": [instruction_id]}
    assert post(client, no_kwargs, "Hello world.").status_code == 422


def test_the_required_arguments_are_those_the_checker_would_draw_at_random() -> None:
    """The rule behind `required_kwargs`, checked on the installed library: for every instruction
    that takes arguments, building it with none of them either fails or draws a random one."""
    from reward_server.rewards.instructions.check import _registries, load_checkers
    from reward_server.tasks.instruction_ids import benchmark_of

    load_checkers()
    for instruction_id, allowed in INSTRUCTION_KWARGS.items():
        required = required_kwargs(instruction_id)
        assert required <= allowed
        if not required:
            continue
        built: set[str] = set()
        for seed in range(8):
            random.seed(seed)
            checker = _registries[benchmark_of(instruction_id)][instruction_id](instruction_id)
            try:
                built.add(str(checker.build_description()))
            except ValueError:
                built.add("refused")
        assert built == {"refused"} or len(built) > 1, instruction_id


def test_a_checker_that_refuses_an_argument_is_the_items_fault_and_says_which() -> None:
    def run(instruction_id: str, arguments: dict[str, Any]) -> Any:
        from reward_server.rewards.base import ItemError

        request = InstructionRequest("Hello world.", (instruction_id,), (arguments,), None, "strict", False)
        with pytest.raises(ItemError) as caught:
            check_instructions(request)
        return caught.value

    bad_relation = run("length_constraints:number_words", {"num_words": 3, "relation": "more than"})
    assert bad_relation.failure == "invalid_item"
    assert "kwargs" in str(bad_relation) and "more than" in str(bad_relation)
    # An unknown language code is a bad argument, not missing NLTK data.
    bad_language = run("language:response_language", {"language": "xx"})
    assert bad_language.failure == "invalid_item"
    assert "NLTK" not in str(bad_language) and "'xx'" in str(bad_language)


def test_the_ifeval_row_validates_as_a_score_item() -> None:
    item = ScoreItem.model_validate({"completion": "x", "task": {"type": "ifeval", **ifeval_row()}})
    assert item.task is not None and item.task.kwargs == [{}, {"end_phrase": "That is all."}]


def test_text_before_a_second_closing_think_tag_is_still_checked(client: TestClient) -> None:
    # After the think block closes, everything is the answer the user sees; a stray second
    # `</think>` must not hide the part that breaks the constraint (it was read after the last one).
    task = {"type": "instruction_following", "instruction_id_list": ["punctuation:no_comma"]}
    items = [
        {"completion": "<think>plan</think>Commas, commas, commas.</think>No commas.", "task": task},
        {"completion": "<think>a, b</think>\n\n<think>c, d</think>\n\nNo commas.", "task": task},
        {"completion": "<think>plan</think>No commas.<think>but, more, thinking", "task": task},
    ]
    response = client.post("/v1/score", json={"items": items, "rewards": {"accuracy": 1.0}})
    assert response.status_code == 200, response.text
    hidden, interleaved, reopened = response.json()["results"]
    assert hidden["scores"]["accuracy"] == 0.0
    assert interleaved["scores"]["accuracy"] == 1.0  # interleaved thinking is still thinking
    assert reopened["scores"]["accuracy"] == 0.0
    assert reopened["details"]["accuracy"]["status"] == "unfinished_think"


@pytest.mark.parametrize(
    ("instruction_id", "arguments", "expected"),
    [
        ("keywords:existence", {"keywords": []}, "'keywords' as a non-empty list of words"),
        ("keywords:existence", {"keywords": "delta"}, "'keywords' as a non-empty list of words"),
        (
            "detectable_format:number_bullet_lists",
            {"num_bullets": -1},
            "'num_bullets' as a number of at least 0",
        ),
        ("ratio:overlap", {"reference_text": "x", "percentage": "50"}, "'percentage' as a number, got '50'"),
        ("startend:end_checker", {"end_phrase": ""}, "'end_phrase' as a non-empty string"),
    ],
)
def test_an_argument_the_checker_would_replace_or_choke_on_is_refused(
    client: TestClient, instruction_id: str, arguments: dict[str, Any], expected: str
) -> None:
    # An empty list or string and a negative count are drawn at random by the checkers (a
    # string of keywords is iterated letter by letter); a string count makes them raise.
    task = {"type": "instruction_following", "instruction_id_list": [instruction_id], "kwargs": [arguments]}
    response = post(client, task, "Hello world.")
    assert response.status_code == 422, response.text
    assert f"kwargs[0]: {instruction_id} takes {expected}" in response.text


def test_an_answer_block_does_not_hide_the_prose_around_it() -> None:
    from reward_server.rewards.instructions import final_answer

    assert final_answer("<think>a, b</think>\n<answer>\nNo commas.\n</answer>\n") == "No commas."
    hiding = "<think>plan</think>Commas, commas, commas.\n<answer>No commas.</answer>"
    assert final_answer(hiding) == "Commas, commas, commas.\n<answer>No commas.</answer>"
