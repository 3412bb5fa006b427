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
    LlamaForCausalLM,
    LlamaForSequenceClassification,
    PreTrainedTokenizerFast,
    Qwen2Config,
    Qwen2ForSequenceClassification,
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


# Llama 3's layout: every turn, the assistant's included, ends with <|eot_id|>, which is also
# the EOS; the tokenizer has no pad token.
LLAMA3_STYLE_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}"
    "<|start_header_id|>{{ message['role'] }}<|end_header_id|>\n\n"
    "{{ message['content'] }}<|eot_id|>{% endfor %}"
)
CHATML_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{{ message['content'] }}<|im_end|>\n{% endfor %}"
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


def _llama_config(tokenizer: PreTrainedTokenizerFast, **extra: object) -> LlamaConfig:
    return LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
        initializer_range=0.3,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=None,
        **extra,
    )


def _llama3_tokenizer() -> PreTrainedTokenizerFast:
    return build_tokenizer(
        bos="<|begin_of_text|>",
        eos="<|eot_id|>",
        pad=None,
        extra_special=("<|start_header_id|>", "<|end_header_id|>"),
        post=("<|begin_of_text|>", ""),
        chat_template=LLAMA3_STYLE_TEMPLATE,
    )


def _rename_tensors(directory: Path, renames: dict[str, str]) -> None:
    """Rewrite model.safetensors with some tensors under other names (another trainer's layout)."""
    from safetensors.torch import load_file, save_file

    path = directory / "model.safetensors"
    tensors = load_file(path)
    save_file({renames.get(k, k): v for k, v in tensors.items()}, path, metadata={"format": "pt"})


def build_llama3_style_reward_model(directory: Path, *, seed: int = 4) -> Path:
    """A Llama classifier whose chat template ends every turn with <|eot_id|> (the EOS), no pad token."""
    tokenizer = _llama3_tokenizer()
    torch.manual_seed(seed)
    model = LlamaForSequenceClassification(_llama_config(tokenizer, num_labels=1)).eval()
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def build_openrlhf_reward_model(directory: Path, *, seed: int = 5) -> Path:
    """OpenRLHF's layout: the backbone under `model.`, the head a bias-free `value_head` linear layer.

    The config is the base model's (no `num_labels`, so transformers assumes 2), as OpenRLHF saves it.
    """
    tokenizer = _llama3_tokenizer()
    torch.manual_seed(seed)
    config = _llama_config(tokenizer, num_labels=1)
    LlamaForSequenceClassification(config).eval().save_pretrained(directory)
    _rename_tensors(directory, {"score.weight": "value_head.weight"})
    shipped = _llama_config(tokenizer)
    shipped.architectures = ["LlamaForCausalLM"]
    shipped.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


# Shipped beside a checkpoint as its own modelling code (the way Qwen2.5-Math-RM ships its head).
# Importing it touches the file named by TINY_RM_REMOTE_CODE_RAN, so a test can tell whether it ran.
REMOTE_CODE = """
import os
from pathlib import Path

import torch
from transformers import Qwen2ForSequenceClassification

if os.environ.get("TINY_RM_REMOTE_CODE_RAN"):
    Path(os.environ["TINY_RM_REMOTE_CODE_RAN"]).touch()


class TinyRewardModel(Qwen2ForSequenceClassification):
    def __init__(self, config):
        super().__init__(config)
        hidden = config.hidden_size
        self.score = torch.nn.Sequential(
            torch.nn.Linear(hidden, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, config.num_labels)
        )
        self.post_init()
"""


def build_two_layer_head_reward_model(directory: Path, *, seed: int = 6, remote_code: bool = False) -> Path:
    """The Qwen2.5-Math-RM layout: a Qwen2 backbone, head `score.0` (Linear) → ReLU → `score.2` (Linear).

    ChatML template (`<|im_end|>` closes each turn), pad token `<|endoftext|>` in tokenizer and config.
    With `remote_code`, the checkpoint also ships its own class for the head (`auto_map`).
    """
    tokenizer = build_tokenizer(
        bos=None,
        eos="<|im_end|>",
        pad="<|endoftext|>",
        extra_special=("<|im_start|>",),
        chat_template=CHATML_TEMPLATE,
    )
    torch.manual_seed(seed)
    config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
        num_labels=1,
        initializer_range=0.3,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    model = Qwen2ForSequenceClassification(config).eval()
    model.score = torch.nn.Sequential(torch.nn.Linear(32, 32), torch.nn.ReLU(), torch.nn.Linear(32, 1))
    for layer in (model.score[0], model.score[2]):
        torch.nn.init.normal_(layer.weight, std=0.3)
        torch.nn.init.normal_(layer.bias, std=0.3)
    model.config.architectures = ["Qwen2ForRewardModel"]
    if remote_code:
        model.config.auto_map = {"AutoModelForSequenceClassification": "modeling_tiny_rm.TinyRewardModel"}
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    if remote_code:
        (directory / "modeling_tiny_rm.py").write_text(REMOTE_CODE)
    return directory


def build_two_label_reward_model(directory: Path, *, seed: int = 7) -> Path:
    """A Llama classifier with two outputs, labelled `helpful` (0) and `harmless` (1)."""
    tokenizer = _llama3_tokenizer()
    torch.manual_seed(seed)
    config = _llama_config(tokenizer, num_labels=2, id2label={0: "helpful", 1: "harmless"})
    LlamaForSequenceClassification(config).eval().save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def build_headless_checkpoint(directory: Path, *, seed: int = 8) -> Path:
    """A causal LM (lm_head, no reward head): loading it as a reward model must be refused."""
    tokenizer = _llama3_tokenizer()
    torch.manual_seed(seed)
    LlamaForCausalLM(_llama_config(tokenizer)).eval().save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory
