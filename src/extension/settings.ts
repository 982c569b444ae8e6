import * as path from 'node:path';
import * as vscode from 'vscode';
import { DEFAULT_AGENT_CONFIG } from '../core/agent/config';
import { COMPACTION_STRATEGIES, type CompactionStrategy } from '../core/agent/context/contextManager';
import { checkModelSettings, MODEL_SETTING_FIELDS, type ModelSettings } from '../core/agent/policies/modelSettings';

/** Every setting the extension reads, typed; the names and defaults are declared in package.json `contributes.configuration`. */
export interface Settings {
  /**
   * `openai-compatible`, `openai-responses`, `anthropic` or `ollama` (the endpoint below), `vscode-lm` (VS Code's
   * Language Model API, `model` naming the family), or `recorded` (the recorded actions of `modelRecordedPath`; the
   * setting's former value `replay` reads as `recorded`).
   */
  modelProvider: string;
  /** The recorded trajectory the `recorded` provider repeats, action by action (absolute once read). */
  readonly modelRecordedPath: string;
  modelEndpoint: string;
  model: string;
  workers: number;
  dockerHost: string;
  imageProfile: string;
  /** Name of a reward function of src/core/reward (`binary`, `partial-credit`, `gated`). */
  reward: string;
  /**
   * Absolute: a relative setting is resolved against the first workspace folder when read, so that commands
   * that record nothing (Set API Key, Select Model Endpoint, Run Doctor) work with no folder open.
   */
  readonly outputFolder: string;
  budget: { maxTurns: number; maxCostUsd: number; maxTokens: number; timeLimitMinutes: number };
  /** Flags of `rollout train` the Fine-tune command starts from. */
  trainOptions: string;
  /**
   * The model's knobs (`rolloutStudio.model.temperature` …), checked as the CLI checks its flags when read, so
   * that a bad value stops the commands that run a model and no other.
   */
  readonly modelSettings: ModelSettings;
  readonly compaction: CompactionStrategy;
  /** CodeAssistBench tasks: the simulated user's and the judge's policy specs (empty: the agent's model). */
  cab: { userPolicy: string; judgePolicy: string; userRounds: number; dockerfileFallback: boolean };
  /** SWE tasks: test-feedback rounds (MINT); `rounds` 0 for none. */
  feedback: { rounds: number; source: string; policy: string; revealTests: boolean };
}

export const SETTINGS_SECTION = 'rolloutStudio';
/** `rolloutStudio.outputFolder`'s default, as package.json declares it. */
const DEFAULT_OUTPUT_FOLDER = '.rollout/runs';

/** `replay` named the recorded-actions provider before `recorded` (the name the CLI's policies use too). */
function currentProviderName(provider: string): string {
  return provider === 'replay' ? 'recorded' : provider;
}

export function readSettings(): Settings {
  const config = vscode.workspace.getConfiguration(SETTINGS_SECTION);
  const get = <T>(key: string, fallback: T): T => config.get<T>(key) ?? fallback;
  const outputFolderSetting = get('outputFolder', DEFAULT_OUTPUT_FOLDER);
  return {
    modelProvider: currentProviderName(get('model.provider', 'openai-compatible')),
    modelEndpoint: get('model.endpoint', 'https://api.openai.com/v1'),
    get modelRecordedPath() {
      // `model.replayPath`, the setting's former name, is read while the new one is unset.
      const key = get('model.recordedPath', '') ? 'model.recordedPath' : 'model.replayPath';
      const setting = get(key, '');
      return setting && !path.isAbsolute(setting) ? resolveInWorkspace(`rolloutStudio.${key}`, setting) : setting;
    },
    model: get('model.name', 'gpt-4o-mini'),
    workers: get('workers', 2),
    dockerHost: get('docker.host', ''),
    imageProfile: get('image.profile', 'python'),
    reward: get('reward', 'binary'),
    get outputFolder() {
      return resolveOutputFolder(outputFolderSetting);
    },
    budget: {
      maxTurns: get('budget.maxTurns', DEFAULT_AGENT_CONFIG.maxTurns),
      maxCostUsd: get('budget.maxCostUsd', DEFAULT_AGENT_CONFIG.maxCostUsd),
      maxTokens: get('budget.maxTokens', DEFAULT_AGENT_CONFIG.maxTokens),
      timeLimitMinutes: get('budget.timeLimitMinutes', DEFAULT_AGENT_CONFIG.maxWallMs / 60_000),
    },
    trainOptions: get('train.options', ''),
    get modelSettings() {
      return readModelSettings(config);
    },
    get compaction() {
      return readCompaction(config);
    },
    cab: {
      userPolicy: get('cab.userPolicy', ''),
      judgePolicy: get('cab.judgePolicy', ''),
      userRounds: get('cab.userRounds', 10),
      dockerfileFallback: get('cab.dockerfileFallback', false),
    },
    feedback: {
      rounds: get('feedback.rounds', 0),
      source: get('feedback.source', 'tests'),
      policy: get('feedback.policy', ''),
      revealTests: get('feedback.revealTests', false),
    },
  };
}

/** Whether the output folder can be resolved now: it is absolute, or a folder is open. */
export function hasOutputFolder(): boolean {
  const setting =
    vscode.workspace.getConfiguration(SETTINGS_SECTION).get<string>('outputFolder') ?? DEFAULT_OUTPUT_FOLDER;
  return path.isAbsolute(setting) || vscode.workspace.workspaceFolders !== undefined;
}

/** Every knob of MODEL_SETTING_FIELDS from `rolloutStudio.model.<field>`; unset (null, or an empty list) is the server's default. */
function readModelSettings(config: vscode.WorkspaceConfiguration): ModelSettings {
  const raw: Partial<Record<keyof ModelSettings, unknown>> = {};
  for (const field of Object.keys(MODEL_SETTING_FIELDS) as (keyof ModelSettings)[]) {
    const value = config.get<unknown>(`model.${field}`);
    raw[field] = Array.isArray(value) && value.length === 0 ? undefined : value;
  }
  return checkModelSettings(raw, (field) => `${SETTINGS_SECTION}.model.${field}`);
}

function readCompaction(config: vscode.WorkspaceConfiguration): CompactionStrategy {
  const value = config.get<string>('agent.compaction') ?? DEFAULT_AGENT_CONFIG.compaction;
  if (!COMPACTION_STRATEGIES.includes(value as CompactionStrategy))
    throw new Error(
      `${SETTINGS_SECTION}.agent.compaction: '${value}' is not one of ${COMPACTION_STRATEGIES.join(', ')}`,
    );
  return value as CompactionStrategy;
}

function resolveOutputFolder(setting: string): string {
  return path.isAbsolute(setting) ? setting : resolveInWorkspace('rolloutStudio.outputFolder', setting);
}

/** A relative path setting, against the first workspace folder. */
function resolveInWorkspace(name: string, setting: string): string {
  const workspace = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  if (!workspace)
    throw new Error(
      `${name} is the relative path '${setting}' but no folder is open: open a folder or set an absolute path`,
    );
  return path.join(workspace, setting);
}

export async function updateSetting(key: string, value: unknown): Promise<void> {
  const target = vscode.workspace.workspaceFolders
    ? vscode.ConfigurationTarget.Workspace
    : vscode.ConfigurationTarget.Global;
  await vscode.workspace.getConfiguration(SETTINGS_SECTION).update(key, value, target);
}

/** The engine the extension host was started with (its DOCKER_HOST), which an empty setting goes back to. */
const ENVIRONMENT_DOCKER_HOST = process.env.DOCKER_HOST;

/**
 * Points the core's Docker client at the configured engine; an empty setting at the engine of the environment
 * the editor was started in (DOCKER_HOST, else the default socket), also after another was set.
 */
export function applyDockerHost(settings: Settings): void {
  const host = settings.dockerHost || ENVIRONMENT_DOCKER_HOST;
  if (host) process.env.DOCKER_HOST = host;
  else delete process.env.DOCKER_HOST;
}
