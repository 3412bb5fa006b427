"""The lint reward on real linters: ruff on the host, the compilers in the local sandbox (bubblewrap)
and, for every language, in the Docker images; hostile programs end within the lint limits."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from reward_server.rewards.base import ComponentScore, ItemError
from reward_server.rewards.lint import LintComponent
from reward_server.schemas import CodeTask, ScoreItem
from sandboxes import DockerConfig, DockerSandbox, LocalSandbox
from tests.support.sandbox_helpers import require_bwrap, require_images


def task(language: str, **fields: Any) -> CodeTask:
    tests = [{"stdin": "", "expected_stdout": ""}]
    return CodeTask.model_validate({"type": "code", "language": language, "tests": tests, **fields})


def fenced(code: str, language: str) -> str:
    return f"<think>plan</think><answer>```{language}\n{code}```</answer>"


@pytest.fixture
async def local() -> AsyncIterator[LocalSandbox]:
    require_bwrap()
    sandbox = LocalSandbox()
    await sandbox.start()
    yield sandbox
    await sandbox.close()


def scored(outcome: ComponentScore | ItemError) -> ComponentScore:
    assert isinstance(outcome, ComponentScore), outcome
    return outcome


# ---- Python (ruff) -------------------------------------------------------------------------------


async def test_python_findings_cost_a_tenth_each_with_codes_and_messages() -> None:
    code = "import os\n\n\ndef f(x):\n    return x == None\n"
    result = scored(await LintComponent(None).check(fenced(code, "python"), task("python")))
    assert result.score == pytest.approx(0.8)
    assert result.details["counts"] == {"F401": 1, "E711": 1}
    assert [(m["code"], m["line"]) for m in result.details["messages"]] == [("F401", 1), ("E711", 5)]
    assert "imported but unused" in result.details["messages"][0]["message"]
    assert result.details["linter"].startswith("ruff ")


async def test_clean_python_scores_one() -> None:
    code = "def add(a, b):\n    return a + b\n\n\nprint(add(1, 2))\n"
    result = scored(await LintComponent(None).check(fenced(code, "python"), task("python")))
    assert result.score == 1.0 and result.details["findings"] == 0


async def test_ten_findings_score_zero() -> None:
    modules = ("abc", "array", "base64", "bisect", "calendar", "cmath", "copy", "csv", "decimal", "enum")
    code = "".join(f"import {m}\n" for m in (*modules, "fractions", "glob"))
    result = scored(await LintComponent(None).check(fenced(code, "python"), task("python")))
    assert result.score == 0.0 and result.details["findings"] == 12


async def test_noqa_comments_do_not_hide_findings() -> None:
    code = "# ruff: noqa\nimport os  # noqa: F401\nimport sys  # noqa\n"
    result = scored(await LintComponent(None).check(fenced(code, "python"), task("python")))
    assert result.details["counts"] == {"F401": 2}


async def test_code_run_from_a_string_scores_zero_and_so_does_eval() -> None:
    hidden = 'exec("import os\\nimport sys\\nprint(1)")\n'
    result = scored(await LintComponent(None).check(fenced(hidden, "python"), task("python")))
    assert result.score == 0.0 and "exec" in result.details["reason"]
    # eval runs whatever string it is given (`eval("exec(...)")`), the input's or the program's own:
    # a 0, not one S307 finding (ast.literal_eval reads a literal from the input).
    uses_eval = fenced("print(eval(input()))\n", "python")
    parsed = scored(await LintComponent(None).check(uses_eval, task("python")))
    assert parsed.score == 0.0 and "uses eval (line 1)" in parsed.details["reason"], parsed.details


async def test_python_that_does_not_parse_scores_zero() -> None:
    result = scored(await LintComponent(None).check(fenced("print(1\n", "python"), task("python")))
    assert result.score == 0.0 and result.details["reason"] == "the code does not parse or compile"
    assert result.details["messages"][0]["code"] == "invalid-syntax"


async def test_a_completion_without_code_scores_zero() -> None:
    result = scored(await LintComponent(None).check("<answer>```python\n\n```</answer>", task("python")))
    assert result.score == 0.0 and result.details["reason"] == "no code in the completion"


async def test_the_linted_code_is_what_the_accuracy_checker_runs() -> None:
    # Two blocks: the last python block inside <answer> is the program; the first is never linted.
    text = "```python\nimport os\n```\n<answer>```python\nprint(1)\n```</answer>"
    assert scored(await LintComponent(None).check(text, task("python"))).score == 1.0
    # HumanEval protocol: the prompt's own unused imports are not the completion's findings.
    prompt = "import os\nfrom typing import List\n\n\ndef f(x):\n"
    humaneval = task("python", prompt_code=prompt)
    result = scored(await LintComponent(None).check("    return x == None\n", humaneval))
    assert result.score == pytest.approx(0.9) and result.details["ignored_in_prompt"] == 2
    assert result.details["counts"] == {"E711": 1}


async def test_items_that_cannot_be_linted_are_item_errors() -> None:
    component = LintComponent(None)
    math_item = ScoreItem.model_validate({"completion": "4", "task": {"type": "math", "answer": "4"}})
    js_item = ScoreItem(completion=fenced("console.log(1)\n", "js"), task=task("javascript"))
    c_item = ScoreItem(completion=fenced("int main(void){return 0;}\n", "c"), task=task("c"))
    math_error, js_error, c_error = await component.score([math_item, js_item, c_item])
    assert isinstance(math_error, ItemError) and "code tasks only" in math_error.message
    assert isinstance(js_error, ItemError) and "no linter for javascript" in js_error.message
    assert isinstance(c_error, ItemError) and "this server has none" in c_error.message


# ---- C, C++ and Java in the local sandbox --------------------------------------------------------

C_WARNINGS = (
    "#include <stdio.h>\nint main(void) {\n    int unused;\n    unsigned u = 1;\n    int i = -1;\n"
    "    return u < i;\n}\n"
)


async def test_c_compiler_warnings_are_the_findings(local: LocalSandbox) -> None:
    result = scored(await LintComponent(local).check(fenced(C_WARNINGS, "c"), task("c")))
    assert result.details["counts"] == {"-Wunused-variable": 1, "-Wsign-compare": 1}
    assert result.score == pytest.approx(0.8) and result.details["linter"] == "gcc -Wall -Wextra"


async def test_cpp_that_does_not_compile_scores_zero_and_clean_cpp_one(local: LocalSandbox) -> None:
    bad = scored(await LintComponent(local).check(fenced("int main() { return x; }\n", "cpp"), task("cpp")))
    assert bad.score == 0.0 and "not declared" in bad.details["messages"][0]["message"]
    good = "#include <vector>\nint main() {\n    std::vector<int> v{1};\n    return v[0] - 1;\n}\n"
    assert scored(await LintComponent(local).check(fenced(good, "cpp"), task("cpp"))).score == 1.0


@pytest.mark.parametrize(
    "code",
    [
        '#pragma GCC diagnostic ignored "-Wall"\nint main(void) { int x; return 0; }\n',
        '_Pragma("clang diagnostic ignored \\"-Wunused\\"")\nint main(void) { return 0; }\n',
        '# 1 "/usr/include/stdio.h" 3\nint main(void) { int x; return 0; }\n',
    ],
)
async def test_c_that_turns_warnings_off_scores_zero(local: LocalSandbox, code: str) -> None:
    result = scored(await LintComponent(local).check(fenced(code, "c"), task("c")))
    assert result.score == 0.0 and "turns linter warnings off" in result.details["reason"]


@pytest.mark.parametrize(
    "code",
    ["#![allow(warnings)]\nfn main() { let x = 1; }\n", "#[cfg_attr(all(), allow(unused))]\nfn main() {}\n"],
)
async def test_rust_that_allows_its_warnings_scores_zero_before_any_linter_runs(code: str) -> None:
    result = scored(await LintComponent(None).check(fenced(code, "rust"), task("rust")))
    assert result.score == 0.0 and "turns linter warnings off" in result.details["reason"]


async def test_java_xlint_warnings_under_the_public_class_name(local: LocalSandbox) -> None:
    code = (
        "import java.util.*;\npublic class Solution {\n    public static void main(String[] a) {\n"
        "        List l = new ArrayList();\n        l.add(1);\n    }\n}\n"
    )
    result = scored(await LintComponent(local).check(fenced(code, "java"), task("java")))
    assert result.details["counts"] == {"rawtypes": 2, "unchecked": 1}
    suppressed = code.replace("public static", '@SuppressWarnings("all") public static')
    assert scored(await LintComponent(local).check(fenced(suppressed, "java"), task("java"))).score == 0.0


# ---- hostile programs: each ends within the lint limits --------------------------------------------


@pytest.mark.timeout(120)
@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
async def test_including_an_endless_device_is_an_item_error(local: LocalSandbox, device: str) -> None:
    code = f'#include "{device}"\nint main(void) {{ return 0; }}\n'
    component = LintComponent(local, time_limit_s=3, memory_limit_mb=256)
    outcome = await component.check(fenced(code, "c"), task("c"))
    assert isinstance(outcome, ItemError) and "did not finish" in outcome.message


@pytest.mark.timeout(120)
async def test_an_enormous_c_file_with_endless_warnings_scores_zero(local: LocalSandbox) -> None:
    code = "int main(void) {\n    int x = 0;\n" + "    x == 1;\n" * 1_000_000 + "    return x;\n}\n"
    result = scored(await LintComponent(local).check(fenced(code, "c"), task("c")))
    assert result.score == 0.0 and result.details["truncated"] is True
    assert result.details["counts"]["-Wunused-value"] >= 10


@pytest.mark.slow  # ~17 s of wall clock on a busy 2-core host
@pytest.mark.timeout(180)
async def test_a_10_mb_python_file_is_an_item_error_past_the_hidden_code_checks_memory() -> None:
    """ruff lints it (peak ~760 MB, ~2.5 s of CPU), but Python's AST of it, which the hidden-code check
    needs, takes ~4 GB: past lint_memory_limit_mb, so no score rather than an unchecked one."""
    code = "x = 1\n" * 1_750_000  # 10.5 MB
    outcome = await LintComponent(None, time_limit_s=30).check(code, task("python"))
    assert isinstance(outcome, ItemError), outcome
    assert (
        outcome.message.startswith("lint: the hidden-code check failed") and "MemoryError" in outcome.message
    )


@pytest.mark.timeout(120)
async def test_a_10_mb_python_file_past_the_cpu_limit_is_an_item_error() -> None:
    code = "import os\n" * 1_000_000
    outcome = await LintComponent(None, time_limit_s=1).check(code, task("python"))
    assert isinstance(outcome, ItemError) and outcome.message.startswith("lint: ruff")


# ---- every sandboxed linter in its Docker image ------------------------------------------------------

DOCKER_CASES = [
    ("c", C_WARNINGS, {"-Wunused-variable": 1, "-Wsign-compare": 1}),
    ("cpp", "int main() {\n    int y;\n    return 0;\n}\n", {"-Wunused-variable": 1}),
    ("rust", "fn main() {\n    let x = 1;\n    let mut y = 2;\n    println!(\"{}\", y);\n}\n",
     {"unused_variables": 1, "unused_mut": 1}),
    ("go", 'package main\n\nimport "fmt"\n\nfunc main() {\n\tx := "a"\n\tfmt.Printf("%d\\n", x)\n}\n',
     {"printf": 1}),
    ("java", "public class Main {\n    public static void main(String[] a) {\n"
     "        int x = (int) 1;\n    }\n}\n", {"cast": 1}),
]  # fmt: skip


@pytest.mark.docker
@pytest.mark.slow  # starts a container of four images (~40 s)
@pytest.mark.timeout(300)
async def test_every_sandboxed_linter_in_its_docker_image() -> None:
    require_images(["cpp", "rust", "go", "java"])
    sandbox = DockerSandbox(DockerConfig(pool_size=1, prewarm=()))
    await sandbox.start()
    try:
        component = LintComponent(sandbox)
        items = [ScoreItem(completion=fenced(code, lang), task=task(lang)) for lang, code, _ in DOCKER_CASES]
        bad_go = 'package main\n\nimport "os"\n\nfunc main() {\n}\n'
        items.append(ScoreItem(completion=fenced(bad_go, "go"), task=task("go")))
        outcomes = await component.score(items)
    finally:
        await sandbox.close()
    for (lang, _, counts), outcome in zip(DOCKER_CASES, outcomes, strict=False):
        assert scored(outcome).details["counts"] == counts, lang
    assert scored(outcomes[-1]).score == 0.0  # a Go type error: vet cannot analyse it
