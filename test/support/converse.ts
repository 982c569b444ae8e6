import type { ChatMessage, Policy, PolicyRequest, PolicyResponse } from '../../src/core/agent/policies/policy';
import type { ToolDefinition } from '../../src/core/agent/tools/tool';

/**
 * A conversation as the agent loop holds it, from `opening`: each reply, then a result (`ok`) for each of its calls,
 * until a reply calls nothing.
 */
export async function converse(
  policy: Policy,
  opening: readonly ChatMessage[],
  tools: ToolDefinition[],
  onDelta?: PolicyRequest['onDelta'],
): Promise<{ conversation: ChatMessage[]; replies: PolicyResponse[] }> {
  const conversation = [...opening];
  const replies: PolicyResponse[] = [];
  for (;;) {
    const reply = await policy.next({ messages: conversation, tools, onDelta });
    replies.push(reply);
    conversation.push(reply.message);
    const calls = reply.message.tool_calls ?? [];
    if (calls.length === 0) return { conversation, replies };
    for (const call of calls) conversation.push({ role: 'tool', tool_call_id: call.id, content: 'ok' });
  }
}
