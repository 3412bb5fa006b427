"""task.type "instruction_following" through POST /v1/score (the in-process app and its pool)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

ANSWER = "Alpha beta gamma.\n\n***\n\nThis answer has no commas at all."  # IFEval paragraphs: split by ***


def task(ids: list[str], kwargs: list[Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {"type": "instruction_following", "instruction_id_list": ids, "kwargs": kwargs, **extra}


def score(client: TestClient, items: list[dict[str, Any]], status: int = 200) -> dict[str, Any]:
    response = client.post("/v1/score", json={"items": items, "rewards": {"accuracy": 1.0}})
    assert response.status_code == status, response.text
    return response.json()


def test_fraction_followed_with_a_verdict_per_instruction(client: TestClient) -> None:
    ids = ["punctuation:no_comma", "length_constraints:number_paragraphs", "keywords:existence"]
    kwargs = [None, {"num_paragraphs": 2, "keywords": None}, {"keywords": ["delta"]}]
    [result] = score(client, [{"completion": ANSWER, "task": task(ids, kwargs)}])["results"]
    assert result["error"] is None
    assert result["scores"]["accuracy"] == 2 / 3
    verdicts = result["details"]["accuracy"]["instructions"]
    assert [v["followed"] for v in verdicts] == [True, True, False]
    assert "delta" in verdicts[2]["reason"]


def test_all_or_nothing_and_the_ifeval_alias(client: TestClient) -> None:
    ids = ["punctuation:no_comma", "keywords:existence"]
    items = [
        {"completion": ANSWER, "task": task(ids, [{}, {"keywords": ["delta"]}], all_or_nothing=True)},
        {"completion": ANSWER, "task": {**task(ids, [{}, {"keywords": ["gamma"]}]), "type": "ifeval"}},
    ]
    first, second = score(client, items)["results"]
    assert first["scores"]["accuracy"] == 0.0
    assert second["scores"]["accuracy"] == 1.0


def test_loose_mode_accepts_what_strict_refuses(client: TestClient) -> None:
    # IFEval's loose accuracy: the first line ("Sure!") removed, the answer ends with the phrase.
    completion = "Sure! Here it is:\nThe end is near. Is there anything else I can help with?\n**Done**"
    ids, kwargs = ["startend:end_checker"], [{"end_phrase": "Is there anything else I can help with?"}]
    strict, loose = score(
        client,
        [
            {"completion": completion, "task": task(ids, kwargs)},
            {"completion": completion, "task": task(ids, kwargs, mode="loose")},
        ],
    )["results"]
    assert strict["scores"]["accuracy"] == 0.0
    assert loose["scores"]["accuracy"] == 1.0
    assert loose["details"]["accuracy"]["instructions"][0]["passed_as"] == "last line removed"


def test_the_chain_of_thought_is_never_checked(client: TestClient) -> None:
    ids = ["punctuation:no_comma"]
    thought_with_commas = "<think>First, second, third.</think>\n\nNo commas in the answer."
    unfinished = "<think>No commas in here at all"
    commas_after = "<think>nothing</think>Commas, here."
    results = score(
        client,
        [{"completion": text, "task": task(ids)} for text in (thought_with_commas, unfinished, commas_after)],
    )["results"]
    assert [r["scores"]["accuracy"] for r in results] == [1.0, 0.0, 0.0]
    assert results[1]["details"]["accuracy"]["status"] == "unfinished_think"


def test_a_prefilled_think_block_is_closed_in_the_completion(client: TestClient) -> None:
    item = {
        "prompt": [
            {"role": "user", "content": "Write without commas."},
            {"role": "assistant", "content": "<think>\n"},
        ],
        "completion": "a, b, c</think>No commas.",
        "task": task(["punctuation:no_comma"]),
    }
    [result] = score(client, [item])["results"]
    assert result["scores"]["accuracy"] == 1.0


def test_bad_tasks_are_refused_by_field(client: TestClient) -> None:
    bad = [
        (task(["keywords:nope"]), "instruction_id_list[0]: unknown instruction id 'keywords:nope'"),
        (task(["punctuation:no_comma"], [{}, {}]), "kwargs has 2 entries for 1 instruction ids"),
        (task(["punctuation:no_comma"], [{"num_words": 3}]), "kwargs[0]: punctuation:no_comma takes no"),
        (task([]), "instruction_id_list"),
        (task(["punctuation:no_comma"], mode="lenient"), "mode"),
    ]
    for bad_task, expected in bad:
        response = client.post("/v1/score", json={"items": [{"completion": "x", "task": bad_task}]})
        assert response.status_code == 422, response.text
        assert expected in response.text, response.text
    assert (
        "instruction_ids.py"
        in client.post("/v1/score", json={"items": [{"completion": "x", "task": bad[0][0]}]}).text
    )


def test_missing_nltk_data_is_the_item_error_and_the_batch_comes_back(client: TestClient) -> None:
    # ratio:stop_words needs NLTK's stopwords corpus, which no installed package ships: the
    # checker must not download it, so that item errs with what to install, and the others score.
    items = [
        {"completion": ANSWER, "task": task(["ratio:stop_words"], [{"percentage": 50}])},
        {"completion": ANSWER, "task": task(["punctuation:no_comma"])},
    ]
    failed, scored = score(client, items)["results"]
    assert failed["reward"] is None
    assert "stopwords" in failed["error"] and "nltk.downloader" in failed["error"]
    assert scored["scores"]["accuracy"] == 1.0
