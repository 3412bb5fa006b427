"""The language-consistency reward: share of the chain of thought written in the target language."""

from __future__ import annotations

import json
import pickle

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from pebble import ProcessPool

from reward_server.cpu_pool import CpuPool
from reward_server.rewards.base import ComponentScore, ItemError
from reward_server.rewards.language import (
    LanguageComponent,
    detect_prompt_language,
    normalize_language,
    score_language,
    warm_up,
)
from reward_server.rewards.language.function_words import marker_language
from reward_server.rewards.language.identify import label_clauses
from reward_server.rewards.language.prose import read_prose
from reward_server.schemas import ScoreItem
from tests.support.paths import LANGUAGE_CLAUSES

ENGLISH = (
    "Let me start by writing down what the problem is asking for. We need the smallest positive "
    "integer that satisfies both conditions. Wait, that doesn't look right, let me check again. "
    "So the answer should be the sum of the two roots."
)
CHINESE = (
    "首先写下题目要求我们求什么。我们需要找到满足两个条件的最小正整数。"
    "等等，这好像不对，我再检查一下。所以答案应该是两个根的和。"
)
FRENCH = (
    "Commençons par écrire ce que le problème nous demande. Nous devons trouver le plus petit "
    "entier positif qui vérifie les deux conditions. Donc la réponse est la somme des deux racines."
)
CLAUSES = LANGUAGE_CLAUSES


def think(text: str) -> str:
    return f"<think>{text}</think>\n<answer>\\boxed{{42}}</answer>"


def share(completion: str, target: str | None = "en", prompt: str | None = None) -> float:
    return score_language(completion, target=target, prompt=prompt).score


def labelled_clauses() -> list[tuple[str, str]]:
    lines = CLAUSES.read_text(encoding="utf-8").splitlines()
    return [tuple(line.split("\t", 1)) for line in lines if line and not line.startswith("#")]  # type: ignore[misc]


@pytest.fixture(scope="module", autouse=True)
def detectors() -> None:
    warm_up(prompt_detection=False)


def test_pure_english_scores_one_for_english() -> None:
    result = score_language(think(ENGLISH), target="en", prompt=None)
    assert result.score == 1.0
    assert result.details["target"] == "en"
    assert result.details["target_detected"] is False
    assert result.details["scored"] == "think"
    assert set(result.details["units"]) == {"en"}


def test_pure_chinese_scores_zero_for_english_and_one_for_chinese() -> None:
    assert share(think(CHINESE), "en") == 0.0
    assert share(think(CHINESE), "zh") == 1.0


def test_cjk_counts_characters_and_other_scripts_count_words() -> None:
    result = score_language(think("We compute the sum. 我们计算。"), target="en", prompt=None)
    assert result.details["units"] == {"en": 4, "zh": 4}
    assert result.score == 0.5


def test_half_chinese_half_english_scores_about_half() -> None:
    # Same content in both languages, sentence by sentence, interleaved.
    english = ENGLISH.split(". ")
    chinese = CHINESE.split("。")
    mixed = "".join(f"{en}. {zh}。" for en, zh in zip(english, chinese, strict=False))
    assert share(think(mixed), "en") == pytest.approx(0.5, abs=0.12)
    assert share(think(mixed), "zh") == pytest.approx(0.5, abs=0.12)
    assert share(think(mixed), "en") + share(think(mixed), "zh") == pytest.approx(1.0)


def test_drift_between_latin_languages_scores_in_proportion() -> None:
    # Three French sentences (31 words), then three English ones (33 words).
    mixed = FRENCH + " " + ENGLISH.split(". Wait")[0] + ". So the answer should be the sum of the two roots."
    result = score_language(think(mixed), target="fr", prompt=None)
    assert result.details["units"] == {"en": 33, "fr": 31}
    assert result.score == pytest.approx(31 / 64)


def test_code_latex_numbers_and_urls_are_left_out_of_both_sides() -> None:
    noisy = (
        "We start from $x^2 + 3x = 10$ and the identity\n$$\\sum_{k=1}^{n} k = \\frac{n(n+1)}{2}$$\n"
        "Let me check it with code:\n```python\nprint(sum(range(11)))  # affiche le total\n```\n"
        "The value is 55, see https://oeis.org/A000217 for more, and \\(\\alpha\\) is 0.5.\n"
        "Inline `total_sum` and x_1 and fooBar are identifiers."
    )
    result = score_language(think(noisy), target="en", prompt=None)
    assert result.score == 1.0
    excluded = result.details["excluded"]
    for kind in (
        "inline_math",
        "display_math",
        "code_blocks",
        "urls",
        "numbers",
        "inline_code",
        "identifiers",
    ):
        assert excluded.get(kind, 0) > 0, kind
    # The same formulas and code around Chinese prose do not dilute it either.
    chinese_with_math = (
        "我们从 $x^2 + 3x = 10$ 出发。设 x 为正整数，f(x) 的值是 55。\n```python\nprint(55)\n```"
    )
    assert share(think(chinese_with_math), "zh") == 1.0


def test_lone_letters_are_math_symbols_not_words() -> None:
    result = score_language(think("设 x 为正整数，那么 n 和 m 都是奇数。"), target="zh", prompt=None)
    assert result.score == 1.0
    assert result.details["excluded"]["symbols"] == 3


def test_target_is_detected_from_the_prompt_when_absent() -> None:
    result = score_language(think(CHINESE), target=None, prompt="计算 1/2 + 1/2 的值，请写出推理过程。")
    assert result.details["target"] == "zh"
    assert result.details["target_detected"] is True
    assert result.score == 1.0
    assert share(think(ENGLISH), None, "What is $1/2 + 1/2$? Show your reasoning.") == 1.0
    assert (
        score_language(think(FRENCH), target=None, prompt="Quelle est la valeur de x ?").details["target"]
        == "fr"
    )
    assert score_language("Да.", target=None, prompt="Сколько будет два плюс два?").details["target"] == "ru"


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("What is 1/2 + 1/2?", "en"),  # among all Latin languages lingua alone says German
        ("Solve for x: 2x+3=7", "en"),
        ("Wie viel ist zwei plus zwei?", "de"),
        ("¿Cuánto es dos más dos?", "es"),
        ("Berapakah hasil dari dua ditambah dua?", "id"),
        (
            "Wat is de som van alle priemgetallen kleiner dan honderd? Leg je redenering stap voor stap uit.",
            "nl",
        ),
        ("Hãy tính tổng của tất cả các số nguyên tố nhỏ hơn một trăm.", "vi"),
        ("Скільки буде два плюс два? Поясніть свою відповідь крок за кроком.", "uk"),
        ("ما هو ناتج اثنين زائد اثنين؟", "ar"),
        ("दो और दो कितने होते हैं?", "hi"),
        ("Πόσο κάνει δύο και δύο;", "el"),
        ("二たす二はいくつですか？", "ja"),
        ("2 더하기 2는 얼마인가요?", "ko"),
    ],
)
def test_prompts_in_many_languages_and_scripts(prompt: str, expected: str) -> None:
    assert detect_prompt_language(prompt) == expected


def test_a_prompt_without_prose_cannot_give_a_target() -> None:
    with pytest.raises(ItemError, match="language"):
        score_language(think(ENGLISH), target=None, prompt="$1/2 + 1/2 = ?$")
    with pytest.raises(ItemError, match="language"):
        score_language(think(ENGLISH), target=None, prompt=None)


@pytest.mark.parametrize("code", ["xx", "english", "", "zz-ZZ"])
def test_unknown_language_code_is_an_item_error_naming_the_field(code: str) -> None:
    with pytest.raises(ItemError, match=r"^unsupported `language` code") as error:
        score_language(think(ENGLISH), target=code, prompt=None)
    assert repr(code) in str(error.value)
    assert error.value.failure == "invalid_item"


@pytest.mark.parametrize(("code", "expected"), [("EN", "en"), ("zh-CN", "zh"), ("pt_BR", "pt"), ("no", "nb")])
def test_language_codes_with_regions_and_case_are_accepted(code: str, expected: str) -> None:
    assert normalize_language(code) == expected


def test_nothing_countable_scores_zero_with_a_reason() -> None:
    for completion in (think(""), think("$$x^2$$ 42 https://example.com"), "   "):
        result = score_language(completion, target="en", prompt=None)
        assert result.score == 0.0
        assert "nothing countable" in result.details["reason"]


def test_only_the_think_block_is_scored_when_there_is_one() -> None:
    completion = f"<think>{ENGLISH}</think><answer>{CHINESE}</answer>"
    assert share(completion, "en") == 1.0
    whole = score_language(ENGLISH + CHINESE, target="en", prompt=None)
    assert whole.details["scored"] == "completion"
    assert 0.0 < whole.score < 1.0


def test_japanese_is_told_from_chinese_by_its_kana() -> None:
    japanese = "まず、問題が何を求めているかを書き出します。したがって、答えは二つの根の和になるはずです。"
    assert share(think(japanese), "ja") == 1.0
    assert share(think(japanese), "zh") == 0.0
    assert share(think("먼저 문제가 무엇을 요구하는지 적어 보겠습니다."), "ko") == 1.0


def test_function_word_fast_path_agrees_with_the_labels() -> None:
    decided = 0
    for language, clause in labelled_clauses():
        for _, words in read_prose(clause).clauses:
            found = marker_language(words)
            if found is not None:
                decided += 1
                assert found == language, clause
    assert decided >= 60  # the fast path must carry most clauses, or it is no fast path


def test_clauses_are_placed_right_at_least_as_often_as_lingua_alone() -> None:
    rows = [
        (lang, clause) for lang, clause in labelled_clauses() if lang in ("en", "fr", "de", "es", "pt", "it")
    ]
    right = 0
    for language, clause in rows:
        clauses = read_prose(clause).clauses
        labels = [label.language for label in label_clauses(clauses, "en")]
        right += labels == [language] * len(labels)
    assert right / len(rows) >= 0.95  # lingua restricted to the same six languages: 131/135 (0.97)


def test_scores_in_a_pool_worker_forked_after_the_parent_used_lingua() -> None:
    # The module fixture already warmed this process up. Preloading lingua models uses rayon's
    # thread pool, which does not survive fork: a forked worker that preloads again hangs. The
    # reward loads its models lazily instead, so a worker forked from a warm parent still scores.
    completion = think("We compute the sum. 我们计算。")
    with ProcessPool(max_workers=1, initializer=warm_up) as pool:
        result = pool.schedule(
            score_language, args=(completion,), kwargs={"target": "en", "prompt": None}
        ).result(timeout=120)
    assert isinstance(result, ComponentScore)
    assert result.score == 0.5
    assert pickle.loads(pickle.dumps(result)) == result


def test_the_language_reward_through_the_score_api(client: TestClient) -> None:
    mixed = think("We compute the sum. 我们计算。")
    body = {
        "items": [
            {"id": "en", "completion": think(ENGLISH), "language": "en"},
            {"id": "mixed", "completion": mixed, "language": "en"},
            {"id": "from-prompt", "prompt": "请计算 1+1 的值。", "completion": think(CHINESE)},
            {"id": "bad-code", "completion": think(ENGLISH), "language": "xx"},
            {"id": "no-target", "completion": think(ENGLISH)},
        ],
        "rewards": {"language": 1.0},
    }
    response = client.post("/v1/score", json=body)
    assert response.status_code == 200
    results = {result["id"]: result for result in response.json()["results"]}
    assert results["en"]["reward"] == 1.0
    assert results["mixed"]["scores"]["language"] == 0.5
    assert results["mixed"]["details"]["language"]["units"] == {"en": 4, "zh": 4}
    assert results["from-prompt"]["details"]["language"]["target"] == "zh"
    assert results["from-prompt"]["reward"] == 1.0
    assert results["bad-code"]["reward"] is None
    assert results["bad-code"]["error"].startswith("language: unsupported `language` code 'xx'")
    assert results["no-target"]["error"].startswith("language: no target language")


async def test_only_the_item_that_overruns_its_budget_fails() -> None:
    # Twenty thousand clauses no fast path can place: each goes to lingua, seconds in all. It
    # travels in a chunk with three fast items (25 items, 2 workers: chunks of 4), which must
    # still be scored when the chunk overruns.
    slow = think("Calculons rapidement maintenant. " * 20_000)
    items = [ScoreItem(completion=think(ENGLISH), language="en") for _ in range(24)]
    items.insert(5, ScoreItem(completion=slow, language="fr"))
    pool = CpuPool(2, initializers=(warm_up,))
    try:
        results = await LanguageComponent(pool, timeout_s=0.5).score(items)
    finally:
        pool.close()
    assert isinstance(results[5], ItemError)
    assert "budget" in results[5].message
    assert results[5].as_details() == {"failure": "timeout", "budget_s": 0.5}
    others = [result for index, result in enumerate(results) if index != 5]
    assert all(isinstance(result, ComponentScore) and result.score == 1.0 for result in others)


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=400), target=st.sampled_from(["en", "zh", "fr", "ru", "ja", "nl"]))
def test_any_text_scores_in_zero_one_with_json_details(text: str, target: str) -> None:
    result = score_language(text, target=target, prompt=None)
    assert 0.0 <= result.score <= 1.0
    assert json.loads(json.dumps(result.details)) == result.details
    assert all(count > 0 for count in result.details["units"].values())
