"""The language reward on what real reasoning text holds (issue 14): math written with letters,
code without fences, short formulaic text, and languages that share a script."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from reward_server.cpu_pool import CpuPool
from reward_server.rewards.base import ComponentScore
from reward_server.rewards.language import LanguageComponent, score_language, warm_up
from reward_server.rewards.language.code_lines import is_code, strip_code_lines
from reward_server.rewards.language.prose import read_prose
from reward_server.schemas import ScoreItem


def think(text: str) -> str:
    return f"<think>{text}</think>\n<answer>42</answer>"


def scored(text: str, target: str) -> tuple[float, dict]:
    result = score_language(think(text), target=target, prompt=None)
    return result.score, result.details


@pytest.fixture(scope="module", autouse=True)
def detectors() -> None:
    warm_up(prompt_detection=False)


# --- math symbols are words of no language ----------------------------------------------------
@pytest.mark.parametrize(
    ("text", "target"),
    [
        # The examples (0.79, 0.88 and English words in Chinese on main).
        ("The angle θ satisfies sin θ = 1/2 and θ is acute, so θ = 30°.", "en"),
        ("设角 α 满足 sin α = 1/2，且 α 为锐角，所以 α = 30°。", "zh"),
        ("在三角形ABC中，AB=AC，所以角B等于角C。", "zh"),
        # More of each kind: Greek variables with powers, labels in other scripts and languages,
        # function names glued to CJK or with brackets, Russian notation.
        ("Let φ be the golden ratio; then φ² = φ + 1 and φ is irrational.", "en"),
        ("Since ∠ABC = 90°, triangle ABC is right-angled at B, so AC² = AB² + BC².", "en"),
        ("Using log base 2, we get log 8 = 3 and ln e = 1.", "en"),
        ("对两边取log，得到 log x = 3，所以 x = 1000。", "zh"),
        ("由 Δ = b² - 4ac > 0 知方程有两个实根。", "zh"),
        ("令 f(x) = sin x + cos x，则 f'(x) = cos x - sin x。", "zh"),
        ("三角形ABCにおいて、AB=ACであるから、底角は等しい。", "ja"),
        ("Soit ABC un triangle isocèle en A, alors AB = AC et les angles sont égaux.", "fr"),
        ("Пусть α — острый угол, тогда cos α = 0,5 и α = 60°.", "ru"),
        ("В треугольнике АВС стороны АВ и ВС равны, значит углы А и С равны.", "ru"),
        ("Sea θ el ángulo; entonces sen θ = 1/2 y tg θ es positivo, sin embargo θ es agudo.", "es"),
    ],
)
def test_math_symbols_count_on_neither_side(text: str, target: str) -> None:
    score, details = scored(text, target)
    assert score == 1.0, details
    assert set(details["units"]) == {target}


def test_what_the_symbols_were_is_reported() -> None:
    _, details = scored("The angle θ satisfies sin θ = 1/2 and θ is acute.", "en")
    assert details["excluded"]["symbols"] == 3
    assert details["excluded"]["function_names"] == 1
    _, details = scored("在三角形ABC中，AB=AC，所以角B等于角C。", "zh")
    assert details["excluded"]["labels"] == 3


def test_words_that_look_like_math_are_still_words() -> None:
    # "sin" is Spanish for "without" unless an argument follows; capitals are words when a whole
    # sentence is written in them; a two-letter word is a word.
    assert read_prose("sin embargo, no es tan grande").clauses == [
        ("Latn", ["sin", "embargo", "no", "es", "tan", "grande"])
    ]
    assert read_prose("THE ANSWER IS FIVE").clauses == [("Latn", ["the", "answer", "is", "five"])]
    # Off-target prose around the math still counts against the target.
    score, details = scored("设 x 为正数。THE ANSWER IS FIVE, so we are done.", "zh")
    assert details["units"] == {"Latn": 8, "zh": 4}
    assert score == pytest.approx(4 / 12)


# --- code without fences ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "我们可以写一个函数：\ndef calculate(x): return x * 2\n然后调用它验证结果。",  # the issue's
        "我们可以写一个函数 def calculate(x): return x * 2 来验证。",
        "用代码验证：\nfor i in range(1, 11):\n    s += i\nprint(s)\n结果是55。",
        "用C++写：int main() { cout << 42; return 0; }，输出42。",
        "用JavaScript：const total = nums.reduce((a, b) => a + b, 0); 得到总和。",
        "我们运行 print(sum(range(11))) 得到 55。",
        "先导入库：\nimport numpy as np\nresult = np.sqrt(16)\n所以结果是4。",
    ],
)
def test_unfenced_code_is_left_out_like_fenced_code(text: str) -> None:
    score, details = scored(text, "zh")
    assert score == 1.0, details
    assert details["excluded"]["code_lines"] >= 1


def test_a_block_body_goes_with_its_header() -> None:
    text, removed = strip_code_lines("def f(n):\n    total = 0\n    return total\nSo f works.")
    assert removed == 3
    assert text.strip() == "So f works."


@pytest.mark.parametrize(
    "prose",
    [
        "Let me define the function calculate(x) that doubles x.",
        "We have f(x) = 2x, g(x) = x^2",
        "In this case:",
        "If x is even: we're done",
        "The function(s) we need are here.",
        "Let me check: is 5 == 5?",
        "Return to step 2: check the sum.",
    ],
)
def test_prose_about_code_and_math_is_not_code(prose: str) -> None:
    assert not is_code(prose)


def test_english_prose_in_a_chinese_chain_of_thought_still_counts() -> None:
    score, details = scored("我们先算一下。We call calculate(x) once, then check the result.", "zh")
    assert details["units"] == {"Latn": 8, "zh": 6}
    assert score == pytest.approx(6 / 14)


# --- short and formulaic text -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "target"),
    [
        ("Calculate: 2 + 2 = 4, then 4 * 3 = 12", "en"),  # the (0.5 on main)
        ("Step 1: 3 + 5 = 8. Step 2: 8 × 2 = 16. Answer: 16", "en"),
        ("Check: 12 / 4 = 3. Done.", "en"),
        ("Total: 5 + 7 = 12", "en"),
        ("Compute: 3 × 4 = 12, so 12 + 1 = 13.", "en"),
        ("OK, 2 + 2 = 4.", "en"),
        ("Calcul : 2 + 2 = 4, puis 4 × 3 = 12", "fr"),
        ("Rechnung: 2 + 2 = 4, dann 4 · 3 = 12", "de"),
    ],
)
def test_short_formulaic_text_is_not_counted_against_the_target(text: str, target: str) -> None:
    score, details = scored(text, target)
    assert score == 1.0, details


def test_uncertain_words_are_reported_with_where_they_were_counted() -> None:
    _, details = scored("Total: 5 + 7 = 12", "en")
    assert details["uncertain"] == [{"clause": "total", "best_guess": "es", "counted_as": "en"}]
    assert details["evidence"] == {"uncertain": 1}
    _, details = scored("Calculate: 2 + 2 = 4, then 4 * 3 = 12", "en")
    assert details["evidence"] == {"text": 2}  # judged together, lingua is sure


def test_a_short_word_lingua_places_elsewhere_still_counts_against() -> None:
    # "Ergebnis" is German at 0.99: certain, so it is no uncertain word.
    score, details = scored("Ergebnis: 2 + 2 = 4", "en")
    assert score == 0.0
    assert details["units"] == {"de": 1}


# --- languages sharing a script ---------------------------------------------------------------
UKRAINIAN = "Спочатку знайдемо корені рівняння. Тоді сума коренів дорівнює п'яти, і це відповідь."
RUSSIAN = "Сначала найдём корни уравнения. Тогда сумма корней равна пяти, и это ответ."
BULGARIAN = "Първо намираме корените на уравнението. Тогава сумата на корените е пет."
SERBIAN = "Прво налазимо корене једначине. Онда је збир корена пет."
JAPANESE_KANJI = "判別式計算結果正。従実数解二個存在。"
JAPANESE = "まず方程式の解を求める。次に判別式を計算する。"
CHINESE = "首先求方程的根。然后计算判别式。"


@pytest.mark.parametrize(
    ("text", "target", "expected"),
    [
        (UKRAINIAN, "ru", 0.0),  # the issue's: 1.0 on main
        (RUSSIAN, "ru", 1.0),
        (RUSSIAN, "uk", 0.0),
        (UKRAINIAN, "uk", 1.0),
        (BULGARIAN, "ru", 0.0),
        (SERBIAN, "ru", 0.0),
        (JAPANESE_KANJI, "zh", 0.0),  # Japanese mostly in kanji
        (JAPANESE, "zh", 0.0),
        (CHINESE, "ja", 0.0),
        (CHINESE, "zh", 1.0),
        ("Primeiro, vamos calcular a soma dos dois números.", "es", 0.0),
        ("Eerst berekenen we de som van de twee getallen.", "de", 0.0),
    ],
)
def test_languages_sharing_a_script_are_told_apart(text: str, target: str, expected: float) -> None:
    score, details = scored(text, target)
    assert score == expected, details


def test_drift_within_a_script_scores_in_proportion() -> None:
    score, details = scored(RUSSIAN + " " + UKRAINIAN, "ru")
    assert details["units"] == {"ru": 11, "uk": 11}
    assert score == 0.5
    # A Chinese chain of thought with one Japanese sentence, sentence by sentence.
    score, details = scored("首先求方程的根。次に判別式を計算する。", "zh")
    assert details["units"] == {"zh": 7, "ja": 10}
    assert score == pytest.approx(7 / 17)


# --- prefilled <think> ------------------------------------------------------------------------
def test_a_prefilled_think_block_is_judged_as_the_chain_of_thought(client: TestClient) -> None:
    # The completion starts inside the block the prompt opened; the answer after it is no part
    # of the chain of thought.
    completion = "First, 2 plus 2 equals 4, so the sum is four.\n</think>\n<answer>答案是四</answer>"
    items = [
        {
            "id": "prefilled",
            "prompt": "What is 2 + 2?\n<think>\n",
            "completion": completion,
            "language": "en",
        },
        {"id": "plain", "prompt": "What is 2 + 2?", "completion": completion, "language": "en"},
    ]
    response = client.post("/v1/score", json={"items": items, "rewards": {"language": 1.0}})
    assert response.status_code == 200, response.text
    results = {result["id"]: result for result in response.json()["results"]}
    assert results["prefilled"]["reward"] == 1.0, results["prefilled"]
    assert results["prefilled"]["details"]["language"]["scored"] == "think"
    assert results["plain"]["details"]["language"]["scored"] == "completion"
    assert results["plain"]["reward"] < 1.0


async def test_a_new_target_loads_its_models_outside_the_item_budget() -> None:
    # Norwegian brings Danish, Swedish and Nynorsk models no worker loads at start: seconds of
    # loading that, charged to the first item, would exceed its budget in every fresh worker.
    norwegian = "Først regner vi ut summen av de to tallene. Deretter sjekker vi svaret en gang til."
    items = [ScoreItem(completion=think(norwegian), language="nb") for _ in range(4)]
    items.append(ScoreItem(completion=think(UKRAINIAN), language="uk"))
    pool = CpuPool(2, initializers=(warm_up,))
    try:
        results = await LanguageComponent(pool, timeout_s=1.0).score(items)
    finally:
        pool.close()
    assert all(isinstance(result, ComponentScore) for result in results), results
    assert [result.score for result in results] == [1.0] * 5  # type: ignore[union-attr]
