"""Tiny random reward models for tests and benchmarks, built offline and saved like real ones.

Each builder writes a transformers checkpoint (config, weights, tokenizer files) to a
directory, so tests load it through the same `from_pretrained` path as a real model.
"""

from __future__ import annotations

import os
from pathlib import Path

# Nothing in the tests may reach the hub; set before huggingface_hub reads its constants.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

import torch  # noqa: E402
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import (
    BertConfig,
    BertForSequenceClassification,
    GPT2Config,
    GPT2ForSequenceClassification,
    LlamaConfig,
    LlamaForSequenceClassification,
    PreTrainedTokenizerFast,
)

CORPUS = [
    "What is two plus two? The answer is 4.",
    "Solve for x: 3x + 5 = 20, so x equals 5.",
    "Write a short poem about the sea and the wind.",
    "Explain why the sky is blue in one paragraph.",
    "The derivative of x squared is two x; the integral of one over x is the natural log.",
    "<think>Let me add the numbers first, then check the result.</think><answer>42</answer>",
    "I cannot help with that request, but here is a safer alternative.",
    "def add(a, b):\n    return a + b\n",
    "0 1 2 3 4 5 6 7 8 9 10 100 1000 3.14 -7 1/2",
]

# Role markers are literals (not built from the role string) so the tokenizer can recognise
# them as the template's own control tokens.
LLAMA_STYLE_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}"
    "{% if message['role'] == 'system' %}<|system|>"
    "{% elif message['role'] == 'user' %}<|user|>"
    "{% else %}<|assistant|>{% endif %}"
    "{{ message['content'] }}</s>{% endfor %}"
)


def build_tokenizer(
    *,
    bos: str | None,
    eos: str | None,
    pad: str | None,
    extra_special: tuple[str, ...] = (),
    post: tuple[str, str] | None = None,
    chat_template: str | None = None,
    vocab_size: int = 400,
) -> PreTrainedTokenizerFast:
    """A byte-level BPE tokenizer trained on CORPUS; `post` = (prefix, suffix) tokens around each text."""
    specials = [t for t in (bos, eos, pad, *extra_special) if t is not None]
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(CORPUS, trainer=trainer)
    if post is not None:
        prefix, suffix = post
        template = " ".join(t for t in (prefix, "$A", suffix) if t)
        used = [t for t in (prefix, suffix) if t]
        tok.post_processor = processors.TemplateProcessing(
            single=template, special_tokens=[(t, tok.token_to_id(t)) for t in used]
        )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token=bos,
        eos_token=eos,
        pad_token=pad,
        additional_special_tokens=list(extra_special) or None,
        chat_template=chat_template,
    )


def build_llama_reward_model(
    directory: Path,
    *,
    chat_template: str | None = LLAMA_STYLE_TEMPLATE,
    seed: int = 0,
    layers: int = 2,
    hidden: int = 32,
) -> Path:
    """A 2-layer Llama sequence classifier whose tokenizer adds BOS and has no pad token (like Llama 3)."""
    tokenizer = build_tokenizer(
        bos="<s>",
        eos="</s>",
        pad=None,
        extra_special=("<|system|>", "<|user|>", "<|assistant|>"),
        post=("<s>", ""),
        chat_template=chat_template,
    )
    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden,
        intermediate_size=hidden * 2,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
        num_labels=1,
        initializer_range=0.3,  # spreads random scores well above the 1e-4 tolerance
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=None,
    )
    model = LlamaForSequenceClassification(config).eval()
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def build_bert_reward_model(directory: Path, *, seed: int = 1) -> Path:
    """A 2-layer BERT classifier (first-token pooling), `[CLS] text [SEP]`, no chat template."""
    tokenizer = build_tokenizer(
        bos=None, eos=None, pad="[PAD]", extra_special=("[CLS]", "[SEP]"), post=("[CLS]", "[SEP]")
    )
    tokenizer.cls_token, tokenizer.sep_token = "[CLS]", "[SEP]"
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        max_position_embeddings=128,
        num_labels=1,
        initializer_range=0.3,
        pad_token_id=tokenizer.pad_token_id,
    )
    model = BertForSequenceClassification(config).eval()
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def build_gpt2_reward_model(directory: Path, *, seed: int = 2) -> Path:
    """A 2-layer GPT-2 classifier: absolute positions, last-token pooling, no pad token, no BOS added."""
    tokenizer = build_tokenizer(bos="<|endoftext|>", eos="<|endoftext|>", pad=None)
    torch.manual_seed(seed)
    config = GPT2Config(
        vocab_size=len(tokenizer),
        n_embd=32,
        n_layer=2,
        n_head=4,
        n_positions=256,
        num_labels=1,
        initializer_range=0.3,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=None,
    )
    model = GPT2ForSequenceClassification(config).eval()
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory
