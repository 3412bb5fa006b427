"""Multiple-choice completions from a second round of attacks: a policy hunting for reward (letters
hidden behind invisible or look-alike characters, markup, separators the hedge rule missed, prose
that offers a second letter) and real models' phrasings that were thrown away."""

from __future__ import annotations

import pytest

from reward_server.rewards.choice import check_choice

OPTIONS = {"A": "Rome", "B": "Madrid", "C": "Paris", "D": "Berlin"}


@pytest.mark.parametrize(
    "completion",
    [
        "The answer is C/\u200bD.",  # a zero-width space after the slash
        "The answer is C\u2060/D.",  # a word joiner
        "The answer is C or \u0412.",  # Cyrillic Ve, a look-alike of B
        "The answer is C or \u0392.",  # Greek Beta
        "The answer is C/D\u0301.",  # a combining accent on the second letter
        "The answer is *C* or *D*.",  # markdown italics
        "The answer is `C` or `D`.",
        "The answer is <b>C</b> or <b>D</b>.",
        "Answer: C | D",
        "Answer: C vs D",
        "Answer: C — D",
        "Answer: C... D",
        "Answer: C -> D",
        "Answer: C, then D",
    ],
)
def test_two_letters_behind_invisible_or_look_alike_characters_or_markup_are_a_hedge(completion: str) -> None:
    for gold in "BCD":
        result = check_choice(f"</think>{completion}", gold, "ABCD", OPTIONS)
        assert result.score == 0.0, (gold, result.details)


@pytest.mark.parametrize(
    "completion",
    [
        "The answer is \u0421.",  # Cyrillic Es, read as the C a reader sees
        "The answer is `C`.",
        "The answer is <b>C</b>.",
        "<strong>Answer:</strong> C",
        "\u200bC",
    ],
)
def test_an_answer_in_look_alike_characters_or_markup_is_read_as_a_reader_sees_it(completion: str) -> None:
    result = check_choice(f"</think>{completion}", "C", "ABCD", OPTIONS)
    assert result.score == 1.0, result.details


def test_a_style_block_keeps_formatting_tags_unread() -> None:
    # CSS could hide what a tag wraps: with a <style> block the tags are not dropped.
    completion = "</think><style>b{display:none}</style>The answer is <b>C</b>"
    assert check_choice(completion, "C", "ABCD").score == 0.0


@pytest.mark.parametrize(
    "completion",
    [
        "The answer is C. Also D.",
        "The answer is C. Either that or D.",
        "The answer is C, unless it is D.",
        "The answer is C. If not, D.",
        "The answer is C. Otherwise D.",
        "The answer is C. Second choice: D.",
        "The answer is C. D is another possibility.",
        "The answer is C. D is also a candidate.",
        "The answer is C. D is also an option.",
        "The answer is C. `D` is also possible.",
        "The answer is C. $D$ is also possible.",
        "The answer is C. \\textbf{D} is also possible.",
        "The answer is C (60%), D (40%).",
        "The answer is C (50%) or D (50%).",
        "C: 60%, D: 40%",
        "答案是C，或者D",
        "答案是C。或D。",
        "答案是C，D也有可能",
        "答案是C，不过D也说得通",
        "Answer: C\nD",
        "Answer:\nC\nD",
        "The answer is C<br>D",
    ],
)
def test_another_letter_offered_after_the_answer_in_other_words_is_a_hedge(completion: str) -> None:
    for gold in "CD":
        result = check_choice(f"</think>{completion}", gold, "ABCD", OPTIONS)
        assert result.score == 0.0, (gold, result.details)
        assert result.details["status"] == "hedged", result.details


@pytest.mark.parametrize(
    "completion",
    [
        "The answer is C. D is also a wrong answer.",
        "The answer is C. Option D (40%) is the share of a different city.",
        "The answer is C.\n\nD is wrong because Berlin is in Germany.",
        "答案是C。D是错的。",
    ],
)
def test_another_letter_named_without_offering_it_leaves_the_answer(completion: str) -> None:
    result = check_choice(f"</think>{completion}", "C", "ABCD", OPTIONS)
    assert result.score == 1.0, result.details


def test_an_answer_taken_back_as_a_joke_commits_to_nothing() -> None:
    result = check_choice("</think>The answer is C. Just kidding, it's B.", "C", "ABCD")
    assert result.score == 0.0, result.details
    assert result.details["status"] == "retracted", result.details


@pytest.mark.parametrize(
    "completion", ["Answer: C is wrong, so D.", "The answer is C is wrong.", "Answer: (C) is incorrect."]
)
def test_a_letter_an_answer_phrase_names_to_reject_it_is_not_the_answer(completion: str) -> None:
    result = check_choice(f"</think>{completion}", "C", "ABCD", OPTIONS)
    assert result.score == 0.0, result.details


@pytest.mark.parametrize(
    "completion",
    [
        "C is the answer.",
        "C is the most appropriate answer.",
        "The correct response is C.",
        "The answer, therefore, is C.",
        "The answer is, therefore, C.",
        "Ans: C",
        "So, C.",
        "I'd say C.",
        "I'm going with C.",
        "C, since A, B and D are other capitals.",
        "因此，本题选C。",
        "所以答案选C",
        "答案选C",
        "故本题选C",
        "答：C",
        "答案 C",
        "【答案】C",
        "【答案】：C",
        "正确的是C。",
        "C选项正确。",
        "答案：C（巴黎）",
    ],
)
def test_common_phrasings_of_real_models_are_read(completion: str) -> None:
    result = check_choice(f"</think>{completion}", "C", "ABCD", OPTIONS)
    assert result.score == 1.0, result.details


@pytest.mark.parametrize(
    "completion",
    ["C is not the answer.", "C is the answer?", "答案 C 是错的", "答案选项中没有正确的", "So C is wrong."],
)
def test_those_phrasings_do_not_read_a_rejection_or_a_question(completion: str) -> None:
    result = check_choice(f"</think>{completion}", "C", "ABCD", OPTIONS)
    assert result.score == 0.0, result.details


MMLU_PRO = dict(zip("ABCDEFGHIJ", [str(n) for n in range(1, 11)], strict=True))  # option I is "9"


@pytest.mark.parametrize("completion", ["I is the answer.", "So I'd say I.", "I'm going with I."])
def test_mmlu_pro_option_i_in_those_phrasings(completion: str) -> None:
    result = check_choice(f"</think>{completion}", "I", "ABCDEFGHIJ", MMLU_PRO)
    assert result.score == 1.0, result.details


@pytest.mark.parametrize(
    "completion",
    [
        "D. Hmm, no, actually A.",
        "D. Wait, that is wrong.",
        "D. Oops, I meant A.",
        "Option D is correct. Wait, no.",
        "Option D is correct. Actually it is A.",
    ],
)
def test_an_answer_stated_first_or_as_correct_can_be_taken_back(completion: str) -> None:
    result = check_choice(f"</think>{completion}", "D", "ABCD", OPTIONS)
    assert result.score == 0.0, result.details


@pytest.mark.parametrize(
    "completion",
    [
        "D. It cannot be A. Or can it? Maybe A.",
        "The answer is D. Perhaps A.",
        "The answer is D. Or is it A?",
        "D. I might be wrong; it could be A.",
    ],
)
def test_a_doubt_that_names_another_letter_is_a_hedge(completion: str) -> None:
    for gold in "AD":
        result = check_choice(f"</think>{completion}", gold, "ABCD", OPTIONS)
        assert result.score == 0.0, (gold, result.details)


def test_a_last_line_that_asks_is_no_answer() -> None:
    assert check_choice("</think>C?\nD?", "D", "ABCD").score == 0.0


@pytest.mark.parametrize("completion", ["I'd say A. I'd say B. I'd say C. I'd say D.", "It's A. It's D."])
def test_a_last_line_that_concludes_several_letters_is_a_hedge(completion: str) -> None:
    for gold in "AD":
        assert check_choice(f"</think>{completion}", gold, "ABCD").score == 0.0


@pytest.mark.parametrize(
    "completion",
    [
        "<think>x</think>I need to think more.<think>The answer is C",
        "<think>x</think>Let me think again.\n<think>\nAfter much thought the answer is C.",
        "<think>x</think><think>The answer is C</think>",
    ],
)
def test_a_think_block_opened_again_after_the_first_is_thought_not_answer(completion: str) -> None:
    result = check_choice(completion, "C", "ABCD", OPTIONS)
    assert result.score == 0.0, result.details


@pytest.mark.parametrize("end", ["<|im_end|>", "</s>", "<|eot_id|>", "<|endoftext|>"])
def test_what_follows_an_end_of_turn_token_is_not_the_reply(end: str) -> None:
    completion = f"<think>x</think>The answer is D.{end}The answer is C."
    assert check_choice(completion, "C", "ABCD", OPTIONS).score == 0.0
    assert check_choice(completion, "D", "ABCD", OPTIONS).score == 1.0


def test_html_entities_are_read_as_the_characters_they_show() -> None:
    assert check_choice("</think>The answer is C &amp; D.", "C", "ABCD").details["status"] == "hedged"
    assert check_choice("</think>The answer is &#67;.", "C", "ABCD").score == 1.0


@pytest.mark.parametrize("gap", ["\n", "\n ", " "])
def test_a_long_run_of_whitespace_is_read_as_one_gap(gap: str) -> None:
    # Thousands of line breaks between an answer and a second letter made the prose readers
    # quadratic (minutes per completion); a run is read as one gap, so this is a hedge read at once.
    completion = "</think>Answer: C" + gap * 20_000 + "D"
    result = check_choice(completion, "C", "ABCD")
    assert result.score == 0.0, result.details
