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
