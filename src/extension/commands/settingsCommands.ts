import * as vscode from 'vscode';
import { updateSetting } from '../settings';
import type { CommandContext } from './context';

const KNOWN_ENDPOINTS = [
  { label: 'OpenAI', endpoint: 'https://api.openai.com/v1' },
  { label: 'Local server (vLLM, llama.cpp, Ollama…)', endpoint: 'http://127.0.0.1:8000/v1' },
];

/** Rollout Studio: Select Model Endpoint… — an OpenAI-compatible base URL and a model name. */
export async function selectModelEndpoint(
  context: CommandContext,
  endpointArgument?: unknown,
  modelArgument?: unknown,
): Promise<{ endpoint: string; model: string } | undefined> {
  const current = context.settings();
  const endpoint = typeof endpointArgument === 'string' ? endpointArgument : await pickEndpoint(current.modelEndpoint);
  if (!endpoint) return undefined;
  validateEndpoint(endpoint);
  const model =
    typeof modelArgument === 'string'
      ? modelArgument
      : await vscode.window.showInputBox({
          title: 'Model name',
          value: current.model,
          prompt: `The model to ask at ${endpoint}`,
          ignoreFocusOut: true,
        });
  if (!model) return undefined;
  await updateSetting('model.endpoint', endpoint);
  await updateSetting('model.name', model);
  context.log.info(`model endpoint set to ${endpoint}, model ${model}`);
  return { endpoint, model };
}

async function pickEndpoint(current: string): Promise<string | undefined> {
  const items = [
    ...KNOWN_ENDPOINTS.map((known) => ({ label: known.label, description: known.endpoint, endpoint: known.endpoint })),
    { label: 'Other…', description: 'type an OpenAI-compatible base URL', endpoint: '' },
  ];
  const picked = await vscode.window.showQuickPick(items, {
    title: `Model endpoint (now ${current})`,
    ignoreFocusOut: true,
  });
  if (!picked) return undefined;
  if (picked.endpoint) return picked.endpoint;
  return vscode.window.showInputBox({
    title: 'Model endpoint',
    value: current,
    validateInput: endpointProblem,
    ignoreFocusOut: true,
  });
}

function endpointProblem(value: string): string | undefined {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:'
      ? undefined
      : 'the endpoint must be an http:// or https:// URL';
  } catch {
    return `'${value}' is not a URL`;
  }
}

function validateEndpoint(endpoint: string): void {
  const problem = endpointProblem(endpoint);
  if (problem) throw new Error(`Select Model Endpoint: ${problem}`);
}

/** Rollout Studio: Set API Key — stored in SecretStorage for the current endpoint, never in settings. */
export async function setApiKey(context: CommandContext, keyArgument?: unknown): Promise<boolean> {
  const { modelEndpoint } = context.settings();
  const key =
    typeof keyArgument === 'string'
      ? keyArgument
      : await vscode.window.showInputBox({
          title: `API key for ${modelEndpoint}`,
          password: true,
          ignoreFocusOut: true,
          prompt: 'Stored in VS Code’s secret storage. Leave empty to remove the key.',
        });
  if (key === undefined) return false;
  if (key === '') await context.apiKeys.delete(modelEndpoint);
  else await context.apiKeys.set(modelEndpoint, key.trim());
  context.log.info(`API key for ${modelEndpoint} ${key === '' ? 'removed' : 'stored in secret storage'}`);
  return true;
}
