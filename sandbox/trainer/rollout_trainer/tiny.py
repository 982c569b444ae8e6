"""A tiny Llama-architecture model with a locally trained byte-level BPE tokenizer and a
ChatML-with-tools chat template. Built from a config, nothing downloaded: tests and the
benchmark use it, and users can smoke-test their setup with `python -m rollout_trainer tiny-model`.
"""

# Qwen2.5-style ChatML with Hermes tool calls; `{% generation %}` marks what the assistant generates.
CHATML_WITH_TOOLS = r"""{%- if tools %}
    {{- '<|im_start|>system\n' }}
    {%- if messages[0].role == 'system' %}
        {{- messages[0].content + '\n\n' }}
    {%- endif %}
    {{- '# Tools\n\nYou may call one or more functions. Function signatures:\n<tools>' }}
    {%- for tool in tools %}
        {{- '\n' + (tool | tojson) }}
    {%- endfor %}
    {{- '\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call><|im_end|>\n' }}
{%- elif messages[0].role == 'system' %}
    {{- '<|im_start|>system\n' + messages[0].content + '<|im_end|>\n' }}
{%- endif %}
{%- for message in messages %}
    {%- if message.role == 'user' %}
        {{- '<|im_start|>user\n' + message.content + '<|im_end|>\n' }}
    {%- elif message.role == 'assistant' %}
        {{- '<|im_start|>assistant\n' }}
        {%- generation %}
        {{- message.content or '' }}
        {%- for call in message.tool_calls or [] %}
            {%- if message.content or not loop.first %}
                {{- '\n' }}
            {%- endif %}
            {%- set arguments = call.function.arguments if call.function.arguments is string else (call.function.arguments | tojson) %}
            {{- '<tool_call>\n{"name": "' + call.function.name + '", "arguments": ' + arguments + '}\n</tool_call>' }}
        {%- endfor %}
        {{- '<|im_end|>' }}
        {%- endgeneration %}
        {{- '\n' }}
    {%- elif message.role == 'tool' %}
        {{- '<|im_start|>user\n<tool_response>\n' + message.content + '\n</tool_response><|im_end|>\n' }}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\n' }}
{%- endif %}"""

SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]

_CORPUS = [
    "You are a coding agent. Fix the failing test in the repository.",
    '<tool_call>\n{"name": "bash", "arguments": {"command": "ls -la"}}\n</tool_call>',
    '<tool_call>\n{"name": "edit", "arguments": {"path": "src/app.py", "old": "return a - b", "new": "return a + b"}}\n</tool_call>',
    "<tool_response>\nsrc/app.py tests/test_app.py README.md\n</tool_response>",
    "def add(a, b):\n    return a + b\n\nassert add(2, 3) == 5\n",
    "FAILED tests/test_app.py::test_add - assert -1 == 5\n1 failed, 3 passed in 0.02s",
    "# Tools\n\nYou may call one or more functions. Function signatures:\n<tools>\n</tools>",
    '{"type": "function", "function": {"name": "bash", "description": "Run a command", "parameters": {"type": "object"}}}',
    "The tests pass now. I changed the subtraction to an addition in src/app.py.",
    "user assistant system tool submit view search code_map",
]


def chat_template(generation_markers: bool = False) -> str:
    """The template with or without TRL's `{% generation %}` markers around assistant output."""
    if generation_markers:
        return CHATML_WITH_TOOLS
    return CHATML_WITH_TOOLS.replace("{%- generation %}", "").replace("{%- endgeneration %}", "")


def build_tokenizer(generation_markers: bool = False, vocab_size: int = 512, extra_special_tokens=()):
    """The tiny byte-level BPE tokenizer; `extra_special_tokens` adds other families' markers (tests)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    backend = Tokenizer(models.BPE())
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS + list(extra_special_tokens),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    backend.train_from_iterator(_CORPUS * 4, trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        additional_special_tokens=["<|im_start|>", *extra_special_tokens],
    )
    tokenizer.chat_template = chat_template(generation_markers)
    return tokenizer


def build_tiny_model(out_dir: str, generation_markers: bool = False, seed: int = 0, hidden_size: int = 64, layers: int = 2) -> str:
    """Writes a loadable model folder (config, safetensors weights, tokenizer) and returns it.
    The benchmark asks for a wider, deeper one than the tests."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    tokenizer = build_tokenizer(generation_markers)
    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=2 * hidden_size,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        # room for an agent conversation with its tool schemas: the tiny tokenizer spends ~2 characters a token
        max_position_embeddings=32768,
        bos_token_id=None,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=False,
        # Wide enough init that a LoRA adapter can make the output confident: with the usual 0.02,
        # logits of a 64-wide model stay near uniform and a tiny fine-tune cannot overfit.
        initializer_range=0.2,
    )
    model = LlamaForCausalLM(config)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    with open(f"{out_dir}/README.md", "w", encoding="utf-8") as handle:
        handle.write("Tiny random Llama model built by rollout_trainer for tests; its outputs are noise.\n")
    return out_dir

