"""The reward component protocol and the registry of components a process can compute."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from reward_server.config import Settings
from reward_server.cpu_pool import CpuPool
from reward_server.rewards.base import Component, ComponentOutcome, ComponentScore
from reward_server.rewards.format import check_format, check_think_format
from reward_server.rewards.text import completion_text, with_prefilled_think
from reward_server.schemas import ScoreItem
from sandboxes import Limits, Sandbox

if TYPE_CHECKING:
    from reward_server.reward_model.engine import RewardModel
    from reward_server.sandbox_gate import SandboxGate

__all__ = ["Component", "ComponentOutcome", "FormatComponent", "build_components"]


class FormatComponent:
    """A format template (`format`/`format:r1`: the R1 template; `format:think`: TRL's think
    block then any answer). When the prompt ends with the opening think tag (a chat template
    that prefills it), the prompt's tail plus the completion is judged."""

    def __init__(self, think_tag: str, answer_tag: str, template: str = "r1", name: str = "format") -> None:
        self.think_tag, self.answer_tag, self.template, self.name = think_tag, answer_tag, template, name

    def check(self, item: ScoreItem) -> ComponentScore:
        text, prefilled = with_prefilled_think(item.prompt, completion_text(item.completion), self.think_tag)
        if self.template == "think":
            result = check_think_format(text, think_tag=self.think_tag)
        else:
            result = check_format(text, think_tag=self.think_tag, answer_tag=self.answer_tag)
        if prefilled:
            result.details["prefilled_think"] = True
        return result

    async def score(self, items: Sequence[ScoreItem]) -> list[ComponentOutcome]:
        # Microseconds per item: cheaper inline than a round trip to the pool.
        return [self.check(item) for item in items]


def build_components(
    *,
    settings: Settings,
    cpu_pool: CpuPool,
    sandbox: Sandbox | SandboxGate | None,
    sandbox_limits: Limits,
    reward_models: Mapping[str, RewardModel],
) -> dict[str, Component]:
    """Every component this process can compute, by reward name, over what the composition root
    (`reward_server.services`) started: code rewards only with a `sandbox` (best its `SandboxGate`)."""
    from reward_server.rewards.accuracy import AccuracyComponent, TaskChecker
    from reward_server.rewards.choice import ChoiceChecker
    from reward_server.rewards.instructions import InstructionChecker
    from reward_server.rewards.language import LanguageComponent
    from reward_server.rewards.lint import LintComponent
    from reward_server.rewards.math import MathChecker
    from reward_server.rewards.model import reward_model_components

    checkers: dict[str, TaskChecker] = {
        "math": MathChecker(cpu_pool, settings.math_timeout_s, settings.answer_tag, settings.think_tag),
        # Present without the `instructions` extra too: its items then get an error saying what to install.
        "instruction_following": InstructionChecker(
            cpu_pool, settings.instruction_timeout_s, settings.think_tag, settings.answer_tag
        ),
    }
    # Multiple choice: linear string work within math's inline bound (~0.3 ms a completion): inline, no pool.
    checkers["choice"] = ChoiceChecker(settings.answer_tag, settings.think_tag)
    code_components: dict[str, Component] = {}
    if sandbox is not None:
        from reward_server.rewards.code import CodeChecker
        from reward_server.rewards.code.efficiency import EfficiencyComponent, counts_program_cpu
        from reward_server.sandbox_gate import SandboxGate as Gate

        code_checker = CodeChecker(
            sandbox,
            default_limits=sandbox_limits,
            answer_tag=settings.answer_tag,
        )
        checkers["code"] = code_checker
        backend = sandbox.sandbox if isinstance(sandbox, Gate) else sandbox
        if counts_program_cpu(backend):  # shares the checker, and each item's run, with accuracy
            code_components["efficiency"] = EfficiencyComponent(code_checker)
    components: dict[str, Component] = {
        "format": FormatComponent(settings.think_tag, settings.answer_tag),
        "format:r1": FormatComponent(settings.think_tag, settings.answer_tag, "r1", "format:r1"),
        "format:think": FormatComponent(settings.think_tag, settings.answer_tag, "think", "format:think"),
        "accuracy": AccuracyComponent(checkers),
        "language": LanguageComponent(cpu_pool, settings.language_timeout_s, settings.think_tag),
        "lint": LintComponent(
            sandbox,
            time_limit_s=settings.lint_timeout_s,
            memory_limit_mb=settings.lint_memory_limit_mb,
            answer_tag=settings.answer_tag,
        ),
    }
    components.update(code_components)
    components.update(reward_model_components(reward_models))
    return components
