"""Checking one response against its instructions, in a CPU-pool worker.

The checkers are if-verifiable's (IFEval's and IFBench's, see `registry`); this module runs them
the way the benchmarks' evaluation code does (`evaluation_lib.test_instruction_following_strict`
and `_loose` in google-research `instruction_following_eval` and AllenAI's IFBench):

- each instruction is built with its arguments (nulls dropped), then with the prompt when its
  arguments name one;
- strict: followed when the response is not blank and `check_following(response)` is true;
- loose: followed when any of eight variants passes: the response, with its first line removed,
  its last line removed, both removed, and each of those four with every `*` removed.
"""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from typing import Any, Literal

from reward_server.rewards.base import ComponentScore, Failure, ItemError
from reward_server.rewards.instructions.nltk_data import (
    MISSING_DATA_HINT,
    english_sentence_tokenizer,
    install_offline_nltk,
)
from reward_server.tasks.instruction_ids import benchmark_of

__all__ = ["InstructionRequest", "check_instruction_batch", "check_instructions", "load_checkers", "variants"]


def warm_up_instructions() -> None:
    """Pool-worker initializer: import the checkers before the first task (seconds, not an item's budget)."""
    load_checkers()


Mode = Literal["strict", "loose"]

_VARIANT_NAMES = (
    "as written",
    "asterisks removed",
    "first line removed",
    "last line removed",
    "first and last lines removed",
    "first line and asterisks removed",
    "last line and asterisks removed",
    "first and last lines and asterisks removed",
)


@dataclass(frozen=True, slots=True)
class InstructionRequest:
    """One item to check: `answer` is the final answer (the think block already cut off)."""

    answer: str
    instruction_ids: tuple[str, ...]
    kwargs: tuple[dict[str, Any], ...]
    prompt: str | None
    mode: Mode
    all_or_nothing: bool


def variants(response: str) -> list[str]:
    """The eight responses loose mode tries, in the benchmarks' order (see `_VARIANT_NAMES`)."""
    lines = response.split("\n")
    first = "\n".join(lines[1:]).strip()
    last = "\n".join(lines[:-1]).strip()
    both = "\n".join(lines[1:-1]).strip()
    return [response, response.replace("*", ""), first, last, both] + [
        text.replace("*", "") for text in (first, last, both)
    ]


_registries: dict[str, dict[str, Any]] = {}


def load_checkers() -> None:
    """Import the checker library with NLTK kept offline; idempotent (a worker warm-up)."""
    if _registries:
        return
    install_offline_nltk()
    if "if_verifiable" not in sys.modules:
        # The package's __init__ imports its benchmark loader (datasets, pyarrow, pandas: seconds and
        # ~100 MB per worker) that scoring never uses; the checker modules need none of it.
        spec = importlib.util.find_spec("if_verifiable")
        if spec is None:
            raise ItemError("the checker library is not installed: pip install 'reward-server[instructions]'")
        sys.modules["if_verifiable"] = importlib.util.module_from_spec(spec)
    from if_verifiable.ifbench import instructions_util as ifbench_util
    from if_verifiable.ifbench.instructions_registry import INSTRUCTION_DICT as IFBENCH
    from if_verifiable.ifeval import instructions_util as ifeval_util
    from if_verifiable.ifeval.instructions_registry import INSTRUCTION_DICT as IFEVAL

    # Both load `punkt/english.pickle`, which NLTK >= 3.9 refuses to unpickle; the same English
    # model from punkt_tab files is what NLTK's own sent_tokenize uses now.
    for util in (ifeval_util, ifbench_util):
        util._get_sentence_tokenizer = english_sentence_tokenizer
    _registries.update(ifeval=IFEVAL, ifbench=IFBENCH)


def _build(instruction_id: str, arguments: dict[str, Any], prompt: str | None) -> tuple[Any, str]:
    checker = _registries[benchmark_of(instruction_id)][instruction_id](instruction_id)
    description = checker.build_description(**arguments)
    args = checker.get_instruction_args()
    if args and "prompt" in args:
        if prompt is None:
            raise ItemError(
                f"{instruction_id} checks the response against the prompt: give the item a prompt"
            )
        description = checker.build_description(prompt=prompt)
    return checker, str(description or "")


def _verdict(checker: Any, answer: str, mode: Mode) -> tuple[bool, str | None]:
    """(followed, the variant that passed in loose mode)."""
    if answer.strip() and checker.check_following(answer):
        return True, "as written"
    if mode == "loose":
        for name, text in zip(_VARIANT_NAMES[1:], variants(answer)[1:], strict=True):
            if text.strip() and checker.check_following(text):
                return True, name
    return False, None


def check_instructions(request: InstructionRequest) -> ComponentScore:
    """Score one response: fraction of instructions followed (or 1/0 with `all_or_nothing`).

    `details["instructions"]` lists `{"id", "followed", "instruction"}` per instruction, plus
    `"passed_as"` (which loose variant passed) or `"reason"` for one not followed. A checker
    that raises, or needs NLTK data that is not installed, raises `ItemError`.

    >>> check_instructions(InstructionRequest("No commas here.", ("punctuation:no_comma",), ({},),
    ...                                       None, "strict", False)).score
    1.0
    """
    load_checkers()
    verdicts: list[dict[str, Any]] = []
    for index, (instruction_id, arguments) in enumerate(
        zip(request.instruction_ids, request.kwargs, strict=True)
    ):
        try:
            checker, description = _build(instruction_id, arguments, request.prompt)
        except ItemError:
            raise
        except Exception as exc:  # noqa: BLE001 - the checker refused the item's arguments
            raise ItemError(
                f"kwargs[{index}]: the {instruction_id} checker refuses the arguments {arguments!r:.300}: "
                f"{type(exc).__name__}: {exc}"
            ) from None
        try:
            followed, passed_as = _verdict(checker, request.answer, request.mode)
        except LookupError as exc:
            if isinstance(exc, KeyError | IndexError):
                raise ItemError(
                    f"{instruction_id} checker failed: {type(exc).__name__}: {exc}",
                    failure=Failure.INTERNAL_ERROR,
                ) from None
            name = _missing_resource(str(exc))
            raise ItemError(
                f"{instruction_id} needs NLTK data {name!r}, which is not installed on this server: "
                + MISSING_DATA_HINT.format(name=name)
            ) from None
        except Exception as exc:  # noqa: BLE001 - the library's failure is this item's error
            raise ItemError(
                f"{instruction_id} checker failed: {type(exc).__name__}: {exc}",
                failure=Failure.INTERNAL_ERROR,
            ) from None
        verdict: dict[str, Any] = {"id": instruction_id, "followed": followed, "instruction": description}
        if followed and passed_as != "as written":
            verdict["passed_as"] = passed_as
        if not followed:
            verdict["reason"] = (
                "the answer is empty"
                if not request.answer.strip()
                else f"not followed in {request.mode} mode: {description}"
            )
        verdicts.append(verdict)
    followed_count = sum(v["followed"] for v in verdicts)
    total = len(verdicts)
    score = float(followed_count == total) if request.all_or_nothing else followed_count / total
    details = {
        "mode": request.mode,
        "followed": followed_count,
        "total": total,
        "all_or_nothing": request.all_or_nothing,
        "instructions": verdicts,
    }
    return ComponentScore(score, details)


def _missing_resource(message: str) -> str:
    for name in ("averaged_perceptron_tagger_eng", "stopwords", "punkt_tab", "punkt"):
        if name in message:
            return name
    return "unknown resource"


def check_instruction_batch(requests: list[InstructionRequest]) -> list[ComponentScore | ItemError]:
    """`check_instructions` over several items in one pool task; an item's ItemError is its result."""
    results: list[ComponentScore | ItemError] = []
    for request in requests:
        try:
            results.append(check_instructions(request))
        except ItemError as exc:
            results.append(exc)
    return results
