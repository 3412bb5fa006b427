"""A tiny random causal LM for GRPO tests and benchmarks, saved like a real model directory.

The vocabulary is whole words, including `\\boxed{0}` … `\\boxed{9}`, so a single sampled token can
be a complete, checkable answer: the model earns reward only by emitting the word that boxes the
prompt's gold answer.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
import transformers
from tokenizers import Tokenizer, decoders, models, pre_tokenizers

GOLD = {"alpha": "3", "beta": "7", "gamma": "5", "delta": "2"}
WORDS = [
    "<pad>",
    "<eos>",
    "<unk>",
    "question",
    "answer:",
    *GOLD,
    *[f"\\boxed{{{d}}}" for d in range(10)],
    "hmm",
]


def build_tiny_model(directory: Path, seed: int = 0) -> Path:
    """A random causal LM and its tokenizer, saved the way a real model directory is."""
    vocab = {word: index for index, word in enumerate(WORDS)}
    tokenizer = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer.decoder = decoders.WordPiece()  # joins words with spaces
    fast = transformers.PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, pad_token="<pad>", eos_token="<eos>", unk_token="<unk>"
    )
    torch.manual_seed(seed)
    config = transformers.LlamaConfig(
        vocab_size=len(WORDS),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=4,
        max_position_embeddings=32,
        pad_token_id=0,
        eos_token_id=1,
        bos_token_id=None,
        tie_word_embeddings=True,
    )
    transformers.LlamaForCausalLM(config).save_pretrained(directory)
    fast.save_pretrained(directory)
    return directory


def write_prompts(path: Path) -> Path:
    with path.open("w") as out:
        for word, answer in GOLD.items():
            row = {"prompt": f"question {word} answer:", "task": {"type": "math", "answer": answer}}
            out.write(json.dumps(row) + "\n")
    return path
