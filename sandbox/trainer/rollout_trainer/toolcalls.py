"""Tool calls out of generated text, in the OpenAI wire format.

Two shapes models emit: Hermes/Qwen-style `<tool_call>{"name": …, "arguments": {…}}</tool_call>`
blocks (any number, text around them is the message content), and a reply that is one bare JSON
object `{"name": …, "arguments"|"parameters": {…}}` (Llama 3.1 style). A block that does not parse
stays in the content, so the agent sees what the model wrote and reports it as a malformed call.
"""

import json
import re
import uuid

_BLOCK = re.compile(r"<tool_call>\s*(.*?)\s*</tool_call>", re.DOTALL)


def _as_call(candidate):
    if not isinstance(candidate, dict) or not isinstance(candidate.get("name"), str):
        return None
    arguments = candidate.get("arguments", candidate.get("parameters", {}))
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments)
        except json.JSONDecodeError:
            return None
    if not isinstance(arguments, dict):
        return None
    return {
        "id": f"call_{uuid.uuid4().hex[:24]}",
        "type": "function",
        "function": {"name": candidate["name"], "arguments": json.dumps(arguments, ensure_ascii=False)},
    }


def _parse_json(text):
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return None


def parse_tool_calls(text: str):
    """Returns (content or None, list of OpenAI tool calls)."""
    calls = []
    kept = []
    cursor = 0
    for match in _BLOCK.finditer(text):
        call = _as_call(_parse_json(match.group(1)))
        if call is None:
            continue
        kept.append(text[cursor : match.start()])
        cursor = match.end()
        calls.append(call)
    kept.append(text[cursor:])
    content = "".join(kept).strip()
    if not calls and content.startswith("{"):
        bare = _as_call(_parse_json(content))
        if bare is not None:
            return None, [bare]
    return (content or None), calls
