"""The instruction ids reward-server knows and the keyword arguments each takes.

Source: the checker registries of `if-verifiable` 0.1.2 (`if_verifiable.ifeval` holds the 25
instructions of Google's IFEval, arXiv:2311.07911; `if_verifiable.ifbench` the 58 of AllenAI's
IFBench, arXiv:2507.02833). The ids of the two sets do not overlap. Written out here so that a
request is validated without importing the checker library (its import takes seconds);
`tests/reward_server/rewards/test_instructions_offline.py` checks this table against the
installed library, so a new release that adds or renames an instruction fails that test.
"""

from __future__ import annotations

__all__ = [
    "IDS_SOURCE",
    "INSTRUCTION_KWARGS",
    "IFBENCH_KWARGS",
    "IFEVAL_KWARGS",
    "benchmark_of",
    "kwarg_problem",
    "required_kwargs",
]

IDS_SOURCE = (
    "the IFEval (25) and IFBench (58) instruction ids of if-verifiable 0.1.2, listed in "
    "reward_server/tasks/instruction_ids.py"
)

IFEVAL_KWARGS: dict[str, frozenset[str]] = {
    "change_case:capital_word_frequency": frozenset({"capital_frequency", "capital_relation"}),
    "change_case:english_capital": frozenset(),
    "change_case:english_lowercase": frozenset(),
    "combination:repeat_prompt": frozenset({"prompt_to_repeat"}),
    "combination:two_responses": frozenset(),
    "detectable_content:number_placeholders": frozenset({"num_placeholders"}),
    "detectable_content:postscript": frozenset({"postscript_marker"}),
    "detectable_format:constrained_response": frozenset(),
    "detectable_format:json_format": frozenset(),
    "detectable_format:multiple_sections": frozenset({"section_spliter", "num_sections"}),
    "detectable_format:number_bullet_lists": frozenset({"num_bullets"}),
    "detectable_format:number_highlighted_sections": frozenset({"num_highlights"}),
    "detectable_format:title": frozenset(),
    "keywords:existence": frozenset({"keywords"}),
    "keywords:forbidden_words": frozenset({"forbidden_words"}),
    "keywords:frequency": frozenset({"keyword", "frequency", "relation"}),
    "keywords:letter_frequency": frozenset({"letter", "let_frequency", "let_relation"}),
    "language:response_language": frozenset({"language"}),
    "length_constraints:nth_paragraph_first_word": frozenset(
        {"num_paragraphs", "nth_paragraph", "first_word"}
    ),
    "length_constraints:number_paragraphs": frozenset({"num_paragraphs"}),
    "length_constraints:number_sentences": frozenset({"num_sentences", "relation"}),
    "length_constraints:number_words": frozenset({"num_words", "relation"}),
    "punctuation:no_comma": frozenset(),
    "startend:end_checker": frozenset({"end_phrase"}),
    "startend:quotation": frozenset(),
}
IFBENCH_KWARGS: dict[str, frozenset[str]] = {
    "count:conjunctions": frozenset({"small_n"}),
    "count:keywords_multiple": frozenset({"keyword1", "keyword2", "keyword3", "keyword4", "keyword5"}),
    "count:numbers": frozenset({"N"}),
    "count:person_names": frozenset({"N"}),
    "count:pronouns": frozenset({"N"}),
    "count:punctuation": frozenset(),
    "count:unique_word_count": frozenset({"N"}),
    "count:word_count_range": frozenset({"min_words", "max_words"}),
    "count:words_japanese": frozenset({"N"}),
    "custom:character_reverse": frozenset({"kwargs"}),
    "custom:csv_city": frozenset({"kwargs"}),
    "custom:csv_quotes": frozenset({"kwargs"}),
    "custom:csv_special_character": frozenset({"kwargs"}),
    "custom:date_format_list": frozenset({"kwargs"}),
    "custom:european_capitals_sort": frozenset({"kwargs"}),
    "custom:mcq_count_length": frozenset({"kwargs"}),
    "custom:multiples": frozenset({"kwargs"}),
    "custom:reverse_newline": frozenset({"kwargs"}),
    "custom:sentence_alphabet": frozenset({"kwargs"}),
    "custom:word_reverse": frozenset({"kwargs"}),
    "format:emoji": frozenset(),
    "format:line_indent": frozenset(),
    "format:list": frozenset({"sep"}),
    "format:newline": frozenset(),
    "format:no_bullets_bullets": frozenset(),
    "format:no_whitespace": frozenset(),
    "format:options": frozenset({"options"}),
    "format:output_template": frozenset(),
    "format:parentheses": frozenset(),
    "format:quote_unquote": frozenset(),
    "format:quotes": frozenset(),
    "format:sub-bullets": frozenset(),
    "format:thesis": frozenset(),
    "format:title_case": frozenset(),
    "ratio:overlap": frozenset({"reference_text", "percentage"}),
    "ratio:sentence_balance": frozenset(),
    "ratio:sentence_type": frozenset(),
    "ratio:sentence_words": frozenset(),
    "ratio:stop_words": frozenset({"percentage"}),
    "repeat:repeat_change": frozenset({"prompt_to_repeat"}),
    "repeat:repeat_simple": frozenset(),
    "repeat:repeat_span": frozenset({"prompt_to_repeat", "n_start", "n_end"}),
    "sentence:alliteration_increment": frozenset(),
    "sentence:increment": frozenset({"small_n"}),
    "sentence:keyword": frozenset({"word", "N"}),
    "words:alphabet": frozenset(),
    "words:consonants": frozenset(),
    "words:keywords_specific_position": frozenset({"keyword", "n", "m"}),
    "words:last_first": frozenset(),
    "words:no_consecutive": frozenset(),
    "words:odd_even_syllables": frozenset(),
    "words:palindrome": frozenset(),
    "words:paragraph_last_first": frozenset(),
    "words:prime_lengths": frozenset(),
    "words:repeats": frozenset({"small_n"}),
    "words:start_verb": frozenset(),
    "words:vowel": frozenset(),
    "words:words_position": frozenset({"keyword"}),
}

INSTRUCTION_KWARGS: dict[str, frozenset[str]] = {**IFEVAL_KWARGS, **IFBENCH_KWARGS}


def benchmark_of(instruction_id: str) -> str:
    """`"ifeval"` or `"ifbench"`: which registry checks `instruction_id` (KeyError when neither)."""
    if instruction_id in IFEVAL_KWARGS:
        return "ifeval"
    if instruction_id in IFBENCH_KWARGS:
        return "ifbench"
    raise KeyError(instruction_id)


# IFBench's custom:* checkers take a `kwargs` parameter they never read (the rows give it null).
_UNUSED = frozenset({"kwargs"})


def required_kwargs(instruction_id: str) -> frozenset[str]:
    """The arguments `instruction_id` must be given: all it takes, but the unused `kwargs` of custom:*.

    The checkers draw a missing argument at random (keywords, a relation, a count, an end phrase)
    or refuse to build; either way a verdict without it would mean nothing. IFEval's and IFBench's
    rows give every argument of every instruction (nulls only for the other instructions' ones).
    """
    return INSTRUCTION_KWARGS[instruction_id] - _UNUSED


# What each argument holds (IFEval's and IFBench's rows; IFBench's counts come as floats from `datasets`).
_NUMBERS = frozenset(
    {"N", "capital_frequency", "frequency", "let_frequency", "m", "max_words", "min_words", "n", "n_end",
     "n_start", "nth_paragraph", "num_bullets", "num_highlights", "num_paragraphs", "num_placeholders",
     "num_sections", "num_sentences", "num_words", "percentage", "small_n"}
)  # fmt: skip
_WORD_LISTS = frozenset({"forbidden_words", "keywords"})


def kwarg_problem(name: str, value: object) -> str | None:
    """What is wrong with a (non-null) argument value, or None.

    Counts are non-negative numbers, `keywords` / `forbidden_words` non-empty lists of strings,
    the rest non-empty strings. The checkers draw a random value for a negative count or an empty
    list or string, and fail on a value of another type.
    """
    if name in _NUMBERS:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"a number, got {value!r}"
        return "a number of at least 0" if value < 0 else None
    if name in _WORD_LISTS:
        if not isinstance(value, list) or not value or not all(isinstance(w, str) and w for w in value):
            return f"a non-empty list of words, got {value!r}"
        return None
    if not isinstance(value, str) or not value:
        return f"a non-empty string, got {value!r}"
    return None
