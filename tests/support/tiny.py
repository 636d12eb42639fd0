"""A tiny causal LM built from scratch, for tests and benches of self-hosted training.

No machine here reaches a model hub, so tests and `bench.local_train` make a
model the way a user gets one: a folder with weights, a tokenizer and a chat
template that `LOCAL_BASE_MODEL` points at. The tokenizer is a byte-level BPE
trained on the given texts; the model is a randomly initialised Llama with a
few small layers. Nothing at run time needs this module.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

# ChatML-style turns. `{% generation %}` marks the assistant's words, so TRL can
# also mask the loss with `assistant_only_loss`; our trainer uses prompt/completion
# pairs and needs no markers, which is what a user's downloaded model looks like.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' }}"
    "{% if message['role'] == 'assistant' %}"
    "{% generation %}{{ message['content'] + '<|im_end|>' }}{% endgeneration %}"
    "{% else %}{{ message['content'] + '<|im_end|>' }}{% endif %}"
    "{{ '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
SPECIAL = ["<|pad|>", "<|endoftext|>", "<|im_start|>", "<|im_end|>"]


def build_tiny_model(
    folder: Path,
    texts: Iterable[str],
    *,
    vocab_size: int = 1024,
    hidden_size: int = 64,
    layers: int = 2,
    seed: int = 0,
) -> Path:
    """Write a tokenizer trained on `texts` and a random tiny Llama to `folder`; return it."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    folder.mkdir(parents=True, exist_ok=True)
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    bpe.train_from_iterator(
        list(texts),
        trainers.BpeTrainer(
            vocab_size=vocab_size,
            special_tokens=SPECIAL,
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
            show_progress=False,
        ),
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe,
        pad_token="<|pad|>",
        eos_token="<|im_end|>",
        bos_token="<|endoftext|>",
        unk_token="<|endoftext|>",
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    tokenizer.save_pretrained(folder)

    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=hidden_size * 2,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=1024,
        tie_word_embeddings=True,
        # Wide initial embeddings: with the usual 0.02 the tied output layer can barely move
        # the logits, and a few LoRA steps could not teach this random model anything.
        initializer_range=0.3,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=tokenizer.bos_token_id,
    )
    model = LlamaForCausalLM(config)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(folder)
    return folder


def demo_texts() -> list[str]:
    """The demo brand's voice, questions and answers: enough text for a small tokenizer."""
    from bot.demo import DEMO_VOICE, demo_examples

    texts = [DEMO_VOICE]
    for row in demo_examples():
        texts += [str(row["question"]), str(row["answer"])]
    return texts


# `python -m tests.support.tiny DIR` (from the checkout): a model to try `--provider local` on.
if __name__ == "__main__":
    import sys

    if len(sys.argv) != 2:
        sys.exit("usage: python -m tests.support.tiny DIR   (writes a tiny demo model into DIR)")
    print(build_tiny_model(Path(sys.argv[1]), demo_texts()))
