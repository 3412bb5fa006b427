"""The HTTP contract: request and response models of /v1/score."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from reward_server.reward_names import Weights


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: str
    content: str


class _Nullable(_Strict):
    """A task model that reads null as "not given".

    A `datasets` column of dicts whose rows differ in shape gives every row every key, the keys a
    row lacks set to None (``{"type": "math", "answer": "42", "language": None, "tests": None}``).
    So a null field is dropped before validation: an optional field takes its default, a field
    of another task type is ignored, and a null required field is still refused by name.
    """

    @model_validator(mode="before")
    @classmethod
    def _drop_nulls(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        fields = cls.model_fields
        return {k: v for k, v in data.items() if v is not None or (k in fields and fields[k].is_required())}


class NoTask(_Nullable):
    type: Literal["none"]


class MathTask(_Nullable):
    type: Literal["math"]
    answer: Annotated[str, Field(min_length=1, description="The gold answer, LaTeX or plain text.")]


class CodeTest(_Nullable):
    stdin: str = ""
    expected_stdout: str
    float_tolerance: Annotated[float, Field(ge=0)] | None = Field(
        default=None, description="This test's float tolerance (overrides the task's)."
    )


class CheckerProgram(_Nullable):
    """A special judge (testlib convention): run as `checker input.txt output.txt answer.txt`
    (the test's stdin, the program's output, the expected output); exit 0 accepts, 1 or 2
    rejects, anything else means the checker failed (the item gets an error)."""

    language: Annotated[str, Field(min_length=1, max_length=32, examples=["cpp", "python"])]
    code: Annotated[str, Field(min_length=1)]
    files: dict[str, str] = Field(
        default_factory=dict, description="Extra files for the checker, e.g. testlib.h."
    )

    @field_validator("language")
    @classmethod
    def _checker_language(cls, value: str) -> str:
        from sandboxes.languages import resolve_language

        lang = resolve_language(value)
        if lang is None or lang.name not in ("python", "cpp", "c"):
            raise ValueError(f"checker language {value!r} is not supported; use python, cpp or c")
        return value

    @field_validator("files")
    @classmethod
    def _relative_file_names(cls, value: dict[str, str]) -> dict[str, str]:
        from pathlib import PurePosixPath

        for name in value:
            parts = PurePosixPath(name).parts
            if not parts or name.startswith("/") or ".." in parts or "\0" in name:
                raise ValueError(f"file name {name!r} must be a relative path inside the workspace")
        return value


class CodeTask(_Nullable):
    """Run the completion's code: function-call tests (`test_code`, Python) or judge style (`tests`)."""

    type: Literal["code"]
    language: Annotated[str, Field(min_length=1, max_length=32, examples=["python", "cpp"])]
    test_code: str | None = Field(
        default=None,
        description=(
            "Python tests run by the judge against the code: HumanEval `check(candidate)` (with "
            "entry_point), MBPP top-level asserts, or pytest-style `test_*` functions importing "
            "from `solution`. They must run at least one assertion."
        ),
    )
    entry_point: str | None = Field(
        default=None, description="With test_code: `check(<entry_point>)` is called."
    )
    prompt_code: str | None = Field(
        default=None,
        description=(
            "HumanEval protocol: the completion continues this code (base-model style, the body "
            "only); the program is prompt_code + completion, taken as is."
        ),
    )
    tests: Annotated[list[CodeTest], Field(min_length=1)] | None = None
    time_limit_s: Annotated[float, Field(gt=0, le=60)] | None = Field(default=None, description="Per test.")
    memory_limit_mb: Annotated[int, Field(ge=16, le=8192)] | None = None
    stop_on_first_failure: bool = False
    float_tolerance: Annotated[float, Field(ge=0)] | None = None
    float_error: Literal["absolute_or_relative", "absolute", "relative"] = Field(
        default="absolute_or_relative",
        description="How float_tolerance applies: either error (testlib's doubleCompare), or one kind only.",
    )
    compare: Literal["lines", "tokens", "tokens_ignore_case", "exact"] = Field(
        default="lines",
        description=(
            "How outputs are compared: lines (trailing whitespace ignored), tokens (testlib wcmp), "
            "tokens_ignore_case, exact."
        ),
    )
    checker: CheckerProgram | None = Field(
        default=None, description="A special judge for tasks with several valid outputs."
    )
    reference_solution: Annotated[str, Field(min_length=1)] | None = Field(
        default=None,
        description=(
            "The `efficiency` reward's reference: code in the task's language that passes the "
            "tests, run in the same sandbox on the same tests (for prompt_code tasks, the body "
            "that continues the prompt, like HumanEval's canonical_solution)."
        ),
    )
    reference_time_s: Annotated[float, Field(gt=0, le=3600)] | None = Field(
        default=None,
        description=(
            "The `efficiency` reward's reference when no reference_solution is given: CPU seconds "
            "of a reference over all the tests together, language start-up excluded."
        ),
    )

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        from sandboxes.languages import LANGUAGES, resolve_language

        if resolve_language(value) is None:
            raise ValueError(f"unknown language {value!r}; known: {', '.join(LANGUAGES)}")
        return value

    @field_validator("reference_solution")
    @classmethod
    def _some_code(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("reference_solution is blank: give code that passes the tests, or leave it out")
        return value

    @model_validator(mode="after")
    def _one_style(self) -> CodeTask:
        if (self.test_code is None) == (self.tests is None):
            raise ValueError("give either test_code (with entry_point) or tests, not both or neither")
        if self.checker is not None and self.tests is None:
            raise ValueError("checker: a checker judges `tests` (stdin / expected_stdout pairs)")
        if self.test_code is not None:
            _check_test_code(self.test_code, self.entry_point, self.language)
        return self


def _check_test_code(test_code: str, entry_point: str | None, language: str) -> None:
    """Refuse function-call tests that could never run (they would pay every completion)."""
    import ast

    from sandboxes.languages import resolve_language

    lang = resolve_language(language)
    if lang is not None and lang.name != "python":
        raise ValueError(
            f"test_code: function-call tests run Python only; for {lang.name} give `tests` "
            "(stdin / expected_stdout pairs), with a checker if several outputs are valid"
        )
    if not test_code.strip():
        raise ValueError("test_code is empty: give the tests to run (they must assert something)")
    try:
        tree = ast.parse(test_code)
    except SyntaxError as exc:
        raise ValueError(f"test_code is not valid Python: {exc.msg} (line {exc.lineno})") from None
    defines_check = any(
        isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == "check"
        for node in tree.body
    )
    if defines_check and not (entry_point or "").strip():
        raise ValueError("entry_point: test_code defines check(candidate); name the function to pass to it")
    if entry_point is not None and not entry_point.strip().isidentifier():
        raise ValueError(f"entry_point {entry_point!r} is not a Python name")
    if not any(isinstance(node, ast.Assert | ast.Raise) for node in ast.walk(tree)) and not any(
        isinstance(node, ast.Attribute) and node.attr.startswith(("assert", "raises"))
        for node in ast.walk(tree)
    ):
        raise ValueError("test_code has no assert: tests that check nothing would pay every completion")


class ChoiceTask(_Nullable):
    """A multiple-choice question: the completion must commit to the gold letter (`rewards.choice`).

    Shapes accepted for the option texts (optional; they let "the answer is Paris" count as the
    letter of "Paris"): a dict by letter (`{"A": "Paris", ...}`), a list of texts in the order of
    `choices` (MMLU's `choices` column, MMLU-Pro's `options`), or NeMo-Gym's list of one-key dicts
    (`[{"A": "Paris"}, {"B": "London"}]`). `choices` defaults to the letters of `options`; ARC's
    `choices` column (`{"text": [...], "label": [...]}`) is taken as is.
    """

    type: Literal["choice"]
    answer: Annotated[
        str, Field(min_length=1, max_length=1, description="The gold letter, one of `choices`.")
    ]
    choices: list[str] | dict[str, list[str]] | None = Field(
        default=None,
        description='The letter set, e.g. ["A", "B", "C", "D"] (MMLU-Pro: A to J); '
        "capital letters A-Z. Default: the letters of `options`.",
    )
    options: dict[str, str] | list[str] | list[dict[str, str]] | None = Field(
        default=None, description="The option texts, by letter or in the order of `choices`."
    )

    @field_validator("answer", mode="before")
    @classmethod
    def _letter_answer(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            raise ValueError(
                f"answer: give the gold letter, not an index ({value}); MMLU's 0-based 0, 1, 2, 3 "
                "are 'A', 'B', 'C', 'D'"
            )
        return value.strip() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _consistent(self) -> ChoiceTask:
        from reward_server.tasks.choice_letters import check_choice_task

        self.choices, self.options = check_choice_task(self.answer, self.choices, self.options)
        return self


class InstructionTask(_Nullable):
    """IFEval / IFBench instruction following, checked on the final answer (after the think block).

    Score: the fraction of instructions followed, or 1/0 with `all_or_nothing`. `strict` checks
    the answer as written; `loose` also accepts it with its first and/or last line removed
    and/or asterisks stripped (the benchmarks' loose accuracy).
    """

    type: Literal["instruction_following", "ifeval"]
    instruction_id_list: Annotated[
        list[str], Field(min_length=1, description='IFEval / IFBench ids, e.g. "punctuation:no_comma".')
    ]
    kwargs: list[dict[str, Any] | None] | None = Field(
        default=None, description="One argument object per instruction id, in order (nulls ignored)."
    )
    mode: Literal["strict", "loose"] = "strict"
    all_or_nothing: bool = Field(
        default=False, description="Score 1 only when every instruction is followed."
    )
    prompt: str | None = Field(
        default=None, description="The prompt, for instructions that check against it; default: the item's."
    )
    key: int | str | None = Field(default=None, description="The row's id in IFEval / IFBench (not used).")

    @model_validator(mode="after")
    def _known_instructions(self) -> InstructionTask:
        from reward_server.tasks.instruction_kwargs import clean_instruction_kwargs

        self.kwargs = list(clean_instruction_kwargs(self.instruction_id_list, self.kwargs))
        self.type = "instruction_following"
        return self


Task = Annotated[MathTask | CodeTask | ChoiceTask | InstructionTask | NoTask, Field(discriminator="type")]


class ScoreItem(_Strict):
    """One completion to score."""

    id: str | int | None = None
    prompt: str | list[ChatMessage] | None = None
    completion: str | Annotated[list[ChatMessage], Field(min_length=1)]
    task: Task | None = None
    language: Annotated[str, Field(min_length=2, max_length=16)] | None = None
    rewards: Weights | None = Field(
        default=None, description="Per-item weights; override the batch's per key."
    )


class ScoreRequest(_Strict):
    """A batch of completions and the reward weights to apply."""

    items: list[ScoreItem]
    rewards: Weights | None = Field(
        default=None, description="Batch weights; the server's defaults when absent."
    )


class ScoreResult(BaseModel):
    """One item's reward: `reward` is Σ weight × score, or null when `error` is set."""

    id: str | int | None = None
    reward: float | None
    scores: dict[str, float] = Field(default_factory=dict)
    details: dict[str, Any] = Field(default_factory=dict)
    error: str | None = None


class ScoreResponse(BaseModel):
    results: list[ScoreResult]
