"""Ways a completion could buy a clean lint score without clean code, and what each gets."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from reward_server.rewards.base import ComponentScore, ItemError
from reward_server.rewards.lint import LintComponent
from reward_server.schemas import CodeTask
from sandboxes import LocalSandbox
from tests.support.sandbox_helpers import require_bwrap


def task(language: str, **fields: Any) -> CodeTask:
    tests = [{"stdin": "", "expected_stdout": ""}]
    return CodeTask.model_validate({"type": "code", "language": language, "tests": tests, **fields})


def fenced(code: str, language: str) -> str:
    return f"<think>plan</think><answer>```{language}\n{code}```</answer>"


def scored(outcome: ComponentScore | ItemError) -> ComponentScore:
    assert isinstance(outcome, ComponentScore), outcome
    return outcome


@pytest.fixture
async def local() -> AsyncIterator[LocalSandbox]:
    require_bwrap()
    sandbox = LocalSandbox()
    await sandbox.start()
    yield sandbox
    await sandbox.close()


UNUSED = "int main(void) { int x; return 0; }\n"

# Each of these hides `x`'s -Wunused-variable from gcc -Wall -Wextra (checked with gcc 14), and each
# slipped past the first suppression pattern.
HIDDEN_SUPPRESSIONS = {
    "comment inside the pragma": '#pragma GCC/**/diagnostic ignored "-Wunused-variable"\n' + UNUSED,
    "line splice inside the pragma": '#pragma GCC \\\ndiagnostic ignored "-Wunused-variable"\n' + UNUSED,
    "digraph line marker": '%: 1 "x.h" 3\n' + UNUSED,
    "comment before a line marker": '# /**/ 1 "x.h" 3\n' + UNUSED,
    "pragma built by macros": (
        "#define S(x) #x\n#define P(x) _Pragma(S(x))\n#define D diag ## nostic\n"
        'P(GCC D ignored "-Wunused-variable")\n' + UNUSED
    ),
    "system_header in a file that includes itself": (
        "#ifndef X\n#define X\n#include __FILE__\n#else\n#pragma GCC system_header\n" + UNUSED + "#endif\n"
    ),
}


@pytest.mark.parametrize("code", HIDDEN_SUPPRESSIONS.values(), ids=HIDDEN_SUPPRESSIONS.keys())
async def test_hidden_c_warning_suppressions_score_zero(local: LocalSandbox, code: str) -> None:
    for language in ("c", "cpp"):
        result = scored(await LintComponent(local).check(fenced(code, language), task(language)))
        assert result.score == 0.0, (language, result.details)
        assert "turns linter warnings off" in result.details["reason"]


async def test_ordinary_pragmas_comments_and_strings_are_not_suppressions(local: LocalSandbox) -> None:
    code = (
        '#include <cstdio>\n#pragma GCC optimize("O2")\n// a comment with /* in it\n'
        'int main() {\n    const char *s = "%d // not a comment";\n    std::printf(s, 1);\n    return 0;\n}\n'
    )
    result = scored(await LintComponent(local).check(fenced(code, "cpp"), task("cpp")))
    assert result.score == 1.0, result.details


async def test_a_too_complex_body_counts_though_its_def_line_is_the_prompts() -> None:
    """ruff reports C901 at the `def`, which a HumanEval-style prompt holds; the body is the completion's."""
    prompt = 'def f(x):\n    """Doc."""\n'
    body = "".join(f"    if x == {i}:\n        return {i}\n" for i in range(12)) + "    return -1\n"
    humaneval = task("python", prompt_code=prompt, tests=None, test_code="assert f(1) == 1\n")
    result = scored(await LintComponent(None).check(body, humaneval))
    assert result.details["counts"] == {"C901": 1} and result.score == pytest.approx(0.9)
    unused_import = task("python", prompt_code="import os\n" + prompt, tests=None, test_code="assert f(1)\n")
    result = scored(await LintComponent(None).check("    return 1\n", unused_import))
    assert result.score == 1.0 and result.details["ignored_in_prompt"] == 1


def test_a_lint_error_at_weight_zero_leaves_the_reward_and_says_why() -> None:
    """A component weighted 0 cannot move the reward, so its non-verdict cannot make it unknown."""
    from fastapi.testclient import TestClient

    from reward_server.app import create_app
    from reward_server.config import Settings

    math_item = {
        "id": "m",
        "completion": "<think>x</think><answer>4</answer>",
        "task": {"type": "math", "answer": "4"},
    }
    with TestClient(create_app(Settings(sandbox="none", cpu_workers=1))) as client:
        zero = client.post(
            "/v1/score", json={"items": [math_item], "rewards": {"accuracy": 1.0, "lint": 0.0}}
        )
        weighted = client.post(
            "/v1/score", json={"items": [math_item], "rewards": {"accuracy": 1.0, "lint": 0.5}}
        )
    [result] = zero.json()["results"]
    assert result["error"] is None and result["reward"] == 1.0 and result["scores"] == {"accuracy": 1.0}
    assert "code tasks only" in result["details"]["lint"]["error"]
    [result] = weighted.json()["results"]
    assert result["reward"] is None and result["error"].startswith("lint: lint scores code tasks only")


HIDDEN_EXEC = {
    "alias": "run = exec\nrun('x = 1')\n",
    "getattr": "import builtins\n\ngetattr(builtins, 'exec')('x = 1')\n",
    "builtins dict": '__builtins__.__dict__["exec"]("x = 1")\n',
    "compile then eval": 'eval(compile("x = 1", "m", "exec"))\n',
}


@pytest.mark.parametrize("code", HIDDEN_EXEC.values(), ids=HIDDEN_EXEC.keys())
async def test_code_run_from_a_string_without_a_plain_exec_call_scores_zero(code: str) -> None:
    python = task("python")
    result = scored(await LintComponent(None).check(fenced(code, "python"), python))
    assert result.score == 0.0 and "no linter sees" in result.details["reason"], result.details


async def test_exec_in_a_comment_a_string_or_a_longer_name_is_not_code_from_a_string() -> None:
    code = "import os\n\n# exec is not used here\nexecutor = os.cpu_count()\n"
    code += "print(executor, 'exec', 'executable')\n"
    result = scored(await LintComponent(None).check(fenced(code, "python"), task("python")))
    assert result.score == 1.0, result.details


JAVA_RAW = (
    "    public static void main(String[] a) {\n"
    "        java.util.List l = new java.util.ArrayList();\n    }\n}\n"
)


@pytest.mark.parametrize(
    ("language", "code"),
    [
        # javac reads \\uXXXX escapes everywhere in the source: this is @SuppressWarnings("all").
        ("java", 'public class Main {\n    @\\u0053uppressWarnings("all")\n' + JAVA_RAW),
        ("java", 'public class Main {\n    @\\uuu0053uppress\\u0057arnings("all")\n' + JAVA_RAW),
        # The attribute's name comes in through a macro: #[allow(unused_variables)].
        (
            "rust",
            "macro_rules! quiet { ($a:ident, $item:item) => { #[$a(unused_variables)] $item }; }\n"
            "quiet!(allow, fn main() { let x = 1; });\n",
        ),
    ],
    ids=["java unicode escape", "java several u's", "rust attribute from a macro"],
)
async def test_escaped_or_macro_built_suppressions_score_zero(language: str, code: str) -> None:
    result = scored(await LintComponent(None).check(fenced(code, language), task(language)))
    assert result.score == 0.0 and "turns linter warnings off" in result.details["reason"], result.details


async def test_java_with_unicode_escapes_but_no_suppression_is_linted(local: LocalSandbox) -> None:
    java = (
        "public class Main {\n    public static void main(String[] a) {\n"
        '        System.out.println("\\u0041");\n    }\n}\n'
    )
    result = scored(await LintComponent(local).check(fenced(java, "java"), task("java")))
    assert result.score == 1.0, result.details
    # A macro that builds no attribute is no suppression.
    rust = 'macro_rules! twice { ($e:expr) => { $e * 2 }; }\nfn main() {\n    println!("{}", twice!(2));\n}\n'
    from reward_server.rewards.lint.linters import suppression

    assert suppression("rust", rust) is None
