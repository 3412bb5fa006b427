"""OpenRLHF 0.11.2 scoring rollouts through reward-server (run in the openrlhf venv).

    python openrlhf_remote_rm.py URL ARG...

1. Parses ARG... (the documented `train_ppo_ray` command) with 0.11.2's own argument parser: the
   statements of `openrlhf/cli/train_ppo_ray.py`'s `__main__` block that build it, run as they are.
2. Runs `SingleTurnAgentExecutor` (OpenRLHF's rollout executor and its remote-reward HTTP client)
   on samples whose prompts it must left-truncate, with a scripted generation engine in place of
   vLLM (which needs a GPU): the engine returns fixed responses; tokenizing, truncating, decoding
   the query, posting to /get_reward and reading the answer are OpenRLHF's code.
3. Turns the outputs into `Experience`s with `SamplesGenerator._process_response_into_experience`
   and batches them as its trainer does (`concat_experiences`, `split_experience_batch`,
   `make_experience_batch`). Its module imports vLLM names it does not use on this path, so
   `vllm` and `openrlhf.trainer.ray.vllm_engine` are given as empty modules.
4. Runs the unlabelled sample again through `/get_reward?on_failure=mask`: what OpenRLHF's client
   reads (a NaN score) and the `Experience.scores` its dynamic filtering averages.
Prints one JSON line.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import importlib.metadata
import json
import sys
import tempfile
import types
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import openrlhf
import transformers
from tokenizers import Tokenizer, decoders, models, pre_tokenizers

# (prompt, label, response): the long prompt carries a worked example OpenRLHF keeps after its cut
EXAMPLE = "Worked example: what is 3+3? The answer is \\boxed{6}.\n"
LONG = (
    "<|im_start|>system\n" + "Be careful and think step by step. " * 8 + "<|im_end|>\n"
    "<|im_start|>user\n" + EXAMPLE + "Now: what is 2+4?<|im_end|>\n<|im_start|>assistant\n"
)
SHORT = "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n"
SAMPLES: list[tuple[str, Any, str]] = [
    (LONG, "6", "I refuse to answer"),
    (LONG, 6, "It is \\boxed{6}"),
    (SHORT, ["four", "4"], "<think>2 and 2</think><answer>\\boxed{4}</answer>"),
    (SHORT, "", "<think>no label</think><answer>\\boxed{4}</answer>"),  # no --data.label_key
]
MAX_NEW_TOKENS = 64
MAX_LEN = 200  # < len(LONG) + MAX_NEW_TOKENS bytes: the long prompt is cut from the left


def train_ppo_ray_parser() -> Any:
    """0.11.2's own parser: the `__main__` statements of train_ppo_ray.py up to `parse_args`."""
    source = (Path(openrlhf.__file__).parent / "cli" / "train_ppo_ray.py").read_text()
    main = next(
        node
        for node in ast.parse(source).body
        if isinstance(node, ast.If) and "__main__" in ast.unparse(node.test)
    )
    body = []
    for statement in main.body:
        if "parse_args" in ast.unparse(statement):
            break
        body.append(statement)
    namespace: dict[str, Any] = {}
    for node in ast.parse(source).body:  # the module's imports the parser code uses (datetime, os)
        if isinstance(node, ast.Import | ast.ImportFrom):
            # the trainer's GPU stack (deepspeed, vLLM) does not import here: the parser needs none of it
            with contextlib.suppress(ImportError):
                exec(compile(ast.Module(body=[node], type_ignores=[]), "train_ppo_ray.py", "exec"), namespace)  # noqa: S102
    exec(compile(ast.Module(body=body, type_ignores=[]), "train_ppo_ray.py", "exec"), namespace)  # noqa: S102
    return namespace["parser"]


def byte_tokenizer(directory: Path) -> transformers.PreTrainedTokenizerFast:
    alphabet = sorted(pre_tokenizers.ByteLevel.alphabet())
    vocab = {"<pad>": 0, "<|endoftext|>": 1, **{char: index + 2 for index, char in enumerate(alphabet)}}
    tokenizer = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    tokenizer.decoder = decoders.ByteLevel()
    fast = transformers.PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, pad_token="<pad>", eos_token="<|endoftext|>"
    )
    fast.save_pretrained(directory)
    return transformers.AutoTokenizer.from_pretrained(directory)


class ScriptedEngine:
    """Stands in for OpenRLHF's vLLM engine: `generate` returns the scripted response's tokens."""

    def __init__(self, tokenizer: Any, response: str) -> None:
        self.ids = tokenizer.encode(response, add_special_tokens=False) + [tokenizer.eos_token_id]
        self.text = response
        self.prompt_tokens: list[int] = []

    async def generate(
        self, prompt_token_ids: list[int], sampling_params: Any, multi_modal_data: Any = None
    ) -> Any:
        self.prompt_tokens = list(prompt_token_ids)
        output = SimpleNamespace(token_ids=self.ids, text=self.text, finish_reason="stop", logprobs=None)
        return SimpleNamespace(outputs=[output])


async def rollouts(url: str, tokenizer: Any) -> tuple[list[dict[str, Any]], list[int], list[str]]:
    from openrlhf.utils.agent import SingleTurnAgentExecutor

    executor = SingleTurnAgentExecutor(remote_rm_url=f"{url}/get_reward")
    outputs, prompt_lengths, kept_prompts = [], [], []
    for prompt, label, response in SAMPLES:
        engine = ScriptedEngine(tokenizer, response)
        params = SimpleNamespace(max_tokens=MAX_NEW_TOKENS, logprobs=None)
        outputs.append(await executor.execute(prompt, label, params, MAX_LEN, tokenizer, engine))
        prompt_lengths.append(len(engine.prompt_tokens))
        kept_prompts.append(tokenizer.decode(engine.prompt_tokens))
    return outputs, prompt_lengths, kept_prompts


async def masked_rollout(url: str, tokenizer: Any) -> dict[str, Any]:
    from openrlhf.utils.agent import SingleTurnAgentExecutor

    executor = SingleTurnAgentExecutor(remote_rm_url=f"{url}/get_reward?on_failure=mask")
    prompt, label, response = SAMPLES[3]  # no label: accuracy has no task, a sample without a verdict
    params = SimpleNamespace(max_tokens=MAX_NEW_TOKENS, logprobs=None)
    return await executor.execute(
        prompt, label, params, MAX_LEN, tokenizer, ScriptedEngine(tokenizer, response)
    )


def experiences(outputs: list[dict[str, Any]]) -> list[Any]:
    sys.modules.setdefault("vllm", types.SimpleNamespace(SamplingParams=object))  # type: ignore[arg-type]
    sys.modules.setdefault(
        "openrlhf.trainer.ray.vllm_engine",
        types.SimpleNamespace(batch_vllm_engine_call=None),  # type: ignore[arg-type]
    )
    from openrlhf.trainer.ppo_utils.samples_generator import SamplesGenerator

    return [SamplesGenerator._process_response_into_experience(None, o, max_len=MAX_LEN) for o in outputs]


def batch(outputs: list[dict[str, Any]], tokenizer: Any) -> dict[str, Any]:
    from openrlhf.trainer.ppo_utils.experience import (
        Experience,
        make_experience_batch,
        split_experience_batch,
    )

    merged = Experience.concat_experiences(experiences(outputs), tokenizer.pad_token_id)
    items = split_experience_batch(merged)
    rebatched = make_experience_batch(items)
    return {
        "rewards": merged.rewards.flatten().tolist(),
        "info_keys": sorted(merged.info),
        "info": {k: [float(t.flatten()[0]) for t in v] for k, v in rebatched.info.items()},
    }


def main() -> None:
    url, argv = sys.argv[1], sys.argv[2:]
    args = train_ppo_ray_parser().parse_args(argv)
    parsed = {k: v for k, v in vars(args).items() if f"--{k}" in argv}
    with tempfile.TemporaryDirectory() as tmp:
        tokenizer = byte_tokenizer(Path(tmp) / "tok")
        outputs, prompt_lengths, kept_prompts = asyncio.run(rollouts(url, tokenizer))
        batched = batch(outputs, tokenizer)
        masked = asyncio.run(masked_rollout(url, tokenizer))
        [masked_experience] = experiences([masked])
    print(
        json.dumps(
            {
                "openrlhf": importlib.metadata.version("openrlhf"),
                "parsed": parsed,
                "prompt_lengths": prompt_lengths,
                "kept_prompts": kept_prompts,
                "full_prompt_lengths": [
                    len(tokenizer.encode(p, add_special_tokens=False)) for p, _, _ in SAMPLES
                ],
                "rewards": [o["reward"] for o in outputs],
                "extra_logs": [o["extra_logs"] for o in outputs],
                "batch": batched,
                "masked": {
                    "reward": masked["reward"],
                    "scores": masked["scores"],
                    "experience_scores": masked_experience.scores.flatten().tolist(),
                    "reward_error": masked["extra_logs"]["reward_error"],
                },
            },
            default=str,
        )
    )


if __name__ == "__main__":
    main()
