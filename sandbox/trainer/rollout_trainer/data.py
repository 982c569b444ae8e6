"""Reading and validating the datasets `rollout export` writes (OpenAI chat JSONL).

Every problem is reported with the file, the line and the field, e.g.
`runs.jsonl:17: messages[3].tool_calls[0].function.arguments: not a JSON object`.
"""

import json
from dataclasses import dataclass, field

from .errors import TrainerError, bad_data

ROLES = ("system", "user", "assistant", "tool")


@dataclass
class Conversation:
    messages: list
    tools: list | None
    source: str  # FILE:LINE, for error messages


@dataclass
class PreferencePair:
    prompt: list
    chosen: list
    rejected: list
    tools: list | None
    source: str
    metadata: dict = field(default_factory=dict)


def read_jsonl(path: str):
    """Yields (`FILE:LINE`, object) for each non-blank line."""
    try:
        handle = open(path, encoding="utf-8")
    except OSError as error:
        raise bad_data(path, f"cannot read the dataset ({error.strerror})") from error
    with handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            source = f"{path}:{number}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise bad_data(source, f"not valid JSON ({error.msg} at column {error.colno})") from error
            if not isinstance(record, dict):
                raise bad_data(source, "each line must be a JSON object")
            yield source, record


def _text_content(content, source: str, where: str):
    """OpenAI content is a string, null, or a list of parts; templates want a string."""
    if content is None or isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = []
        for index, part in enumerate(content):
            if not isinstance(part, dict) or part.get("type") != "text" or not isinstance(part.get("text"), str):
                raise bad_data(source, f"{where}.content[{index}]: only text parts are supported")
            texts.append(part["text"])
        return "".join(texts)
    raise bad_data(source, f"{where}.content: must be a string, null or a list of text parts")


TOOL_ARGUMENTS = ("object", "string")


def _tool_call(call, source: str, where: str, tool_arguments: str = "object") -> dict:
    """One tool call for the chat template. `tool_arguments` says how the template wants the arguments: as a
    mapping (`object`: the templates of Qwen2.5, Llama 3.x and Qwen3 apply `tojson` to them) or as JSON text
    (`string`: templates that print them as they are). Either way they must be a JSON object."""
    if not isinstance(call, dict) or not isinstance(call.get("function"), dict):
        raise bad_data(source, f"{where}: must be an object with a `function` object")
    function = call["function"]
    if not isinstance(function.get("name"), str) or not function["name"]:
        raise bad_data(source, f"{where}.function.name: missing or not a string")
    arguments = function.get("arguments", {})
    if isinstance(arguments, str):
        # The export stores arguments as a JSON string (the wire format); chat templates expect a mapping.
        try:
            arguments = json.loads(arguments) if arguments.strip() else {}
        except json.JSONDecodeError as error:
            raise bad_data(source, f"{where}.function.arguments: not valid JSON ({error.msg})") from error
    if not isinstance(arguments, dict):
        raise bad_data(source, f"{where}.function.arguments: not a JSON object")
    if tool_arguments == "string":
        arguments = json.dumps(arguments, ensure_ascii=False)
    normalised = {"type": "function", "function": {"name": function["name"], "arguments": arguments}}
    if "id" in call:
        normalised["id"] = call["id"]
    return normalised


def normalise_messages(messages, source: str, field_name: str = "messages", tool_arguments: str = "object") -> list:
    """Validates OpenAI-format messages and returns them in the shape chat templates expect."""
    if not isinstance(messages, list) or not messages:
        raise bad_data(source, f"{field_name}: must be a non-empty list")
    result = []
    for index, message in enumerate(messages):
        where = f"{field_name}[{index}]"
        if not isinstance(message, dict):
            raise bad_data(source, f"{where}: must be an object")
        role = message.get("role")
        if role not in ROLES:
            raise bad_data(source, f"{where}.role: {role!r} is not one of {', '.join(ROLES)}")
        normalised = {"role": role, "content": _text_content(message.get("content"), source, where)}
        calls = message.get("tool_calls")
        if calls:
            if role != "assistant" or not isinstance(calls, list):
                raise bad_data(source, f"{where}.tool_calls: only an assistant message may carry a list of tool calls")
            normalised["tool_calls"] = [
                _tool_call(call, source, f"{where}.tool_calls[{i}]", tool_arguments) for i, call in enumerate(calls)
            ]
        if role == "assistant" and isinstance(message.get("reasoning_content"), str):
            normalised["reasoning_content"] = message["reasoning_content"]  # Qwen3-style templates render it
        if role == "tool" and "tool_call_id" in message:
            normalised["tool_call_id"] = message["tool_call_id"]
        if normalised["content"] is None and not calls:
            raise bad_data(source, f"{where}.content: missing")
        result.append(normalised)
    return result


def _tools(record, source: str):
    tools = record.get("tools")
    if tools is None or tools == []:
        return None
    if not isinstance(tools, list) or not all(isinstance(tool, dict) for tool in tools):
        raise bad_data(source, "tools: must be a list of tool objects")
    return tools


def load_conversations(path: str, tool_arguments: str = "object") -> list[Conversation]:
    """The SFT export: one `{"messages": [...], "tools": [...]}` conversation per line."""
    conversations = []
    for source, record in read_jsonl(path):
        if "messages" not in record:
            raise bad_data(source, "messages: missing (expected OpenAI chat format {\"messages\": [...]})")
        messages = normalise_messages(record["messages"], source, tool_arguments=tool_arguments)
        if not any(message["role"] == "assistant" for message in messages):
            raise bad_data(source, "messages: no assistant turn to train on")
        conversations.append(Conversation(messages, _tools(record, source), source))
    if not conversations:
        raise bad_data(path, "the dataset has no conversations")
    return conversations


def _preference_pair(source: str, record: dict, tool_arguments: str) -> PreferencePair:
    for name in ("prompt", "chosen", "rejected"):
        if name not in record:
            raise bad_data(source, f"{name}: missing (expected {{\"prompt\", \"chosen\", \"rejected\"}} message lists)")
    prompt = normalise_messages(record["prompt"], source, "prompt", tool_arguments)
    chosen = normalise_messages(record["chosen"], source, "chosen", tool_arguments)
    rejected = normalise_messages(record["rejected"], source, "rejected", tool_arguments)
    for name, completion in (("chosen", chosen), ("rejected", rejected)):
        if completion[0]["role"] != "assistant":
            raise bad_data(source, f"{name}[0].role: a completion must start with an assistant turn")
    return PreferencePair(prompt, chosen, rejected, _tools(record, source), source, record.get("metadata") or {})


def load_preference_pairs(path: str, tool_arguments: str = "object") -> tuple[list[PreferencePair], list[str]]:
    """The DPO export: `{"prompt": [...], "chosen": [...], "rejected": [...]}` with message lists. A pair that
    cannot be trained on (a completion that starts with a tool message, a missing or malformed field) is
    skipped, not fatal: returns the pairs and one `FILE:LINE: problem` per skipped pair. A line that is not
    JSON, or a file with no usable pair, is an error."""
    pairs, skipped = [], []
    for source, record in read_jsonl(path):
        try:
            pairs.append(_preference_pair(source, record, tool_arguments))
        except TrainerError as error:
            skipped.append(error.message)
    if not pairs:
        reason = f" ({len(skipped)} skipped, the first: {skipped[0]})" if skipped else ""
        raise bad_data(path, f"the dataset has no usable preference pairs{reason}")
    return pairs, skipped
