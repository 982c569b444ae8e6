import * as vscode from 'vscode';
import { parsePolicySpec } from '../../core/agent/policies/policySpec';
import { updateSetting } from '../settings';
import type { CommandContext } from './context';
import { fileArgumentOrPick } from './pick';

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

/** The policy kinds the agent can run with, as `rolloutStudio.model.provider` names them. */
export const POLICY_KINDS = [
  {
    provider: 'openai-compatible',
    label: 'OpenAI-compatible server',
    detail: 'OpenAI, vLLM, LM Studio, llama.cpp, Ollama /v1, rollout serve',
  },
  {
    provider: 'openai-responses',
    label: "OpenAI's Responses API",
    detail: 'OpenAI (the Codex and pro models are served only there), vLLM, Ollama',
  },
  { provider: 'anthropic', label: 'Anthropic', detail: "Anthropic's Messages API" },
  { provider: 'ollama', label: 'Ollama', detail: "Ollama's own API (sets the context size)" },
  { provider: 'vscode-lm', label: 'VS Code Language Model', detail: 'the chat models your installed providers offer' },
  { provider: 'recorded', label: 'Recorded actions', detail: "a recorded trajectory's actions, step by step" },
] as const;

export interface PolicyChoice {
  provider: (typeof POLICY_KINDS)[number]['provider'];
  /** The model (the family for vscode-lm); unused by recorded actions. */
  model?: string;
  /** The server's base URL; empty for the provider's own default. */
  endpoint?: string;
  /** recorded: the recorded trajectory (a trajectory.jsonl). */
  recordedPath?: string;
}

/**
 * Rollout Studio: Select Policy… — what the agent runs on: any policy kind the CLI's --policy takes (a server,
 * VS Code's Language Model API, or recorded actions), written to the `rolloutStudio.model.*` settings.
 */
export async function selectPolicy(context: CommandContext, argument?: unknown): Promise<PolicyChoice | undefined> {
  const choice = (argument as PolicyChoice | undefined) ?? (await pickPolicy(context));
  if (!choice) return undefined;
  if (!POLICY_KINDS.some((kind) => kind.provider === choice.provider))
    throw new Error(
      `Select Policy: '${choice.provider}' is not one of ${POLICY_KINDS.map((k) => k.provider).join(', ')}`,
    );
  if (choice.endpoint) validateEndpoint(choice.endpoint);
  if (choice.provider === 'recorded' && !choice.recordedPath)
    throw new Error('Select Policy: recorded actions need a recorded trajectory (recordedPath)');
  await updateSetting('model.provider', choice.provider);
  if (choice.model !== undefined) await updateSetting('model.name', choice.model);
  if (choice.endpoint !== undefined) await updateSetting('model.endpoint', choice.endpoint);
  if (choice.recordedPath !== undefined) await updateSetting('model.recordedPath', choice.recordedPath);
  context.log.info(`policy set to ${JSON.stringify(choice)}`);
  return choice;
}

async function pickPolicy(context: CommandContext): Promise<PolicyChoice | undefined> {
  const current = context.settings();
  const kind = await vscode.window.showQuickPick(
    POLICY_KINDS.map((known) => ({ ...known, description: known.provider === current.modelProvider ? 'now' : '' })),
    { title: 'The agent runs on…', ignoreFocusOut: true },
  );
  if (!kind) return undefined;
  if (kind.provider === 'recorded') {
    const recordedPath = await fileArgumentOrPick(undefined, {
      canSelectFiles: true,
      title: 'The recorded trajectory whose actions the agent repeats (a trajectory.jsonl)',
      filters: { 'Trajectory logs': ['jsonl'] },
    });
    return recordedPath ? { provider: 'recorded', recordedPath } : undefined;
  }
  if (kind.provider === 'openai-compatible' || kind.provider === 'openai-responses') {
    const endpoint = await pickEndpoint(current.modelEndpoint);
    if (!endpoint) return undefined;
    const model = await askModel(current.model, `The model to ask at ${endpoint}`);
    return model === undefined ? undefined : { provider: kind.provider, endpoint, model };
  }
  if (kind.provider === 'vscode-lm') {
    const model = await askModel(current.model, 'The model family (empty: any chat model your providers offer)');
    return model === undefined ? undefined : { provider: kind.provider, model };
  }
  const endpoint = await vscode.window.showInputBox({
    title: `${kind.label} base URL`,
    prompt: `Empty for ${kind.provider === 'anthropic' ? "Anthropic's own API" : 'http://localhost:11434'}`,
    value: '',
    validateInput: (value) => (value ? endpointProblem(value) : undefined),
    ignoreFocusOut: true,
  });
  if (endpoint === undefined) return undefined;
  const model = await askModel(current.model, `The ${kind.label} model`);
  return model === undefined ? undefined : { provider: kind.provider, endpoint, model };
}

function askModel(value: string, prompt: string): Thenable<string | undefined> {
  return vscode.window.showInputBox({ title: 'Model name', value, prompt, ignoreFocusOut: true });
}

/** Where a spec is not one the protocols take, why; '' (the agent's model) and `vscode-lm:FAMILY` are taken. */
function protocolPolicyProblem(spec: string): string | undefined {
  if (spec === '' || spec.startsWith('vscode-lm:')) return undefined;
  try {
    parsePolicySpec(spec);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

export interface CabPolicies {
  /** The simulated user's policy spec; '' for the agent's model. */
  userPolicy?: string;
  judgePolicy?: string;
}

/**
 * Rollout Studio: Select CodeAssistBench User and Judge… — the models that play CodeAssistBench's simulated
 * user and judge (`rolloutStudio.cab.userPolicy` / `judgePolicy`), as policy specs; empty is the agent's model.
 */
export async function selectCabPolicies(context: CommandContext, argument?: unknown): Promise<CabPolicies | undefined> {
  const current = context.settings().cab;
  const given = argument as CabPolicies | undefined;
  const chosen: CabPolicies = given ?? {};
  if (!given) {
    for (const [role, key, now] of [
      ['simulated user', 'userPolicy', current.userPolicy],
      ['judge', 'judgePolicy', current.judgePolicy],
    ] as const) {
      const spec = await vscode.window.showInputBox({
        title: `CodeAssistBench ${role}`,
        prompt:
          "A policy spec: openai:MODEL[@BASE_URL], openai-responses:MODEL, anthropic:MODEL, ollama:MODEL, vscode-lm:FAMILY; empty: the agent's model",
        value: now,
        validateInput: protocolPolicyProblem,
        ignoreFocusOut: true,
      });
      if (spec === undefined) return undefined;
      chosen[key] = spec;
    }
  }
  for (const key of ['userPolicy', 'judgePolicy'] as const) {
    const spec = chosen[key];
    if (spec === undefined) continue;
    const problem = protocolPolicyProblem(spec);
    if (problem) throw new Error(`rolloutStudio.cab.${key}: ${problem}`);
    await updateSetting(`cab.${key}`, spec);
  }
  context.log.info(
    `CodeAssistBench user ${chosen.userPolicy ?? '(unchanged)'}, judge ${chosen.judgePolicy ?? '(unchanged)'}`,
  );
  return chosen;
}
