"""verl 0.9.1's reward loop scoring a real DataProto through reward-server (run in the verl venv).

    python verl_reward_loop.py URL OVERRIDE...

Composes verl's own `ppo_trainer` hydra config with the overrides docs/integrations.md gives,
builds `RewardLoopManager` as verl's trainer does (Ray actors running `RewardLoopWorker`), and
calls `compute_rm_score` on a DataProto of tokenized responses, the call verl's PPO loop makes.
Then calls verl's SandboxFusion scorer against reward-server's `/run_code`. Prints one JSON line.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import ray
import torch
import transformers
import verl
from hydra import compose, initialize_config_dir
from tokenizers import Tokenizer, decoders, models, pre_tokenizers
from verl import DataProto
from verl.experimental.reward_loop import RewardLoopManager
from verl.utils.reward_score import default_compute_score

ADD = "```python\na, b = map(int, input().split())\nprint(a + b)\n```"
ADD_FN = "```python\ndef add(a, b):\n    return a + b\n```"
# (data_source, response, ground_truth, what reward-server must say)
SAMPLES = [
    ("openai/gsm8k", "So the answer is \\boxed{72}.", "72", 1.0),  # verl's gsm8k rule wants '#### 72'
    ("openai/gsm8k", "So the answer is \\boxed{71}.", "72", 0.0),
    ("codecontests", ADD, '{"inputs": ["1 2\\n", "5 7\\n"], "outputs": ["3\\n", "12\\n"]}', 1.0),
    (
        "codecontests",
        "```python\nprint(3)\n```",
        '{"inputs": ["1 2\\n", "5 7\\n"], "outputs": ["3\\n", "12\\n"]}',
        0.5,
    ),
    (
        "livecodebench",
        ADD_FN,
        {"fn_name": "add", "inputs": np.array(["1\n2"]), "outputs": np.array(["3"])},
        1.0,
    ),
    (
        "livecodebench",
        "```python\ndef add(a, b):\n    return 0\n```",
        {"fn_name": "add", "inputs": ["1\n2"], "outputs": ["3"]},
        0.0,
    ),
]


def byte_tokenizer(directory: Path) -> Path:
    """A byte-level tokenizer (any text round-trips), saved as a model directory verl can load."""
    alphabet = sorted(pre_tokenizers.ByteLevel.alphabet())
    vocab = {"<pad>": 0, "<eos>": 1, **{char: index + 2 for index, char in enumerate(alphabet)}}
    tokenizer = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    tokenizer.decoder = decoders.ByteLevel()
    fast = transformers.PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, pad_token="<pad>", eos_token="<eos>"
    )
    fast.save_pretrained(directory)
    return directory


def data_proto(tokenizer: transformers.PreTrainedTokenizerBase) -> DataProto:
    prompts = [tokenizer.encode("Solve it.") for _ in SAMPLES]
    responses = [tokenizer.encode(text) + [tokenizer.eos_token_id] for _, text, _, _ in SAMPLES]
    p_len, r_len = max(map(len, prompts)), max(map(len, responses))
    prompt_ids = torch.tensor([[0] * (p_len - len(p)) + p for p in prompts])  # left padded
    response_ids = torch.tensor([r + [0] * (r_len - len(r)) for r in responses])  # right padded
    mask = torch.tensor(
        [
            [0] * (p_len - len(p)) + [1] * len(p) + [1] * len(r) + [0] * (r_len - len(r))
            for p, r in zip(prompts, responses, strict=True)
        ]
    )
    return DataProto.from_dict(
        tensors={
            "prompts": prompt_ids,
            "responses": response_ids,
            "input_ids": torch.cat([prompt_ids, response_ids], dim=1),
            "attention_mask": mask,
        },
        non_tensors={
            "data_source": np.array([s for s, _, _, _ in SAMPLES], dtype=object),
            "reward_model": np.array(
                [{"ground_truth": g, "style": "rule"} for _, _, g, _ in SAMPLES], dtype=object
            ),
            "extra_info": np.array(
                [{"question": "Solve it.", "index": i} for i in range(len(SAMPLES))], dtype=object
            ),
        },
    )


def main() -> None:
    url, overrides = sys.argv[1], sys.argv[2:]
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = byte_tokenizer(Path(tmp) / "tokenizer")
        config_dir = str(Path(verl.__file__).parent / "trainer" / "config")
        with initialize_config_dir(config_dir=config_dir, version_base=None):
            config = compose(
                config_name="ppo_trainer",
                overrides=[*overrides, f"actor_rollout_ref.model.path={model_dir}", "reward.num_workers=1"],
            )
        ray.init(
            num_cpus=2,
            include_dashboard=False,
            log_to_driver=True,
            runtime_env={"env_vars": {"PYTHONPATH": os.environ["PYTHONPATH"]}},
        )
        try:
            manager = RewardLoopManager(config)
            tokenizer = transformers.AutoTokenizer.from_pretrained(model_dir)
            data = data_proto(tokenizer)
            scored = manager.compute_rm_score(data)
        finally:
            ray.shutdown()
    rm_scores = scored.batch["rm_scores"]
    extra = {
        key: [float(v) for v in scored.non_tensor_batch[key]] for key in scored.meta_info["reward_extra_keys"]
    }
    # verl's own SandboxFusion client (its code reward) against reward-server's /run_code
    sandbox = [
        default_compute_score(
            "codecontests", solution, truth, sandbox_fusion_url=f"{url}/run_code", memory_limit_mb=512
        )
        for solution, truth in [
            (ADD, '{"inputs": ["1 2\\n"], "outputs": ["3\\n"]}'),
            ("```python\nprint(0)\n```", '{"inputs": ["1 2\\n"], "outputs": ["3\\n"]}'),
        ]
    ]
    print(
        json.dumps(
            {
                "reward_manager": config.reward.reward_manager.name,
                "scores": rm_scores.sum(dim=-1).tolist(),
                "score_positions": (rm_scores != 0).float().argmax(dim=-1).tolist(),
                "expected": [want for _, _, _, want in SAMPLES],
                "reward_extra_info": extra,
                "sandbox_fusion_scores": [
                    float(s if not isinstance(s, dict) else s["score"]) for s in sandbox
                ],
            }
        )
    )


if __name__ == "__main__":
    main()
