/**
 * A policy backed by VS Code's Language Model API (`vscode.lm`): whatever chat models the user's installed
 * providers offer (GitHub Copilot and others), with tool calling. The API has no system role, so system
 * messages go as user messages; it reports no token usage, so tokens are estimated (4 characters a token)
 * and the run's model parameters say so.
 */
import * as vscode from 'vscode';
import {
  PolicyError,
  type AssistantMessage,
  type ChatMessage,
  type Policy,
  type PolicyInfo,
  type PolicyRequest,
  type PolicyResponse,
  type ToolCall,
} from '../../core/agent/policies/policy';

export class LanguageModelPolicy implements Policy {
  readonly info: PolicyInfo;

  constructor(
    private readonly model: Pick<
      vscode.LanguageModelChat,
      'vendor' | 'family' | 'id' | 'sendRequest' | 'maxInputTokens'
    >,
  ) {
    this.info = {
      backend: 'vscode-lm',
      model: `${model.vendor}/${model.family}`,
      parameters: { model_id: model.id, token_counts: 'estimated' },
      ...(model.maxInputTokens > 0
        ? { contextWindow: { tokens: model.maxInputTokens, source: 'VS Code language model maxInputTokens' } }
        : {}),
    };
  }

  /** The first chat model of the family the user set (any model when the family is empty). */
  static async select(family: string): Promise<LanguageModelPolicy> {
    return LanguageModelPolicy.first(family ? { family } : {}, family ? ` of family '${family}'` : '');
  }

  /** The chat model a run recorded (`vendor/family`, as `info.model` names it), for a resumed run to go on with. */
  static async selectRecorded(name: string): Promise<LanguageModelPolicy> {
    const slash = name.indexOf('/');
    if (slash < 0) return LanguageModelPolicy.select(name);
    const [vendor, family] = [name.slice(0, slash), name.slice(slash + 1)];
    return LanguageModelPolicy.first({ vendor, family }, ` of vendor '${vendor}' and family '${family}'`);
  }

  private static async first(selector: vscode.LanguageModelChatSelector, which: string): Promise<LanguageModelPolicy> {
    const [model] = await vscode.lm.selectChatModels(selector);
    if (!model) {
      throw new PolicyError(
        `no VS Code language model${which} is available: install a model provider (such as GitHub Copilot) and allow Rollout Studio to use it, or set rolloutStudio.model.provider to "openai-compatible"`,
      );
    }
    return new LanguageModelPolicy(model);
  }

  async next(request: PolicyRequest): Promise<PolicyResponse> {
    const started = performance.now();
    const cancellation = new vscode.CancellationTokenSource();
    request.signal?.addEventListener('abort', () => cancellation.cancel());
    try {
      const tools = request.tools.map((tool) => ({
        name: tool.function.name,
        description: tool.function.description,
        inputSchema: tool.function.parameters,
      }));
      const response = await this.model.sendRequest(
        toLanguageModelMessages(request.messages),
        { tools, justification: 'Rollout Studio runs a coding agent on your task.' },
        cancellation.token,
      );
      const message = await collectReply(response.stream);
      const estimate = (value: unknown) => Math.ceil(JSON.stringify(value).length / 4);
      return {
        message,
        usage: { promptTokens: estimate(request.messages), completionTokens: estimate(message) },
        modelMs: performance.now() - started,
        retries: 0,
      };
    } catch (error) {
      if (error instanceof vscode.LanguageModelError)
        throw new PolicyError(`VS Code language model ${this.info.model}: ${error.message} (${error.code})`);
      throw error;
    } finally {
      cancellation.dispose();
    }
  }
}

/** OpenAI-format messages as the Language Model API takes them; consecutive tool results share one user message. */
export function toLanguageModelMessages(messages: ChatMessage[]): vscode.LanguageModelChatMessage[] {
  const converted: vscode.LanguageModelChatMessage[] = [];
  let toolResults: vscode.LanguageModelToolResultPart[] = [];
  const flushToolResults = () => {
    if (toolResults.length) converted.push(vscode.LanguageModelChatMessage.User(toolResults));
    toolResults = [];
  };
  for (const message of messages) {
    if (message.role === 'tool') {
      toolResults.push(
        new vscode.LanguageModelToolResultPart(message.tool_call_id, [
          new vscode.LanguageModelTextPart(message.content),
        ]),
      );
      continue;
    }
    flushToolResults();
    if (message.role === 'assistant') {
      const parts: (vscode.LanguageModelTextPart | vscode.LanguageModelToolCallPart)[] = message.content
        ? [new vscode.LanguageModelTextPart(message.content)]
        : [];
      for (const call of message.tool_calls ?? [])
        parts.push(new vscode.LanguageModelToolCallPart(call.id, call.function.name, callInput(call)));
      converted.push(vscode.LanguageModelChatMessage.Assistant(parts));
    } else {
      converted.push(vscode.LanguageModelChatMessage.User(message.content));
    }
  }
  flushToolResults();
  return converted;
}

/** The API wants an object; arguments the model wrote as broken JSON are passed back as they were written. */
function callInput(call: ToolCall): object {
  try {
    const parsed: unknown = JSON.parse(call.function.arguments || '{}');
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed;
  } catch {
    // falls through to the raw text
  }
  return { raw_arguments: call.function.arguments };
}

async function collectReply(stream: AsyncIterable<unknown>): Promise<AssistantMessage> {
  let text = '';
  const calls: ToolCall[] = [];
  for await (const part of stream) {
    if (part instanceof vscode.LanguageModelTextPart) text += part.value;
    else if (part instanceof vscode.LanguageModelToolCallPart)
      calls.push({
        id: part.callId,
        type: 'function',
        function: { name: part.name, arguments: JSON.stringify(part.input) },
      });
  }
  return { role: 'assistant', content: text || null, ...(calls.length ? { tool_calls: calls } : {}) };
}
